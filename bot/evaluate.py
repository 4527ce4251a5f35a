"""`expertbot eval`: how often the bot is right on a set of cases (design.md §4). Writes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.models import Outcome
from bot.service import Snapshot
from bot.yamlfile import YamlProblem, load_yaml


class CasesError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expect: str | None  # an entry id, or None: not covered
    outcome: Outcome | None = None  # urgent / smalltalk expected instead


@dataclass(slots=True)
class Failure:
    text: str
    expect: str | None
    outcome: str
    entry_id: str | None
    kind: str


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
    cases = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "text" not in item or "expect" not in item:
            raise CasesError(f"{path}: case {i} needs 'text' and 'expect'")
        expect = item["expect"]
        if expect is not None:
            expect = str(expect)
            if expect.startswith("http"):
                if expect not in by_link:
                    raise CasesError(f"{path}: case {i}: no entry has the link {expect}")
                expect = by_link[expect]
            elif expect not in knowledge.entries:
                raise CasesError(f"{path}: case {i}: unknown entry id '{expect}'")
        outcome = item.get("outcome")
        if outcome is not None and outcome not in ("urgent", "smalltalk"):
            raise CasesError(f"{path}: case {i}: outcome must be urgent or smalltalk")
        cases.append(Case(str(item["text"]), expect, Outcome(outcome) if outcome else None))
    return cases


def evaluate(snapshot: Snapshot, cases: list[Case]) -> Report:
    report = Report(cases=len(cases))
    for case in cases:
        decision, _ = snapshot.decide(case.text)
        entry_id = decision.entry.id if decision.entry else None
        kind = None
        if case.outcome is not None:
            report.uncovered += 1
            if decision.outcome is Outcome.ANSWER:
                report.false_answers += 1
                kind = "false_answer"
            elif decision.outcome is not case.outcome:
                kind = f"not_{case.outcome.value}"
        elif case.expect is None:
            report.uncovered += 1
            if decision.outcome is Outcome.ANSWER:
                report.false_answers += 1
                kind = "false_answer"
        else:
            report.covered += 1
            if decision.outcome is Outcome.ANSWER and entry_id == case.expect:
                report.right += 1
            elif decision.outcome is Outcome.SUGGEST and any(
                s.entry.id == case.expect for s in decision.suggestions
            ):
                report.assisted += 1
                kind = "assisted"
            elif decision.outcome is Outcome.ANSWER:
                report.wrong += 1
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
    if report.uncovered:
        report.false_answer_rate = round(report.false_answers / report.uncovered, 4)
    return report


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
    ]
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
