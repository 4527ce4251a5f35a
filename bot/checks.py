"""`expertbot kb check`: loading errors plus the warnings that need the matcher and renderer."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz

from bot import replies
from bot.kbfiles import Problem
from bot.knowledge import Knowledge, load_knowledge
from bot.models import Outcome
from bot.render import telegram_html
from bot.snapshot import Snapshot
from bot.text import normalise

NEAR_DUPLICATE = 90  # token_set_ratio of two entries' questions


def check(root: Path | str) -> tuple[Knowledge | None, list[Problem]]:
    knowledge, problems = load_knowledge(root)
    if knowledge is None:
        return None, problems
    return knowledge, problems + _warnings(knowledge)


def _warnings(knowledge: Knowledge) -> list[Problem]:
    problems: list[Problem] = []
    # examples are guarantees about the default (lexical) matcher, which every install has
    snapshot = Snapshot.build(knowledge, meaning=False)
    entries = list(knowledge.entries.values())
    for a, b in combinations(entries, 2):
        if fuzz.token_set_ratio(normalise(a.question), normalise(b.question)) >= NEAR_DUPLICATE:
            file, line = knowledge.where(b.id, "question")
            problems.append(
                Problem(file, line, "warning", f"question of '{b.id}' nearly duplicates '{a.id}'")
            )
    for entry in entries:
        for i, example in enumerate(entry.examples):
            decision, _ = snapshot.decide(example)
            if (
                decision.outcome is not Outcome.ANSWER
                or decision.entry is None
                or decision.entry.id != entry.id
            ):
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
        if len(telegram_html(replies.entry_card(knowledge, entry))) > 1:
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
