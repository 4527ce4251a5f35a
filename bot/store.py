"""SQLite storage: questions log, the doctor's queue, votes, proposed alternates.

One file, WAL mode, a busy timeout, and `PRAGMA user_version` as the schema version with
forward-only migrations. Every write commits before the caller replies to anyone, so a crash
never loses what a reader sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import QueueItem
from bot.text import normalise

BUSY_TIMEOUT_MS = 5000
MAX_STORED_CHARS = 10_000
HANDLED_UPDATES_KEPT = dt.timedelta(days=2)  # Telegram keeps an update for 24 hours

MIGRATIONS: Sequence[str] = (
    # 1: the first schema
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        outcome TEXT NOT NULL,
        entry_id TEXT,
        score REAL NOT NULL DEFAULT 0,
        elapsed_ms REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX questions_chat ON questions (chat_id);
    CREATE INDEX questions_created ON questions (created_at);
    CREATE TABLE queue (
        id INTEGER PRIMARY KEY,
        question_id INTEGER REFERENCES questions (id) ON DELETE SET NULL,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        norm TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL,
        answer TEXT,
        answered_by TEXT,
        answered_at TEXT,
        entry_id TEXT
    );
    CREATE UNIQUE INDEX queue_one_pending ON queue (chat_id, norm) WHERE status = 'pending';
    CREATE INDEX queue_status ON queue (status, created_at);
    CREATE TABLE votes (
        chat_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, entry_id)
    );
    CREATE TABLE alternates (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 2: Telegram updates already handled, so a re-delivered update (after a crash, before
    # getUpdates acknowledged it, or a webhook retry) is not answered twice. No chat data here.
    """
    CREATE TABLE handled_updates (
        update_id INTEGER PRIMARY KEY,
        handled_at TEXT NOT NULL
    );
    CREATE INDEX handled_updates_at ON handled_updates (handled_at);
    """,
    # 3: the doctor's review. answered_via: 'text' (her own words) or 'entry' (an existing
    # entry); answer_group: the item she acted on, shared by every item answered with it (the
    # export turns a group into one draft); delivered: 0 = the reader is owed the answer,
    # 1 = sent, NULL = nothing to send (pending, dismissed, or the reader got it via another item).
    """
    ALTER TABLE queue ADD COLUMN answered_via TEXT;
    ALTER TABLE queue ADD COLUMN answer_group INTEGER;
    ALTER TABLE queue ADD COLUMN delivered INTEGER;
    CREATE INDEX queue_undelivered ON queue (delivered) WHERE delivered = 0;
    CREATE INDEX queue_answered ON queue (answered_at) WHERE answered_at IS NOT NULL;
    """,
    # 4: the running bot's heartbeat (bot/ops.py): one row, rewritten every 30 s while the bot
    # runs; stopped_at is set on a clean stop. `expertbot health` and `db restore` read it.
    """
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        beat_at TEXT NOT NULL,
        started_at TEXT NOT NULL,
        stopped_at TEXT,
        mode TEXT NOT NULL,
        pid INTEGER NOT NULL,
        knowledge_version TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
PRUNE_QUEUE_SQL = (
    "DELETE FROM queue WHERE status IN ('answered', 'dismissed') AND created_at < ?"
    " AND delivered IS NOT 0"
)
QUEUED_OUTCOMES = frozenset({"unmatched", "urgent"})
_ITEM_COLUMNS = (
    "id, status, kind, chat_id, text, created_at, question_id, answer, answered_by,"
    " answered_at, entry_id, answered_via, answer_group, delivered"
)
# aiosqlite raises ValueError("no active connection") once the connection is closed
DB_ERRORS = (sqlite3.Error, ValueError, OverflowError)


class StoreError(Exception):
    """The database cannot be used; the message says why in words an operator can act on."""


