"""Operations: the running bot's heartbeat, `expertbot health`, `db backup`, `db restore` and
the retention job (`db prune`).

Plain `sqlite3` on connections of their own (never the bot's aiosqlite connection, so a
heartbeat never lands inside one of the bot's transactions). Every failure an operator can
cause is an `OpsError` whose message is one line saying what to do.

- Heartbeat: while the bot runs (polling or webhook), a periodic task rewrites the single row
  of the `heartbeat` table (store migration 4) every `HEARTBEAT_EVERY` seconds with the time,
  the mode, the process id and the knowledge version; a clean stop sets `stopped_at`.
- Health: the heartbeat is younger than `HEARTBEAT_MAX_AGE` and the database passes
  `PRAGMA quick_check`.
- Retention: `Store.prune_old` deletes questions, answered/dismissed queue items, votes and
  alternates older than RETENTION_DAYS; the running bot does it at start and daily.
- Backup: SQLite's online backup API, so it is consistent while the bot writes (WAL mode:
  the bot is not blocked). The copy is a single self-contained file, checked before it is kept.
- Restore: only a file that passes `PRAGMA integrity_check` and carries a known ExpertBot
  schema version; never while the bot runs (a fresh heartbeat); the current database is kept
  next to it as `<db>.before-restore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.runtime.aio import sleep_or_stop
from bot.storage import BUSY_TIMEOUT_MS, SCHEMA_VERSION, Store, StoreError

T = TypeVar("T")

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 30.0  # seconds between heartbeats
HEARTBEAT_MAX_AGE = 90.0  # seconds: an older heartbeat means the bot is not running
PRUNE_EVERY = 24 * 3600.0  # seconds between retention runs in the running bot
HEARTBEAT_SCHEMA = 4  # the migration that created the heartbeat table
EXPERTBOT_TABLES = frozenset({"questions", "queue", "votes", "alternates"})


class OpsError(Exception):
    """One line an operator can act on."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection to an existing database file (never creates one)."""
    if not path.is_file():
        raise OpsError(f"the database {path} does not exist")
    mode = "ro" if readonly else "rw"
    try:
        conn = sqlite3.connect(
            f"file:{path.resolve()}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise OpsError(f"cannot open the database {path}: {exc}") from None
    return conn


# --- heartbeat --------------------------------------------------------------------------------


class Heartbeat:
    """The running bot's heartbeat writer (see the module docstring)."""

    def __init__(
        self,
        db_path: Path,
        mode: str,
        knowledge_version: Callable[[], str],
        every: float = HEARTBEAT_EVERY,
    ) -> None:
        self.db_path = Path(db_path)
        self.mode = mode
        self.knowledge_version = knowledge_version
        self.every = every
        self.started_at = _stamp(_now())

    def _write(self, stopped: bool) -> None:
        conn = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            with conn:
                stamp = _stamp(_now())
                conn.execute(
                    "INSERT INTO heartbeat (id, beat_at, started_at, stopped_at, mode, pid,"
                    " knowledge_version) VALUES (1, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at,"
                    " started_at = excluded.started_at, stopped_at = excluded.stopped_at,"
                    " mode = excluded.mode, pid = excluded.pid,"
                    " knowledge_version = excluded.knowledge_version",
                    (
                        stamp,
                        self.started_at,
                        stamp if stopped else None,
                        self.mode,
                        os.getpid(),
                        self.knowledge_version(),
                    ),
                )
        finally:
            conn.close()

    async def beat(self, stopped: bool = False) -> bool:
        """Write the heartbeat; a failure is logged (the bot carries on). True if written."""
        try:
            await asyncio.to_thread(self._write, stopped)
        except sqlite3.Error as exc:
            log.warning("could not write the heartbeat: %s", exc)
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every `every` seconds until `stop` is set (or the task is cancelled)."""
        while not await sleep_or_stop(self.every, stop):
            await self.beat()


async def prune(store: Store, days: int) -> str:
    """Apply the retention period once; returns one line (also for `expertbot db prune`)."""
    deleted = await store.prune_old(days)
    parts = ", ".join(f"{n} {table}" for table, n in deleted.items())
    return f"Deleted what is older than {days} days: {parts} (pending questions kept)."


async def retention_job(
    db_path: Path, days: int, stop: asyncio.Event, every: float = PRUNE_EVERY
) -> None:
    """The running bot's daily retention run: once at start, then every `every` seconds until
    `stop` is set. On a connection of its own (never inside one of the bot's transactions);
    a failure is logged and the next run tries again."""
    while not stop.is_set():
        try:
            store = await Store.open(db_path)
            try:
                log.info("retention: %s", await prune(store, days))
            finally:
                await store.close()
        except StoreError as exc:
            log.warning("retention: %s", exc)
        await sleep_or_stop(every, stop)


@dataclass(frozen=True)
class Beat:
    beat_at: dt.datetime
    stopped_at: str | None
    mode: str
    pid: int
    knowledge_version: str

    def age(self, now: dt.datetime | None = None) -> float:
        return ((now or _now()) - self.beat_at).total_seconds()

    def running(self, now: dt.datetime | None = None) -> bool:
        return self.stopped_at is None and self.age(now) <= HEARTBEAT_MAX_AGE


def read_heartbeat(conn: sqlite3.Connection) -> Beat | None:
    """The heartbeat row, or None when there is none (or the schema predates it)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < HEARTBEAT_SCHEMA:
        return None
    row = conn.execute(
        "SELECT beat_at, stopped_at, mode, pid, knowledge_version FROM heartbeat WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return Beat(dt.datetime.fromisoformat(row[0]), row[1], row[2], int(row[3]), row[4])


@contextlib.contextmanager
def _checked(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a database that passes `PRAGMA quick_check`; any problem,
    then or while it is used, is OpsError("database unusable: ...")."""
    try:
        conn = _connect(Path(db_path), readonly=True)
    except OpsError as exc:
        raise OpsError(f"database unusable: {exc}") from None
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise OpsError(f"database unusable: {db_path}: quick_check says {check}")
        yield conn
    except sqlite3.Error as exc:
        raise OpsError(f"database unusable: {db_path}: {exc}") from None
    finally:
        conn.close()


def health(db_path: Path, now: dt.datetime | None = None) -> str:
    """One line when the bot is healthy; raises OpsError with the reason otherwise."""
    db_path = Path(db_path)
    try:
        with _checked(db_path) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise OpsError(
                    f"database unusable: schema version {version} is newer than this "
                    f"program's {SCHEMA_VERSION}"
                )
            beat = read_heartbeat(conn)
    except OpsError as exc:
        raise OpsError(f"unhealthy: {exc}") from None
    if beat is None:
        raise OpsError(f"unhealthy: no heartbeat yet in {db_path} (has the bot started?)")
    if beat.stopped_at is not None:
        raise OpsError(f"unhealthy: the bot stopped at {beat.stopped_at} (no bot running)")
    age = beat.age(now)
    if age > HEARTBEAT_MAX_AGE:
        raise OpsError(
            f"unhealthy: heartbeat stale by {age - HEARTBEAT_MAX_AGE:.0f} s (last one "
            f"{age:.0f} s ago at {_stamp(beat.beat_at)}; limit {HEARTBEAT_MAX_AGE:.0f} s)"
        )
    return (
        f"ok: heartbeat {max(age, 0):.0f} s ago ({beat.mode}, pid {beat.pid}), "
        f"knowledge {beat.knowledge_version}, database {db_path}"
    )


def queue_status(db_path: Path) -> int:
    """The number of pending queue items, after checking the database as `health` does;
    raises OpsError ("database unusable: ...") otherwise. For webhook mode's GET /healthz."""
    with _checked(db_path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= version <= SCHEMA_VERSION:
            raise OpsError(f"database unusable: schema version {version}")
        return int(
            conn.execute("SELECT count(*) FROM queue WHERE status = 'pending'").fetchone()[0]
        )


# --- backup and restore -----------------------------------------------------------------------


def _copy(src: sqlite3.Connection, target: Path) -> None:
    """Copy `src` into a new single-file database at `target` (which must not exist)."""
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a consistent snapshot; in WAL mode writers carry on
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        dst.close()


def _check_expertbot_db(conn: sqlite3.Connection, name: Path) -> int:
    """The schema version of a valid ExpertBot database; OpsError otherwise."""
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{name} is not a usable SQLite database: {exc}") from None
    if result != ["ok"]:
        raise OpsError(f"{name} fails the integrity check: {result[0]}")
    if not tables.issuperset(EXPERTBOT_TABLES) or version < 1:
        raise OpsError(f"{name} is not an ExpertBot database")
    if version > SCHEMA_VERSION:
        raise OpsError(
            f"{name} has schema version {version}, newer than this program's "
            f"{SCHEMA_VERSION}: upgrade ExpertBot first"
        )
    return version


def _temp_next_to(path: Path) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    return temp


def _replace_with_copy(
    src: sqlite3.Connection, target: Path, prepare: Callable[[sqlite3.Connection], T]
) -> T:
    """Copy `src` to a temporary file next to `target`, give the copy to `prepare` (to check
    or adjust it), then move it over `target` in one step; returns what `prepare` returned."""
    temp = _temp_next_to(target)
    try:
        _copy(src, temp)
        copy = sqlite3.connect(temp)
        try:
            result = prepare(copy)
        finally:
            copy.close()
        os.replace(temp, target)
        return result
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def _as_ops_error(failed: str, os_failed: str | None = None) -> Iterator[None]:
    """SQLite and OS errors as one OpsError line "{failed}: {why}" (`os_failed` for OS ones)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise OpsError(f"{failed}: {exc}") from None
    except OSError as exc:
        raise OpsError(f"{os_failed or failed}: {exc.strerror or exc}") from None


def backup(db_path: Path, target: Path, force: bool = False) -> str:
    """Copy the live database to `target`; returns one line for the operator."""
    db_path, target = Path(db_path), Path(target)
    if target.exists() and not force:
        raise OpsError(f"{target} already exists; use --force to overwrite it")
    if target.exists() and target.resolve() == db_path.resolve():
        raise OpsError(f"{target} is the database itself; choose another file")
    src = _connect(db_path, readonly=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        src.close()
        raise OpsError(f"cannot create the folder {target.parent}: {exc.strerror}") from None

    def counts(copy: sqlite3.Connection) -> tuple[int, int, int]:
        version = _check_expertbot_db(copy, db_path)
        questions = copy.execute("SELECT count(*) FROM questions").fetchone()[0]
        queued = copy.execute("SELECT count(*) FROM queue").fetchone()[0]
        return version, questions, queued

    with (
        contextlib.closing(src),
        _as_ops_error(f"the backup of {db_path} failed", f"cannot write {target}"),
    ):
        version, questions, queued = _replace_with_copy(src, target, counts)
    size = target.stat().st_size
    return (
        f"Backed up {db_path} to {target}: {size / 1024:.0f} KiB, schema version {version}, "
        f"{questions} questions, {queued} queue items."
    )


def restore(db_path: Path, source: Path, now: dt.datetime | None = None) -> str:
    """Replace the database with `source` (the bot must be stopped); returns one line."""
    db_path, source = Path(db_path), Path(source)
    if not source.is_file():
        raise OpsError(f"{source} does not exist")
    src = _connect(source, readonly=True)
    with contextlib.closing(src), _as_ops_error(f"the restore from {source} failed"):
        version = _check_expertbot_db(src, source)
        kept = db_path.with_name(db_path.name + ".before-restore")
        before = ""
        if db_path.exists():
            _keep_current(db_path, kept, now)
            before = f"; the previous one is kept as {kept}"
        else:
            db_path.parent.mkdir(parents=True, exist_ok=True)

        def prepare(fresh: sqlite3.Connection) -> None:
            with fresh:
                if version >= HEARTBEAT_SCHEMA:
                    fresh.execute("DELETE FROM heartbeat")  # the old run's, not ours
            for suffix in ("-wal", "-shm"):  # the old file's, never to be applied to the new
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)

        _replace_with_copy(src, db_path, prepare)
    return f"Restored {db_path} from {source} (schema version {version}){before}."


def _keep_current(db_path: Path, kept: Path, now: dt.datetime | None) -> None:
    """Refuse while the bot runs; else copy the current database to `kept`. A database too
    broken to read (often the reason for a restore) is kept as a plain copy of its file."""
    current = _connect(db_path)
    try:
        try:
            beat = read_heartbeat(current)
        except sqlite3.DatabaseError:
            beat = None
        if beat is not None and beat.running(now):
            raise OpsError(
                f"the bot is running (heartbeat {max(beat.age(now), 0):.0f} s ago, "
                f"pid {beat.pid}): stop it, then restore"
            )
        temp = _temp_next_to(kept)
        try:
            _copy(current, temp)
        except sqlite3.DatabaseError:
            temp.unlink(missing_ok=True)
            shutil.copyfile(db_path, temp)
        os.replace(temp, kept)
    finally:
        current.close()
