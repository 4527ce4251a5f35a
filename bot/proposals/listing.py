"""Proposals as an admin sees them: the values (`Proposal`, `Accepted`, the errors) and the
rules that decide what is listed. A stored proposal becomes a `Proposal` (its source, its
count of readers, a new entry's answer and alternates); a pending one is not listed when it
would change nothing (its words already are its entry's question or alternate, or the matcher
already answers them with that entry) or when its entry is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import writing as kbwrite
from bot.knowledge.loading import Knowledge
from bot.models import Entry, Outcome
from bot.storage import StoredProposal, phrasing
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import normalise

READ_ONLY = (
    "the knowledge folder is read-only here: run `expertbot kb accept` where the knowledge is kept"
)


class ProposalError(Exception):
    """A change that cannot be written at all (read-only folder, knowledge with errors, a
    check that fails); the message says why, for an admin."""


class ReadOnlyKnowledge(ProposalError):
    def __init__(self) -> None:
        super().__init__(READ_ONLY)


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposal as an admin sees it. `as_dict` is the stable JSON (design.md §4)."""

    id: int
    kind: str  # 'alternate' | 'entry'
    entry_id: str  # alternate: the entry it joins; entry: the id it gets (or got)
    text: str  # the reader's words (alternate), the new entry's question (entry)
    count: int  # how many readers it stands for
    source: str  # 'tap' | 'link' | 'answer' (a link wins over taps: the doctor chose it)
    state: str  # 'pending' | 'accepted' | 'rejected'
    question: str = ""  # alternate: the entry's question
    answer: str = ""  # entry: the doctor's answer
    alternates: tuple[str, ...] = ()  # entry: the other questions she answered with it
    file: str = ""  # alternate: the topic file of its entry; accepted: the file written

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "entry_id": self.entry_id,
            "text": self.text,
            "count": self.count,
            "source": self.source,
            "state": self.state,
        }


@dataclass(slots=True)
class Accepted:
    """What `accept` did: the proposals written (as they are now), the files changed (paths
    as `kb check` names them), and the ids refused with the reason each."""

    written: list[Proposal] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def all_entries(knowledge: Knowledge | None) -> dict[str, Entry]:
    if knowledge is None:
        return {}
    return {**knowledge.drafts, **knowledge.entries}


def shown(row: StoredProposal, knowledge: Knowledge | None, taken: set[str]) -> Proposal | None:
    """A stored proposal as an admin sees it; None for a pending one no reader row stands for."""
    sources = row.sources
    if not sources and row.state == "pending":
        return None
    count = len({s.chat_id for s in sources})
    entries = all_entries(knowledge)
    if row.kind == "alternate":
        kinds = {s.source for s in sources}
        source = "link" if "link" in kinds or not kinds else "tap"
        entry = entries.get(row.target)
        file = row.file or (knowledge.where(row.target)[0] if knowledge and entry else "")
        return Proposal(
            id=row.id,
            kind="alternate",
            entry_id=row.target,
            text=row.text,
            count=count,
            source=source,
            state=row.state,
            question=entry.question if entry else "",
            file=file,
        )
    seen = {row.norm}
    alternates = []
    for s in sources[1:]:
        text = phrasing(s.text)
        if normalise(text) not in seen and text:
            seen.add(normalise(text))
            alternates.append(text)
    answers = [s for s in sources if s.answer]
    answer = max(answers, key=lambda s: s.created_at).answer.strip() if answers else ""
    entry_id = row.entry_id or kbwrite.unique_slug(row.text, taken)
    return Proposal(
        id=row.id,
        kind="entry",
        entry_id=entry_id,
        text=row.text,
        count=count,
        source="answer",
        state=row.state,
        question=row.text,
        answer=answer,
        alternates=tuple(alternates),
        file=row.file or "",
    )


def duplicate(proposal: Proposal, knowledge: Knowledge) -> bool:
    """Its words already are a question or alternate: of its entry (an alternate), or of any
    entry or draft (a new entry)."""
    norm = normalise(proposal.text)
    entries = all_entries(knowledge)
    if proposal.kind == "alternate":
        entry = entries.get(proposal.entry_id)
        targets = [entry] if entry else []
    else:
        targets = list(entries.values())
    return any(norm in {normalise(t) for t in (e.question, *e.alternates)} for e in targets)


def redundant(proposal: Proposal, snapshot: Snapshot) -> bool:
    """A pending proposal that would change nothing, or whose entry is gone."""
    knowledge = snapshot.knowledge
    if duplicate(proposal, knowledge):
        return True
    if proposal.kind == "entry":
        return False
    if proposal.entry_id not in all_entries(knowledge):
        return True
    decision, _ = snapshot.decide(proposal.text)
    return (
        decision.outcome is Outcome.ANSWER
        and decision.entry is not None
        and decision.entry.id == proposal.entry_id
    )
