"""Retention (issue 5 §5): what is older than RETENTION_DAYS goes — questions, closed queue
items, votes, alternates — in the running bot daily and with `expertbot db prune`; questions
still waiting for the doctor (and answers a reader is still owed) stay."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.runtime import ops
from bot.runtime.config import Config, ConfigError
from bot.storage import Store
from tests.conftest import RunCli, until

AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAYS = 365
CUTOFF = AT - dt.timedelta(days=DAYS)
OUTSIDE = (CUTOFF - dt.timedelta(seconds=1)).isoformat(timespec="seconds")  # deleted
EDGE = CUTOFF.isoformat(timespec="seconds")  # exactly DAYS old: kept
INSIDE = (CUTOFF + dt.timedelta(seconds=1)).isoformat(timespec="seconds")  # kept


def fill(db: Path) -> None:
    """Rows just outside, at and just inside the window, in every table retention covers."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        for n, when in enumerate((OUTSIDE, EDGE, INSIDE), 1):
            conn.execute(
                "INSERT INTO questions (id, chat_id, text, outcome, created_at)"
                " VALUES (?, 7, ?, 'unmatched', ?)",
                (n, f"question {when}", when),
            )
            conn.execute(
                "INSERT INTO votes (chat_id, entry_id, value, created_at) VALUES (7, ?, 1, ?)",
                (f"entry-{n}", when),
            )
            conn.execute(
                "INSERT INTO alternates (chat_id, entry_id, text, created_at)"
                " VALUES (7, 'e', ?, ?)",
                (f"alt {when}", when),
            )
        queue = [
            # (text, status, created_at, delivered)
            ("old pending", "pending", OUTSIDE, None),
            ("old answered", "answered", OUTSIDE, 1),
            ("old dismissed", "dismissed", OUTSIDE, None),
            ("old answered, still owed", "answered", OUTSIDE, 0),
            ("edge answered", "answered", EDGE, 1),
            ("new answered", "answered", INSIDE, 1),
            ("new pending", "pending", INSIDE, None),
        ]
        for text, status, when, delivered in queue:
            conn.execute(
                "INSERT INTO queue (question_id, chat_id, text, norm, kind, status, created_at,"
                " answered_at, delivered) VALUES (?, 7, ?, ?, 'unmatched', ?, ?, ?, ?)",
                (1, text, text, status, when, None if status == "pending" else INSIDE, delivered),
            )
    conn.close()


async def create(db: Path) -> None:
    store = await Store.open(db)
    await store.close()


def texts(db: Path, table: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(f"SELECT text FROM {table} ORDER BY id")]
    finally:
        conn.close()


async def test_prune_deletes_only_rows_outside_the_window(store: Store, db_path: Path) -> None:
    fill(db_path)
    deleted = await store.prune_old(DAYS, at=AT)
    assert deleted == {
        "queue": 2,
        "questions": 1,
        "votes": 1,
        "alternates": 1,
        "conversations": 0,
    }
    assert texts(db_path, "questions") == [f"question {EDGE}", f"question {INSIDE}"]
    assert texts(db_path, "alternates") == [f"alt {EDGE}", f"alt {INSIDE}"]
    assert texts(db_path, "queue") == [
        "old pending",  # pending: kept however old
        "old answered, still owed",  # the reader has not received the answer yet
        "edge answered",
        "new answered",
        "new pending",
    ]
    conn = sqlite3.connect(db_path)
    try:
        assert [r[0] for r in conn.execute("SELECT entry_id FROM votes ORDER BY entry_id")] == [
            "entry-2",
            "entry-3",
        ]
        # the kept queue items lost the link to their deleted question, not the item
        assert conn.execute("SELECT COUNT(*) FROM queue WHERE question_id IS NULL").fetchone() == (
            5,
        )
    finally:
        conn.close()
    assert await store.prune_old(DAYS, at=AT) == dict.fromkeys(deleted, 0)  # idempotent


async def test_prune_refuses_a_window_under_a_day(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.prune_old(0)


def test_retention_days_setting() -> None:
    assert Config.from_env({}).retention_days == 365
    assert Config.from_env({"RETENTION_DAYS": "30"}).retention_days == 30
    for bad in ("0", "-3", "a year"):
        with pytest.raises(ConfigError, match="RETENTION_DAYS"):
            Config.from_env({"RETENTION_DAYS": bad})


async def test_the_retention_job_prunes_at_start_and_stops(db_path: Path) -> None:
    await create(db_path)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO questions (chat_id, text, outcome, created_at) VALUES (7, 'x', 'answer', ?)",
            (old,),
        )
    conn.close()
    stop = asyncio.Event()
    job = asyncio.create_task(ops.retention_job(db_path, 30, stop, every=3600))
    await until(lambda: texts(db_path, "questions") == [], 4.0, "the first retention run")
    stop.set()
    await asyncio.wait_for(job, 5)


def test_db_prune_command(run_cli: RunCli, db_path: Path) -> None:
    asyncio.run(create(db_path))
    fill(db_path)
    # AT is in 2026-06; with --days 36500 nothing here is old enough
    code, out, err = run_cli("db", "prune", "--days", "36500")
    assert code == 0, err
    assert out.strip() == (
        "Deleted what is older than 36500 days: 0 queue, 0 questions, 0 votes, 0 alternates,"
        " 0 conversations"
        " (pending questions kept)."
    )
    code, out, err = run_cli("db", "prune", env={"RETENTION_DAYS": "1"})
    assert code == 0, err
    assert "older than 1 days: 4 queue, 3 questions, 3 votes, 3 alternates" in out
    assert texts(db_path, "queue") == ["old pending", "old answered, still owed", "new pending"]
    code, out, err = run_cli("db", "prune", "--days", "0")
    assert code == 2 and "Traceback" not in err
