"""The conversation's small memory and inline mode's counts.

- `conversations`: per chat, the last question answered and its entry, with the time; a short
  follow-up within bot.yaml's `followup_window` is read in its context (bot/understanding/followup.py). One
  row per chat, replaced on every answer; /forget deletes it; retention drops rows older than
  a day (the window is minutes).
- `counters`: per UTC hour, how many inline queries came and how many cards were sent from
  them (/stats). Inline mode stores nothing else: no user id, no words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.storage.db import Database
from bot.storage.errors import now, storable

CONVERSATION_KEPT = dt.timedelta(days=1)  # retention of a chat's last question (see module)
INLINE_QUERY = "inline_query"  # counter names
INLINE_CHOSEN = "inline_chosen"


@dataclass(frozen=True, slots=True)
class LastAnswer:
    """What a chat was last answered: the question (the reader's words, or the entry's
    question when they opened it from a list) and the entry, at `at` (ISO, UTC)."""

    question: str
    entry_id: str
    at: str

    def age(self, at: dt.datetime | None = None) -> dt.timedelta:
        try:
            then = dt.datetime.fromisoformat(self.at)
        except ValueError:
            return dt.timedelta.max
        return (at or dt.datetime.now(dt.UTC)) - then


def _hour(at: dt.datetime | None = None) -> str:
    return (at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H")


class Conversation(Database):
    async def remember_answer(self, chat_id: int, question: str, entry_id: str) -> None:
        await self._write(
            "remember the last answer",
            "INSERT INTO conversations (chat_id, question, entry_id, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET question = excluded.question,"
            " entry_id = excluded.entry_id, at = excluded.at",
            (chat_id, storable(question), entry_id, now()),
        )

    async def last_answer(self, chat_id: int) -> LastAnswer | None:
        rows = await self._read(
            "the last answer",
            "SELECT question, entry_id, at FROM conversations WHERE chat_id = ?",
            (chat_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return LastAnswer(str(row["question"]), str(row["entry_id"]), str(row["at"]))

    async def count(self, name: str, at: dt.datetime | None = None) -> None:
        """One more of `name` this hour (inline queries, cards sent from inline mode)."""
        await self._write(
            "count the inline query",
            "INSERT INTO counters (hour, name, n) VALUES (?, ?, 1)"
            " ON CONFLICT (hour, name) DO UPDATE SET n = n + 1",
            (_hour(at), name),
        )

    async def counted(self, name: str, since: str) -> int:
        """How many of `name` since an ISO time (to the hour)."""
        rows = await self._read(
            "the counters",
            "SELECT COALESCE(SUM(n), 0) FROM counters WHERE name = ? AND hour >= ?",
            (name, since[:13]),
        )
        return int(rows[0][0]) if rows else 0
