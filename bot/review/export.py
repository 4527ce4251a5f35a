"""`expertbot queue export`: draft entries from the doctor's own answers and the proposed
alternates for existing entries, as plain data (`export_data`) and as a YAML topic file to
complete and move into knowledge/topics/ (`render_export`). ReviewService.export_data and
ReviewService.export are the entry points.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from bot.knowledge import writing as kbwrite
from bot.models import Entry, QueueItem
from bot.storage import Store
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean, normalise


async def export_data(store: Store, snapshot: Snapshot | None) -> dict[str, Any]:
    """Draft entries from the doctor's own answers (one per answered group) and proposed
    alternates per existing entry, as plain data."""
    known: dict[str, Entry] = {}
    if snapshot is not None:
        known = {**snapshot.knowledge.drafts, **snapshot.knowledge.entries}
    taken = set(known)
    groups: dict[int, list[QueueItem]] = {}
    for item in await store.answered():
        if item.answered_via == "entry" or not item.answer:
            continue
        groups.setdefault(item.answer_group or item.id, []).append(item)
    drafts: list[dict[str, Any]] = []
    for lead_id, items in groups.items():
        items.sort(key=lambda i: (i.id != lead_id, i.id))
        # (of a message answered in part, she answered the part: see QueueItem.part)
        question = _question_text(items[0].part or items[0].text)
        seen = {normalise(question)}
        alternates = []
        for other in items[1:]:
            text = _question_text(other.part or other.text)
            if normalise(text) not in seen:
                seen.add(normalise(text))
                alternates.append(text)
        entry_id = kbwrite.unique_slug(question, taken)
        taken.add(entry_id)
        draft: dict[str, Any] = {"id": entry_id, "question": question}
        if alternates:
            draft["alternates"] = alternates
        draft["answer"] = items[0].answer
        drafts.append(
            {
                "entry": draft,
                "items": [i.id for i in items],
                "by": items[0].answered_by,
                "at": items[0].answered_at,
            }
        )
    proposed: dict[str, list[str]] = {}
    seen_per_entry: dict[str, set[str]] = {}
    for entry_id, text in await store.alternates():
        entry = known.get(entry_id)
        seen = seen_per_entry.setdefault(
            entry_id,
            {normalise(t) for t in ((entry.question, *entry.alternates) if entry else ())},
        )
        text = _question_text(text)
        if normalise(text) in seen:
            continue
        seen.add(normalise(text))
        proposed.setdefault(entry_id, []).append(text)
    return {"drafts": drafts, "alternates": proposed}


def render_export(data: dict[str, Any], now: dt.datetime | None = None) -> str:
    """A topic file of draft entries (no `link`, no `reviewed`: an admin adds them), then
    the proposed alternates per existing entry as a commented mapping to merge by hand, from
    export_data's data."""
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    lines = [
        f"# Exported by `expertbot queue export` at {stamp}.",
        "# Draft entries from the doctor's answers: add `link` (the source) and `reviewed`",
        "# (the day it was checked) to each, edit, then move them into a topic file.",
        yaml.safe_dump({"title": "Drafts from the doctor's answers"}, **_DUMP).rstrip(),
    ]
    if not data["drafts"]:
        lines.append("entries: []")
    else:
        lines.append("entries:")
    for draft in data["drafts"]:
        items = ", ".join(f"#{i}" for i in draft["items"])
        lines.append(
            f"  # queue {items}, answered by {_question_text(str(draft['by']))} at {draft['at']}"
        )
        body = _dump([draft["entry"]])
        lines += ["  " + line if line else line for line in body.splitlines()]
        lines.append("")
    if data["alternates"]:
        lines.append("# Proposed alternates for existing entries (entry id: phrasings to add")
        lines.append("# to its `alternates`), from readers' words:")
        lines += ["# " + line for line in _dump(data["alternates"]).splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


_DUMP: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "width": 100}


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=kbwrite.Dumper, **_DUMP)


def _question_text(text: str) -> str:
    """The reader's words as a question: invisible characters gone, whitespace collapsed."""
    return " ".join(clean(text).split())
