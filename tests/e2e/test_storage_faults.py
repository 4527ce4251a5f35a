"""Storage faults (issue 6, item 4) with the real bot process over the fake Bot API.

- Another writer holds the database's write lock for longer than the busy timeout: readers
  are still answered (honestly), the doctor is told once, each update is acknowledged after
  one try and never re-delivered, and everything works again once the lock goes.
- A corrupt database file at start: `run`, `chat` and `health` refuse with one clear line and
  leave the file's bytes alone (an operator may still want to rescue it).

The doctor is user 900 (DOCTOR_IDS); she opened her chat with /start before the bot started.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.models import Outcome
from bot.storage import BUSY_TIMEOUT_MS, Store
from tests.conftest import RunCli, one_line_error, until

from .conftest import KB_E2E, UNMATCHED_CANDIDATES, Chat, StartBot, outcome, text_with
from .fake_telegram import Call, FakeTelegram

DOCTOR = 900
READERS = (61, 62, 63)  # two ask an unmatched question, one an answered one
LATE_READER = 64  # asks once the lock is gone
ANSWERED = "How much sunscreen should I apply?"
BUSY = BUSY_TIMEOUT_MS / 1000
NOT_SAVED = "couldn't save your question just now"
QUEUED = "passed your question"
DOWN = "database stopped saving"
BACK = "saves readers' questions again"


def to_doctor(words: str) -> Callable[[Call], bool]:
    return lambda c: c.params.get("chat_id") == DOCTOR and words in (c.text or "")


@pytest.mark.slow
async def test_a_database_locked_longer_than_the_busy_timeout(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    unmatched = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    assert outcome(ANSWERED) is Outcome.ANSWER
    tg.send_text(DOCTOR, "/start")
    bot = await start_bot(env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"})
    await Chat(tg, DOCTOR).expect(0)  # her /start is answered: the bot is serving

    holder = sqlite3.connect(bot.db, isolation_level=None, timeout=10, check_same_thread=False)
    try:
        await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")  # (waits out a bot write)
        locked_at = time.monotonic()
        texts = (unmatched, unmatched, ANSWERED)
        ids = [tg.send_text(reader, text) for reader, text in zip(READERS, texts, strict=True)]
        # one update at a time, each waiting out the busy timeout twice (its question, then
        # the record that it was handled): up to 2 * BUSY seconds per update
        first_replies = []
        for reader in READERS:
            (reply, *_) = await Chat(tg, reader).expect(0, timeout=2 * BUSY * len(READERS) + 15)
            first_replies.append(reply)
        await tg.wait_for("sendMessage", to_doctor(DOWN), timeout=10)
        held = time.monotonic() - locked_at
    finally:
        holder.close()  # rolls the open transaction back: the lock goes
    assert held > BUSY  # the lock really outlasted the busy timeout

    for reply in first_replies[:2]:
        assert NOT_SAVED in (reply.text or "") and QUEUED not in (reply.text or "")
    assert (first_replies[2].text or "").startswith(ANSWERED)  # the entry, from the knowledge

    # acknowledged after one try each, though recording them failed (not re-delivered later)
    await until(lambda: tg.confirmed_offset > ids[-1], 15, "the updates to be acknowledged")
    assert not {u["update_id"] for u in tg.pending_updates} & set(ids)
    recorded = bot.rows(
        "SELECT update_id FROM handled_updates WHERE update_id IN (?, ?)", (ids[0], ids[1])
    )
    assert recorded == []  # their records failed while the lock was held

    # the lock is gone: a new question is saved and queued, and the doctor hears it once
    (late,) = await Chat(tg, LATE_READER).say(unmatched, timeout=15)
    assert QUEUED in (late.text or "")
    await tg.wait_for("sendMessage", to_doctor(BACK), timeout=10)
    await tg.wait_for("sendMessage", to_doctor(unmatched), timeout=15)  # its card
    assert bot.rows("SELECT chat_id, status FROM queue") == [(LATE_READER, "pending")]

    for reader in READERS:
        assert len(tg.sent_to(reader)) == 1, tg.sent_to(reader)  # exactly one reply, ever
    doctor = [c.text or "" for c in tg.sent_to(DOCTOR)]
    assert sum(DOWN in t for t in doctor) == 1, doctor
    assert sum(BACK in t for t in doctor) == 1, doctor

    assert await bot.stop() == 0
    errors = [line for line in bot.log.splitlines() if " ERROR " in line]
    assert any("question not stored" in e and "database is locked" in e for e in errors), errors
    assert "Traceback" not in bot.log


# --------------------------------------------------------------------------- corrupt file


async def corrupt_file(kind: str, folder: Path) -> Path:
    """8 KB of random bytes, or a real ExpertBot database's 100-byte header (so SQLite takes
    the file for a WAL database of the right version) followed by random bytes."""
    rnd = random.Random(kind)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "expertbot.sqlite3"
    if kind == "random bytes":
        path.write_bytes(rnd.randbytes(8192))
        return path
    real = folder / "real.sqlite3"
    store = await Store.open(real)
    await store.close()
    path.write_bytes(real.read_bytes()[:100] + rnd.randbytes(8192 - 100))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_untouched(path: Path, before: str) -> None:
    assert digest(path) == before, "the corrupt database file was changed"
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "a WAL was written next to it"


CORRUPTIONS = ("random bytes", "header then garbage")


@pytest.mark.parametrize("kind", CORRUPTIONS)
async def test_run_refuses_a_corrupt_database(
    tg: FakeTelegram, start_bot: StartBot, tmp_path: Path, kind: str
) -> None:
    path = await corrupt_file(kind, tmp_path / "db")
    before = digest(path)
    bot = await start_bot(db=path, ready=False)
    assert await bot.wait() == 1
    lines = [line for line in bot.log.splitlines() if line.strip()]
    assert len(lines) == 1, bot.log
    assert lines[0].startswith("expertbot: ") and str(path) in lines[0], lines[0]
    assert "Traceback" not in bot.log
    assert tg.calls("getUpdates") == []  # it never started serving
    assert_untouched(path, before)


@pytest.mark.parametrize("kind", CORRUPTIONS)
@pytest.mark.parametrize("command", ["chat", "health"])
async def test_chat_and_health_refuse_a_corrupt_database(
    run_cli: RunCli, tmp_path: Path, kind: str, command: str
) -> None:
    path = await corrupt_file(kind, tmp_path / "db")
    before = digest(path)
    env = {"EXPERTBOT_DB": str(path), "EXPERTBOT_KNOWLEDGE": str(KB_E2E)}
    code, out, err = await asyncio.to_thread(run_cli, command, stdin="hello\n", env=env)
    line = one_line_error(code, out, err)
    assert re.search(r"\bdatabase\b", line) and str(path) in line, line
    assert_untouched(path, before)
