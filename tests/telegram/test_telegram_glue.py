"""The small pure parts of bot/telegram: callback_data encoding, the per-chat rate limit, the
retries of sending.with_retry, and the rule that only bot/telegram imports
python-telegram-bot."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from telegram import Chat, Message, User
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut

from bot.conversation import render, replies
from bot.knowledge.loading import load_knowledge
from bot.models import Action, Button, QueueItem, Reply, ReviewAction
from bot.review import replies as review_replies
from bot.telegram import app as app_module
from bot.telegram import sending
from bot.telegram.callbacks import (
    LIMIT,
    PROPOSAL_PATTERN,
    READER_ACTIONS,
    REVIEW_ACTIONS,
    REVIEW_PATTERN,
    decode,
    encode,
)
from bot.telegram.doctor import _card_item
from bot.telegram.ratelimit import ChatRateLimit, Verdict
from bot.understanding.snapshot import Snapshot
from tests.botapi import BotApiDouble, application

ROOT = Path(__file__).resolve().parents[2]
LONG_ID = "a-very-long-entry-id-that-an-admin-wrote-without-thinking-about-telegram-limits"


def test_short_callback_data_is_action_colon_arg(bundled_snapshot: Snapshot) -> None:
    knowledge = bundled_snapshot.knowledge
    assert encode(Button("x", Action.ENTRY, "abc:12")) == "e:abc:12"
    assert encode(Button("x", Action.HOW_TO_ASK)) == "h:"
    assert decode("e:abc:12", knowledge) == (Action.ENTRY, "abc:12")
    assert decode("h:", knowledge) == (Action.HOW_TO_ASK, "")
    assert decode("p:botox:1", knowledge) == (Action.TOPIC, "botox:1")
    for junk in ("", "z:1", "zz", "e", "hello world"):
        assert decode(junk, knowledge) is None, junk


def test_every_button_of_the_bundled_knowledge_fits(bundled_snapshot: Snapshot) -> None:
    knowledge = bundled_snapshot.knowledge
    made = [replies.start(knowledge), replies.topics(knowledge, 0), replies.topics(knowledge, 1)]
    made += [replies.entry_card(knowledge, e) for e in knowledge.entries.values()]
    made += [replies.topic(knowledge, t.id, p) for t in knowledge.topics for p in (0, 1)]
    for reply in made:
        assert reply is not None
        for button in reply.flat_buttons:
            data = encode(button)
            assert len(data.encode()) <= LIMIT
            assert decode(data, knowledge) == (button.action, button.arg)


def test_a_long_id_is_replaced_by_a_digest_and_resolved(kb_dir: Path) -> None:
    (kb_dir / "topics" / "a-topic-with-a-rather-long-file-name-for-its-id-really.yaml").write_text(
        "title: Long\nentries:\n"
        f"  - id: {LONG_ID}\n    question: Is this id long?\n    answer: Yes.\n"
        "    link: https://example.org/long\n    reviewed: 2026-01-15\n"
    )
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, problems
    topic_id = "a-topic-with-a-rather-long-file-name-for-its-id-really"
    for button in (
        Button("q", Action.ENTRY, f"{LONG_ID}:123456789"),
        Button("v", Action.VOTE_UP, LONG_ID),
        Button("t", Action.TOPIC, f"{topic_id}:3"),
        Button("d", ReviewAction.ADD_TO, f"{topic_id}:123456789012"),  # a draft's topic
    ):
        data = encode(button)
        assert len(data.encode()) <= LIMIT
        assert data.endswith(button.arg[len(button.arg.partition(":")[0]) :])  # tail kept
        actions = REVIEW_ACTIONS if isinstance(button.action, ReviewAction) else READER_ACTIONS
        assert decode(data, knowledge, actions) == (button.action, button.arg)
    # a button made before a reload that removed the entry: not resolved, so the service
    # answers "this answer changed"
    gone = encode(Button("q", Action.ENTRY, "x" * 80))
    action, arg = decode(gone, knowledge) or (None, "")
    assert action is Action.ENTRY and knowledge.get(arg) is None


def test_a_button_goes_to_the_doctors_or_the_admins_handler_never_both() -> None:
    for action in ReviewAction:
        data = encode(Button("x", action, "1"))
        doctors, admins = re.match(REVIEW_PATTERN, data), re.match(PROPOSAL_PATTERN, data)
        assert bool(doctors) != bool(admins), action
    for action in Action:  # a reader's
        data = encode(Button("x", action, "1"))
        assert not re.match(REVIEW_PATTERN, data) and not re.match(PROPOSAL_PATTERN, data)


def test_non_ascii_args_are_counted_in_bytes() -> None:
    data = encode(Button("x", Action.TOPIC, "é" * 40 + ":0"))
    assert len(data.encode()) <= LIMIT


def test_rate_limit_per_chat_with_one_notice_per_window() -> None:
    now = [1000.0]
    limit = ChatRateLimit(clock=lambda: now[0])
    assert [limit.check(1, 2) for _ in range(4)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.NOTIFY,
        Verdict.DROP,
    ]
    assert limit.check(2, 2) is Verdict.ALLOW  # another chat has its own budget
    now[0] += 30
    assert limit.check(1, 2) is Verdict.DROP
    now[0] += 31
    assert limit.check(1, 2) is Verdict.ALLOW
    assert all(limit.check(3, 0) is Verdict.ALLOW for _ in range(100))  # 0 = no limit


def test_only_bot_telegram_imports_python_telegram_bot() -> None:
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        if "telegram" in path.relative_to(ROOT / "bot").parts[:-1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(n == "telegram" or n.startswith("telegram.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# --- with_retry: patient with what passes, never with what won't ---------------------------


async def test_with_retry_retries_passing_failures_until_the_call_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Network errors, 5xx, timeouts and answers that are not JSON (PTB's bare TelegramError)
    are retried, however many in a row, within the patience."""
    monkeypatch.setattr(sending, "FIRST_DELAY", 0.001)
    monkeypatch.setattr(sending, "SEND_MAX_DELAY", 0.001)
    failures = [TelegramError("Invalid server response"), NetworkError("Bad Gateway"), TimedOut()]
    failures *= 3
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return "sent"

    assert await sending.with_retry(call, "sendMessage") == "sent"
    assert calls == 10


