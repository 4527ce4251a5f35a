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
    # 5: the doctor in Telegram. posted_at: when the item was shown in the review chat (NULL:
    # still to post, so a restart posts it then); answer_format: her Telegram formatting (JSON
    # spans, bot/rich.py). review_posts: which queue item each review message is about (her
    # reply to it answers that item, also after a restart); review_prompts: she tapped Reply or
    # It's entry and her next text is the answer or a search. meta.reader_salt keys the
    # pseudonymous reader labels shown to her.
    """
    ALTER TABLE queue ADD COLUMN posted_at TEXT;
    ALTER TABLE queue ADD COLUMN answer_format TEXT;
    UPDATE queue SET posted_at = created_at WHERE status != 'pending';
    CREATE INDEX queue_unposted ON queue (created_at) WHERE posted_at IS NULL;
    CREATE TABLE review_posts (
        review_chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (review_chat_id, message_id)
    );
    CREATE INDEX review_posts_item ON review_posts (item_id);
    CREATE TABLE review_prompts (
        user_id INTEGER NOT NULL,
        review_chat_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        mode TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, review_chat_id)
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('reader_salt', lower(hex(randomblob(16))));
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
PRUNE_QUEUE_SQL = (
    "DELETE FROM queue WHERE status IN ('answered', 'dismissed') AND created_at < ?"
    " AND (delivered IS NULL OR delivered IN (1, 2))"  # kept while owed or being sent
)
QUEUED_OUTCOMES = frozenset({"unmatched", "urgent"})
_ITEM_COLUMNS = (
    "id, status, kind, chat_id, text, created_at, question_id, answer, answered_by,"
    " answered_at, entry_id, answered_via, answer_group, delivered, answer_format, posted_at"
)
# every table with a row per reader (chat_id): /forget empties them all (review_posts and
# review_prompts go with the queue rows they point to)
READER_TABLES = ("queue", "votes", "alternates", "questions")


class Delivery:
    """queue.delivered: what the reader is owed. NULL: nothing (pending, dismissed quietly, or
    the answer reaches them through another item of theirs)."""

    OWED = 0
    SENT = 1
    UNDELIVERABLE = 2  # Telegram refused it for good (the reader blocked the bot): not retried
    SENDING = -1  # claimed by a sender; released at the bot's next start if it crashed


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
        # One connection serves the update handlers and the outbox task: a write (often a
        # few statements and a commit) must not interleave with another's, or one coroutine's
        # commit would publish the other's half-done transaction.
        self._writing = asyncio.Lock()

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
        async with self._writing:
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
        async with self._writing:
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
        async with self._writing:
            try:
                for table in READER_TABLES:
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
        answer_format: str | None = None,
        via: str | None = None,
        entry_id: str | None = None,
        propose_alternates: bool = False,
        notify: bool = False,
    ) -> list[QueueItem]:
        """Close pending items in one transaction: `answered` (with `answer` or `entry_id`) or
        `dismissed`. Items no longer pending are left alone, so a second answer changes nothing.
        Each reader is owed one delivery however many of their items this closes (for a
        dismissal only with `notify`: the kind note). With `propose_alternates`, every closed
        item's text becomes a proposed alternate of `entry_id`. Returns the items this call
        closed, in the order given."""
        if status not in ("answered", "dismissed"):
            raise ValueError(status)
        at = now()
        group = item_ids[0] if item_ids else None
        owed: set[int] = set()
        closed: list[int] = []
        async with self._writing:
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
                    if (status == "answered" or notify) and chat_id not in owed:
                        owed.add(chat_id)
                        delivered = Delivery.OWED
                    await self._db.execute(
                        "UPDATE queue SET status = ?, answer = ?, answer_format = ?,"
                        " answered_by = ?, answered_at = ?, entry_id = COALESCE(?, entry_id),"
                        " answered_via = ?, answer_group = ?, delivered = ?"
                        " WHERE id = ? AND status = 'pending'",
                        (
                            status,
                            storable(answer) if answer is not None else None,
                            answer_format,
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

    async def claim_delivery(self, item_id: int) -> bool:
        """Take an owed delivery (the bot's outbox and `expertbot queue answer` may both try):
        True for exactly one caller, who then calls `finish_delivery`."""
        changed = await self._write(
            "UPDATE queue SET delivered = ? WHERE id = ? AND delivered = ?",
            (Delivery.SENDING, item_id, Delivery.OWED),
        )
        return changed == 1

    async def finish_delivery(self, item_id: int, state: int) -> None:
        await self._write(
            "UPDATE queue SET delivered = ? WHERE id = ? AND delivered IS NOT NULL",
            (state, item_id),
        )

    async def release_deliveries(self) -> int:
        """At the bot's start: deliveries a crash interrupted mid-send are owed again (the
        reader may get that one answer twice; never none)."""
        return await self._write(
            "UPDATE queue SET delivered = ? WHERE delivered = ?",
            (Delivery.OWED, Delivery.SENDING),
        )

    # --- the doctor's review chat -----------------------------------------------------------

    async def unposted(self, limit: int = 200) -> list[QueueItem]:
        """Pending items not yet shown in the review chat, urgent first, then oldest."""
        return await self._items(
            f"SELECT {_ITEM_COLUMNS} FROM queue WHERE status = 'pending' AND posted_at IS NULL"
            " ORDER BY kind = 'urgent' DESC, created_at, id LIMIT ?",
            (limit,),
        )

    async def mark_posted(self, item_ids: Sequence[int]) -> None:
        async with self._writing:
            try:
                at = now()
                await self._db.executemany(
                    "UPDATE queue SET posted_at = ? WHERE id = ? AND posted_at IS NULL",
                    [(at, i) for i in item_ids],
                )
                await self._db.commit()
            except DB_ERRORS as exc:
                await self._rollback()
                raise StoreError(f"could not save: {exc}") from None

    async def add_review_post(
        self, chat_id: int, message_id: int, item_id: int, scope: str
    ) -> None:
        """Remember which queue item a message in a review chat is about, so the doctor's
        Telegram reply to it (even after a restart) reaches the right reader."""
        await self._write(
            "INSERT OR REPLACE INTO review_posts (review_chat_id, message_id, item_id, scope,"
            " posted_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, message_id, item_id, scope, now()),
        )

    async def review_post(self, chat_id: int, message_id: int) -> tuple[int, str] | None:
        """(item id, scope) of a message the bot posted in a review chat."""
        rows = await self._rows(
            "SELECT item_id, scope FROM review_posts WHERE review_chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    async def set_prompt(
        self, user_id: int, chat_id: int, item_id: int, scope: str, mode: str
    ) -> None:
        """The doctor tapped Reply (mode 'answer') or It's entry (mode 'search'): her next text
        in this chat is the answer, or words to search the entries for."""
        await self._write(
            "INSERT OR REPLACE INTO review_prompts (user_id, review_chat_id, item_id, scope,"
            " mode, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, chat_id, item_id, scope, mode, now()),
        )

    async def prompt(self, user_id: int, chat_id: int) -> tuple[int, str, str] | None:
        """(item id, scope, mode) the doctor's next text in this chat is for, if any."""
        rows = await self._rows(
            "SELECT item_id, scope, mode FROM review_prompts"
            " WHERE user_id = ? AND review_chat_id = ?",
            (user_id, chat_id),
        )
        return (int(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None

    async def clear_prompt(self, user_id: int, chat_id: int) -> bool:
        changed = await self._write(
            "DELETE FROM review_prompts WHERE user_id = ? AND review_chat_id = ?",
            (user_id, chat_id),
        )
        return changed > 0

    async def feedback(self, chat_id: int, entry_id: str, fallback_text: str) -> bool:
        """A 👎 on an entry: the reader's latest question answered with it (or, when they got
        there by browsing, the entry's own question) joins the queue as `feedback`."""
        async with self._writing:
            try:
                async with self._db.execute(
                    "SELECT id, text FROM questions WHERE chat_id = ? AND entry_id = ?"
                    " ORDER BY id DESC LIMIT 1",
                    (chat_id, entry_id),
                ) as cur:
                    row = await cur.fetchone()
                question_id, text = (int(row[0]), str(row[1])) if row else (None, fallback_text)
                await self._db.execute(
                    "INSERT INTO queue (question_id, chat_id, text, norm, kind, created_at,"
                    " entry_id) VALUES (?, ?, ?, ?, 'feedback', ?, ?)"
                    " ON CONFLICT (chat_id, norm) WHERE status = 'pending' DO NOTHING",
                    (question_id, chat_id, storable(text), normalise(text)[:2000], now(), entry_id),
                )
                await self._db.commit()
            except DB_ERRORS as exc:
                await self._rollback()
                raise StoreError(f"could not save the feedback: {exc}") from None
        return True

    async def reader_salt(self) -> str:
        rows = await self._rows("SELECT value FROM meta WHERE key = 'reader_salt'", ())
        return str(rows[0][0]) if rows else ""

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
        async with self._writing:
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

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""
        async with self._writing:
            try:
                async with self._db.execute(sql, params) as cur:
                    changed = max(cur.rowcount, 0)
                await self._db.commit()
            except DB_ERRORS as exc:
                await self._rollback()
                raise StoreError(f"could not save: {exc}") from None
        return changed

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
