"""What readers leave: their questions (logged, and queued when nobody could answer them),
votes, the phrasings they used for an entry (proposed alternates), and /forget."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage import proposals
from bot.storage.db import Database
from bot.storage.errors import now, storable
from bot.storage.queue import QUEUED_OUTCOMES, enqueue

# every table with a row per reader (chat_id): /forget empties them all (review_posts and
# review_prompts go with the queue rows they point to; `proposals` keeps no reader's row, only
# phrasings that other rows stand for, and /forget re-syncs it)
READER_TABLES = ("held", "queue", "votes", "alternates", "questions", "conversations")
PART_KIND = "part"  # the queue kind of a message answered in part: the rest is for the doctor


class Readers(Database):
    async def log_question(
        self,
        chat_id: int,
        text: str,
        outcome: str,
        entry_id: str | None,
        score: float,
        elapsed_ms: float,
        *,
        hold: tuple[Sequence[str], float] | None = None,
        open_parts: Sequence[str] = (),
        context: str | None = None,
    ) -> tuple[int, bool]:
        """Log one question, queueing it when nobody answered it, in one transaction.
        `hold` = (the choices offered, due): it waits for the reader (bot/storage/held.py);
        `open_parts`: the parts no entry answered; the whole message is queued with them
        marked; `context`: the question a follow-up came after, shown to the doctor with it.
        Returns (id, queued)."""
        text = storable(text)
        context = storable(context) if context else None
        async with self._transaction("save the question") as db:
            async with db.execute(
                "INSERT INTO questions (chat_id, text, outcome, entry_id, score, elapsed_ms,"
                " created_at, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, text, outcome, entry_id, score, round(elapsed_ms, 3), now(), context),
            ) as cur:
                question_id = int(cur.lastrowid or 0)
            queued = False
            if outcome in QUEUED_OUTCOMES:
                queued = await enqueue(db, question_id, chat_id, text, outcome, context=context)
            elif open_parts:
                part = "\n".join(" ".join(p.split()) for p in open_parts)
                queued = await enqueue(
                    db, question_id, chat_id, text, PART_KIND, part=part, context=context
                )
            if hold is not None:
                choices, due = hold
                await db.execute(
                    "INSERT INTO held (question_id, chat_id, choices, due) VALUES (?, ?, ?, ?)",
                    (question_id, chat_id, "\n".join(" ".join(c.split()) for c in choices), due),
                )
        return question_id, queued

    async def question_text(self, question_id: int, chat_id: int) -> str | None:
        rows = await self._read(
            "the question",
            "SELECT text FROM questions WHERE id = ? AND chat_id = ?",
            (question_id, chat_id),
        )
        return rows[0]["text"] if rows else None

    async def queue_question(self, question_id: int, chat_id: int, kind: str = "asked") -> bool:
        """Queue an already logged question (the reader chose 'ask the doctor'), with the
        choices it was shown when it was held and the question it followed, if any; it is held
        no more."""
        rows = await self._read(
            "the question",
            "SELECT text, context FROM questions WHERE id = ? AND chat_id = ?",
            (question_id, chat_id),
        )
        if not rows:
            return False
        text, context = str(rows[0]["text"]), rows[0]["context"]
        async with self._transaction("queue the question", immediate=True) as db:
            async with db.execute(
                "SELECT choices FROM held WHERE question_id = ? AND chat_id = ?",
                (question_id, chat_id),
            ) as cur:
                row = await cur.fetchone()
            choices = str(row["choices"]) or None if row is not None else None
            await enqueue(db, question_id, chat_id, text, kind, choices=choices, context=context)
            await db.execute("DELETE FROM held WHERE question_id = ?", (question_id,))
        return True

    async def add_alternate(self, chat_id: int, entry_id: str, text: str) -> None:
        await self._write(
            "save the proposed alternate",
            "INSERT INTO alternates (chat_id, entry_id, text, created_at) VALUES (?, ?, ?, ?)",
            (chat_id, entry_id, storable(text), now()),
        )

    async def alternates(self) -> list[tuple[str, str]]:
        """Proposed alternate phrasings: (entry id, text), oldest first."""
        rows = await self._read(
            "the proposed alternates",
            "SELECT entry_id, text FROM alternates ORDER BY created_at, id",
        )
        return [(str(row["entry_id"]), str(row["text"])) for row in rows]

    async def vote(self, chat_id: int, entry_id: str, value: int) -> None:
        """One vote per reader per entry; a new tap replaces the old one."""
        await self._write(
            "save the vote",
            "INSERT INTO votes (chat_id, entry_id, value, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (chat_id, entry_id) DO UPDATE SET value = excluded.value,"
            " created_at = excluded.created_at",
            (chat_id, entry_id, 1 if value > 0 else -1, now()),
        )

    async def forget(self, chat_id: int) -> int:
        """Delete every row about this reader. Returns how many rows went."""
        total = 0
        async with self._transaction("delete the data") as db:
            for table in READER_TABLES:
                async with db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (chat_id,)) as cur:
                    total += cur.rowcount
            await proposals.sync(db)  # a phrasing only they proposed goes too (unless accepted)
        return total
