"""The doctor's queue: questions nobody could answer, 👎 feedback, what the doctor did with them,
and the delivery of her answers (owed, being sent, sent, undeliverable)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.models import QueueItem
from bot.storage.db import Database
from bot.storage.errors import now, storable
from bot.understanding.text import normalise

QUEUED_OUTCOMES = frozenset({"unmatched", "urgent"})
_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(QueueItem))
_ITEM_COLUMNS = ", ".join(_ITEM_FIELDS)


class Delivery:
    """queue.delivered: what the reader is owed. NULL: nothing (pending, dismissed quietly, or
    the answer reaches them through another item of theirs)."""

    OWED = 0
    SENT = 1
    UNDELIVERABLE = 2  # Telegram refused it for good (the reader blocked the bot): not retried
    SENDING = -1  # claimed by a sender; released at the bot's next start if it crashed


def item(row: sqlite3.Row) -> QueueItem:
    """A queue row as a QueueItem, field by column name."""
    return QueueItem(**{name: row[name] for name in _ITEM_FIELDS})


async def enqueue(
    db: aiosqlite.Connection,
    question_id: int,
    chat_id: int,
    text: str,
    kind: str,
    *,
    choices: str | None = None,
    part: str | None = None,
    context: str | None = None,
) -> bool:
    """Queue a question (inside the caller's transaction); a reader repeating a pending
    question keeps one queue item (a repeat that is urgent makes it urgent). `choices`: what
    the reader was offered; `part`: what of `text` no entry answered (see QueueItem);
    `context`: the question a follow-up came after (the doctor sees both)."""
    await db.execute(
        "INSERT INTO queue (question_id, chat_id, text, norm, kind, created_at, choices, part,"
        " context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (chat_id, norm) WHERE status = 'pending' DO UPDATE SET"
        " kind = CASE WHEN excluded.kind = 'urgent' THEN 'urgent' ELSE queue.kind END,"
        " choices = COALESCE(queue.choices, excluded.choices),"
        " part = COALESCE(queue.part, excluded.part),"
        " context = COALESCE(excluded.context, queue.context)",
        (
            question_id,
            chat_id,
            text,
            normalise(text)[:2000],
            kind,
            now(),
            choices,
            part,
            storable(context) if context else None,
        ),
    )
    return True


class Queue(Database):
    async def feedback(self, chat_id: int, entry_id: str, fallback_text: str) -> bool:
        """A 👎 on an entry: the reader's latest question answered with it (or, when they got
        there by browsing, the entry's own question) joins the queue as `feedback`."""
        async with self._transaction("save the feedback") as db:
            async with db.execute(
                "SELECT id, text FROM questions WHERE chat_id = ? AND entry_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (chat_id, entry_id),
            ) as cur:
                row = await cur.fetchone()
            question_id, text = (int(row["id"]), str(row["text"])) if row else (None, fallback_text)
            await db.execute(
                "INSERT INTO queue (question_id, chat_id, text, norm, kind, created_at,"
                " entry_id) VALUES (?, ?, ?, ?, 'feedback', ?, ?)"
                " ON CONFLICT (chat_id, norm) WHERE status = 'pending' DO NOTHING",
                (question_id, chat_id, storable(text), normalise(text)[:2000], now(), entry_id),
            )
        return True

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
        async with self._transaction("update the queue", immediate=True) as db:
            for item_id in item_ids:
                async with db.execute(
                    "SELECT chat_id, COALESCE(part, text) AS text FROM queue"
                    " WHERE id = ? AND status = 'pending'",
                    (item_id,),
                ) as cur:
                    row = await cur.fetchone()
                if row is None:
                    continue
                chat_id, text = int(row["chat_id"]), str(row["text"])
                delivered = None
                if (status == "answered" or notify) and chat_id not in owed:
                    owed.add(chat_id)
                    delivered = Delivery.OWED
                await db.execute(
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
                    await db.execute(
                        "INSERT INTO alternates (chat_id, entry_id, text, created_at, source)"
                        " VALUES (?, ?, ?, ?, 'link')",
                        (chat_id, entry_id, text, at),
                    )
                closed.append(item_id)
        items = [await self.queue_item(i) for i in closed]
        return [i for i in items if i is not None]

    # --- delivery of the doctor's answers ---------------------------------------------------

    async def claim_delivery(self, item_id: int) -> bool:
        """Take an owed delivery (the bot's outbox and `expertbot queue answer` may both try):
        True for exactly one caller, who then calls `finish_delivery`."""
        changed = await self._write(
            "claim the delivery",
            "UPDATE queue SET delivered = ? WHERE id = ? AND delivered = ?",
            (Delivery.SENDING, item_id, Delivery.OWED),
        )
        return changed == 1

    async def finish_delivery(self, item_id: int, state: int) -> None:
        await self._write(
            "record the delivery",
            "UPDATE queue SET delivered = ? WHERE id = ? AND delivered IS NOT NULL",
            (state, item_id),
        )

    async def release_deliveries(self) -> int:
        """At the bot's start: deliveries a crash interrupted mid-send are owed again (the
        reader may get that one answer twice; never none)."""
        return await self._write(
            "release the interrupted deliveries",
            "UPDATE queue SET delivered = ? WHERE delivered = ?",
            (Delivery.OWED, Delivery.SENDING),
        )

    # --- posting to the review chat -----------------------------------------------------------

    async def unposted(self, limit: int = 200) -> list[QueueItem]:
        """Pending items not yet shown in the review chat, urgent first, then oldest."""
        return await self._items(
            "WHERE status = 'pending' AND posted_at IS NULL"
            " ORDER BY kind = 'urgent' DESC, created_at, id LIMIT ?",
            (limit,),
        )

    async def mark_posted(self, item_ids: Sequence[int]) -> None:
        async with self._transaction("record the posted questions") as db:
            at = now()
            await db.executemany(
                "UPDATE queue SET posted_at = ? WHERE id = ? AND posted_at IS NULL",
                [(at, i) for i in item_ids],
            )

    # --- reads --------------------------------------------------------------------------------

    async def queue(self, status: str | None = "pending", limit: int = 1000) -> list[QueueItem]:
        where = ""
        params: list[Any] = []
        if status:
            where = "WHERE status = ?"
            params.append(status)
        params.append(limit)
        return await self._items(
            f"{where} ORDER BY kind = 'urgent' DESC, created_at, id LIMIT ?", params
        )

    async def queue_item(self, item_id: int) -> QueueItem | None:
        items = await self._items("WHERE id = ?", (item_id,))
        return items[0] if items else None

    async def answered(self) -> list[QueueItem]:
        """Every answered item, oldest answer first (the export reads these)."""
        return await self._items("WHERE status = 'answered' ORDER BY answered_at, id")

    async def undelivered(self) -> list[QueueItem]:
        """Answered items whose reader has not received the answer yet."""
        return await self._items("WHERE delivered = 0 ORDER BY answered_at, id")

    async def _items(self, clauses: str, params: Sequence[Any] = ()) -> list[QueueItem]:
        rows = await self._read("the queue", f"SELECT {_ITEM_COLUMNS} FROM queue {clauses}", params)
        return [item(row) for row in rows]
