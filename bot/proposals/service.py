"""Knowledge proposals: what readers and the doctor taught the bot, for an admin to accept into
the knowledge files or reject. One place, used by the CLI (`expertbot kb proposals|accept|
reject`) and by the admins' Telegram cards; knows nothing of Telegram.

Where they come from (bot/storage/proposals.py): a reader's tap on a suggested question and the
doctor's "It's entry…" link propose the reader's words as an **alternate** of that entry; the
doctor's own answer to a queued question proposes a new **entry** (her answer, the question,
the other questions she answered with it as its alternates). The same normalised words make one
proposal, counted in readers ("asked 4×").

A pending proposal is not listed when it would change nothing: its words already are the
entry's question or one of its alternates (or, for a new entry, any entry's), or the matcher
already answers them with that entry; nor when its entry is gone from the knowledge.

Accepting writes the knowledge files in place, adding only lines (bot/knowledge/writing.py): an
alternate under its entry, a new entry at the end of the topic file picked for it, marked
`draft: true` (not served until an admin adds `link` and `reviewed` and deletes the mark). The
changed folder is loaded and checked in memory first, and the change refused, with the reason,
when it has errors or warnings it did not have before (bot/knowledge/change.py). What is listed,
and the values: bot/proposals/listing.py.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge import change as kbchange
from bot.knowledge import writing as kbwrite
from bot.knowledge.checks import check
from bot.knowledge.files import Problem, rel_path, topic_files
from bot.knowledge.loading import Knowledge
from bot.proposals.listing import (
    Accepted,
    Proposal,
    ProposalError,
    ReadOnlyKnowledge,
    all_entries,
    duplicate,
    redundant,
    shown,
)
from bot.storage import Store, StoredProposal
from bot.understanding.snapshot import Snapshot

SnapshotProvider = Callable[[], Snapshot | None]


@dataclass(slots=True)
class _Plan:
    proposal: Proposal
    path: Path
    entry: dict[str, Any] | None = None  # a new entry's fields


class ProposalService:
    def __init__(self, store: Store, snapshot_provider: SnapshotProvider = lambda: None) -> None:
        self.store = store
        self._snapshot = snapshot_provider

    # --- reading --------------------------------------------------------------------------------

    async def list(self, state: str | None = "pending") -> list[Proposal]:
        """The proposals in `state` (None: all), oldest first; pending ones that would change
        nothing are left out (see the module's docstring)."""
        snapshot = self._snapshot()
        stored = await self.store.proposals(state)
        return self._shown(stored, snapshot)

    async def get(self, proposal_id: int) -> Proposal | None:
        """One proposal, whatever its state (None when unknown or, pending, not shown)."""
        shown = await self._now([proposal_id])
        return shown[0] if shown else None

    def _shown(self, stored: Sequence[StoredProposal], snapshot: Snapshot | None) -> list[Proposal]:
        knowledge = snapshot.knowledge if snapshot is not None else None
        taken = set(all_entries(knowledge)) if knowledge else set()
        result = []
        for row in stored:
            proposal = shown(row, knowledge, taken)
            if proposal is None:
                continue
            if row.state == "pending" and snapshot is not None:
                if redundant(proposal, snapshot):
                    continue
                if proposal.kind == "entry":
                    taken.add(proposal.entry_id)
            result.append(proposal)
        return result

    @staticmethod
    def topics(knowledge_dir: Path) -> list[str]:
        """The topic files a new entry may go to, by name (the file name without .yaml)."""
        return [p.stem for p in topic_files(Path(knowledge_dir))]

    # --- deciding -------------------------------------------------------------------------------

    async def reject(self, ids: Sequence[int], by: str = "terminal") -> list[Proposal]:
        """Reject pending proposals (the same words proposed again stay rejected). Returns the
        ones this call rejected."""
        changed = await self.store.decide_proposals([(i, None, None) for i in ids], "rejected", by)
        return await self._now(changed)

    async def accept(
        self,
        ids: Sequence[int],
        knowledge_dir: Path | str,
        *,
        topic: str | None = None,
        by: str = "terminal",
    ) -> Accepted:
        """Write pending proposals into the knowledge files: each alternate into its entry's
        topic file, each new entry (as a draft) into `topic`. A proposal that cannot be written
        is refused with its reason and the others still go — also one whose change the knowledge
        check would not pass (a single proposal so refused raises ProposalError, as does a
        read-only folder: ReadOnlyKnowledge). The files are replaced atomically; the running bot's live reload
        serves them."""
        root = Path(knowledge_dir).resolve()
        result = Accepted()
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return result
        # the checks build a matcher (seconds with the meaning signal): off the event loop
        before, problems = await asyncio.to_thread(check, root)
        if before is None:
            raise ProposalError(
                f"the knowledge in {root} has errors; fix them first (expertbot kb check {root})"
            )
        stored = {p.id: p for p in await self.store.proposals(None, ids=wanted)}
        taken = set(all_entries(before))
        plans: list[_Plan] = []
        for proposal_id in wanted:
            reason, plan = _plan(stored.get(proposal_id), root, before, topic, taken)
            if plan is None:
                result.refused.append((proposal_id, reason))
            else:
                plans.append(plan)
        if not plans:
            return result
        texts = await asyncio.to_thread(_apply, plans, result)
        if not texts:
            return result
        for path in texts:
            _writable(path)
        after_problems = await asyncio.to_thread(_check_changed, root, texts, plans)
        new = kbchange.new_problems(problems, after_problems)
        if new and len(plans) == 1:
            raise ProposalError(f"not written: the change would give {kbchange.listed(new)}")
        if new:
            # one bad proposal must not hold back a week of good ones: each on its own, on top
            # of those kept so far (a check each: slower, but only when the batch fails)
            texts, plans = await self._one_by_one(root, problems, plans, result)
            if not texts:
                return result
        for path, text in texts.items():
            try:
                await asyncio.to_thread(kbwrite.write_atomically, path, text)
            except OSError as exc:
                if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise ReadOnlyKnowledge() from None
                raise ProposalError(f"cannot write {path}: {exc.strerror or exc}") from None
        result.files = [rel_path(path, root) for path in texts]
        refused = {i for i, _ in result.refused}
        decisions = [
            (p.proposal.id, p.proposal.entry_id, rel_path(p.path, root))
            for p in plans
            if p.proposal.id not in refused
        ]
        changed = await self.store.decide_proposals(decisions, "accepted", by)
        result.written = await self._now(changed)
        return result

    async def _one_by_one(
        self, root: Path, problems: list[Problem], plans: list[_Plan], result: Accepted
    ) -> tuple[dict[Path, str], list[_Plan]]:
        texts: dict[Path, str] = {}
        kept: list[_Plan] = []
        for plan in plans:
            trial = await asyncio.to_thread(_apply, [plan], result, dict(texts))
            if trial == texts:
                continue  # kbwrite refused it (recorded)
            after = await asyncio.to_thread(_check_changed, root, trial, [*kept, plan])
            new = kbchange.new_problems(problems, after)
            if new:
                result.refused.append(
                    (plan.proposal.id, f"the change would give {kbchange.listed(new)}")
                )
                continue
            texts, kept = trial, [*kept, plan]
        return texts, kept

    async def _now(self, ids: Sequence[int]) -> list[Proposal]:
        if not ids:
            return []
        stored = await self.store.proposals(None, ids=list(ids))
        return self._shown(stored, self._snapshot())


# --- helpers ------------------------------------------------------------------------------------


def _plan(
    row: StoredProposal | None,
    root: Path,
    knowledge: Knowledge,
    topic: str | None,
    taken: set[str],
) -> tuple[str, _Plan | None]:
    """Where and what to write for one proposal, or why not."""
    if row is None:
        return "no such proposal", None
    if row.state != "pending":
        return f"already {row.state}", None
    proposal = shown(row, knowledge, taken)
    if proposal is None:
        return "no reader's words stand for it any more", None
    if proposal.kind == "alternate":
        if knowledge.get(proposal.entry_id) is None:
            return f"entry '{proposal.entry_id}' is not in the knowledge any more", None
        if duplicate(proposal, knowledge):
            return f"already a question or alternate of '{proposal.entry_id}'", None
        file, _ = knowledge.where(proposal.entry_id)
        path = _topic_path(root, file)
        if path is None:
            return f"cannot find the file of '{proposal.entry_id}'", None
        return "", _Plan(proposal, path)
    if duplicate(proposal, knowledge):
        return "already a question or alternate in the knowledge", None
    names = [p.stem for p in topic_files(root)]
    if not topic:
        return f"a new entry needs a topic: --topic one of {', '.join(names)}", None
    path = next((p for p in topic_files(root) if topic in (p.stem, p.name)), None)
    if path is None:
        return f"no topic '{topic}': one of {', '.join(names)}", None
    taken.add(proposal.entry_id)
    entry: dict[str, Any] = {"id": proposal.entry_id, "question": proposal.text}
    if proposal.alternates:
        entry["alternates"] = list(proposal.alternates)
    # a multi-line answer ends with a line break: written `answer: |`, like the others
    entry["answer"] = proposal.answer + ("\n" if "\n" in proposal.answer else "")
    entry["draft"] = True
    return "", _Plan(proposal, path, entry)


def _topic_path(root: Path, rel: str) -> Path | None:
    return next((p for p in topic_files(root) if rel_path(p, root) == rel), None)


def _apply(
    plans: list[_Plan], result: Accepted, texts: dict[Path, str] | None = None
) -> dict[Path, str]:
    """The new text of every file the plans change (in memory, on top of `texts`); a plan
    kbwrite cannot carry out is refused."""
    texts = texts if texts is not None else {}
    for plan in plans:
        try:
            text = texts.get(plan.path) or plan.path.read_text(encoding="utf-8")
            if plan.entry is None:
                new = kbwrite.add_alternate(text, plan.proposal.entry_id, plan.proposal.text)
            else:
                new = kbwrite.append_entry(
                    text,
                    plan.entry,
                    comment=(
                        f"Draft from the doctor's answer (proposal #{plan.proposal.id}): add"
                        " `link` and `reviewed`, then delete `draft: true`."
                    ),
                )
        except (kbwrite.KbWriteError, OSError, UnicodeDecodeError) as exc:
            result.refused.append((plan.proposal.id, str(exc)))
            continue
        texts[plan.path] = new
    return texts


def _writable(path: Path) -> None:
    if not writable(path):
        raise ReadOnlyKnowledge()


def writable(path: Path) -> bool:
    """The file may be replaced: it and its folder are writable (a read-only mount says no)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _check_changed(root: Path, texts: dict[Path, str], plans: list[_Plan]) -> list[Problem]:
    """The knowledge checks with the changed files; also that each proposal landed where it
    was meant to."""
    knowledge, problems = kbchange.check_with(root, texts)
    if knowledge is None:
        return problems
    entries = all_entries(knowledge)
    for plan in plans:
        if plan.path not in texts:
            continue
        entry = entries.get(plan.proposal.entry_id)
        if entry is None or (plan.entry is None and plan.proposal.text not in entry.alternates):
            raise ProposalError(
                f"not written: proposal #{plan.proposal.id} did not land in its entry"
            )
    return problems