def storable(text: str) -> str:
    """Cap the length; replace what UTF-8 cannot encode (lone surrogates from undecodable
    input), which sqlite3 would otherwise reject with a UnicodeEncodeError."""
    return text[:MAX_STORED_CHARS].encode("utf-8", "replace").decode("utf-8")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the database folder {path.parent}: {exc.strerror}"
            ) from None
        connecting = aiosqlite.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            db = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its worker thread after a failed connect without waiting; if the
            # event loop closes first, the thread prints a traceback at exit. Wait for it.
            thread = getattr(connecting, "_thread", None)
            if thread is not None:
                await asyncio.to_thread(thread.join, 5)
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        store = cls(db, path)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA synchronous = NORMAL")
            await store._migrate()
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise StoreError(f"cannot use the database {path}: {exc}") from None
        except StoreError:
            await db.close()  # else aiosqlite's thread keeps the process alive
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database {self.path} has schema version {version}, newer than this "
                f"program's {SCHEMA_VERSION}: upgrade ExpertBot"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            script = MIGRATIONS[number - 1]
            await self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- writes ------------------------------------------------------------------------------

    async def log_question(
        self,
        chat_id: int,
        text: str,
        outcome: str,
        entry_id: str | None,
        score: float,
        elapsed_ms: float,
    ) -> tuple[int, bool]:
        """Log one question, queueing it when nobody answered it. Returns (id, queued)."""
        text = storable(text)
        try:
            async with self._db.execute(
                "INSERT INTO questions (chat_id, text, outcome, entry_id, score, elapsed_ms,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chat_id, text, outcome, entry_id, score, round(elapsed_ms, 3), now()),
            ) as cur:
                question_id = int(cur.lastrowid or 0)
            queued = False
            if outcome in QUEUED_OUTCOMES:
                queued = await self._enqueue(question_id, chat_id, text, outcome)
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not save the question: {exc}") from None
        return question_id, queued

    async def _enqueue(self, question_id: int, chat_id: int, text: str, kind: str) -> bool:
        """Queue a question; a reader repeating a pending question keeps one queue item."""
        await self._db.execute(
            "INSERT INTO queue (question_id, chat_id, text, norm, kind, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, norm) WHERE status = 'pending' DO UPDATE SET"
            " kind = CASE WHEN excluded.kind = 'urgent' THEN 'urgent' ELSE queue.kind END",
            (question_id, chat_id, text, normalise(text)[:2000], kind, now()),
        )
        return True

    async def queue_question(self, question_id: int, chat_id: int, kind: str = "asked") -> bool:
        """Queue an already logged question (the reader chose 'ask the doctor')."""
        text = await self.question_text(question_id, chat_id)
        if text is None:
            return False
        try:
            await self._enqueue(question_id, chat_id, text, kind)
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not queue the question: {exc}") from None
        return True

    async def question_text(self, question_id: int, chat_id: int) -> str | None:
        try:
            async with self._db.execute(
                "SELECT text FROM questions WHERE id = ? AND chat_id = ?", (question_id, chat_id)
            ) as cur:
                row = await cur.fetchone()
        except DB_ERRORS as exc:
            raise StoreError(f"could not read the question: {exc}") from None
        return row[0] if row else None

    async def add_alternate(self, chat_id: int, entry_id: str, text: str) -> None:
        await self._write(
            "INSERT INTO alternates (chat_id, entry_id, text, created_at) VALUES (?, ?, ?, ?)",
            (chat_id, entry_id, storable(text), now()),
        )

    async def vote(self, chat_id: int, entry_id: str, value: int) -> None:
        """One vote per reader per entry; a new tap replaces the old one."""
        await self._write(
            "INSERT INTO votes (chat_id, entry_id, value, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (chat_id, entry_id) DO UPDATE SET value = excluded.value,"
            " created_at = excluded.created_at",
            (chat_id, entry_id, 1 if value > 0 else -1, now()),
        )

    async def forget(self, chat_id: int) -> int:
        """Delete every row about this reader. Returns how many rows went."""
        total = 0
        try:
            for table in ("queue", "votes", "alternates", "questions"):
                async with self._db.execute(
                    f"DELETE FROM {table} WHERE chat_id = ?", (chat_id,)
                ) as cur:
                    total += cur.rowcount
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not delete the data: {exc}") from None
        return total

    async def resolve(
        self,
        item_ids: Sequence[int],
        status: str,
        by: str,
        *,
        answer: str | None = None,
        via: str | None = None,
        entry_id: str | None = None,
        propose_alternates: bool = False,
    ) -> list[QueueItem]:
        """Close pending items in one transaction: `answered` (with `answer` or `entry_id`) or
        `dismissed`. Items no longer pending are left alone, so a second answer changes nothing.
        Each reader is owed one delivery however many of their items this closes. With
        `propose_alternates`, every closed item's text becomes a proposed alternate of
        `entry_id`. Returns the items this call closed, in the order given."""
        if status not in ("answered", "dismissed"):
            raise ValueError(status)
        at = now()
        group = item_ids[0] if item_ids else None
        owed: set[int] = set()
        closed: list[int] = []
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            for item_id in item_ids:
                async with self._db.execute(
                    "SELECT chat_id, text FROM queue WHERE id = ? AND status = 'pending'",
                    (item_id,),
                ) as cur:
                    row = await cur.fetchone()
                if row is None:
                    continue
                chat_id, text = int(row[0]), str(row[1])
                delivered = None
                if status == "answered" and chat_id not in owed:
                    owed.add(chat_id)
                    delivered = 0
                await self._db.execute(
                    "UPDATE queue SET status = ?, answer = ?, answered_by = ?, answered_at = ?,"
                    " entry_id = COALESCE(?, entry_id), answered_via = ?, answer_group = ?,"
                    " delivered = ? WHERE id = ? AND status = 'pending'",
                    (
                        status,
                        storable(answer) if answer is not None else None,
                        storable(by),
                        at,
                        entry_id,
                        via,
                        group,
                        delivered,
                        item_id,
                    ),
                )
                if propose_alternates and entry_id:
                    await self._db.execute(
                        "INSERT INTO alternates (chat_id, entry_id, text, created_at)"
                        " VALUES (?, ?, ?, ?)",
                        (chat_id, entry_id, text, at),
                    )
                closed.append(item_id)
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not update the queue: {exc}") from None
        items = [await self.queue_item(i) for i in closed]
        return [i for i in items if i is not None]

    async def mark_delivered(self, item_id: int, delivered: bool = True) -> None:
        """The reader received the answer (or, with False, is owed it again)."""
        await self._write(
            "UPDATE queue SET delivered = ? WHERE id = ? AND status = 'answered'",
            (1 if delivered else 0, item_id),
        )

    async def update_handled(self, update_id: int) -> bool:
        """Was this Telegram update already handled (see `mark_update_handled`)?"""
        try:
            async with self._db.execute(
                "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)
            ) as cur:
                return await cur.fetchone() is not None
        except DB_ERRORS as exc:
            raise StoreError(f"could not read handled updates: {exc}") from None

    async def mark_update_handled(self, update_id: int) -> None:
        await self._write(
            "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
            (update_id, now()),
        )

    async def prune_handled_updates(self, keep: dt.timedelta = HANDLED_UPDATES_KEPT) -> None:
        """Forget old update ids: Telegram re-delivers an update for at most 24 hours."""
        cutoff = (dt.datetime.now(dt.UTC) - keep).isoformat(timespec="seconds")
        await self._write("DELETE FROM handled_updates WHERE handled_at < ?", (cutoff,))

    async def prune_old(self, days: int, at: dt.datetime | None = None) -> dict[str, int]:
        """Retention (RETENTION_DAYS): delete what is older than `days` days, in one
        transaction: questions, answered/dismissed queue items (pending ones, and answers the
        reader is still owed, are kept), votes and proposed alternates. Returns the rows
        deleted per table."""
        if days < 1:
            raise ValueError(days)
        cutoff = ((at or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)).isoformat(
            timespec="seconds"
        )
        statements = (
            ("queue", PRUNE_QUEUE_SQL),
            ("questions", "DELETE FROM questions WHERE created_at < ?"),
            ("votes", "DELETE FROM votes WHERE created_at < ?"),
            ("alternates", "DELETE FROM alternates WHERE created_at < ?"),
        )
        deleted: dict[str, int] = {}
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            for table, sql in statements:
                async with self._db.execute(sql, (cutoff,)) as cur:
                    deleted[table] = max(cur.rowcount, 0)
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not delete old data: {exc}") from None
        return deleted

    async def _write(self, sql: str, params: Sequence[Any]) -> None:
        try:
            await self._db.execute(sql, params)
            await self._db.commit()
        except DB_ERRORS as exc:
            await self._rollback()
            raise StoreError(f"could not save: {exc}") from None

    async def _rollback(self) -> None:
        with contextlib.suppress(*DB_ERRORS):
            await self._db.rollback()

    # --- reads -------------------------------------------------------------------------------

    async def queue(self, status: str | None = "pending", limit: int = 1000) -> list[QueueItem]:
        sql = f"SELECT {_ITEM_COLUMNS} FROM queue"
        params: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY kind = 'urgent' DESC, created_at, id LIMIT ?"
        params.append(limit)
        return await self._items(sql, params)

    async def queue_item(self, item_id: int) -> QueueItem | None:
        items = await self._items(f"SELECT {_ITEM_COLUMNS} FROM queue WHERE id = ?", (item_id,))
        return items[0] if items else None

    async def answered(self) -> list[QueueItem]:
        """Every answered item, oldest answer first (the export reads these)."""
        return await self._items(
            f"SELECT {_ITEM_COLUMNS} FROM queue WHERE status = 'answered' ORDER BY answered_at, id",
            (),
        )

    async def undelivered(self) -> list[QueueItem]:
        """Answered items whose reader has not received the answer yet."""
        return await self._items(
            f"SELECT {_ITEM_COLUMNS} FROM queue WHERE delivered = 0 ORDER BY answered_at, id",
            (),
        )

    async def alternates(self) -> list[tuple[str, str]]:
        """Proposed alternate phrasings: (entry id, text), oldest first."""
        async with self._db.execute(
            "SELECT entry_id, text FROM alternates ORDER BY created_at, id"
        ) as cur:
            rows = await cur.fetchall()
        return [(str(entry_id), str(text)) for entry_id, text in rows]

    async def _items(self, sql: str, params: Sequence[Any]) -> list[QueueItem]:
        try:
            async with self._db.execute(sql, params) as cur:
                rows = await cur.fetchall()
        except DB_ERRORS as exc:
            raise StoreError(f"could not read the queue: {exc}") from None
        return [QueueItem(*row) for row in rows]

    # --- statistics (timestamps are ISO strings in UTC, so they compare as text) ------------

    async def outcome_counts(self, since: str) -> dict[str, int]:
        return dict(
            await self._rows(
                "SELECT outcome, COUNT(*) FROM questions WHERE created_at >= ? GROUP BY outcome",
                (since,),
            )
        )

    async def queued_count(self, since: str) -> int:
        rows = await self._rows("SELECT COUNT(*) FROM queue WHERE created_at >= ?", (since,))
        return int(rows[0][0]) if rows else 0

    async def top_entries(self, since: str, limit: int = 10) -> list[tuple[str, int]]:
        """The entries answered most often from the knowledge since then."""
        return await self._rows(
            "SELECT entry_id, COUNT(*) AS n FROM questions WHERE created_at >= ?"
            " AND outcome = 'answer' AND entry_id IS NOT NULL"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?",
            (since, limit),
        )

    async def vote_counts(self, since: str) -> list[tuple[str, int, int]]:
        """(entry id, 👍, 👎) for votes cast since then, most voted first."""
        return await self._rows(
            "SELECT entry_id, SUM(value > 0), SUM(value < 0) FROM votes WHERE created_at >= ?"
            " GROUP BY entry_id ORDER BY COUNT(*) DESC, entry_id",
            (since,),
        )

    async def answer_times(self, since: str) -> list[tuple[str, str]]:
        """(queued at, answered at) of the items the doctor answered since then."""
        return await self._rows(
            "SELECT created_at, answered_at FROM queue WHERE status = 'answered'"
            " AND answered_at >= ?",
            (since,),
        )

    async def _rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            async with self._db.execute(sql, params) as cur:
                return [tuple(row) for row in await cur.fetchall()]
        except DB_ERRORS as exc:
            raise StoreError(f"could not read the statistics: {exc}") from None

    async def count(self, table: str, chat_id: int | None = None) -> int:
        if table not in {"questions", "queue", "votes", "alternates"}:
            raise ValueError(table)
        sql = f"SELECT COUNT(*) FROM {table}"
        params: tuple[Any, ...] = ()
        if chat_id is not None:
            sql += " WHERE chat_id = ?"
            params = (chat_id,)
        async with self._db.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
