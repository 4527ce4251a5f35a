"""Storage faults (issue 6, item 4) on a real SQLite file with the real Store and AnswerService:
a read-only database, a full one, and one locked by another writer. Whatever the database
does, the reader still gets the knowledge's answer, an unmatched reply never claims the
question reached the doctor, nothing raises, and `on_storage` hears of the outage (and of the
recovery) so the bot can tell the doctors. tests/conversation/test_service.py covers the per-outcome texts
of a failing store; this file covers the kinds of failure and the way back."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import bot.storage.db
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge
from bot.models import Action, Outcome
from bot.storage import Store, StoreError
from bot.understanding.snapshot import Snapshot
from tests.conftest import db_rows
from tests.conversation.test_service import ANSWERED_ID, READER, UNKNOWN, text_of

IMPATIENT_MS = 1000  # a busy timeout short enough to wait out several times in one test
SHORT_HOLD = 1.0  # seconds another writer holds the lock, below the real busy timeout

Events = list[StoreError | None]


@pytest.fixture
def events() -> Events:
    """What the service reported through `on_storage`, in order."""
    return []


@pytest.fixture
def service(bundled_snapshot: Snapshot, store: Store, events: Events) -> AnswerService:
    return AnswerService(bundled_snapshot, store, on_storage=events.append)


@pytest.fixture
async def impatient_store(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Store]:
    """A Store whose busy timeout is IMPATIENT_MS: Store.open reads BUSY_TIMEOUT_MS when it
    opens, so each write a held lock makes fail costs one second, not five."""
    monkeypatch.setattr(bot.storage.db, "BUSY_TIMEOUT_MS", IMPATIENT_MS)
    opened = await Store.open(db_path)
    async with opened._db.execute("PRAGMA busy_timeout") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == IMPATIENT_MS  # else the test would wait 5 s per write
    yield opened
    await opened.close()


@pytest.fixture
def other_writer(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second connection to the same file, in autocommit mode so the test controls its
    transaction (BEGIN EXCLUSIVE takes the write lock); usable from a timer thread."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    yield conn
    conn.close()  # (rolls back a transaction still open)


async def assert_honest_while_failing(
    service: AnswerService, knowledge: Knowledge, events: Events, reason: str
) -> None:
    """An answered question still gets its card; an unmatched one the not-queued text; each
    failed write is reported through on_storage with a StoreError naming `reason`."""
    settings = knowledge.settings
    entry = knowledge.entries[ANSWERED_ID]
    before = len(events)

    answered = await service.ask(READER, entry.question)
    assert answered.outcome is Outcome.ANSWER and answered.entry == entry
    assert answered.blocks[0].text == entry.question
    assert answered.question_id is None  # nothing was stored

    unmatched = await service.ask(READER, UNKNOWN)
    assert unmatched.outcome is Outcome.UNMATCHED and unmatched.queued is False
    assert text_of(unmatched) == settings.text("unmatched_not_queued")
    assert settings.text("unmatched") not in text_of(unmatched)

    reported = events[before:]
    assert len(reported) == 2 and all(isinstance(e, StoreError) for e in reported), reported
    assert all(reason in str(e) for e in reported), reported


async def assert_recovered(service: AnswerService, settings, events: Events, db_path: Path) -> None:
    """Writes work again: the question is queued, the reply says so, on_storage gets None."""
    reply = await service.ask(READER, UNKNOWN)
    assert reply.queued is True and text_of(reply) == settings.text("unmatched")
    assert events[-1] is None
    assert db_rows(
        db_path, "SELECT text, status FROM queue WHERE question_id = ?", (reply.question_id,)
    ) == [(UNKNOWN, "pending")]


def stored_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR and r.getMessage().startswith("question not stored")
    ]


# --- read-only --------------------------------------------------------------------------------


async def test_read_only_database(
    service: AnswerService,
    store: Store,
    bundled_knowledge: Knowledge,
    events: Events,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = bundled_knowledge.settings
    await service.press(READER, Action.VOTE_UP, ANSWERED_ID)  # a vote to keep (or forget)
    await store._db.execute("PRAGMA query_only = ON")

    await assert_honest_while_failing(service, bundled_knowledge, events, "readonly")
    assert len(stored_errors(caplog)) == 2
    assert not any(r.exc_info for r in caplog.records)  # logged as a line, not a traceback

    vote = await service.press(READER, Action.VOTE_DOWN, ANSWERED_ID)
    assert text_of(vote) == settings.text("vote_thanks")
    forget = await service.press(READER, Action.FORGET)
    assert text_of(forget) and text_of(forget) != settings.text("forgotten")
    assert db_rows(db_path, "SELECT value FROM votes") == [(1,)]  # unchanged, and kept
    assert db_rows(db_path, "SELECT COUNT(*) FROM questions") == [(0,)]

    await store._db.execute("PRAGMA query_only = OFF")
    await assert_recovered(service, settings, events, db_path)
    assert events[:-1] and all(isinstance(e, StoreError) for e in events[:-1])


# --- full -------------------------------------------------------------------------------------


async def test_full_database(
    service: AnswerService,
    store: Store,
    bundled_knowledge: Knowledge,
    events: Events,
    db_path: Path,
) -> None:
    """max_page_count caps the file at its current size (the tests run as root, so a
    read-only file or a full disk cannot be made): the free room left in its pages is
    filled with answered questions, then every new question fails with SQLITE_FULL."""
    settings = bundled_knowledge.settings
    entry = bundled_knowledge.entries[ANSWERED_ID]
    async with store._db.execute("PRAGMA page_count") as cur:
        row = await cur.fetchone()
    assert row is not None
    await store._db.execute(f"PRAGMA max_page_count = {row[0]}")

    long_question = await service.ask(READER, " ".join([UNKNOWN] * 400))  # ~11,600 chars
    assert long_question.outcome is Outcome.UNMATCHED and long_question.queued is False
    assert text_of(long_question) == settings.text("unmatched_not_queued")
    assert isinstance(events[-1], StoreError) and "full" in str(events[-1])

    for _ in range(2000):  # fill what room is left, one answered question at a time
        card = await service.ask(READER, entry.question)
        assert card.outcome is Outcome.ANSWER and card.entry == entry
        if events[-1] is not None:
            break
    else:
        pytest.fail("the database never filled up")
    stored = db_rows(db_path, "SELECT COUNT(*) FROM questions")[0][0]
    assert stored > 0  # some did fit; what did not was reported, not raised

    await assert_honest_while_failing(service, bundled_knowledge, events, "full")
    assert db_rows(db_path, "SELECT COUNT(*) FROM questions")[0][0] == stored
    assert db_rows(db_path, "SELECT COUNT(*) FROM queue")[0][0] == 0

    # a vote may still fit in its table's room and /forget frees room; either way: polite,
    # and true to what the database holds
    vote = await service.press(READER, Action.VOTE_UP, ANSWERED_ID)
    assert text_of(vote) == settings.text("vote_thanks")
    forget = await service.press(READER, Action.FORGET)
    left = db_rows(db_path, "SELECT COUNT(*) FROM questions WHERE chat_id = ?", (READER,))
    if text_of(forget) == settings.text("forgotten"):
        assert left == [(0,)]
    else:
        assert left == [(stored,)]

    await store._db.execute("PRAGMA max_page_count = 1073741823")
    await assert_recovered(service, settings, events, db_path)


# --- locked by another writer -----------------------------------------------------------------


async def test_lock_shorter_than_the_busy_timeout_is_waited_out(
    service: AnswerService,
    bundled_knowledge: Knowledge,
    events: Events,
    other_writer: sqlite3.Connection,
    db_path: Path,
) -> None:
    """The real BUSY_TIMEOUT_MS: a writer holding the lock for a second only delays the reply."""
    assert SHORT_HOLD * 2 < bot.storage.db.BUSY_TIMEOUT_MS / 1000
    other_writer.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(SHORT_HOLD, other_writer.execute, ("COMMIT",))
    started = time.monotonic()
    release.start()
    try:
        reply = await service.ask(READER, UNKNOWN)
    finally:
        release.join()
    waited = time.monotonic() - started
    assert SHORT_HOLD * 0.8 <= waited < bot.storage.db.BUSY_TIMEOUT_MS / 1000
    assert reply.queued is True
    assert text_of(reply) == bundled_knowledge.settings.text("unmatched")
    assert events == [None]
    assert db_rows(db_path, "SELECT text FROM queue") == [(UNKNOWN,)]


@pytest.mark.slow
async def test_lock_longer_than_the_busy_timeout(
    bundled_snapshot: Snapshot,
    impatient_store: Store,
    bundled_knowledge: Knowledge,
    events: Events,
    other_writer: sqlite3.Connection,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each write waits the busy timeout, then fails as a StoreError ("database is locked"):
    the reader is answered honestly, a little late, and the bot's connection stays usable."""
    settings = bundled_knowledge.settings
    service = AnswerService(bundled_snapshot, impatient_store, on_storage=events.append)
    other_writer.execute("BEGIN EXCLUSIVE")

    started = time.monotonic()
    await assert_honest_while_failing(service, bundled_knowledge, events, "database is locked")
    waited = time.monotonic() - started
    assert waited >= 2 * IMPATIENT_MS / 1000 * 0.9  # each of the two writes waited first
    assert len(stored_errors(caplog)) == 2

    vote = await service.press(READER, Action.VOTE_UP, ANSWERED_ID)
    assert text_of(vote) == settings.text("vote_thanks")
    forget = await service.press(READER, Action.FORGET)
    assert text_of(forget) and text_of(forget) != settings.text("forgotten")

    other_writer.execute("ROLLBACK")
    assert db_rows(db_path, "SELECT COUNT(*) FROM questions") == [(0,)]
    assert db_rows(db_path, "SELECT COUNT(*) FROM votes") == [(0,)]
    await assert_recovered(service, settings, events, db_path)
    assert [type(e) for e in events] == [StoreError, StoreError, type(None)]
