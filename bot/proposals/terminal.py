"""What an admin sees in the terminal for `expertbot kb proposals|accept|reject`, as plain text
lines. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from bot.proposals.listing import Accepted, Proposal

SOURCES = {
    "tap": "from taps",
    "link": "from the doctor's link",
    "answer": "from the doctor's answer",
}


def headline(p: Proposal) -> str:
    """'#3 alternate for how-long-botox-lasts (asked 4×, from taps): <text>'."""
    what = f"alternate for {p.entry_id}" if p.kind == "alternate" else f"new entry {p.entry_id}"
    state = "" if p.state == "pending" else f", {p.state}"
    return f"#{p.id} {what} (asked {p.count}×, {SOURCES.get(p.source, p.source)}{state}): {p.text}"


def proposal_lines(proposals: Sequence[Proposal], state: str | None) -> list[str]:
    if not proposals:
        return [f"No {state or ''} proposals.".replace("  ", " ")]
    lines: list[str] = []
    for p in proposals:
        lines.append(headline(p))
        if p.kind == "alternate" and p.question:
            lines.append(f"    its question: {p.question}")
        if p.kind == "entry":
            lines += [f"    also asked as: {a}" for a in p.alternates]
            answer = " ".join(p.answer.split())
            lines.append(f"    answer: {answer if len(answer) <= 160 else answer[:157] + '...'}")
    if state == "pending":
        lines.append(
            "Accept with: expertbot kb accept ID… (a new entry also needs --topic NAME);"
            " reject with: expertbot kb reject ID…"
        )
    return lines


def accepted_lines(result: Accepted) -> list[str]:
    lines = []
    for p in result.written:
        where = f"to {p.entry_id}" if p.kind == "alternate" else f"as draft entry {p.entry_id}"
        lines.append(f"Added #{p.id} {where} in {p.file}: {p.text}")
    if result.files:
        lines.append(
            f"Changed {', '.join(result.files)}: review with `git diff`, then commit. A running"
            " bot serves it within seconds (live reload)."
        )
    if any(p.kind == "entry" for p in result.written):
        lines.append(
            "A new entry is a draft: add `link` and `reviewed`, delete `draft: true`, and"
            " run `expertbot kb check --strict` to serve it."
        )
    return lines


def refused_lines(result: Accepted) -> list[str]:
    return [f"#{i} not accepted: {reason}" for i, reason in result.refused]


def rejected_lines(ids: Sequence[int], rejected: Sequence[Proposal]) -> list[str]:
    done = {p.id for p in rejected}
    lines = [f"Rejected #{p.id}: {p.text}" for p in rejected]
    lines += [f"#{i} not rejected: not a pending proposal" for i in ids if i not in done]
    return lines
