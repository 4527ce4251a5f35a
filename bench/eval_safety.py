"""Triage figures per set and per category: emergencies caught, calm messages made urgent.

Reads YAML lists of `{text, urgent, category}` (blind rounds, real_triage.yaml, a list of risk
questions with no `urgent`: all calm) or eval cases (`outcome: urgent`, `style`), and runs
either the rules alone (`--rules`) or the whole triage (rules, reading, learned check; the
default, as `Snapshot.decide` serves). Only counts and case indices are printed, never the
texts (held-out rounds are measured, not read).

    .venv/bin/python bench/eval_safety.py tests/data/real_triage.yaml
    .venv/bin/python bench/eval_safety.py --round 12 tests/data/triage_blind.yaml
    .venv/bin/python bench/eval_safety.py --rules --json out.json FILE...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.understanding.semantic import shared_encoder  # noqa: E402
from bot.understanding.text import clean  # noqa: E402
from bot.understanding.triage import Triage  # noqa: E402
from bot.understanding.triage_model import TriageModel  # noqa: E402


def labelled(case: dict) -> tuple[bool, str]:
    """(urgent?, category) of a case in either format."""
    if "urgent" in case:
        return bool(case["urgent"]), str(case.get("category") or "none")
    urgent = case.get("outcome") == "urgent"
    style = str(case.get("style") or ("risk_question" if "note" in case else "none"))
    return urgent, style.split("-")[0] if urgent else style


def measure(triage: Triage, cases: list[dict], max_chars: int, *, rules: bool) -> dict:
    """Counts overall and per category, and the indices of the misses and false alarms."""
    per: dict[str, dict[str, int]] = defaultdict(
        lambda: {"urgent": 0, "caught": 0, "calm": 0, "false": 0}
    )
    missed: list[int] = []
    false: list[int] = []
    for i, case in enumerate(cases):
        urgent, category = labelled(case)
        text = clean(str(case["text"]))[:max_chars]
        flagged = (triage.rules.red_flag(text) if rules else triage.red_flag(text)) is not None
        row = per[category]
        if urgent:
            row["urgent"] += 1
            row["caught"] += flagged
            if not flagged:
                missed.append(i)
        else:
            row["calm"] += 1
            row["false"] += flagged
            if flagged:
                false.append(i)
    total = {k: sum(r[k] for r in per.values()) for k in ("urgent", "caught", "calm", "false")}
    return {"total": total, "per_category": dict(per), "missed": missed, "false": false}


def line(name: str, r: dict[str, int]) -> str:
    caught = f"{r['caught']}/{r['urgent']} caught" if r["urgent"] else ""
    rate = f" ({100 * r['caught'] / r['urgent']:.1f} %)" if r["urgent"] else ""
    calm = f"{r['false']}/{r['calm']} calm made urgent" if r["calm"] else ""
    crate = f" ({100 * r['false'] / r['calm']:.1f} %)" if r["calm"] else ""
    return f"  {name:<14} {caught}{rate}   {calm}{crate}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--round", type=int, action="append", help="only these rounds")
    parser.add_argument("--rules", action="store_true", help="the rules alone")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--model", type=Path, help="another model file than the shipped one")
    args = parser.parse_args()
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        raise SystemExit("\n".join(str(p) for p in problems))
    max_chars = knowledge.settings.matching.max_chars
    triage = Triage.build(knowledge.red_flags, max_chars=max_chars)
    if args.model is not None:
        model = TriageModel.load(args.model)
        triage = Triage(
            knowledge.red_flags, encoder=shared_encoder(), model=model, max_chars=max_chars
        )
    mode = "rules only" if args.rules else f"rules + reading + learned check ({triage.mode})"
    print(f"triage: {mode}")
    results = {}
    for path in args.files:
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        if args.round:
            cases = [c for c in cases if c.get("round") in args.round]
        r = measure(triage, cases, knowledge.settings.matching.max_chars, rules=args.rules)
        results[path.name] = r
        print(f"{path.name}: {len(cases)} messages")
        print(line("all", r["total"]))
        for category in sorted(r["per_category"]):
            print(line(category, r["per_category"][category]))
        print(f"  missed: {r['missed']}\n  false urgent: {r['false']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
