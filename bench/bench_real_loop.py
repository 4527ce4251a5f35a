"""Would real readers' own taps teach the bot to answer new real readers? Measured held aside.

The knowledge loop (`expertbot kb proposals`) turns a reader's tap on a suggestion, or the
doctor's "It's entry…", into an alternate of that entry. `bench_proposals.py` measures it on
the team's set; this measures it on real readers' messages, the way it would happen in use:

for each split of `tests/data/real_dev.yaml` into 5 folds (5 different splits, as
`bench/calibrate.py` does), the covered messages of four folds become alternates of their
expected entry (the asking part that a proposal carries, `bot.storage.proposals.phrasing`: the
most a week of readers could teach — every covered reader tapped or was linked), the matcher is
rebuilt on that knowledge, and the fifth fold — readers it never saw — is judged by the shipped
procedure (the decision calibrated on the knowledge as it is, without these alternates: a
proposal does not recalibrate the bot). The same split without the alternates is the baseline.

    .venv/bin/python bench/bench_real_loop.py             # both modes (~2 min), writes
                                                          # bench/results_real_loop.json
    .venv/bin/python bench/bench_real_loop.py --no-write

Only reads `knowledge/`; the alternates live in memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calibrate  # noqa: E402

from bot.knowledge.loading import Knowledge, load_knowledge  # noqa: E402
from bot.storage import phrasing  # noqa: E402
from bot.understanding import decision, semantic  # noqa: E402
from bot.understanding.evaluate import Report, evaluate, load_cases  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402

OUT = ROOT / "bench" / "results_real_loop.json"


def taught(knowledge: Knowledge, cases: list) -> Knowledge:
    """The knowledge after every covered case's words were accepted as an alternate."""
    entries = dict(knowledge.entries)
    for case in cases:
        if case.expect is not None:
            entry = entries[case.expect]
            alternates = (*entry.alternates, phrasing(case.text))
            entries[case.expect] = dataclasses.replace(entry, alternates=alternates)
    return dataclasses.replace(knowledge, entries=entries)


def measure(knowledge: Knowledge, meaning: bool) -> dict[str, dict[str, float]]:
    shipped = Snapshot.build(knowledge, meaning=meaning)
    mode = "words"  # the calibration that decides for these signals (bot/understanding/decision.py)
    if meaning:
        mode = "tuned" if isinstance(shipped.matcher.encoder, semantic.TunedView) else "meaning"
    cases = [c for c in load_cases(calibrate.REAL, shipped) if c.outcome is None]
    real = calibrate.gather(shipped, cases)
    team = calibrate.gather(shipped, load_cases(calibrate.TEAM, shipped))
    before: list[Report] = []
    after: list[Report] = []
    for repeat in range(calibrate.REPEATS):
        folds = np.random.default_rng(calibrate.SEED + repeat).permutation(len(cases))
        folds %= calibrate.FOLDS
        for k in range(calibrate.FOLDS):
            train = folds != k
            settings = shipped.matcher.settings.model_copy(
                update={mode: calibrate.calibrate(real, team, train)}
            )
            test = [c for c, f in zip(cases, folds, strict=True) if f == k]
            learnt = Snapshot.build(
                taught(knowledge, [c for c, t in zip(cases, train, strict=True) if t]),
                meaning=meaning,
            )
            for snapshot, reports in ((shipped, before), (learnt, after)):

                def decide(text: str, snapshot=snapshot, settings=settings) -> decision.Decision:
                    return decision.decide(snapshot.matcher.evidence(text), settings)

                reports.append(evaluate(snapshot, test, decide=decide))
    return {"before": calibrate.summary(before), "after": calibrate.summary(after)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        return 1
    started = time.perf_counter()
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "bench/bench_real_loop.py",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "folds": f"{calibrate.REPEATS}x{calibrate.FOLDS}",
        "default": measure(knowledge, meaning=True),
        "light": measure(knowledge, meaning=False),
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    keys = ("right_rate", "right_plus_assisted", "one_tap", "wrong_rate", "false_answer_rate")
    print("| mode | readers' words as alternates | " + " | ".join(keys) + " |")
    print("|---|---|" + "---:|" * len(keys))
    for mode in ("default", "light"):
        for when in ("before", "after"):
            row = result[mode][when]
            cells = " | ".join(f"{100 * row[k]:.1f} %" for k in keys)
            print(f"| {mode} | {'no' if when == 'before' else 'yes'} | {cells} |")
    if not args.no_write:
        OUT.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
