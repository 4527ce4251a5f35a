"""`expertbot eval`: how often the bot is right on a set of cases (design.md §4). Writes nothing.

A case with `previous` (and `previous_expect`, the entry that answered it) is a follow-up: it
is read in the context of that answer (bot/understanding/followup.py), as the bot reads it in a chat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge.yamlfile import YamlProblem, load_yaml
from bot.models import Decision, Outcome
from bot.understanding import followup
from bot.understanding.snapshot import Snapshot

# outcomes that bring a question to the doctor without the reader tapping anything
_TO_DOCTOR = frozenset({Outcome.UNMATCHED, Outcome.URGENT, Outcome.SUGGEST})


class CasesError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expect: str | None  # an entry id, or None: not covered
    outcome: Outcome | None = None  # urgent / smalltalk expected instead
    acceptable: frozenset[str] = frozenset()  # other entries whose answer also serves
    style: str | None = None  # free text: long / short / title_body …
    previous: str | None = None  # a follow-up's: the message answered just before…
    previous_expect: str | None = None  # …with this entry (bot/understanding/followup.py)


@dataclass(slots=True)
class Failure:
    text: str
    expect: str | None
    outcome: str
    entry_id: str | None
    kind: str


@dataclass(slots=True)
class StyleCounts:
    covered: int = 0
    right: int = 0
    assisted: int = 0
    wrong: int = 0
    false_answers: int = 0
    uncovered: int = 0


@dataclass(slots=True)
class Report:
    cases: int = 0
    covered: int = 0
    uncovered: int = 0
    right: int = 0
    assisted: int = 0
    wrong: int = 0
    missed: int = 0
    false_answers: int = 0
    right_rate: float = 0.0
    assisted_rate: float = 0.0
    wrong_rate: float = 0.0
    missed_rate: float = 0.0
    false_answer_rate: float = 0.0
    one_tap: float = 0.0  # right, or the expected entry first among the suggestions
    by_style: dict[str, StyleCounts] = field(default_factory=dict)
    urgent_expected: int = 0
    urgent_caught: int = 0
    urgent_false: int = 0
    # uncovered cases shown a list or "I think you're asking" (noise for those readers), and
    # uncovered cases that reach the doctor with no tap: unmatched or urgent (queued at once),
    # or shown choices (held, then queued after the grace period); not a false answer
    choices_uncovered: int = 0
    reaches_doctor: int = 0
    choices_uncovered_rate: float = 0.0
    reaches_doctor_rate: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_cases(path: Path, snapshot: Snapshot) -> list[Case]:
    if not path.is_file():
        why = "not a file" if path.exists() else "no such file"
        raise CasesError(f"{path}: cannot read: {why}")
    try:
        data = load_yaml(path)
    except YamlProblem as exc:  # one line with the line number, not PyYAML's multi-line text
        raise CasesError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(data, list):
        raise CasesError(f"{path}: must be a YAML list of {{text, expect}} cases")
    knowledge = snapshot.knowledge
    by_link = {e.link: e.id for e in knowledge.entries.values()}

    def entry_id(value: object, i: int) -> str:
        ref = str(value)
        if ref.startswith("http"):
            if ref not in by_link:
                raise CasesError(f"{path}: case {i}: no entry has the link {ref}")
            return by_link[ref]
        if ref not in knowledge.entries:
            raise CasesError(f"{path}: case {i}: unknown entry id '{ref}'")
        return ref

    cases = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "text" not in item or "expect" not in item:
            raise CasesError(f"{path}: case {i} needs 'text' and 'expect'")
        expect = None if item["expect"] is None else entry_id(item["expect"], i)
        outcome = item.get("outcome")
        if outcome is not None and outcome not in ("urgent", "smalltalk"):
            raise CasesError(f"{path}: case {i}: outcome must be urgent or smalltalk")
        acceptable = item.get("acceptable") or []
        if not isinstance(acceptable, list):
            raise CasesError(f"{path}: case {i}: 'acceptable' must be a list of entry ids or links")
        style = item.get("style")
        previous = item.get("previous")
        previous_expect = item.get("previous_expect")
        if previous is not None and previous_expect is None:
            raise CasesError(f"{path}: case {i}: 'previous' needs 'previous_expect' (an entry)")
        cases.append(
            Case(
                str(item["text"]),
                expect,
                Outcome(outcome) if outcome else None,
                frozenset(entry_id(a, i) for a in acceptable),
                None if style is None else str(style),
                None if previous is None else str(previous),
                None if previous_expect is None else entry_id(previous_expect, i),
            )
        )
    return cases


def evaluate(
    snapshot: Snapshot, cases: list[Case], decide: Callable[[str], Decision] | None = None
) -> Report:
    """`decide` defaults to the snapshot's own (safety, small talk, matcher); calibration
    scripts pass another to compare settings on the same cases."""
    if decide is None:  # the snapshot's own, every case's vectors encoded in one batch
        texts = list(dict.fromkeys(c.text for c in cases if c.previous is None))
        decided = dict(zip(texts, (d for d, _ in snapshot.decide_all(texts)), strict=True))
        decide = decided.__getitem__
    report = Report(cases=len(cases))
    one_tap = 0
    for case in cases:
        decision = decide(case.text) if case.previous is None else in_context(snapshot, case)
        entry_id = decision.entry.id if decision.entry else None
        answered = decision.outcome is Outcome.ANSWER
        style = report.by_style.setdefault(case.style or "-", StyleCounts())
        if case.outcome is Outcome.URGENT:
            report.urgent_expected += 1
            report.urgent_caught += decision.outcome is Outcome.URGENT
        elif decision.outcome is Outcome.URGENT:
            report.urgent_false += 1
        kind = None
        if case.outcome is not None or case.expect is None:
            report.uncovered += 1
            style.uncovered += 1
            report.choices_uncovered += decision.outcome is Outcome.SUGGEST
            report.reaches_doctor += decision.outcome in _TO_DOCTOR
            if answered and entry_id not in case.acceptable:
                report.false_answers += 1
                style.false_answers += 1
                kind = "false_answer"
            elif case.outcome is not None and decision.outcome is not case.outcome:
                kind = f"not_{case.outcome.value}"
        else:
            report.covered += 1
            style.covered += 1
            suggested = [s.entry.id for s in decision.suggestions]
            if answered and (entry_id == case.expect or entry_id in case.acceptable):
                report.right += 1
                style.right += 1
                one_tap += 1
            elif decision.outcome is Outcome.SUGGEST and case.expect in suggested:
                report.assisted += 1
                style.assisted += 1
                one_tap += suggested[0] == case.expect
                kind = "assisted"
            elif answered:
                report.wrong += 1
                style.wrong += 1
                kind = "wrong"
            else:
                report.missed += 1
                kind = "missed"
        if kind is not None:
            if decision.outcome is Outcome.SUGGEST and entry_id is None and decision.suggestions:
                entry_id = decision.suggestions[0].entry.id
            report.failures.append(
                Failure(case.text, case.expect, decision.outcome.value, entry_id, kind)
            )
    if report.covered:
        report.right_rate = round(report.right / report.covered, 4)
        report.assisted_rate = round(report.assisted / report.covered, 4)
        report.wrong_rate = round(report.wrong / report.covered, 4)
        report.missed_rate = round(report.missed / report.covered, 4)
        report.one_tap = round(one_tap / report.covered, 4)
    if report.uncovered:
        report.false_answer_rate = round(report.false_answers / report.uncovered, 4)
        report.choices_uncovered_rate = round(report.choices_uncovered / report.uncovered, 4)
        report.reaches_doctor_rate = round(report.reaches_doctor / report.uncovered, 4)
    return report


def in_context(snapshot: Snapshot, case: Case) -> Decision:
    """A follow-up case: read after `previous` was answered with `previous_expect` (as the
    service reads it within bot.yaml's followup_window)."""
    entry = snapshot.knowledge.get(case.previous_expect or "")
    assert case.previous is not None and entry is not None
    return followup.read_in_context(
        snapshot, case.text, followup.Turn(case.previous, entry)
    ).decision


def summary(report: Report) -> str:
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    lines = [
        f"cases {report.cases}: covered {report.covered}, uncovered {report.uncovered}",
        f"right     {report.right:4d}  {pct(report.right_rate)}",
        f"assisted  {report.assisted:4d}  {pct(report.assisted_rate)}"
        f"   (right + assisted {pct(report.right_rate + report.assisted_rate)})",
        f"wrong     {report.wrong:4d}  {pct(report.wrong_rate)}",
        f"missed    {report.missed:4d}  {pct(report.missed_rate)}",
        f"false answers {report.false_answers:4d}  {pct(report.false_answer_rate)} of uncovered",
        f"one-tap   {pct(report.one_tap)}   (right, or the expected entry first among suggestions)",
        f"choices on uncovered {report.choices_uncovered:4d}  "
        f'{pct(report.choices_uncovered_rate)} of uncovered (a list or "I think you\'re asking")',
        f"reaches the doctor   {report.reaches_doctor:4d}  "
        f"{pct(report.reaches_doctor_rate)} of uncovered (with no tap: queued, or held then queued)",
    ]
    if report.urgent_expected or report.urgent_false:
        recall = report.urgent_caught / report.urgent_expected if report.urgent_expected else 1.0
        calm = report.cases - report.urgent_expected
        over = report.urgent_false / calm if calm else 0.0
        lines.append(
            f"urgent    caught {report.urgent_caught}/{report.urgent_expected} "
            f"(recall {pct(recall)}), over-triage {report.urgent_false}/{calm} ({pct(over)})"
        )
    styles = {k: v for k, v in report.by_style.items() if k != "-"}
    if styles:
        lines.append("")
        lines.append("by style:  covered right assisted wrong | uncovered false")
        for name, s in sorted(styles.items()):
            lines.append(
                f"  {name:<10} {s.covered:5d} {s.right:5d} {s.assisted:8d} {s.wrong:5d}"
                f" | {s.uncovered:9d} {s.false_answers:5d}"
            )
    failures = [f for f in report.failures if f.kind != "assisted"]
    if failures:
        lines.append("")
        lines.append("failures:")
        for f in failures:
            text = " ".join(f.text.split())
            text = text if len(text) <= 100 else text[:97] + "..."
            lines.append(
                f"  {f.kind:<14} expect={f.expect or '-'} got={f.outcome}:{f.entry_id or '-'}  {text}"
            )
    return "\n".join(lines)
