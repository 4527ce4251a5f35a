"""The Telegram handlers in this process: the reader's, the doctor's and the webhook's main paths
through the bot's real wiring (`build_application`: doctor and reader handlers, the outbox,
the `UpdateGate`), with a Bot API double (tests/botapi.py) instead of the network. A handler
bug fails here with its traceback; tests/e2e/ covers the same paths through `python -m bot run`
against the fake Bot API server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.knowledge.loading import load_knowledge
from bot.models import Reply
from bot.proposals.listing import READ_ONLY
from bot.review import chart
from bot.review import replies as review_replies
from bot.review.service import ReviewService
from bot.runtime.config import Config
from bot.runtime.reload import KnowledgeReloader, load_snapshot
from bot.runtime.schedule import Schedule
from bot.storage import Store
from bot.telegram.app import Parts, build_application
from bot.telegram.charts import LAST_SENT, Charts
from bot.telegram.doctor import Reload
from bot.telegram.outbox import Outbox
from bot.telegram.updates import UpdateGate
from bot.telegram.webhook import SECRET_HEADER, WebhookServer
from bot.understanding.snapshot import Snapshot
from tests.botapi import (
    TOKEN,
    ApiCall,
    BotApiDouble,
    bot_message,
    chosen_update,
    inline_update,
    tap_update,
    text_update,
)
from tests.conftest import DATA, db_rows, until
from tests.e2e.fake_telegram import parse_html

DOCTOR = 900
READER = 41
KNOWN = "How much sunscreen should I apply?"
UNKNOWN = "Can I go to the sauna after laser hair removal?"


@dataclass
class Bot:
    api: BotApiDouble
    application: Application
    outbox: Outbox
    gate: UpdateGate
    db: Path
    errors: list[BaseException]
    charts: Charts

    async def handle(self, update: Update) -> None:
        """Handle one update as the bot does; a handler's exception is raised here (the bot's
        error handler logs it and carries on), so the test fails with its traceback."""
        assert await self.gate.handle(update)
        if self.errors:
            raise self.errors.pop(0)

    async def says(self, chat_id: int, text: str, **message: object) -> list[ApiCall]:
        """What the bot sent (to anyone) while handling this message."""
        before = len(self.api.calls)
        await self.handle(text_update(self.application, chat_id, text, **message))
        return [c for c in self.api.calls[before:] if c.method == "sendMessage"]

    async def taps(self, user_id: int, data: str, on: ApiCall) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.handle(tap_update(self.application, user_id, data, on))
        return self.api.calls[before:]


@pytest.fixture(scope="module")
def e2e_snapshot() -> Snapshot:
    knowledge, problems = load_knowledge(DATA / "kb_e2e")
    assert knowledge is not None, problems
    return Snapshot.build(knowledge)


@contextlib.asynccontextmanager
async def running(
    store: Store,
    db_path: Path,
    snapshot: Snapshot,
    reload: Callable[[Parts], Reload] | None = None,
    knowledge_dir: Path | None = None,
) -> AsyncIterator[Bot]:
    """The application as `run` builds it (DOCTOR is its doctor and admin), on the request
    double, initialised; the errors its handlers raise are kept. `reload`: made from the
    built parts (a reloader needs the service)."""
    cfg = Config(
        token=TOKEN,
        db_path=db_path,
        doctor_ids=frozenset({DOCTOR}),
        admin_ids=frozenset({DOCTOR}),
        rate_limit_per_minute=0,
    )
    api = BotApiDouble()
    made: list[Reload] = []

    async def reloading(reason: str) -> Reply:
        return await made[0](reason)

    parts = build_application(
        cfg,
        snapshot,
        store,
        reloading if reload else None,
        request=api,
        knowledge_dir=knowledge_dir,
    )
    if reload:
        made.append(reload(parts))
    errors: list[BaseException] = []

    async def keep(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    parts.application.add_error_handler(keep)
    await parts.application.initialize()
    try:
        gate = UpdateGate(parts.application, store)
        yield Bot(api, parts.application, parts.outbox, gate, db_path, errors, parts.charts)
    finally:
        await parts.application.shutdown()


@pytest.fixture
async def bot(store: Store, db_path: Path, e2e_snapshot: Snapshot) -> AsyncIterator[Bot]:
    async with running(store, db_path, e2e_snapshot) as bot:
        yield bot


def button(call: ApiCall, prefix: str) -> str:
    """The callback data of the first button whose data starts with `prefix`."""
    return next(d for d in call.button_data() if d.startswith(prefix))


# --- the reader -------------------------------------------------------------------------------


async def test_a_reader_gets_the_answer_with_its_buttons(bot: Bot) -> None:
    (answer,) = await bot.says(READER, KNOWN)
    assert answer.chat_id == READER
    assert "sunscreen" in answer.text.lower()
    assert answer.button_data(), "an answer carries its vote buttons"
    assert db_rows(bot.db, "SELECT outcome FROM questions") == [("answer",)]


async def test_a_reader_browses_topics_and_opens_an_entry(bot: Bot) -> None:
    (start,) = await bot.says(READER, "/start")
    assert start.button_data()
    (topics,) = await bot.says(READER, "/topics")
    calls = await bot.taps(READER, button(topics, "p:"), topics)  # a topic's questions
    page = next(c for c in calls if c.method in ("editMessageText", "sendMessage"))
    calls = await bot.taps(READER, button(page, "e:"), page)
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert any(c.method in ("editMessageText", "sendMessage") and c.text for c in calls)


async def test_a_reader_forgets_their_data(bot: Bot) -> None:
    await bot.says(READER, UNKNOWN)
    (confirm,) = await bot.says(READER, "/forget")
    await bot.taps(READER, button(confirm, "f"), confirm)
    assert db_rows(bot.db, "SELECT COUNT(*) FROM questions") == [(0,)]


async def test_a_photo_gets_the_text_only_note(bot: Bot) -> None:
    photo = [{"file_id": "x", "file_unique_id": "x", "width": 1, "height": 1}]
    (note,) = await bot.says(READER, "", photo=photo)
    assert note.chat_id == READER and note.text


# --- conversation: inline mode, start links, Share, follow-ups (issue 22) ---------------------


def inline_results(call: ApiCall) -> list[dict]:
    results = call.params["results"]
    return json.loads(results) if isinstance(results, str) else results


async def test_inline_mode_lists_cards_that_telegram_accepts(bot: Bot) -> None:
    before = len(bot.api.calls)
    await bot.handle(inline_update(bot.application, READER, "sunscreen"))
    (call,) = [c for c in bot.api.calls[before:] if c.method == "answerInlineQuery"]
    results = inline_results(call)
    assert 1 <= len(results) <= 10 and results[0]["id"] == "sunscreen-amount"
    for result in results:
        assert result["type"] == "article" and result["title"] and result["description"]
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        text, _ = parse_html(content["message_text"])
        assert len(text) <= 4096
        (button,) = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
        assert button["url"] == f"https://t.me/TestBot?start={result['id']}"
    assert not call.params.get("is_personal")
    # only counted: no question, no reader
    assert db_rows(bot.db, "SELECT name, n FROM counters") == [("inline_query", 1)]
    assert db_rows(bot.db, "SELECT COUNT(*) FROM questions") == [(0,)]


async def test_a_long_answer_is_one_inline_message(bot: Bot) -> None:
    before = len(bot.api.calls)
    await bot.handle(inline_update(bot.application, READER, "tattoo-aftercare-guide"))
    (call,) = [c for c in bot.api.calls[before:] if c.method == "answerInlineQuery"]
    (result,) = inline_results(call)
    text, _ = parse_html(result["input_message_content"]["message_text"])
    assert len(text) <= 4096 and text.startswith("What is the complete aftercare")


async def test_a_red_flag_in_inline_mode_gets_the_safety_text(
    store: Store, db_path: Path, bundled_snapshot: Snapshot
) -> None:
    async with running(store, db_path, bundled_snapshot) as bot:  # (with safety.yaml)
        text = "I had lip filler yesterday and now the skin on my lip is turning white"
        await bot.handle(inline_update(bot.application, READER, text))
    (call,) = bot.api.sent("answerInlineQuery")
    (result,) = inline_results(call)
    assert result["id"] == "urgent" and "reply_markup" not in result
    assert "urgent" in result["input_message_content"]["message_text"].lower()


async def test_a_card_sent_from_inline_mode_is_counted(bot: Bot) -> None:
    await bot.handle(chosen_update(bot.application, READER, "sunscreen-amount", "sunscreen"))
    assert db_rows(bot.db, "SELECT name, n FROM counters") == [("inline_chosen", 1)]


async def test_a_start_link_opens_its_answer_with_a_share_button(bot: Bot) -> None:
    (card,) = await bot.says(READER, "/start sunscreen-amount")
    assert card.text.startswith("<b>How much sunscreen should I apply?</b>")
    (share,) = [b for b in card.buttons() if "switch_inline_query" in b]
    assert share["switch_inline_query"] == "sunscreen-amount"
    assert "callback_data" not in share
    (greeting,) = await bot.says(READER, "/start no-such-entry")
    assert greeting.text == (await bot.says(READER, "/start"))[0].text


async def test_the_bots_own_card_sent_via_inline_mode_is_not_a_question(bot: Bot) -> None:
    via = {"id": 123456, "is_bot": True, "first_name": "Test", "username": "TestBot"}
    said = await bot.says(READER, "How much sunscreen should I apply?", via_bot=via)
    assert said == []
    assert db_rows(bot.db, "SELECT COUNT(*) FROM questions") == [(0,)]


async def test_a_follow_up_in_telegram_and_the_doctor_sees_its_context(bot: Bot) -> None:
    await bot.says(READER, KNOWN)
    (offer,) = await bot.says(READER, "and how often?")
    assert offer.text.startswith("I think you're asking:")
    (choices,) = await bot.says(READER, "what about my kids?")
    await bot.taps(READER, button(choices, "q:"), choices)  # "Not quite — ask the doctor"
    await bot.outbox.work()
    (card,) = [c for c in bot.api.sent() if c.chat_id == DOCTOR]
    assert "what about my kids?" in card.text and KNOWN in card.text
    assert "A follow-up. The reader had just asked:" in card.text


# --- the doctor -------------------------------------------------------------------------------


async def test_the_doctor_answers_a_card_by_replying_and_the_reader_gets_it(bot: Bot) -> None:
    (queued,) = await bot.says(READER, UNKNOWN)
    assert queued.chat_id == READER
    await bot.outbox.work()
    (card,) = [c for c in bot.api.sent() if c.chat_id == DOCTOR]
    assert UNKNOWN in card.text
    said = await bot.says(DOCTOR, "After two days.", reply_to_message=bot_message(card))
    assert any("Answered #" in c.text for c in said if c.chat_id == DOCTOR)
    await bot.outbox.work()
    delivered = [c for c in bot.api.sent() if c.chat_id == READER][-1]
    assert "After two days." in delivered.text
    assert db_rows(bot.db, "SELECT status, delivered FROM queue") == [("answered", 1)]


async def test_the_doctor_dismisses_from_the_card_and_pages_the_queue(bot: Bot) -> None:
    await bot.says(READER, UNKNOWN)
    (page,) = await bot.says(DOCTOR, "/queue")
    assert "1 question(s) waiting" in page.text
    await bot.outbox.work()
    (card,) = [c for c in bot.api.sent() if c.chat_id == DOCTOR and "R:" in c.button_data()]
    calls = await bot.taps(DOCTOR, button(card, "D:"), card)
    assert any("Dismissed" in c.text for c in calls if c.method == "sendMessage")
    assert db_rows(bot.db, "SELECT status FROM queue") == [("dismissed",)]


async def test_someone_else_gets_the_refusal_for_doctor_commands(bot: Bot) -> None:
    (refusal,) = await bot.says(READER, "/queue")
    assert refusal.chat_id == READER and "only for the doctor" in refusal.text


# --- the doctor's chart -----------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n"


async def test_stats_sends_the_text_then_the_chart_as_a_photo(bot: Bot) -> None:
    await bot.says(READER, KNOWN)
    await bot.says(READER, UNKNOWN)
    before = len(bot.api.calls)
    await bot.handle(text_update(bot.application, DOCTOR, "/stats"))
    calls = [c for c in bot.api.calls[before:] if c.method in ("sendMessage", "sendPhoto")]
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    text, photo = calls
    assert text.chat_id == DOCTOR and "Statistics" in text.text
    assert photo.chat_id == DOCTOR
    assert photo.params["caption"] == (
        "The last 4 weeks, and what readers ask most that has no answer yet."
    )
    (png,) = bot.api.photos[DOCTOR]
    assert png.startswith(PNG) and len(png) > 5_000
    assert photo.files["photo"] == png


async def test_stats_is_the_text_alone_without_matplotlib(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with caplog.at_level(logging.WARNING, "bot.telegram.charts"):
        (text,) = await bot.says(DOCTOR, "/stats")
    assert "Statistics" in text.text
    assert bot.api.sent("sendPhoto") == []
    assert "no chart, text only: the chart needs matplotlib" in caplog.text


async def test_stats_is_the_text_alone_when_drawing_fails(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> bytes:
        raise RuntimeError("a plotting bug")

    monkeypatch.setattr(chart, "render_png", broken)
    with caplog.at_level(logging.WARNING, "bot.telegram.charts"):
        (text,) = await bot.says(DOCTOR, "/stats")
    assert "Statistics" in text.text and bot.api.sent("sendPhoto") == []
    assert "drawing it failed: a plotting bug" in caplog.text


async def test_stats_is_the_text_alone_when_telegram_refuses_the_photo(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail("sendPhoto", 400, '{"ok": false, "error_code": 400, "description": "Bad"}')
    with caplog.at_level(logging.WARNING, "bot.telegram.charts"):
        (text,) = await bot.says(DOCTOR, "/stats")
    assert "Statistics" in text.text
    assert "the chart was not sent" in caplog.text


async def test_a_reader_gets_no_chart(bot: Bot) -> None:
    (refusal,) = await bot.says(READER, "/stats")
    assert "only for the doctor" in refusal.text
    assert bot.api.sent("sendPhoto") == []


def weekly_charts(bot: Bot, schedule: Schedule, now: dt.datetime, doctors=(DOCTOR, 901)):
    charts = bot.charts
    return Charts(charts.bot, charts.review, charts.knowledge, doctors, schedule, clock=lambda: now)


async def test_the_weekly_chart_reaches_every_doctor_and_its_time_is_kept(bot: Bot) -> None:
    charts = weekly_charts(bot, Schedule(every=0.05), dt.datetime.now(dt.UTC))
    charts.clock = lambda: dt.datetime.now(dt.UTC)
    stop = asyncio.Event()
    job = asyncio.create_task(charts.run(stop))
    await until(lambda: len(bot.api.photos.get(DOCTOR, [])) >= 2 and 901 in bot.api.photos)
    stop.set()
    await job
    captions = {c.params["caption"] for c in bot.api.sent("sendPhoto")}
    assert captions == {
        "Your weekly picture: the last 4 weeks, and what readers ask most that has no "
        "answer yet. /queue lists them."
    }
    assert await charts.last_sent() is not None
    (stored,) = db_rows(bot.db, "SELECT value FROM meta WHERE key = ?", (LAST_SENT,))
    assert dt.datetime.fromisoformat(stored[0]) == await charts.last_sent()


async def run_once(charts: Charts) -> None:
    """One look of the weekly job at its clock (as right after a start)."""
    await charts.step(started=charts.clock())


async def test_a_restart_neither_sends_the_weekly_chart_again_nor_skips_a_week(
    bot: Bot,
) -> None:
    monday = Schedule(0, dt.time(8, 0))
    monday_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    store = bot.charts.review.store
    # never sent: wait for the first Monday 08:00 (nothing now)
    await run_once(weekly_charts(bot, monday, monday_9))
    assert bot.api.sent("sendPhoto") == []
    # last sent the week before: the bot was down at 08:00, so it sends at once, once
    await store.set_meta(LAST_SENT, "2026-11-16T08:00:01+00:00")
    await run_once(weekly_charts(bot, monday, monday_9))
    assert sorted(c.chat_id for c in bot.api.sent("sendPhoto")) == [DOCTOR, 901]
    assert await store.meta(LAST_SENT) == monday_9.isoformat()
    # restarted later that day: not again
    await run_once(weekly_charts(bot, monday, monday_9 + dt.timedelta(hours=3)))
    assert len(bot.api.sent("sendPhoto")) == 2
    # the next Monday: again
    await run_once(weekly_charts(bot, monday, monday_9 + dt.timedelta(days=7)))
    assert len(bot.api.sent("sendPhoto")) == 4


async def test_without_matplotlib_the_weekly_message_is_the_text_of_stats(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    charts = weekly_charts(bot, Schedule(every=3600), dt.datetime.now(dt.UTC))
    assert await charts.weekly()
    assert bot.api.sent("sendPhoto") == []
    assert sorted(c.chat_id for c in bot.api.sent()) == [DOCTOR, 901]
    assert all("Statistics" in c.text for c in bot.api.sent())


# --- the webhook ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_webhook_answers_an_update_before_it_says_200(bot: Bot) -> None:
    port = free_port()
    server = WebhookServer(
        bot.application.bot,
        bot.gate,
        secret="s3cret",
        listen="127.0.0.1",
        port=port,
        path="/hook",
    )
    server.start()
    update = text_update(bot.application, READER, KNOWN).to_dict()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/hook"
            async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as r:
                assert r.status == 403
            assert bot.api.sent() == []
            async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as r:
                assert r.status == 200
            (answer,) = bot.api.sent()
            assert answer.chat_id == READER and "sunscreen" in answer.text.lower()
            async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as r:
                assert r.status == 200  # a retry of the same update: not answered twice
            assert len(bot.api.sent()) == 1
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 200
                assert json.loads(await r.text())["status"] == "ok"
    finally:
        await server.stop()


# --- the admins' /proposals -------------------------------------------------------------------

SPF = "how many grams of spf cream for my whole face every morning"
SUNSCREEN = "sunscreen-amount"


@pytest.fixture
def kb(kb_e2e_copy: Path) -> Path:
    """The knowledge the admins' taps may write into."""
    return kb_e2e_copy


