"""SQLite storage: schema and migrations, durable writes, the queue, votes, /forget, and the
failures an operator must understand (newer schema, locked file)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.storage import MAX_STORED_CHARS, MIGRATIONS, SCHEMA_VERSION, Store, StoreError
from tests.conftest import db_count, db_rows, schema_version, until

TABLES = {"questions", "queue", "votes", "alternates", "held", "conversations"}


def tables_with_chat_id(db: Path) -> list[str]:
    names = [n for (n,) in db_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        n
        for n in names
        if any(col[1] == "chat_id" for col in db_rows(db, f"PRAGMA table_info({n})"))
    ]


# --- schema -----------------------------------------------------------------------------------


async def test_first_open_creates_folder_and_schema(db_path: Path) -> None:
    assert not db_path.parent.exists()
    store = await Store.open(db_path)
    try:
        assert db_path.exists()
        assert schema_version(db_path) == SCHEMA_VERSION >= 1
    finally:
        await store.close()
    assert db_rows(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert db_rows(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    names = {n for (n,) in db_rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names >= TABLES
    assert set(tables_with_chat_id(db_path)) == TABLES


async def test_reopening_keeps_data(db_path: Path) -> None:
    store = await Store.open(db_path)
    await store.log_question(5, "Kept?", "unmatched", None, 0.0, 1.0)
    await store.close()
    store = await Store.open(db_path)
    try:
        assert db_count(db_path, "questions") == 1
        assert [i.text for i in await store.queue()] == ["Kept?"]
    finally:
        await store.close()


async def test_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    threads = threading.active_count()
    with pytest.raises(StoreError, match=r"schema version 99, newer than this program's") as info:
        await Store.open(db_path)
    # the connection was closed, not left running: its thread would keep the process alive
    # while the error is still referenced (as the CLI does until it exits)
    assert info.value is not None
    await until(lambda: threading.active_count() <= threads, 1.0, "aiosqlite's thread to end")
    assert db_rows(db_path, "PRAGMA user_version") == [(99,)]  # and the file is untouched
    del info


async def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"definitely not SQLite " * 200)
    with pytest.raises(StoreError, match="cannot use the database"):
        await Store.open(path)


async def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the database folder"):
        await Store.open(blocker / "sub" / "db.sqlite3")


# --- questions and the queue ------------------------------------------------------------------


async def test_question_is_committed_before_log_question_returns(
    store: Store, db_path: Path
) -> None:
    question_id, queued = await store.log_question(42, "Is it saved?", "answer", "e-1", 0.9, 3.2)
    assert queued is False
    assert db_rows(db_path, "SELECT id, chat_id, text, outcome, entry_id FROM questions") == [
        (question_id, 42, "Is it saved?", "answer", "e-1")
    ]
    await store.log_question(42, "Nobody knows?", "unmatched", None, 0.0, 1.0)
    assert db_rows(db_path, "SELECT text, status FROM queue") == [("Nobody knows?", "pending")]


@pytest.mark.parametrize(
    ("outcome", "queued"),
    [("unmatched", True), ("urgent", True), ("answer", False), ("suggest", False)],
)
async def test_unmatched_and_urgent_are_queued(
    store: Store, db_path: Path, outcome: str, queued: bool
) -> None:
    question_id, was_queued = await store.log_question(7, "A question?", outcome, None, 0.1, 1.0)
    assert was_queued is queued
    expected = [(question_id, 7, "A question?", outcome, "pending")] if queued else []
    assert (
        db_rows(db_path, "SELECT question_id, chat_id, text, kind, status FROM queue") == expected
    )


async def test_repeated_pending_question_is_queued_once(store: Store, db_path: Path) -> None:
    first, _ = await store.log_question(1, "Does ice help puffiness?", "unmatched", None, 0, 1)
    await store.log_question(1, "does ice help puffiness", "unmatched", None, 0, 1)
    await store.log_question(1, "DOES ICE HELP PUFFINESS?!", "unmatched", None, 0, 1)
    assert db_count(db_path, "questions") == 3  # every message is logged
    assert db_rows(db_path, "SELECT question_id, chat_id, text FROM queue") == [
        (first, 1, "Does ice help puffiness?")
    ]
    # another reader asking the same is another queue item
    await store.log_question(2, "Does ice help puffiness?", "unmatched", None, 0, 1)
    assert db_rows(db_path, "SELECT chat_id FROM queue ORDER BY id") == [(1,), (2,)]


async def test_repeat_that_turns_urgent_upgrades_the_item(store: Store, db_path: Path) -> None:
    await store.log_question(1, "My lip is very swollen", "unmatched", None, 0, 1)
    await store.log_question(1, "my lip is very swollen", "urgent", None, 0, 1)
    await store.log_question(1, "My lip is very swollen", "unmatched", None, 0, 1)
    assert db_rows(db_path, "SELECT kind FROM queue") == [("urgent",)]


async def test_repeat_after_an_answer_is_queued_again(store: Store, db_path: Path) -> None:
    await store.log_question(1, "Same again?", "unmatched", None, 0, 1)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE queue SET status = 'answered'")
    await store.log_question(1, "Same again?", "unmatched", None, 0, 1)
    assert db_rows(db_path, "SELECT status FROM queue ORDER BY id") == [("answered",), ("pending",)]


async def test_queue_lists_urgent_first_then_oldest(store: Store) -> None:
    await store.log_question(1, "first", "unmatched", None, 0, 1)
    await store.log_question(2, "second", "unmatched", None, 0, 1)
    await store.log_question(3, "help, urgent", "urgent", None, 0, 1)
    items = await store.queue()
    assert [i.text for i in items] == ["help, urgent", "first", "second"]
    assert [(i.status, i.kind) for i in items] == [
        ("pending", "urgent"),
        ("pending", "unmatched"),
        ("pending", "unmatched"),
    ]


async def test_asked_from_a_suggestion(store: Store, db_path: Path) -> None:
    question_id, queued = await store.log_question(9, "Close but no?", "suggest", None, 0.4, 1)
    assert not queued
    assert await store.queue_question(question_id, 9) is True
    assert await store.queue_question(question_id, 9) is True  # a second tap: still one item
    assert await store.queue_question(question_id, 10) is False  # not that reader's question
    assert db_rows(db_path, "SELECT question_id, chat_id, kind FROM queue") == [
        (question_id, 9, "asked")
    ]


async def test_long_and_odd_text_is_stored_safely(store: Store, db_path: Path) -> None:
    await store.log_question(1, "x" * 20_000, "unmatched", None, 0, 1)
    await store.log_question(1, "bad \udcff bytes'); DROP TABLE queue; --", "unmatched", None, 0, 1)
    texts = [t for (t,) in db_rows(db_path, "SELECT text FROM questions ORDER BY id")]
    assert len(texts[0]) == MAX_STORED_CHARS
    assert texts[1] == "bad ? bytes'); DROP TABLE queue; --"
    assert db_count(db_path, "queue") == 2


# --- votes ------------------------------------------------------------------------------------


async def test_one_vote_per_reader_per_entry_and_changeable(store: Store, db_path: Path) -> None:
    await store.vote(1, "entry-a", 1)
    await store.vote(1, "entry-a", 1)
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [(1, "entry-a", 1)]
    await store.vote(1, "entry-a", -1)  # changed their mind
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [(1, "entry-a", -1)]
    await store.vote(1, "entry-b", 5)  # any positive value is a 👍
    await store.vote(2, "entry-a", -3)
    assert db_rows(
        db_path, "SELECT chat_id, entry_id, value FROM votes ORDER BY chat_id, entry_id"
    ) == [
        (1, "entry-a", -1),
        (1, "entry-b", 1),
        (2, "entry-a", -1),
    ]


# --- forget -----------------------------------------------------------------------------------


async def fill(store: Store, chat_id: int) -> None:
    qid, _ = await store.log_question(chat_id, f"unknown from {chat_id}", "unmatched", None, 0, 1)
    await store.log_question(chat_id, f"answered for {chat_id}", "answer", "entry-a", 0.9, 1)
    sid, _ = await store.log_question(chat_id, f"close for {chat_id}", "suggest", None, 0.4, 1)
    await store.queue_question(sid, chat_id)
    await store.log_question(
        chat_id, f"held for {chat_id}", "suggest", None, 0.4, 1, hold=(["Entry A?"], 9e9)
    )
    await store.log_question(chat_id, "help me now", "urgent", None, 0, 1)
    await store.vote(chat_id, "entry-a", 1)
    await store.vote(chat_id, "entry-b", -1)
    await store.add_alternate(chat_id, "entry-a", f"words of {chat_id}")
    await store.remember_answer(chat_id, f"answered for {chat_id}", "entry-a")
    assert qid


async def test_forget_deletes_every_row_of_that_chat_only(store: Store, db_path: Path) -> None:
    await fill(store, 100)
    await fill(store, 200)
    tables = tables_with_chat_id(db_path)
    assert set(tables) == TABLES
    before = {
        t: db_rows(db_path, f"SELECT * FROM {t} WHERE chat_id = 200 ORDER BY rowid") for t in tables
    }
    mine = sum(
        db_rows(db_path, f"SELECT COUNT(*) FROM {t} WHERE chat_id = 100")[0][0] for t in tables
    )
    assert all(before.values())  # the other reader has rows everywhere

    deleted = await store.forget(100)

    assert deleted == mine
    for table in tables:
        assert db_rows(db_path, f"SELECT COUNT(*) FROM {table} WHERE chat_id = 100") == [(0,)], (
            table
        )
        assert (
            db_rows(db_path, f"SELECT * FROM {table} WHERE chat_id = 200 ORDER BY rowid")
            == (before[table])
        ), table
    # nothing of reader 100 survives anywhere, under any column
    for table in tables:
        for row in db_rows(db_path, f"SELECT * FROM {table}"):
            assert not any(isinstance(v, str) and "100" in v for v in row), (table, row)
    assert await store.forget(100) == 0


# --- concurrency ------------------------------------------------------------------------------


async def test_locked_database_waits_for_the_lock(store: Store, db_path: Path) -> None:
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute(
            "INSERT INTO votes (chat_id, entry_id, value, created_at) VALUES (1, 'x', 1, 'now')"
        )
        hold = 0.5
        timer = threading.Timer(hold, lambda: other.execute("COMMIT"))
        started = time.monotonic()
        timer.start()
        try:
            question_id, _ = await store.log_question(3, "Waiting?", "unmatched", None, 0, 1)
        finally:
            timer.join()
        waited = time.monotonic() - started
    finally:
        other.close()
    assert waited >= hold * 0.8  # it really waited for the other writer...
    assert waited < 5  # ...and did not give up or hang
    assert db_rows(db_path, "SELECT id, text FROM questions") == [(question_id, "Waiting?")]
    assert db_rows(db_path, "SELECT chat_id, entry_id FROM votes") == [(1, "x")]


async def test_two_stores_on_one_file(db_path: Path) -> None:
    first = await Store.open(db_path)
    second = await Store.open(db_path)
    try:
        await asyncio.gather(
            *(first.log_question(1, f"a{i}", "unmatched", None, 0, 1) for i in range(20)),
            *(second.log_question(2, f"b{i}", "unmatched", None, 0, 1) for i in range(20)),
        )
        assert db_count(db_path, "questions") == 40
        assert db_count(db_path, "queue") == 40
    finally:
        await first.close()
        await second.close()


# --- migrations -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_every_earlier_schema_migrates_to_the_latest(db_path: Path, version: int) -> None:
    """A database left by an older release, with data in it, opens at the latest version
    with its rows intact and the new columns usable."""
    db_path.parent.mkdir()
    conn = sqlite3.connect(db_path)
    for number in range(1, version + 1):
        conn.executescript(MIGRATIONS[number - 1])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO questions (id, chat_id, text, outcome, created_at)"
        " VALUES (1, 5, 'Old question?', 'unmatched', '2026-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO queue (question_id, chat_id, text, norm, kind, created_at)"
        " VALUES (1, 5, 'Old question?', 'old question', 'unmatched', '2026-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()

    store = await Store.open(db_path)
    try:
        assert schema_version(db_path) == SCHEMA_VERSION
        (item,) = await store.queue()
        assert (item.text, item.chat_id, item.delivered, item.answered_via) == (
            "Old question?",
            5,
            None,
            None,
        )
        (closed,) = await store.resolve([item.id], "answered", "dr", answer="Yes.", via="text")
        assert (closed.status, closed.delivered, closed.answer_group) == ("answered", 0, item.id)
        await store.mark_update_handled(1)  # migration 2's table
        assert await store.update_handled(1)
    finally:
        await store.close()
    assert db_rows(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    store = await Store.open(db_path)  # opening again migrates nothing
    await store.close()
