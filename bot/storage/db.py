"""The connection: opening (WAL, busy timeout, foreign keys, migrations), and the two ways every
other storage module touches it — `_transaction("what")` for writes, `_read("what", …)` for
reads — so that a failure is always a `StoreError` that names what failed.

One connection serves the update handlers and the outbox task. A write (often a few statements
and a commit) must not interleave with another's, or one coroutine's commit would publish the
other's half-done transaction: `_transaction` holds the write lock for the whole of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.storage.errors import DB_ERRORS, StoreError
from bot.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000


class Database:
    """The connection and its write lock; the storage modules' methods are built on it."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Self:
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
        db.row_factory = aiosqlite.Row  # rows are read by column name, never by position
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA synchronous = NORMAL")
            await migrate(db, path)
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise StoreError(f"cannot use the database {path}: {exc}") from None
        except StoreError:
            await db.close()  # else aiosqlite's thread keeps the process alive
            raise
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    @contextlib.asynccontextmanager
    async def _transaction(
        self, what: str, *, immediate: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction under the write lock: committed when the block ends, rolled
        back when it fails, and then a StoreError "could not {what}: {why}". `immediate`
        takes SQLite's write lock at the start (for a transaction that reads before it
        writes, so what it read cannot change under it)."""
        async with self._writing:
            try:
                if immediate:
                    await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.commit()
            except DB_ERRORS as exc:
                with contextlib.suppress(*DB_ERRORS):
                    await self._db.rollback()
                raise StoreError(f"could not {what}: {exc}") from None

    async def _write(self, what: str, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""
        async with self._transaction(what) as db, db.execute(sql, params) as cur:
            return max(cur.rowcount, 0)

    async def _read(self, what: str, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """The rows of one query (by column name or position); a failure is a StoreError
        "could not read {what}: {why}"."""
        try:
            async with self._db.execute(sql, params) as cur:
                return list(await cur.fetchall())
        except DB_ERRORS as exc:
            raise StoreError(f"could not read {what}: {exc}") from None