@pytest.fixture
async def admin_bot(store: Store, db_path: Path, kb: Path) -> AsyncIterator[Bot]:
    """The bot serving `kb` (DOCTOR is its admin), reloading it after a write as in `run`."""

    def reload(parts: Parts) -> Reload:
        reloader = KnowledgeReloader(kb, parts.service)

        async def reload_now(reason: str) -> Reply:
            return review_replies.reload_report(await reloader.reload(reason))

        return reload_now

    async with running(store, db_path, load_snapshot(kb), reload, knowledge_dir=kb) as bot:
        yield bot


async def proposal_cards(bot: Bot) -> list[ApiCall]:
    """/proposals from the admin: its messages after the heading."""
    heading, *cards = await bot.says(DOCTOR, "/proposals")
    assert heading.chat_id == DOCTOR and "waiting" in heading.text
    return cards


def edited(calls: list[ApiCall]) -> ApiCall:
    """The card as the tap left it (its last edit)."""
    edits = [c for c in calls if c.method == "editMessageText"]
    assert edits, [c.method for c in calls]
    return edits[-1]


def toast(calls: list[ApiCall]) -> str:
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    return str(answer.params.get("text", ""))


def proposal_states(bot: Bot) -> list[tuple[str, str]]:
    return db_rows(bot.db, "SELECT text, state FROM proposals ORDER BY id")


