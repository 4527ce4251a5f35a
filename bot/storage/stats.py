"""Statistics for /stats and `expertbot stats` (timestamps are ISO strings in UTC, so they
compare as text), and retention: what is older than RETENTION_DAYS goes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.storage import proposals
from bot.storage.conversation import CONVERSATION_KEPT
from bot.storage.db import Database

PRUNE_QUEUE_SQL = (
    "DELETE FROM queue WHERE status IN ('answered', 'dismissed') AND created_at < ?"
    " AND (delivered IS NULL OR delivered IN (1, 2))"  # kept while owed or being sent
)


class Stats(Database):
    async def outcome_counts(self, since: str) -> dict[str, int]:
        rows = await self._stats(
            "SELECT outcome, COUNT(*) FROM questions WHERE created_at >= ? GROUP BY outcome",
            (since,),
        )
        return dict(rows)

    async def daily_outcomes(self, since: str) -> list[tuple[str, str, int]]:
        """(UTC day 'YYYY-MM-DD', outcome, questions) for the questions asked since then."""
        rows = await self._stats(
            "SELECT substr(created_at, 1, 10) AS day, outcome, COUNT(*) FROM questions"
            " WHERE created_at >= ? GROUP BY day, outcome ORDER BY day, outcome",
            (since,),
        )
        return [(str(day), str(outcome), int(n)) for day, outcome, n in rows]

    async def queued_count(self, since: str) -> int:
        rows = await self._stats("SELECT COUNT(*) FROM queue WHERE created_at >= ?", (since,))
        return int(rows[0][0]) if rows else 0

    async def top_entries(self, since: str, limit: int = 10) -> list[tuple[str, int]]:
        """The entries answered most often from the knowledge since then."""
        return await self._stats(
            "SELECT entry_id, COUNT(*) AS n FROM questions WHERE created_at >= ?"
            " AND outcome = 'answer' AND entry_id IS NOT NULL"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?",
            (since, limit),
        )

    async def vote_counts(self, since: str) -> list[tuple[str, int, int]]:
        """(entry id, 👍, 👎) for votes cast since then, most voted first."""
        return await self._stats(
            "SELECT entry_id, SUM(value > 0), SUM(value < 0) FROM votes WHERE created_at >= ?"
            " GROUP BY entry_id ORDER BY COUNT(*) DESC, entry_id",
            (since,),
        )

    async def answer_times(self, since: str) -> list[tuple[str, str]]:
        """(queued at, answered at) of the items the doctor answered since then."""
        return await self._stats(
            "SELECT created_at, answered_at FROM queue WHERE status = 'answered'"
            " AND answered_at >= ?",
            (since,),
        )

    async def _stats(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return [tuple(row) for row in await self._read("the statistics", sql, params)]

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
        # a chat's last answer only serves follow-ups for minutes: kept a day at most
        recent = ((at or dt.datetime.now(dt.UTC)) - CONVERSATION_KEPT).isoformat(timespec="seconds")
        deleted: dict[str, int] = {}
        async with self._transaction("delete old data", immediate=True) as db:
            for table, sql in statements:
                async with db.execute(sql, (cutoff,)) as cur:
                    deleted[table] = max(cur.rowcount, 0)
            async with db.execute("DELETE FROM conversations WHERE at < ?", (recent,)) as cur:
                deleted["conversations"] = max(cur.rowcount, 0)
            await proposals.sync(db)  # phrasings no row stands for any more (unless accepted)
        return deleted
