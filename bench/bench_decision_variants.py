"""Decision variants tried for issue 19 (tuned meaning model), held aside on the real messages.

    .venv/bin/python bench/bench_decision_variants.py   # ~40 s; writes bench/results_decision_variants.json

Each variant changes one part of the shipped decision (bot/understanding/decision.py) and is
judged exactly like it: `bench/calibrate.py`'s 5x5-fold cross-validation over
`tests/data/real_dev.yaml` (every message decided by a calibration, and by the variant's own
thresholds, fitted without it). The first row reproduces the figures shipped before. Only P4
shipped (`decision.each_question_answered`; README "Training the meaning model"): each row is
one more look at the same 135 messages, counted there.

- the list's floor (one tap, issue 20): the shipped floor is on the best entry's closeness;
  tried on the tuned cosine alone, on an "offerable" logistic score of the best entry's closeness,
  tuned cosine, tuned lead and base lead (fitted on the training folds' messages that the floor
  decides: covered with the right entry first against uncovered; also with the team's set), and
  on closeness and tuned cosine together (a 2-D floor). Every floor is put by the calibration's
  rule: at most MAX_CHOICES_UNCOVERED of the uncovered training messages shown choices.
- direct answers for a message of several questions ("two questions on one subject lose their
  direct answer"): the tuned gate applied to each question on its own, when that question's best
  entry is the message's best; with the message's thresholds, then with thresholds of its own
  picked on the training folds like the gate's (wrong <= 1 %, false <= 2 %), then the same
  adding no false answer in training; P4: only when the message's gate failed on its lead alone,
  and every question passing the gate alone (the shipped rule).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calibrate  # noqa: E402

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.knowledge.schema import Calibration  # noqa: E402
from bot.models import Decision, Outcome, Scored  # noqa: E402
from bot.understanding import decision  # noqa: E402
from bot.understanding.evaluate import evaluate, load_cases  # noqa: E402
from bot.understanding.reading import read  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402

OUT = ROOT / "bench" / "results_decision_variants.json"
Floor = Callable[[decision.Evidence, float], bool]  # may this message be shown a list?
Parts = dict[str, list[tuple[str, dict[str, float]]]]  # text -> (best entry, gate features)


def decide(
    evidence: decision.Evidence,
    c: Calibration,
    max_suggestions: int,
    floor_ok: Floor,
    part_gate: Callable[[], str | None] = lambda: None,
    entries: dict | None = None,
) -> Decision:
    """`decision.decide` with its list floor replaced by `floor_ok`, and a direct answer also
    when `part_gate` names an entry (one of the message's questions passes a gate alone)."""
    best = evidence.best
    if best is None or best.closeness < c.floor:
        return Decision(Outcome.UNMATCHED, score=best.closeness if best else 0.0)
    sure = decision.confidence(c, evidence.features)
    if sure >= c.answer or decision.tuned_gate(c, evidence.features):
        return Decision(Outcome.ANSWER, entry=best.entry, score=sure)
    named = part_gate()
    if named is not None and entries is not None:
        return Decision(Outcome.ANSWER, entry=entries[named], score=sure)
    if sure >= c.likely:
        return Decision(
            Outcome.SUGGEST, score=sure, suggestions=(Scored(best.entry, sure),), likely=True
        )
    if not floor_ok(evidence, sure):
        return Decision(Outcome.UNMATCHED, score=sure)
    least = max(c.floor, best.closeness - c.gap)
    close = [Scored(x.entry, x.closeness) for x in evidence.candidates if x.closeness >= least]
    return Decision(Outcome.SUGGEST, score=sure, suggestions=tuple(close[:max_suggestions]))


def value(row_or_evidence: dict | decision.Evidence, name: str) -> float:
    """A signal of a training row or of evidence: "best" is the best entry's closeness."""
    if isinstance(row_or_evidence, dict):
        return (
            row_or_evidence["best"]
            if name == "best"
            else row_or_evidence["features"].get(name, 0.0)
        )
    e = row_or_evidence
    return e.best.closeness if name == "best" and e.best else e.features.get(name, 0.0)


def floor_rows(rows: list[dict], c: Calibration) -> tuple[list[dict], int]:
    """The training messages a list floor decides (not answered, under `likely`, over `floor`),
    and how many uncovered ones may still be shown a list (the calibration's rule)."""
    w = np.array([c.weights[f] for f in calibrate.FEATURES])
    p = 1 / (1 + np.exp(-(c.bias + np.array([r["x"] for r in rows]) @ w)))
    decided, used = [], 0
    for r, q in zip(rows, p, strict=True):
        if decision.tuned_gate(c, r["features"]) or q >= c.answer or r["best"] < c.floor:
            continue
        if q >= c.likely:
            used += not r["covered"]
            continue
        decided.append(r)
    n_unc = sum(not r["covered"] for r in rows)
    return decided, int(calibrate.MAX_CHOICES_UNCOVERED * n_unc) - used


def above(score: Callable[[dict], float], rows: list[dict], allowed: int) -> float:
    """The lowest score at which at most `allowed` uncovered rows are above."""
    u = sorted((score(r) for r in rows if not r["covered"]), reverse=True)
    return -np.inf if len(u) <= max(allowed, 0) else u[max(allowed, 0)] + 1e-6


def shipped(train: list[dict], team: list[dict], c: Calibration) -> Floor:
    return lambda e, sure: (
        sure >= c.offer_sure
        and e.features.get("tuned", 1.0) >= c.offer_tuned
        and (e.best is not None and e.best.closeness >= c.offer)
    )


def on_signal(name: str) -> Callable[[list[dict], list[dict], Calibration], Floor]:
    def make(train: list[dict], team: list[dict], c: Calibration) -> Floor:
        rows, allowed = floor_rows(train, c)
        t = above(lambda r: value(r, name), rows, allowed)
        return lambda e, sure: value(e, name) >= t

    return make


def offerable(names: list[str], with_team: bool) -> Callable[..., Floor]:
    """A logistic score: covered with the right entry first (1) against uncovered (0)."""

    def make(train: list[dict], team: list[dict], c: Calibration) -> Floor:
        rows, allowed = floor_rows(train, c)
        fit_rows = rows + (floor_rows(team, c)[0] if with_team else [])
        fit_rows = [r for r in fit_rows if not r["covered"] or r["y"]]
        x = np.array([[value(r, n) for n in names] for r in fit_rows])
        y = np.array([float(r["covered"]) for r in fit_rows])
        bias, w = calibrate.fit(x, y, np.ones(len(y)))

        def score(r: dict | decision.Evidence) -> float:
            return bias + float(np.array([value(r, n) for n in names]) @ w)

        t = above(score, rows, allowed)
        return lambda e, sure: score(e) >= t

    return make


def two_d(train: list[dict], team: list[dict], c: Calibration) -> Floor:
    """Closeness >= a and tuned cosine >= b: the pair that keeps the most covered-right rows."""
    rows, allowed = floor_rows(train, c)
    right = [r for r in rows if r["covered"] and r["y"]]
    unc = [r for r in rows if not r["covered"]]
    best = (-1, 0.0, 0.0)
    for a in sorted({r["best"] + 1e-6 for r in unc} | {0.0}):
        for b in sorted({value(r, "tuned") + 1e-6 for r in unc} | {0.0}):
            if sum(r["best"] >= a and value(r, "tuned") >= b for r in unc) <= allowed:
                kept = sum(r["best"] >= a and value(r, "tuned") >= b for r in right)
                best = max(best, (kept, a, b))
    _, a, b = best
    return lambda e, sure: value(e, "best") >= a and value(e, "tuned") >= b


def part_candidates(row: dict, parts: Parts) -> list[dict[str, float]]:
    """Gate features of the message's questions whose own best entry is the message's best."""
    e = row["evidence"]
    return [
        f for entry, f in parts.get(row["case"].text, []) if e.best and entry == e.best.entry.id
    ]


def part_thresholds(train: list[dict], c: Calibration, parts: Parts, strict: bool) -> Calibration:
    """The questions' own gate thresholds, picked like calibrate.tuned_gate with the message's
    gate beside it (strict: adding no false or wrong answer in training)."""
    whole = np.array([decision.tuned_gate(c, r["features"]) for r in train])
    y = np.array([bool(r["y"]) for r in train])
    cov = np.array([r["covered"] for r in train])
    cands = [part_candidates(r, parts) for r in train]
    cos = np.array([f.get("tuned", 0.0) for fs in cands for f in fs])
    lead = np.array([f.get("tuned_lead", 0.0) for fs in cands for f in fs])
    off = c.model_copy(update={"tuned_answer": 1.0, "tuned_lead": 1.0})
    if not len(cos):
        return off
    q = np.linspace(0, 1, calibrate.GATE_GRID + 1)
    grid_b = np.unique(np.r_[0.0, np.quantile(lead[lead > 0], q)]) if (lead > 0).any() else [0.0]
    base = int((whole & y).sum())
    best = (base, 0, 1.0, 1.0)
    for a, b in itertools.product(np.unique(np.quantile(cos, q)), grid_b):
        t = c.model_copy(update={"tuned_answer": float(a), "tuned_lead": float(b)})
        part = np.array([any(decision.tuned_gate(t, f) for f in fs) for fs in cands])
        ans = whole | part
        wrong, false = int((ans & cov & ~y).sum()), int((ans & ~cov & ~y).sum())
        if wrong / max(cov.sum(), 1) > calibrate.GATE_MAX_WRONG:
            continue
        if false / max((~cov).sum(), 1) > calibrate.GATE_MAX_FALSE:
            continue
        if strict and (ans & ~y & ~whole).any():
            continue
        best = max(best, (int((ans & y).sum()), -(wrong + false), float(a), float(b)))
    if best[0] <= base:
        return off
    return c.model_copy(update={"tuned_answer": best[2], "tuned_lead": best[3]})


def likely_without_gate(train: list[dict], c: Calibration) -> Calibration:
    """`likely` picked, as calibrate.thresholds does, on the training messages the gate does
    not answer (the shipped one is picked on all of them, before the gate answers the surest),
    and the list floors put again by the calibration's rule with it."""
    w = np.array([c.weights[f] for f in calibrate.FEATURES])
    p = 1 / (1 + np.exp(-(c.bias + np.array([r["x"] for r in train]) @ w)))
    left = [
        (r, q) for r, q in zip(train, p, strict=True) if not decision.tuned_gate(c, r["features"])
    ]
    likely = 1.0
    for t in sorted({q for _, q in left}, reverse=True):
        chosen = [r for r, q in left if q >= t]
        if sum(r["y"] for r in chosen) / len(chosen) < calibrate.LIKELY_PRECISION:
            break
        likely = round(float(t), 6)
    floors = calibrate.offer_floors(train, p, c.answer, likely, c.floor)
    return c.model_copy(update={"likely": likely, **floors})


def held_aside(
    real: list[dict],
    team: list[dict],
    snapshot: Snapshot,
    make_floor: Callable[..., Floor],
    parts: Parts | None = None,
    own: bool = False,
    strict: bool = False,
    refit: Callable[[list[dict], Calibration], Calibration] | None = None,
    every: bool = False,
) -> dict[str, float]:
    """calibrate.held_aside, deciding by the variant."""
    by_text = {r["case"].text: r for r in real}
    n = snapshot.matcher.settings.max_suggestions
    entries = snapshot.knowledge.entries
    verdicts = []
    for repeat in range(calibrate.REPEATS):
        folds = np.random.default_rng(calibrate.SEED + repeat).permutation(len(real))
        folds %= calibrate.FOLDS
        for k in range(calibrate.FOLDS):
            c = calibrate.calibrate(real, team, folds != k)
            train = [r for r, f in zip(real, folds, strict=True) if f != k]
            if refit is not None:
                c = refit(train, c)
            floor_ok = make_floor(train, team, c)
            gate = part_thresholds(train, c, parts, strict) if parts and own else c

            def run(
                text: str, c: Calibration = c, floor_ok: Floor = floor_ok, gate=gate
            ) -> Decision:
                row = by_text[text]

                def part_gate() -> str | None:
                    if not parts:
                        return None
                    fs = part_candidates(row, parts)
                    hit = any(decision.tuned_gate(gate, f) for f in fs)
                    if every:  # each question clearly an entry's: two questions, two entries
                        mine = parts.get(text, [])
                        hit = hit and all(decision.tuned_gate(gate, f) for _, f in mine)
                        hit = hit and decision.lead_lost(gate, row["features"])
                    return row["evidence"].best.entry.id if hit else None

                return decide(row["evidence"], c, n, floor_ok, part_gate, entries)

            test = [r["case"] for r, f in zip(real, folds, strict=True) if f == k]
            verdicts.append(evaluate(snapshot, test, decide=run))
    return calibrate.summary(verdicts)


def question_parts(snapshot: Snapshot, rows: list[dict]) -> Parts:
    """Each message of several questions: every question's best entry and gate features."""
    matcher = snapshot.matcher
    out: Parts = {}
    for r in rows:
        reading = read(r["case"].text[: matcher.settings.max_chars])
        if len(reading.questions) < 2:
            continue
        found = []
        for part in reading.questions[: matcher.MAX_PARTS]:
            e = matcher.evidence(part)
            if e.best is not None:
                found.append((e.best.entry.id, dict(e.features)))
        out[r["case"].text] = found
    return out


def main() -> int:
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        return 1
    snapshot = Snapshot.build(knowledge, meaning=True, tuned=True)
    if snapshot.matcher.meaning is None or snapshot.matcher.meaning.tuned is None:
        print("needs the tuned meaning model (bot/understanding/tuned/)", file=sys.stderr)
        return 1
    real = calibrate.gather(snapshot, load_cases(calibrate.REAL, snapshot))
    team = calibrate.gather(snapshot, load_cases(calibrate.TEAM, snapshot))
    parts = question_parts(snapshot, real)
    four = ["best", "tuned", "tuned_lead", "meaning_lead"]
    variants: dict[str, dict] = {
        "shipped: list floor on closeness": {"make_floor": shipped},
        "F1 floor on the tuned cosine": {"make_floor": on_signal("tuned")},
        "F2 floor on an offerable score (4 signals, real)": {
            "make_floor": offerable(four, with_team=False)
        },
        "F3 the same, fitted with the team's set too": {"make_floor": offerable(four, True)},
        "F4 floor on closeness and tuned cosine (2-D)": {"make_floor": two_d},
        "P1 gate per question, the message's thresholds": {"make_floor": shipped, "parts": parts},
        "P2 gate per question, its own thresholds": {
            "make_floor": shipped,
            "parts": parts,
            "own": True,
        },
        "P3 the same, adding no false answer in training": {
            "make_floor": shipped,
            "parts": parts,
            "own": True,
            "strict": True,
        },
    }
    variants["L1 `likely` picked on the messages the gate leaves"] = {
        "make_floor": shipped,
        "refit": likely_without_gate,
    }
    variants[
        "P4 the message's gate lost only on its lead, every question passing it alone (shipped)"
    ] = {
        "make_floor": shipped,
        "parts": parts,
        "every": True,
    }
    results = {}
    print("| variant, held aside (5x5 CV) | right | one tap | wrong | false | shown choices |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, kwargs in variants.items():
        s = held_aside(real, team, snapshot, **kwargs)
        results[name] = s
        rates = ("right_rate", "one_tap", "wrong_rate", "false_answer_rate")
        cells = " | ".join(f"{100 * s[k]:.1f} %" for k in (*rates, "choices_uncovered_rate"))
        print(f"| {name} | {cells} |", flush=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
