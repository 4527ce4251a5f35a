"""The doctor's chart in Telegram: as a photo after the text of /stats, and every week where the
doctors review (EXPERTBOT_WEEKLY_CHART, bot/runtime/schedule.py): the review group when REVIEW_CHAT_ID
is set, once, else each doctor's private chat.

The chart is drawn by `bot/review/chart.py` in a worker thread (it takes a fraction of a second) from
`ReviewService.chart_data`, and uploaded with sendPhoto (multipart). Captions and every word on
it come from bot.yaml's texts. Without matplotlib, or when drawing fails, /stats is the text
alone and the weekly message is the text of /stats (a warning in the log says why).

The weekly job is a background task like the heartbeat and retention (`aio.Background`,
`sleep_or_stop`). The time of the last weekly send is kept in the `meta` table, so a restart
neither sends it again nor skips a week.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.knowledge.loading import Knowledge
from bot.review import chart
from bot.review import replies as review_replies
from bot.review.service import ReviewService
from bot.runtime.aio import sleep_or_stop
from bot.runtime.schedule import Schedule
from bot.storage import StoreError
from bot.telegram.sending import send_reply, with_retry

log = logging.getLogger(__name__)

LAST_SENT = "weekly_chart_sent_at"  # key in the meta table: ISO time of the last weekly send
WEEKS = 4  # weeks shown on the chart in Telegram
MAX_SLEEP = 3600.0  # seconds: the job looks at the clock at least this often
RETRY = 300.0  # seconds before trying again when no review chat could be reached
FILENAME = "expertbot-stats.png"

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Charts:
    def __init__(
        self,
        bot: Bot,
        review: ReviewService,
        knowledge: Callable[[], Knowledge],
        chats: Sequence[int],
        schedule: Schedule | None,
        *,
        weeks: int = WEEKS,
        clock: Clock = _now,
    ) -> None:
        """`knowledge`: the knowledge served now (its bot.yaml texts; it changes on reload).
        `chats`: where the weekly chart goes (`Roles.targets`: the review group, or else each
        doctor's private chat)."""
        self.bot = bot
        self.review = review
        self.knowledge = knowledge
        self.chats = sorted(chats)
        self.schedule = schedule
        self.weeks = weeks
        self.clock = clock

    async def png(self) -> bytes | None:
        """The chart now, or None (logged) when matplotlib is missing or drawing fails."""
        try:
            data = await self.review.chart_data(self.weeks, self.clock())
            labels = chart.labels(self.knowledge().settings, self.weeks)
            return await asyncio.to_thread(chart.render_png, data, labels)
        except chart.ChartUnavailable as exc:
            log.warning("no chart, text only: %s", exc)
        except StoreError as exc:
            log.warning("no chart, text only: %s", exc)
        except Exception as exc:  # a plotting bug must not cost the doctor her /stats
            log.warning("no chart, text only: drawing it failed: %s", exc, exc_info=True)
        return None

    async def photo(self, chat_id: int, png: bytes, caption_text: str) -> None:
        """Upload the chart to a chat (sendPhoto, multipart), with retries."""
        caption = chart.caption(self.knowledge().settings, caption_text, self.weeks)
        await with_retry(
            lambda: self.bot.send_photo(chat_id, png, caption=caption, filename=FILENAME),
            "sendPhoto",
        )

    async def after_stats(self, chat_id: int) -> bool:
        """/stats: the chart after the text; nothing more (logged) when it can't be had."""
        png = await self.png()
        if png is None:
            return False
        try:
            await self.photo(chat_id, png, "chart_caption")
        except TelegramError as exc:
            log.warning("the chart was not sent to chat %d: %s", chat_id, exc)
            return False
        return True

    async def weekly(self) -> bool:
        """The weekly chart to every review chat (the text of /stats when there is no chart).
        True when it is done: some chat got it, or every failure was a refusal that trying
        again would not change (a doctor who never opened a chat with the bot)."""
        png = await self.png()
        delivered = again = False
        for chat in self.chats:
            try:
                if png is not None:
                    await self.photo(chat, png, "weekly_chart_caption")
                else:
                    await send_reply(self.bot, chat, await self._stats_text())
                delivered = True
            except (Forbidden, BadRequest) as exc:
                log.warning("the weekly chart cannot reach chat %d: %s", chat, exc)
            except (TelegramError, StoreError) as exc:
                log.warning("the weekly chart did not reach chat %d yet: %s", chat, exc)
                again = True
        return delivered or not again

    async def _stats_text(self):  # type: ignore[no-untyped-def]
        knowledge = self.knowledge()
        questions = {e.id: e.question for e in knowledge.entries.values()}
        return review_replies.stats(await self.review.stats(), questions)

    async def last_sent(self) -> dt.datetime | None:
        raw = await self.review.store.meta(LAST_SENT)
        if not raw:
            return None
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            log.warning("ignoring an unreadable %s in the meta table: %r", LAST_SENT, raw)
            return None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    async def run(self, stop: asyncio.Event) -> None:
        """The weekly job: send when due (bot/runtime/schedule.py), record it, wait for the next."""
        if self.schedule is None or not self.chats:
            return
        log.info("weekly chart: %s, to %d chat(s)", self.schedule, len(self.chats))
        started = self.clock()
        while not stop.is_set():
            wait = await self.step(started)
            if wait > 0:
                await sleep_or_stop(min(wait, MAX_SLEEP), stop)

    async def step(self, started: dt.datetime) -> float:
        """Send the weekly chart if it is due; returns the seconds until the next look (0:
        look again now). A bot that never sent counts from `started`: the first period, or
        the first weekly time after it."""
        assert self.schedule is not None
        retry = min(RETRY, self.schedule.every or RETRY)
        try:
            now = self.clock()
            due = self.schedule.next_due(await self.last_sent() or started, now)
            if due > now:
                return (due - now).total_seconds()
            if not await self.weekly():
                return retry
            await self.review.store.set_meta(LAST_SENT, now.isoformat())
            log.info("weekly chart sent")
            return 0
        except StoreError as exc:
            log.warning("weekly chart: %s", exc)
            return retry
