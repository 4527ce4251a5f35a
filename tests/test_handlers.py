"""The Telegram handlers in this process: the reader's, the doctor's and the webhook's main paths
through the bot's real wiring (`build_application`: doctor and reader handlers, the outbox,
the `UpdateGate`), with a Bot API double (tests/botapi.py) instead of the network. A handler
bug fails here with its traceback; tests/e2e/ covers the same paths through `python -m bot run`
against the fake Bot API server.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.config import Config
from bot.knowledge import load_knowledge
from bot.snapshot import Snapshot
from bot.storage import Store
from bot.telegram.app import build_application
from bot.telegram.outbox import Outbox
from bot.telegram.updates import UpdateGate
from bot.telegram.webhook import SECRET_HEADER, WebhookServer
from tests.botapi import TOKEN, ApiCall, BotApiDouble, bot_message, tap_update, text_update
from tests.conftest import DATA, db_rows

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


@pytest.fixture
async def bot(store: Store, db_path: Path, e2e_snapshot: Snapshot) -> AsyncIterator[Bot]:
    cfg = Config(
        token=TOKEN,
        db_path=db_path,
        doctor_ids=frozenset({DOCTOR}),
        admin_ids=frozenset({DOCTOR}),
        rate_limit_per_minute=0,
    )
    api = BotApiDouble()
    parts = build_application(cfg, e2e_snapshot, store, request=api)
    application, outbox = parts.application, parts.outbox
    errors: list[BaseException] = []

    async def keep(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    application.add_error_handler(keep)
    await application.initialize()
    try:
        yield Bot(api, application, outbox, UpdateGate(application, store), db_path, errors)
    finally:
        await application.shutdown()


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
