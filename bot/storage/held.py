"""Questions held for the reader: shown choices ("Did you mean…", "I think you're asking…"),
they wait here until the reader opens an offered answer (settled), asks for the doctor, or
lets the grace period pass — then they join the doctor's queue by themselves, with the choices
the reader did not take. Kept in SQLite like the outbox: a restart loses none of them."""

from __future__ import annotations

import time

from bot.storage.db import Database
from bot.storage.queue import enqueue

HELD_KIND = "held"  # the queue kind of a question that waited out its grace period


class HeldQuestions(Database):
    """Held questions are written with their question (`Readers.log_question(hold=…)`)."""

    async def settle_held(self, question_id: int, chat_id: int) -> bool:
        """The reader opened an offered answer: the question needs nobody else."""
        changed = await self._write(
            "settle the held question",
            "DELETE FROM held WHERE question_id = ? AND chat_id = ?",
            (question_id, chat_id),
        )
        return changed > 0

    async def next_held_due(self) -> float | None:
        rows = await self._read("the held questions", "SELECT MIN(due) FROM held")
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    async def release_held(self, *, at: float | None = None, chat_id: int | None = None) -> int:
        """Queue held questions for the doctor, with their choices, in one transaction: those
        due by `at` (default: now), or every one of `chat_id` (the console chat ending).
        Returns how many were queued."""
        if chat_id is not None:
            where, params = "h.chat_id = ?", (chat_id,)
        else:
            where, params = "h.due <= ?", (time.time() if at is None else at,)
        queued = 0
        async with self._transaction("queue the held questions", immediate=True) as db:
            # a held question whose question row is gone (retention by another connection)
            # would stay due for ever and keep the sweeper awake: it goes
            await db.execute("DELETE FROM held WHERE question_id NOT IN (SELECT id FROM questions)")
            async with db.execute(
                "SELECT h.question_id, h.chat_id, h.choices, q.text, q.context FROM held h"
                f" JOIN questions q ON q.id = h.question_id WHERE {where}"
                " ORDER BY h.due, h.question_id",
                params,
            ) as cur:
                rows = list(await cur.fetchall())
            for row in rows:
                await enqueue(
                    db,
                    int(row["question_id"]),
                    int(row["chat_id"]),
                    str(row["text"]),
                    HELD_KIND,
                    choices=str(row["choices"]) or None,
                    context=row["context"],
                )
                await db.execute("DELETE FROM held WHERE question_id = ?", (row["question_id"],))
                queued += 1
        return queued
