"""Knowledge proposals: the phrasings readers and the doctor left that could join the knowledge.

They are never copied out of the readers' own rows: a proposed alternate stands for the rows of
`alternates` (a reader's tap on a suggested question, or the doctor's "It's entry…" link) with
the same entry and the same normalised text; a proposed new entry for the queue items the doctor
answered in her own words, grouped as she answered them (`answer_group`) and then by the
normalised text of the group's first question. The `proposals` table only gives each such
phrasing a stable number and remembers the decision on it. `sync` (run by every read here, by
/forget and by retention) adds a row for a new phrasing, refreshes the shown text, and deletes
the row of a phrasing no reader row stands for any more, unless it was accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosqlite

from bot.storage.db import Database
from bot.storage.errors import now, storable
from bot.understanding.reading import read
from bot.understanding.text import clean, normalise

KINDS = ("alternate", "entry")
STATES = ("pending", "accepted", "rejected")
Key = tuple[str, str, str]  # kind, target ('' for a new entry), normalised text


@dataclass(frozen=True, slots=True)
class Source:
    """One reader row a proposal stands for."""

    chat_id: int
    text: str
    source: str  # 'tap' | 'link' | 'answer'
    created_at: str
    answer: str = ""  # 'answer': the doctor's answer
    queue_id: int = 0  # 'answer': the queue item


@dataclass(slots=True)
class StoredProposal:
    id: int
    kind: str
    target: str
    norm: str
    text: str
    state: str
    created_at: str
    decided_at: str | None
    decided_by: str | None
    entry_id: str | None
    file: str | None
    sources: list[Source] = field(default_factory=list)


PHRASING_CHARS = 200  # an alternate is a question, not a letter
PHRASING_WORDS = 6  # question sentences this short lean on the story ("Should I stop?")


def phrasing(text: str) -> str:
    """A reader's words as one line, without greeting, thanks or signature (bot/understanding/reading.py):
    an accepted proposal goes into files kept in git, and a reader's name must not. A long
    message is cut to its title and question sentences when they say enough on their own;
    an admin still sees, and may reject, every proposal."""
    reading = read(text)
    line = _one_line(reading.text)
    if normalise(line) == normalise(text):
        line = _one_line(text)  # nothing left out: the reader's own punctuation
    if len(line) > PHRASING_CHARS:
        asks = [_one_line(q) for q in reading.questions]
        focus = " ".join(asks)
        if len(focus.split()) >= PHRASING_WORDS:
            if len(focus) > PHRASING_CHARS:
                focus = next((q for q in asks if len(q.split()) >= PHRASING_WORDS), focus)
            line = focus
    return line


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())


async def _sources(db: aiosqlite.Connection) -> dict[Key, list[Source]]:
    """Every reader row that proposes something, grouped by proposal key, oldest first."""
    groups: dict[Key, list[Source]] = {}
    async with db.execute(
        "SELECT chat_id, entry_id, text, source, created_at FROM alternates ORDER BY created_at, id"
    ) as cur:
        for row in await cur.fetchall():
            norm = normalise(phrasing(row["text"]))[:2000]
            if norm:
                key = ("alternate", str(row["entry_id"]), norm)
                groups.setdefault(key, []).append(
                    Source(
                        int(row["chat_id"]),
                        str(row["text"]),
                        str(row["source"]),
                        str(row["created_at"]),
                    )
                )
    async with db.execute(
        # (of a message answered in part, what she answered is the part: see queue.part)
        "SELECT id, chat_id, COALESCE(part, text) AS text, answer, answered_at,"
        " COALESCE(answer_group, id) AS grp"
        " FROM queue WHERE status = 'answered' AND answered_via = 'text'"
        " AND answer IS NOT NULL ORDER BY grp, id"
    ) as cur:
        rows = list(await cur.fetchall())
    by_group: dict[int, list[aiosqlite.Row]] = {}
    for row in rows:
        by_group.setdefault(int(row["grp"]), []).append(row)
    for grp, items in by_group.items():
        # the item she acted on leads (when its reader is still here), then the others
        items.sort(key=lambda r: (int(r["id"]) != grp, int(r["id"])))
        norm = normalise(phrasing(items[0]["text"]))[:2000]
        if not norm:
            continue
        key = ("entry", "", norm)
        groups.setdefault(key, []).extend(
            Source(
                int(r["chat_id"]),
                str(r["text"]),
                "answer",
                str(r["answered_at"]),
                answer=str(r["answer"]),
                queue_id=int(r["id"]),
            )
            for r in items
        )
    return groups


async def sync(db: aiosqlite.Connection) -> dict[Key, list[Source]]:
    """Inside the caller's transaction: a row for every proposed phrasing, the shown text of a
    pending one refreshed (its first reader may have left), and the rows no reader row stands
    for deleted unless accepted. Returns the sources per key."""
    groups = await _sources(db)
    async with db.execute("SELECT id, kind, target, norm, state, text FROM proposals") as cur:
        rows = {(r["kind"], r["target"], r["norm"]): r for r in await cur.fetchall()}
    at = now()
    for key, sources in groups.items():
        text = storable(phrasing(sources[0].text))
        row = rows.get(key)
        if row is None:
            await db.execute(
                "INSERT INTO proposals (kind, target, norm, text, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (*key, text, at),
            )
        elif row["state"] != "accepted" and row["text"] != text:
            await db.execute("UPDATE proposals SET text = ? WHERE id = ?", (text, row["id"]))
    gone = [r["id"] for k, r in rows.items() if k not in groups and r["state"] != "accepted"]
    await db.executemany("DELETE FROM proposals WHERE id = ?", [(i,) for i in gone])
    return groups


class Proposals(Database):
    async def proposals(
        self, state: str | None = "pending", ids: Sequence[int] | None = None
    ) -> list[StoredProposal]:
        """The proposals (in one state, or all), oldest first, with the rows they stand for;
        `ids` picks some."""
        async with self._transaction("read the proposals", immediate=True) as db:
            groups = await sync(db)
            async with db.execute("SELECT * FROM proposals ORDER BY id") as cur:
                rows = list(await cur.fetchall())
        wanted = set(ids) if ids is not None else None
        result = []
        for row in rows:
            if state is not None and row["state"] != state:
                continue
            if wanted is not None and row["id"] not in wanted:
                continue
            key = (row["kind"], row["target"], row["norm"])
            result.append(
                StoredProposal(
                    id=int(row["id"]),
                    kind=str(row["kind"]),
                    target=str(row["target"]),
                    norm=str(row["norm"]),
                    text=str(row["text"]),
                    state=str(row["state"]),
                    created_at=str(row["created_at"]),
                    decided_at=row["decided_at"],
                    decided_by=row["decided_by"],
                    entry_id=row["entry_id"],
                    file=row["file"],
                    sources=groups.get(key, []),
                )
            )
        return result

    async def decide_proposals(
        self,
        decisions: Sequence[tuple[int, str | None, str | None]],
        state: str,
        by: str,
    ) -> list[int]:
        """Mark pending proposals `accepted` or `rejected`: (id, entry id, file) each, the entry
        id and file being where an accepted one was written. Returns the ids changed."""
        if state not in ("accepted", "rejected"):
            raise ValueError(state)
        changed = []
        at = now()
        async with self._transaction("record the decision on the proposals") as db:
            for proposal_id, entry_id, file in decisions:
                async with db.execute(
                    "UPDATE proposals SET state = ?, decided_at = ?, decided_by = ?,"
                    " entry_id = COALESCE(?, entry_id), file = COALESCE(?, file)"
                    " WHERE id = ? AND state = 'pending'",
                    (state, at, storable(by), entry_id, file, proposal_id),
                ) as cur:
                    if cur.rowcount:
                        changed.append(proposal_id)
        return changed
