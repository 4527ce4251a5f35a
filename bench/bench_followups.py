"""Follow-ups in context (issue 22): how the bot reads a short message after an answer, on the
blind-written pairs of tests/data/followup_cases.yaml, split by the fixed rule in its header:
cases at odd positions (1st, 3rd, …) are the DEV half (tuned on), at even positions the
HELD-ASIDE half (never tuned on).

For each half: read in context (`bot.understanding.followup.read_in_context`, as the bot does within
bot.yaml's `followup_window`) and, for comparison, each follow-up read alone (as before issue
22). Counted like `expertbot eval`: right / assisted (the expected entry among the choices,
one tap away) / wrong / missed over covered follow-ups; false answers over uncovered ones;
one-tap (right, or the expected entry *first* among the choices). The bundled knowledge, with
the meaning signal (the default install) and in the words-only mode (EXPERTBOT_SEMANTIC=off).

    .venv/bin/python bench/bench_followups.py
    .venv/bin/python bench/bench_followups.py --json bench/results_followups.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.understanding import semantic  # noqa: E402
from bot.understanding.evaluate import Case, Report, evaluate, load_cases  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402

CASES = ROOT / "tests" / "data" / "followup_cases.yaml"


def halves(cases: list[Case]) -> dict[str, list[Case]]:
    """The split fixed in the cases file's header: odd positions dev, even held aside."""
    return {"dev": cases[0::2], "held_aside": cases[1::2]}


def alone(cases: list[Case]) -> list[Case]:
    """The same follow-ups without their previous message."""
    return [Case(c.text, c.expect, c.outcome, c.acceptable, c.style) for c in cases]


def figures(report: Report) -> dict[str, object]:
    covered = report.covered or 1
    return {
        "covered": report.covered,
        "uncovered": report.uncovered,
        "right": report.right,
        "assisted": report.assisted,
        "wrong": report.wrong,
        "missed": report.missed,
        "false_answers": report.false_answers,
        "right_or_one_tap_away": round((report.right + report.assisted) / covered, 4),
        "one_tap": report.one_tap,
        "false_answer_rate": report.false_answer_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    assert knowledge is not None, problems
    modes = {"meaning": True, "words": False} if semantic.available() else {"words": False}
    result: dict[str, object] = {}
    for mode, meaning in modes.items():
        snapshot = Snapshot.build(knowledge, meaning=meaning)
        cases = load_cases(CASES, snapshot)
        result["cases"] = len(cases)
        print(f"{len(cases)} follow-up pairs, {mode} mode")
        print(
            f"{'half':<11} {'reading':<11} covered right assisted wrong missed  r+a    one-tap"
            " | uncovered false"
        )
        for name, part in halves(cases).items():
            for how, chosen in (("in_context", part), ("alone", alone(part))):
                data = figures(evaluate(snapshot, chosen))
                result[f"{mode}/{name}/{how}"] = data
                print(
                    f"{name:<11} {how:<11} {data['covered']:7} {data['right']:5}"
                    f" {data['assisted']:8} {data['wrong']:5} {data['missed']:6}"
                    f"  {data['right_or_one_tap_away']:6.1%} {data['one_tap']:6.1%} |"
                    f" {data['uncovered']:9} {data['false_answers']:3}"
                    f" ({data['false_answer_rate']:.1%})"
                )
        print()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