async def test_proposals_lists_a_card_and_add_writes_the_file_and_serves_it(
    admin_bot: Bot, store: Store, kb: Path
) -> None:
    bot = admin_bot
    (before,) = await bot.says(READER, SPF)
    assert "passed your question" in before.text
    await store.add_alternate(READER, SUNSCREEN, SPF)  # as a reader's tap would
    (card,) = await proposal_cards(bot)
    assert SPF in card.text and "How much sunscreen should I apply?" in card.text
    assert "Asked 1×" in card.text and "tapped" in card.text
    (proposal_id,) = db_rows(bot.db, "SELECT id FROM proposals")[0]
    assert card.button_data() == [f"A:{proposal_id}", f"J:{proposal_id}"]

    basics = kb / "topics" / "basics.yaml"
    old = basics.read_text(encoding="utf-8")
    calls = await bot.taps(DOCTOR, button(card, "A:"), card)
    checking, done = [c for c in calls if c.method == "editMessageText"]
    assert "⏳ Checking the knowledge and writing…" in checking.text
    assert not checking.button_data()  # no second tap while it writes
    assert done.message_id == checking.message_id == card.message_id
    assert "✅ Added to kb/topics/basics.yaml." in done.text
    assert not done.button_data()
    new = basics.read_text(encoding="utf-8")
    assert new.replace(f"    alternates:\n      - {SPF}\n", "", 1) == old
    assert proposal_states(bot) == [(SPF, "accepted")]

    (answer,) = await bot.says(42, SPF)  # the next reader: answered directly, at once
    assert "Placeholder answer about the amount of sunscreen" in answer.text

    again = await bot.taps(DOCTOR, button(card, "A:"), card)  # the same card tapped again
    into = "(into kb/topics/basics.yaml)"
    assert toast(again) == f"Proposal #{proposal_id} was already accepted {into}."
    assert basics.read_text(encoding="utf-8") == new
    (empty,) = await bot.says(DOCTOR, "/proposals")
    assert empty.text == "No proposals waiting."


