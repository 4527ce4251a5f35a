"""Follow-ups in context (issue 22): how the bot reads a short message after an answer, on two
blind-written sets of pairs, each split by the fixed rule in its header: cases at odd positions
(1st, 3rd, …) are the DEV half (tuned on), at even positions the HELD-ASIDE half (never tuned
on, measured only as totals).

- `blind1`: tests/data/followup_cases.yaml (320 pairs; its held half was run several times
  while tuning, so it is partly spent);
- `blind2`: tests/data/followup_cases2.yaml (200 fresh pairs; its held half measured once with
  main's code before any change and once with the final code: README).

For each half: read in context (`bot.understanding.followup.read_in_context`, as the bot does within
bot.yaml's `followup_window`) and, for comparison, each follow-up read alone (as before issue
22). Counted like `expertbot eval`: right / assisted (the expected entry among the choices,
one tap away) / wrong / missed over covered follow-ups; false answers over uncovered ones;
one-tap (right, or the expected entry *first* among the choices). The bundled knowledge, with
the meaning signal (the default install) and in the words-only mode (EXPERTBOT_SEMANTIC=off).
`--sets`, `--halves`, `--modes` pick a part (to tune on a dev half without running the held
ones); the JSON is only written for a full run.

    .venv/bin/python bench/bench_followups.py
    .venv/bin/python bench/bench_followups.py --json bench/results_followups.json
    .venv/bin/python bench/bench_followups.py --sets blind2 --halves dev
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

DATA = ROOT / "tests" / "data"
SETS = {"blind1": DATA / "followup_cases.yaml", "blind2": DATA / "followup_cases2.yaml"}
HALVES = ("dev", "held_aside")
MODES = {"meaning": True, "words": False}


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


def _pick(value: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise SystemExit(f"unknown {unknown}: choose from {', '.join(allowed)}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here (a full run only)")
    parser.add_argument("--sets", default=",".join(SETS), help="blind1,blind2")
    parser.add_argument("--halves", default=",".join(HALVES), help="dev,held_aside")
    parser.add_argument("--modes", default=",".join(MODES), help="meaning,words")
    parser.add_argument("--no-alone", action="store_true", help="skip the read-alone rows")
    args = parser.parse_args()
    sets = _pick(args.sets, tuple(SETS))
    wanted = _pick(args.halves, HALVES)
    modes = _pick(args.modes, tuple(MODES))
    if not semantic.available():
        modes = [m for m in modes if not MODES[m]]
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    assert knowledge is not None, problems
    result: dict[str, object] = {}
    for mode in modes:
        snapshot = Snapshot.build(knowledge, meaning=MODES[mode])
        for name in sets:
            cases = load_cases(SETS[name], snapshot)
            result[f"{name}/cases"] = len(cases)
            print(f"{name}: {len(cases)} follow-up pairs ({SETS[name].name}), {mode} mode")
            print(
                f"{'half':<11} {'reading':<11} covered right assisted wrong missed  r+a    "
                "one-tap | uncovered false"
            )
            for half, part in halves(cases).items():
                if half not in wanted:
                    continue
                readings = [("in_context", part)]
                if not args.no_alone:
                    readings.append(("alone", alone(part)))
                for how, chosen in readings:
                    data = figures(evaluate(snapshot, chosen))
                    result[f"{name}/{mode}/{half}/{how}"] = data
                    print(
                        f"{half:<11} {how:<11} {data['covered']:7} {data['right']:5}"
                        f" {data['assisted']:8} {data['wrong']:5} {data['missed']:6}"
                        f"  {data['right_or_one_tap_away']:6.1%} {data['one_tap']:6.1%} |"
                        f" {data['uncovered']:9} {data['false_answers']:3}"
                        f" ({data['false_answer_rate']:.1%})"
                    )
            print()
    full = set(sets) == set(SETS) and set(wanted) == set(HALVES) and not args.no_alone
    if args.json and full:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    elif args.json:
        print(f"not written: {args.json} takes a full run")


if __name__ == "__main__":
    main()
