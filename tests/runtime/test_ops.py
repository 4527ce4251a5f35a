"""`expertbot db backup`, `db restore` and `health` (design.md §4): backups while the database
is written, restore round trips and refusals, the heartbeat's fresh and stale cases."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from pathlib import Path

from bot.runtime.ops import HEARTBEAT_MAX_AGE
from bot.storage import SCHEMA_VERSION, Store
from tests.conftest import RunCli, db_count, db_rows, invoke_cli, one_line_error


def one_line(code: int, out: str, err: str) -> str:
    assert code == 0, err
    assert out.count("\n") == 1, out
    return out.strip()


async def make_db(path: Path, questions: int = 3) -> None:
    store = await Store.open(path)
    try:
        for n in range(questions):
            await store.log_question(7, f"Question {n}?", "unmatched", None, 0.1, 1.0)
    finally:
        await store.close()


def set_heartbeat(db: Path, age: float, stopped: bool = False) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO heartbeat (id, beat_at, started_at, stopped_at, mode, pid,"
            " knowledge_version) VALUES (1, ?, ?, ?, 'polling', 4242, 'kv1')",
            (when, when, when if stopped else None),
        )
    conn.close()


# --- backup -----------------------------------------------------------------------------------


async def test_backup_while_another_connection_writes(db_path: Path, tmp_path: Path) -> None:
    await make_db(db_path, questions=50)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        conn = sqlite3.connect(db_path, timeout=5)
        n = 0
        while not stop.is_set():
            with conn:
                conn.execute(
                    "INSERT INTO questions (chat_id, text, outcome, created_at)"
                    " VALUES (9, ?, 'answer', '2026-01-01T00:00:00+00:00')",
                    (f"writer {n} " + "x" * 500,),
                )
            n += 1
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:  # the writer is busy before the backup starts
            threading.Event().wait(0.01)
        target = tmp_path / "backups" / "one.sqlite3"
        line = one_line(*invoke_cli(db_path, "db", "backup", str(target)))
    finally:
        stop.set()
        thread.join()
    assert line.startswith(f"Backed up {db_path} to {target}: ")
    assert db_rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert db_rows(target, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert db_rows(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    (count,) = db_rows(target, "SELECT count(*) FROM questions")[0]
    assert 50 + 20 <= count <= 50 + len(written)
    assert not Path(f"{target}-wal").exists()


async def test_backup_refuses_to_overwrite_unless_forced(db_path: Path, tmp_path: Path) -> None:
    await make_db(db_path)
    target = tmp_path / "backup.sqlite3"
    target.write_text("precious")
    line = one_line_error(*invoke_cli(db_path, "db", "backup", str(target)))
    assert "already exists" in line and "--force" in line
    assert target.read_text() == "precious"
    one_line(*invoke_cli(db_path, "db", "backup", "--force", str(target)))
    assert db_rows(target, "SELECT count(*) FROM questions") == [(3,)]


def test_backup_of_a_missing_database_is_one_line(db_path: Path, tmp_path: Path) -> None:
    line = one_line_error(*invoke_cli(db_path, "db", "backup", str(tmp_path / "b.sqlite3")))
    assert "does not exist" in line
    assert not db_path.exists()  # a backup never creates the database


# --- restore ----------------------------------------------------------------------------------


async def test_restore_round_trip_keeps_the_current_database(
    db_path: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    await make_db(db_path, questions=3)
    backup = tmp_path / "backup.sqlite3"
    one_line(*run_cli("db", "backup", str(backup)))
    await make_db(db_path, questions=2)  # 5 now
    set_heartbeat(db_path, age=10, stopped=True)  # the bot ran, and stopped cleanly

    line = one_line(*run_cli("db", "restore", str(backup)))
    kept = Path(f"{db_path}.before-restore")
    assert line == (
        f"Restored {db_path} from {backup} (schema version {SCHEMA_VERSION}); "
        f"the previous one is kept as {kept}."
    )
    assert db_rows(db_path, "SELECT count(*) FROM questions") == [(3,)]
    assert db_rows(kept, "SELECT count(*) FROM questions") == [(5,)]
    assert db_rows(db_path, "SELECT count(*) FROM heartbeat") == [(0,)]
    store = await Store.open(db_path)  # the bot opens the restored file
    try:
        assert db_count(db_path, "questions") == 3
    finally:
        await store.close()


def test_restore_of_a_non_database_file_is_refused(db_path: Path, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all\n" * 100)
    line = one_line_error(*invoke_cli(db_path, "db", "restore", str(junk)))
    assert line.startswith(f"expertbot: {junk} is not a usable SQLite database")
    assert not db_path.exists()


def test_restore_of_a_foreign_database_is_refused(db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    line = one_line_error(*invoke_cli(db_path, "db", "restore", str(other)))
    assert line == f"expertbot: {other} is not an ExpertBot database"
    line = one_line_error(*invoke_cli(db_path, "db", "restore", str(tmp_path / "missing")))
    assert "does not exist" in line


async def test_restore_is_refused_while_the_bot_runs(db_path: Path, tmp_path: Path) -> None:
    await make_db(db_path, questions=1)
    backup = tmp_path / "backup.sqlite3"
    one_line(*invoke_cli(db_path, "db", "backup", str(backup)))
    await make_db(db_path, questions=1)
    set_heartbeat(db_path, age=5)
    line = one_line_error(*invoke_cli(db_path, "db", "restore", str(backup)))
    assert "the bot is running" in line and "pid 4242" in line
    assert db_rows(db_path, "SELECT count(*) FROM questions") == [(2,)]
    assert not Path(f"{db_path}.before-restore").exists()
    set_heartbeat(db_path, age=HEARTBEAT_MAX_AGE + 60)  # it died long ago: allowed
    one_line(*invoke_cli(db_path, "db", "restore", str(backup)))
    assert db_rows(db_path, "SELECT count(*) FROM questions") == [(1,)]


async def test_restore_over_a_corrupt_database(db_path: Path, tmp_path: Path) -> None:
    await make_db(db_path, questions=2)
    backup = tmp_path / "backup.sqlite3"
    one_line(*invoke_cli(db_path, "db", "backup", str(backup)))
    db_path.write_bytes(b"this file was damaged" * 500)
    Path(f"{db_path}-wal").unlink(missing_ok=True)
    Path(f"{db_path}-shm").unlink(missing_ok=True)
    one_line(*invoke_cli(db_path, "db", "restore", str(backup)))
    assert db_rows(db_path, "SELECT count(*) FROM questions") == [(2,)]
    assert Path(f"{db_path}.before-restore").read_bytes().startswith(b"this file was damaged")


# --- health -----------------------------------------------------------------------------------


async def test_health_with_a_fresh_and_a_stale_heartbeat(db_path: Path) -> None:
    await make_db(db_path)
    line = one_line_error(*invoke_cli(db_path, "health"))
    assert line == f"expertbot: unhealthy: no heartbeat yet in {db_path} (has the bot started?)"

    set_heartbeat(db_path, age=3)
    line = one_line(*invoke_cli(db_path, "health"))
    assert line.startswith("ok: heartbeat ") and "polling, pid 4242" in line and "kv1" in line

    set_heartbeat(db_path, age=HEARTBEAT_MAX_AGE + 30)
    line = one_line_error(*invoke_cli(db_path, "health"))
    assert re.match(
        r"expertbot: unhealthy: heartbeat stale by 3[0-2] s \(last one 1[12]\d s ago", line
    )

    set_heartbeat(db_path, age=3, stopped=True)
    assert "the bot stopped at" in one_line_error(*invoke_cli(db_path, "health"))


def test_health_with_an_unusable_database(db_path: Path, tmp_path: Path, run_cli: RunCli) -> None:
    line = one_line_error(*run_cli("health"))
    assert line == f"expertbot: unhealthy: database unusable: the database {db_path} does not exist"
    assert not db_path.exists()  # health never creates the database
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"garbage" * 1000)
    line = one_line_error(*invoke_cli(junk, "health"))
    assert line.startswith("expertbot: unhealthy: database unusable: ")