async def test_reject_edits_the_card_and_writes_nothing(
    admin_bot: Bot, store: Store, kb: Path
) -> None:
    await store.add_alternate(READER, SUNSCREEN, SPF)
    (card,) = await proposal_cards(admin_bot)
    files = {p: p.read_bytes() for p in (kb / "topics").iterdir()}
    done = edited(await admin_bot.taps(DOCTOR, button(card, "J:"), card))
    assert done.text.endswith("❌ Rejected.") and not done.button_data()
    assert proposal_states(admin_bot) == [(SPF, "rejected")]
    assert {p: p.read_bytes() for p in (kb / "topics").iterdir()} == files
    again = await admin_bot.taps(DOCTOR, button(card, "A:"), card)
    assert "was already rejected" in toast(again)


async def test_someone_not_an_admin_is_refused_and_learns_nothing(
    admin_bot: Bot, store: Store
) -> None:
    await store.add_alternate(READER, SUNSCREEN, SPF)
    (refusal,) = await admin_bot.says(READER, "/proposals")
    assert refusal.chat_id == READER and refusal.text == "Sorry, only an admin can do that."
    assert SPF not in refusal.text
    (card,) = await proposal_cards(admin_bot)
    for data in card.button_data():  # a tap (or forged data) from anyone else
        calls = await admin_bot.taps(READER, data, card)
        assert toast(calls) == "Sorry, only an admin can do that."
        assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert proposal_states(admin_bot) == [(SPF, "pending")]


