"""Held for the doctor (bot/storage/held.py, bot/conversation/held.py, bot/conversation/service.py): a question shown
choices waits for the reader; an offered answer settles it, "ask the doctor" queues it at once,
and the grace period queues it by itself with its choices. It survives a restart, /forget
removes it; a message answered in part reaches the doctor whole, the open part marked."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from bot.conversation import render
from bot.conversation.held import LONGEST_WAIT, HeldSweeper
from bot.conversation.service import AnswerService
from bot.models import Action, Outcome, QueueItem
from bot.review import export as review_export
from bot.review import replies as review_replies
from bot.review import terminal as review_terminal
from bot.review.service import PART_CLOSE, PART_OPEN, Detail, marked
from bot.runtime.config import Config, ConfigError
from bot.storage import Store
from bot.understanding.snapshot import Snapshot
from tests.conftest import db_rows, until
from tests.conversation.test_service import SUGGEST_CANDIDATES

READER = 303
GRACE = 3600.0  # seconds: nothing falls due during a test unless it says so
SEVERAL = (
    "Does long-term Botox make facial muscles sag? Also, what vaccines do I need for a trip "
    "to Kenya?"
)
OPEN_PART = "Also, what vaccines do I need for a trip to Kenya?"


@pytest.fixture(scope="module")
def suggest_text(bundled_snapshot: Snapshot) -> str:
    for text in SUGGEST_CANDIDATES:
        if bundled_snapshot.decide(text)[0].outcome is Outcome.SUGGEST:
            return text
    pytest.fail(f"none of {SUGGEST_CANDIDATES} gets a suggest reply any more")


@pytest.fixture
def service(bundled_snapshot: Snapshot, store: Store) -> AnswerService:
    return AnswerService(bundled_snapshot, store, choices_grace=GRACE)


def queue(db: Path) -> list[tuple]:
    return db_rows(db, "SELECT text, kind, choices, status FROM queue ORDER BY id")


async def test_choices_hold_the_question_and_say_so(
    service: AnswerService, suggest_text: str, db_path: Path
) -> None:
    before = time.time()
    reply = await service.ask(READER, suggest_text)
    assert reply.outcome is Outcome.SUGGEST
    shown = [s.entry.question for s in reply.suggestions]
    note = "I'll pass your question to the doctor."
    assert note in render.plain(reply)
    ((question_id, chat_id, choices, due),) = db_rows(db_path, "SELECT * FROM held")
    assert (question_id, chat_id) == (reply.question_id, READER)
    assert choices.split("\n") == shown
    assert before + GRACE <= due <= time.time() + GRACE
    assert queue(db_path) == []  # waiting for the reader, not yet the doctor's


async def test_opening_an_offered_answer_settles_it(
    service: AnswerService, suggest_text: str, db_path: Path
) -> None:
    reply = await service.ask(READER, suggest_text)
    tap = reply.flat_buttons[0]
    assert tap.action is Action.ENTRY
    card = await service.press(READER, tap.action, tap.arg)
    assert card.entry is not None
    assert db_rows(db_path, "SELECT COUNT(*) FROM held") == [(0,)]
    assert await service.release_held(chat_id=READER) == 0
    assert queue(db_path) == []
    # as before, the reader's words are proposed as an alternate of the entry they opened
    assert db_rows(db_path, "SELECT entry_id, text FROM alternates") == [
        (card.entry.id, suggest_text)
    ]


async def test_ask_the_doctor_queues_it_at_once_with_its_choices(
    service: AnswerService, suggest_text: str, db_path: Path
) -> None:
    reply = await service.ask(READER, suggest_text)
    ask = reply.flat_buttons[-1]
    assert ask.action is Action.ASK_DOCTOR
    await service.press(READER, ask.action, ask.arg)
    shown = "\n".join(s.entry.question for s in reply.suggestions)
    assert queue(db_path) == [(suggest_text, "asked", shown, "pending")]
    assert db_rows(db_path, "SELECT COUNT(*) FROM held") == [(0,)]
    assert await service.release_held(chat_id=READER) == 0  # not queued twice


async def test_after_the_grace_period_it_goes_to_the_doctor_by_itself(
    bundled_snapshot: Snapshot, store: Store, suggest_text: str, db_path: Path
) -> None:
    queued: list[bool] = []
    service = AnswerService(
        bundled_snapshot, store, on_queued=lambda: queued.append(True), choices_grace=0.3
    )
    reply = await service.ask(READER, suggest_text)
    assert await service.release_held() == 0  # not due yet
    assert queue(db_path) == [] and not queued
    await until(lambda: time.time() >= db_rows(db_path, "SELECT due FROM held")[0][0], 5)
    assert await service.release_held() == 1
    shown = "\n".join(s.entry.question for s in reply.suggestions)
    assert queue(db_path) == [(suggest_text, "held", shown, "pending")]
    assert queued == [True]  # the outbox is woken: the doctor sees it at once
    assert db_rows(db_path, "SELECT COUNT(*) FROM held") == [(0,)]
    # a late tap on "ask the doctor" keeps the one queue item
    await service.press(READER, Action.ASK_DOCTOR, str(reply.question_id))
    assert len(queue(db_path)) == 1


async def test_a_restart_keeps_held_questions_and_the_sweeper_queues_the_overdue(
    bundled_snapshot: Snapshot, db_path: Path, suggest_text: str
) -> None:
    store = await Store.open(db_path)
    await AnswerService(bundled_snapshot, store, choices_grace=0.2).ask(READER, suggest_text)
    await store.close()  # the bot stops during the grace period
    await until(lambda: time.time() >= db_rows(db_path, "SELECT due FROM held")[0][0], 5)
    store = await Store.open(db_path)
    try:
        sweeper = HeldSweeper(AnswerService(bundled_snapshot, store, choices_grace=GRACE))
        assert await sweeper.sweep() == LONGEST_WAIT  # queued the overdue one, none left
        assert [(t, k) for t, k, _, _ in queue(db_path)] == [(suggest_text, "held")]
    finally:
        await store.close()


async def test_the_sweeper_sleeps_until_the_next_one_is_due(
    service: AnswerService, suggest_text: str
) -> None:
    sweeper = HeldSweeper(service)
    assert await sweeper.sweep() == LONGEST_WAIT  # nothing held
    await service.ask(READER, suggest_text)
    wait = await sweeper.sweep()
    assert 0 < wait <= LONGEST_WAIT


async def test_forget_removes_held_questions(
    service: AnswerService, suggest_text: str, db_path: Path
) -> None:
    await service.ask(READER, suggest_text)
    await service.ask(READER + 1, suggest_text)
    await service.forget(READER)
    assert db_rows(db_path, "SELECT chat_id FROM held") == [(READER + 1,)]


async def test_an_open_part_reaches_the_doctor_inside_the_whole_message(
    service: AnswerService, db_path: Path
) -> None:
    reply = await service.ask(READER, SEVERAL)
    assert reply.outcome is Outcome.ANSWER
    shown = render.plain(reply)
    assert "so I've passed it to the doctor" in shown and OPEN_PART in shown
    ((text, kind, part),) = db_rows(db_path, "SELECT text, kind, part FROM queue")
    assert (text, kind, part) == (SEVERAL, "part", OPEN_PART)  # never the fragment alone


def test_the_card_and_queue_show_carry_the_whole_message_with_the_part_marked() -> None:
    item = QueueItem(7, "pending", "part", 5, SEVERAL, "2026-12-01T10:00:00+00:00", part=OPEN_PART)
    expected = SEVERAL.replace(OPEN_PART, f"{PART_OPEN}{OPEN_PART}{PART_CLOSE}")
    assert marked(item) == expected
    card = render.plain(review_replies.card(item, "Reader 00AA11"))
    assert expected in card and "left unanswered" in card
    lines = review_terminal.detail_lines(Detail(item))
    assert expected in lines


def test_the_card_of_a_held_question_lists_the_choices_not_taken() -> None:
    item = QueueItem(
        8,
        "pending",
        "held",
        5,
        "Is a <b>sauna</b> ok?",
        "2026-12-01T10:00:00+00:00",
        choices="First offered?\nSecond offered?",
    )
    card = review_replies.card(item, "Reader 00AA11")
    text = render.plain(card)
    assert "Is a <b>sauna</b> ok?" in text  # whole, as written (escaped by the renderer)
    assert "Offered to the reader, not opened:\n• First offered?\n• Second offered?" in text
    html = "".join(render.telegram_html(card))
    assert "&lt;b&gt;sauna&lt;/b&gt;" in html and "<b>sauna</b>" not in html


def test_the_grace_period_comes_from_bot_yaml_or_the_environment(
    bundled_snapshot: Snapshot,
) -> None:
    assert bundled_snapshot.knowledge.settings.choices_grace == 30  # minutes, bot.yaml
    assert AnswerService(bundled_snapshot, None).choices_grace == 30 * 60
    assert Config.from_env({}).choices_grace is None
    cfg = Config.from_env({"EXPERTBOT_CHOICES_GRACE": "3"})
    assert AnswerService(bundled_snapshot, None, choices_grace=cfg.choices_grace).choices_grace == 3
    for bad in ("soon", "-1"):
        with pytest.raises(ConfigError, match="EXPERTBOT_CHOICES_GRACE"):
            Config.from_env({"EXPERTBOT_CHOICES_GRACE": bad})


async def test_a_held_row_without_its_question_does_not_keep_the_sweeper_awake(
    bundled_snapshot: Snapshot, store: Store, suggest_text: str, db_path: Path
) -> None:
    service = AnswerService(bundled_snapshot, store, choices_grace=0)  # due at once
    await service.ask(READER, suggest_text)
    with sqlite3.connect(db_path) as db:  # as retention in another connection, no cascade
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM questions")
    assert await HeldSweeper(service).sweep() == LONGEST_WAIT
    assert db_rows(db_path, "SELECT COUNT(*) FROM held") == [(0,)]


async def test_what_the_doctor_answers_of_a_part_becomes_a_draft_of_that_part(
    service: AnswerService, store: Store
) -> None:
    await service.ask(READER, SEVERAL)
    (item,) = await store.queue()
    await store.resolve([item.id], "answered", "dr", answer="Ask a travel clinic.", via="text")
    data = await review_export.export_data(store, None)
    assert [d["entry"]["question"] for d in data["drafts"]] == [OPEN_PART]