async def test_with_retry_gives_up_after_its_patience_and_never_retries_refusals() -> None:
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise NetworkError("Bad Gateway")

    with pytest.raises(NetworkError):
        await sending.with_retry(down, "sendMessage", patience=1.0)
    assert calls == 2  # at 0 s and 0.5 s; the next, at 1.5 s, would be past the patience

    for refusal in (BadRequest("chat not found"), Forbidden("bot was blocked by the user")):
        calls = 0

        async def refused(error: Exception = refusal) -> None:
            nonlocal calls
            calls += 1
            raise error

        with pytest.raises(type(refusal)):
            await sending.with_retry(refused, "sendMessage")
        assert calls == 1


def _card_message(reply: Reply, sender: int) -> Message:
    return Message(
        message_id=7,
        date=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        chat=Chat(-100, Chat.GROUP),
        from_user=User(sender, "ExpertBot", is_bot=True),
        text=render.plain(reply),
    )


def test_a_recovered_card_takes_its_scope_from_its_header_not_the_readers_words() -> None:
    """A card the bot sent just before a crash is recognised by its text. A reader who writes
    "The others:" must not turn a single question's card into a group answer."""
    tricky = QueueItem(
        id=12,
        question_id=3,
        chat_id=1,
        text="The others: told me to ask. Can I use retinol after peeling?",
        kind="unmatched",
        status="pending",
        created_at="2026-11-27T07:12:00+00:00",
    )
    single = review_replies.card(tricky, "Reader ABC123")
    assert review_replies.GROUP_MARK in render.plain(single)
    assert _card_item(_card_message(single, 99), 99) == (12, "item", "answer")

    other = dataclasses.replace(tricky, id=13, chat_id=2, text="Retinol after a peel?")
    group = review_replies.card(tricky, "Reader ABC123", others=[other])
    assert _card_item(_card_message(group, 99), 99) == (12, "group", "answer")
    assert _card_item(_card_message(group, 5), 99) is None  # not sent by the bot


# --- logs an operator can read: a retried failure is one WARNING line -------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (502, '{"ok": false, "error_code": 502, "description": "Bad Gateway"}'),
        (200, "<html>a proxy's error page</html>"),
        (
            429,
            '{"ok": false, "error_code": 429, "description": "Too Many Requests",'
            ' "parameters": {"retry_after": 0.01}}',
        ),
    ],
)
async def test_a_retried_bot_api_failure_logs_one_warning_and_no_error(
    status: int, body: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "FIRST_DELAY", 0.001)
    api = BotApiDouble()
    # a 429 is waited out by the rate limiter a couple of times before with_retry sees it
    for _ in range(app_module.RATE_LIMITER_RETRIES + 1 if status == 429 else 1):
        api.fail("sendMessage", status, body)
    sending.quiet_retried_failures()
    async with application(api, rate_limiter=True) as tg:
        with caplog.at_level(logging.DEBUG):
            sent = await sending.send_reply(tg.bot, 5, replies.message("Hello"))
    assert [m.text for m in sent] == ["Hello"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(warnings) == 1 and "sendMessage" in warnings[0].getMessage()
    assert warnings[0].exc_info is None