async def test_the_readers_words_are_escaped_on_the_card(admin_bot: Bot, store: Store) -> None:
    words = "<b>grams</b> of spf & cream for my face?"
    await store.add_alternate(READER, SUNSCREEN, words)
    (card,) = await proposal_cards(admin_bot)
    html = card.params["text"]
    assert "&lt;b&gt;grams&lt;/b&gt; of spf &amp; cream" in html
    assert "<b>grams</b>" not in html


async def test_a_new_entry_goes_as_a_draft_to_the_topic_picked(
    admin_bot: Bot, store: Store, kb: Path
) -> None:
    question = "Can I go to the sauna after laser hair removal?"
    question_id, _ = await store.log_question(READER, question, "unmatched", None, 0.0, 1.0)
    (item,) = [i for i in await store.queue("pending") if i.question_id == question_id]
    await ReviewService(store).answer(item.id, "Wait <48 hours> & see.", "dr")
    (card,) = await proposal_cards(admin_bot)
    assert "a new entry" in card.text and "Wait &lt;48 hours&gt; &amp; see." in card.text
    assert button(card, "F:")  # 📝 Add as draft
    picker = edited(await admin_bot.taps(DOCTOR, button(card, "F:"), card))
    assert "Which topic file" in picker.text
    travel = button(picker, "T:travel:")
    back = edited(await admin_bot.taps(DOCTOR, button(picker, "B:"), picker))
    assert button(back, "F:")  # ‹ Back: the card again
    done = edited(await admin_bot.taps(DOCTOR, travel, picker))
    assert "📝 Added as a draft to kb/topics/travel.yaml" in done.text
    text = (kb / "topics" / "travel.yaml").read_text(encoding="utf-8")
    assert f"question: {question}" in text and "draft: true" in text
    (state,) = proposal_states(admin_bot)
    assert state == (question, "accepted")


