"""Everything the bot sends on its own, driven by what SQLite says is owed, so that a crash
or a restart loses nothing:

- new queue items go to the review chat (urgent ones at once; the rest at once or as a
  digest every `review.digest_minutes`), and each posted message is linked to its item;
- answers the doctor gave (in Telegram or from the terminal) go to their readers: claimed,
  sent, then marked sent; a reader who blocked the bot is marked undeliverable and the
  doctor told; other failures are retried later;
- notices for the doctors (a broken knowledge reload, a database that stopped saving).

One task runs `Outbox.run`; handlers call `nudge()` after they queue or resolve something, and
the outbox also looks every few seconds (the terminal writes to the same database).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.conversation import replies
from bot.knowledge.loading import Knowledge
from bot.models import QueueItem, Reply
from bot.review import replies as review_replies
from bot.review.service import group_items, parse_time, reader_label
from bot.runtime.aio import sleep_or_stop
from bot.runtime.config import Config
from bot.storage import Delivery, Store, StoreError
from bot.telegram.sending import quiet_retried_failures, send_reply
from bot.understanding.snapshot import Snapshot

log = logging.getLogger(__name__)

LOOK_EVERY = 5.0  # seconds between looks at the database without a nudge
RETRY_AFTER = 60.0  # seconds before trying again a chat that failed
BACKLOG = 10  # more unposted questions than this at once are posted as a digest
CONSOLE_CHAT = 0  # questions asked in `expertbot chat`: no Telegram reader to send to
STORAGE_DOWN = (
    "⚠️ The database stopped saving readers' questions ({error}). Readers still get answers "
    "from the knowledge, but questions without one are NOT reaching you, and readers are told "
    "to send them again later. Check the disk and the database file (see the bot's log)."
)
STORAGE_BACK = "✅ The database saves readers' questions again."


@dataclass(frozen=True, slots=True)
class Roles:
    """Who may review, and where questions are posted."""

    doctors: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    review_chat: int | None = None

    @property
    def targets(self) -> list[int]:
        """The review chat, or else each doctor's private chat with the bot."""
        if self.review_chat is not None:
            return [self.review_chat]
        return sorted(self.doctors)

    def is_doctor(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.doctors

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins


class Outbox:
    def __init__(
        self, bot: Bot, store: Store, knowledge: Callable[[], Knowledge], roles: Roles
    ) -> None:
        """`knowledge`: the knowledge served now (it changes on reload)."""
        self.bot = bot
        self.store = store
        self.knowledge = knowledge
        self.roles = roles
        self._wake = asyncio.Event()
        self._salt = ""
        self._failed_until: dict[int, float] = {}  # chat id -> monotonic time to retry after
        self._storage_down = False
        self._notices: set[asyncio.Task] = set()

    def storage(self, error: StoreError | None) -> None:
        """Saving a reader's question failed (or works again): tell the doctors once per
        outage, not once per question. Called from handlers: the sending runs on its own."""
        if (error is not None) == self._storage_down:
            return
        self._storage_down = error is not None
        text = STORAGE_DOWN.format(error=error) if error is not None else STORAGE_BACK
        task = asyncio.ensure_future(self.tell_doctors(review_replies.message(text)))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    def nudge(self) -> None:
        """Something was queued or answered: look now rather than in a few seconds."""
        self._wake.set()

    async def label(self, chat_id: int) -> str:
        if not self._salt:
            self._salt = await self.store.reader_salt()
        return reader_label(chat_id, self._salt)

    async def run(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(StoreError):
            released = await self.store.release_deliveries()
            if released:
                log.warning(
                    "%d answer(s) were being sent when the bot stopped: sending again", released
                )
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.work()
            except StoreError as exc:
                log.error("outbox: %s", exc)
            except Exception:  # never let the outbox die: it carries the doctor's answers
                log.exception("outbox failed; trying again shortly")
            await sleep_or_stop(LOOK_EVERY, stop, wake=self._wake)

    async def work(self) -> None:
        """One look: post what the doctor has not seen, deliver what readers are owed."""
        await self.post_new()
        await self.deliver()

    # --- to the doctor ----------------------------------------------------------------------

    async def post_new(self, now: dt.datetime | None = None) -> None:
        targets = [t for t in self.roles.targets if self._ready(t)]
        if not targets:
            return
        items = await self.store.unposted()
        if not items:
            return
        urgent = [i for i in items if i.kind == "urgent"]
        rest = [i for i in items if i.kind != "urgent"]
        for item in urgent:
            await self._post_cards(targets, [[item]])
        if not rest:
            return
        minutes = self.knowledge().settings.review.digest_minutes
        if minutes == 0 and len(rest) <= BACKLOG:
            for item in rest:
                await self._post_cards(targets, [[item]])
            return
        oldest = min(parse_time(i.created_at) for i in rest)
        now = now or dt.datetime.now(dt.UTC)
        if minutes and now - oldest < dt.timedelta(minutes=minutes):
            return  # not time for the digest yet
        groups = [g.items for g in group_items(rest)]
        header = review_replies.digest_header(len(rest), len(groups), rest[0].created_at)
        await self.tell_doctors(header, targets)
        await self._post_cards(targets, groups)

    async def _post_cards(self, targets: Sequence[int], groups: Sequence[list[QueueItem]]) -> None:
        for items in groups:
            posted = [await self.post_card(target, items) for target in targets]
            if any(posted):
                await self.store.mark_posted([i.id for i in items])

    async def post_card(self, chat_id: int, items: Sequence[QueueItem]) -> bool:
        """One card for these items (the first leads; more than one make a group card)."""
        lead, others = items[0], items[1:]
        entry = self.knowledge().get(lead.entry_id) if lead.entry_id else None
        label = await self.label(lead.chat_id)
        card = review_replies.card(lead, label, others=others, entry=entry)
        return await self.post(chat_id, card, lead.id, "group" if others else "item")

    async def post(self, chat_id: int, reply: Reply, item_id: int, scope: str) -> bool:
        """Send a message about a queue item to a review chat and link it to the item (a
        reply to any of its parts answers the item)."""
        messages = await self._send(chat_id, reply)
        for message in messages:
            await self.store.add_review_post(chat_id, message.message_id, item_id, scope)
        return bool(messages)

    async def tell_doctors(self, reply: Reply, targets: Sequence[int] | None = None) -> None:
        """A notice for the doctors (best effort: it is also in the log)."""
        for target in self.roles.targets if targets is None else targets:
            await self._send(target, reply)

    async def _send(self, chat_id: int, reply: Reply) -> list:
        try:
            sent = await send_reply(self.bot, chat_id, reply)
        except (Forbidden, BadRequest) as exc:
            self._failed_until[chat_id] = time.monotonic() + RETRY_AFTER
            log.warning(
                "cannot write to review chat %s (%s): has the doctor opened a chat with the "
                "bot (/start), or is the bot in that group?",
                chat_id,
                exc,
            )
            return []
        except TelegramError as exc:
            self._failed_until[chat_id] = time.monotonic() + RETRY_AFTER / 4
            log.warning("review chat %s: %s; trying again later", chat_id, exc)
            return []
        self._failed_until.pop(chat_id, None)
        return sent

    def _ready(self, chat_id: int) -> bool:
        return time.monotonic() >= self._failed_until.get(chat_id, 0.0)

    # --- to readers -------------------------------------------------------------------------

    async def deliver(self, only: Sequence[int] | None = None) -> int:
        """Send what readers are owed (or only these items); returns how many were sent."""
        sent = 0
        for item in await self.store.undelivered():
            if only is not None and item.id not in only:
                continue
            if item.chat_id == CONSOLE_CHAT or not self._ready(item.chat_id):
                continue
            if not await self.store.claim_delivery(item.id):
                continue  # someone else (the terminal) is sending it
            sent += await self._deliver(item)
        return sent

    async def _deliver(self, item: QueueItem) -> int:
        reply = replies.doctor_answer(self.knowledge(), item)
        if reply is None:
            await self._undeliverable(item, "the entry chosen for it is no longer served")
            return 0
        try:
            await send_reply(self.bot, item.chat_id, reply)
        except (Forbidden, BadRequest) as exc:
            await self._undeliverable(item, f"Telegram refused it ({exc})")
            return 0
        except TelegramError as exc:
            await self.store.finish_delivery(item.id, Delivery.OWED)
            self._failed_until[item.chat_id] = time.monotonic() + RETRY_AFTER / 4
            log.warning("answer to #%d not delivered yet (%s); trying again later", item.id, exc)
            return 0
        await self.store.finish_delivery(item.id, Delivery.SENT)
        log.info("answer to #%d delivered", item.id)
        return 1

    async def _undeliverable(self, item: QueueItem, reason: str) -> None:
        await self.store.finish_delivery(item.id, Delivery.UNDELIVERABLE)
        log.warning("answer to #%d cannot be delivered: %s", item.id, reason)
        notice = review_replies.undeliverable(item, await self.label(item.chat_id), reason)
        await self.tell_doctors(notice)


async def deliver_now(cfg: Config, snapshot: Snapshot, item_ids: Sequence[int]) -> int:
    """`expertbot queue answer` with a token: send these answers now, from the terminal."""
    assert cfg.token
    quiet_retried_failures()
    store = await Store.open(cfg.db_path)
    try:
        async with Bot(cfg.token, base_url=cfg.api_url) as bot:
            roles = Roles(cfg.doctor_ids, cfg.admin_ids, cfg.review_chat_id)
            outbox = Outbox(bot, store, lambda: snapshot.knowledge, roles)
            return await outbox.deliver(item_ids)
    finally:
        await store.close()
