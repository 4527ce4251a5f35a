"""`expertbot kb check`: loading errors plus the warnings that need the matcher and renderer."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz

from bot.conversation import replies
from bot.conversation.render import telegram_html
from bot.knowledge.loading import Knowledge, Problem, load_knowledge
from bot.models import Decision, Entry
from bot.understanding import semantic
from bot.understanding.safety import SafetyCheck
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import normalise

NEAR_DUPLICATE = 90  # token_set_ratio of two entries' questions


def check(root: Path | str) -> tuple[Knowledge | None, list[Problem]]:
    knowledge, problems = load_knowledge(root)
    if knowledge is None:
        return None, problems
    return knowledge, problems + _warnings(knowledge)


def _warnings(knowledge: Knowledge) -> list[Problem]:
    # examples are guarantees about the installed matcher (the meaning signal in the default
    # install): an example is answered with its entry, or is the one question the bot thinks
    # is meant ("I think you're asking"), one tap away
    snapshot = Snapshot.build(knowledge)
    problems: list[Problem] = _safety_warnings(knowledge, snapshot.safety.rules)
    entries = list(knowledge.entries.values())
    for a, b in combinations(entries, 2):
        if fuzz.token_set_ratio(normalise(a.question), normalise(b.question)) >= NEAR_DUPLICATE:
            file, line = knowledge.where(b.id, "question")
            problems.append(
                Problem(file, line, "warning", f"question of '{b.id}' nearly duplicates '{a.id}'")
            )
    # every example and near-miss decided with their meaning vectors encoded in one batch
    texts = list(dict.fromkeys(t for e in entries for t in (*e.examples, *e.near_misses)))
    decided = dict(zip(texts, (d for d, _ in snapshot.decide_all(texts)), strict=True))
    for entry in entries:
        for i, example in enumerate(entry.examples):
            decision = decided[example]
            likely = decision.suggestions[0].entry if decision.likely else None
            if (decision.entry or likely) != entry:
                got = decision.entry.id if decision.entry else decision.outcome.value
                file, line = knowledge.where(entry.id, f"examples.{i}")
                problems.append(
                    Problem(
                        file,
                        line,
                        "warning",
                        f"example of '{entry.id}' does not match it (got {got}): {example!r}",
                    )
                )
        problems += _near_miss_warnings(knowledge, decided, entry)
        if too_long(knowledge, entry):
            file, line = knowledge.where(entry.id, "answer")
            problems.append(
                Problem(
                    file,
                    line,
                    "warning",
                    f"answer of '{entry.id}' is too long for one Telegram message",
                )
            )
    return problems


def too_long(knowledge: Knowledge, entry: Entry) -> bool:
    """The entry's card does not fit one Telegram message (it would be split)."""
    return len(telegram_html(replies.entry_card(knowledge, entry))) > 1


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft waiting for review, as `kb check` lists it."""

    file: str
    line: int
    id: str
    too_long: bool
    has_link: bool

    def __str__(self) -> str:
        todo = [] if self.has_link else ["add its `link`"]
        if self.too_long:
            todo.append("shorten its answer: too long for one Telegram message")
        then = f"; {', '.join(todo)}" if todo else ""
        return (
            f"{self.file}:{self.line}: draft: '{self.id}' waits for review{then}"
            f" (then: expertbot kb publish {self.id})"
        )


def drafts(knowledge: Knowledge) -> list[Draft]:
    """Every draft (not served) with its file and line, in file order."""
    found = []
    for entry in knowledge.drafts.values():
        file, line = knowledge.where(entry.id)
        found.append(Draft(file, line, entry.id, too_long(knowledge, entry), bool(entry.link)))
    return sorted(found, key=lambda d: (d.file, d.line))


def _near_miss_warnings(
    knowledge: Knowledge, decided: dict[str, Decision], entry: Entry
) -> list[Problem]:
    """A near-miss is a question the entry does NOT answer (training data for the tuned meaning
    model): one that is the entry's own question or alternate contradicts it (a warning); one
    that the bot answers with the entry shows where the matcher still confuses the two (a note:
    a known weakness of the matcher, not a mistake in the file)."""
    problems: list[Problem] = []
    own = {normalise(t) for t in (entry.question, *entry.alternates)}
    for i, text in enumerate(entry.near_misses):
        file, line = knowledge.where(entry.id, f"near_misses.{i}")
        if normalise(text) in own:
            message = f"near-miss of '{entry.id}' is its own question or alternate: {text!r}"
            problems.append(Problem(file, line, "warning", message))
        elif decided[text].entry == entry:
            message = f"near-miss of '{entry.id}' is answered by it: {text!r}"
            problems.append(Problem(file, line, "note", message))
    return problems


def tuned_note(knowledge: Knowledge) -> str | None:
    """How many served entries the shipped tuned meaning model has not learned (new, or their
    question or alternates changed since `make train`); None when all are learned or no tuned
    model ships. Only a note: such entries are matched too, a little less well."""
    manifest = semantic.tuned_manifest()
    if manifest is None or not semantic.available():
        return None
    learned = manifest.get("entries", {})
    newer = [
        e.id
        for e in knowledge.entries.values()
        if learned.get(e.id) != semantic.entry_fingerprint(e)
    ]
    if not newer:
        return None
    return (
        f"note: {len(newer)} of {len(knowledge.entries)} served entries are new or changed since "
        f"the meaning model was tuned ({manifest.get('trained', '?')}); "
        "`make train` refreshes it (after adding many entries)"
    )


def _safety_warnings(knowledge: Knowledge, safety: SafetyCheck) -> list[Problem]:
    """safety.yaml's `examples` must raise their flag, its `not_urgent` messages none
    (`safety`: the snapshot's rules, built from the same red flags: compiled once)."""
    problems: list[Problem] = []
    for i, flag in enumerate(knowledge.red_flags):
        for j, text in enumerate(flag.examples):
            got = safety.red_flag(text)
            if got is None or got.id != flag.id:
                file, line = knowledge.safety_lines.get(f"red_flags.{i}.examples.{j}", ("?", 1))
                raised = f"raises '{got.id}' instead" if got else "raises no flag"
                problems.append(
                    Problem(
                        file,
                        line,
                        "warning",
                        f"example of red flag '{flag.id}' {raised}: {text!r}",
                    )
                )
        for j, text in enumerate(flag.not_urgent):
            got = safety.red_flag(text)
            if got is not None:
                file, line = knowledge.safety_lines.get(f"red_flags.{i}.not_urgent.{j}", ("?", 1))
                problems.append(
                    Problem(
                        file,
                        line,
                        "warning",
                        f"not_urgent message of red flag '{flag.id}' raises '{got.id}': {text!r}",
                    )
                )
    return problems