async def test_a_read_only_folder_is_said_plainly_on_the_card(
    admin_bot: Bot, store: Store, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only_fs(*args: object) -> None:  # what a read-only mount does to os.replace
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("bot.knowledge.writing.os.replace", read_only_fs)
    await store.add_alternate(READER, SUNSCREEN, SPF)
    (card,) = await proposal_cards(admin_bot)
    done = edited(await admin_bot.taps(DOCTOR, button(card, "A:"), card))
    assert f"⚠️ Not added: {READ_ONLY}" in done.text
    assert done.button_data() == card.button_data()  # to try again, or reject
    assert proposal_states(admin_bot) == [(SPF, "pending")]


async def test_proposals_are_paged_like_the_queue(admin_bot: Bot, store: Store) -> None:
    words = [f"{n} grams of spf cream on my face every morning, right?" for n in range(2, 9)]
    for n, text in enumerate(words):
        await store.add_alternate(100 + n, SUNSCREEN, text)
    heading, *cards, footer = await admin_bot.says(DOCTOR, "/proposals")
    assert "7 proposals waiting — page 1 of 2" in heading.text
    assert len(cards) == 5 and "Proposals 1–5 of 7." in footer.text
    assert footer.button_data() == ["P:1"]
    calls = await admin_bot.taps(DOCTOR, "P:1", footer)
    heading, *cards, footer = [c for c in calls if c.method == "sendMessage"]
    assert "page 2 of 2" in heading.text and len(cards) == 2
    assert footer.button_data() == ["P:0"]
    assert [c.method for c in calls].count("editMessageReplyMarkup") == 1  # the old footer
