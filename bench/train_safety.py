"""Train the learned triage check (bot/understanding/triage_model.py) and write bot/understanding/triage_model.json.

    make train-safety                                  # what ships
    .venv/bin/python bench/train_safety.py --hold-out 10 --out /tmp/model.json   # a round kept aside

Data (labels: calm, or the emergency's category):
- tests/data/triage_blind.yaml: the blind-written rounds, all but HELD_OUT (and `--hold-out`):
  the rounds that are reported are never trained on;
- tests/data/triage_cases.yaml: the team's cases (`outcome: urgent` and `style`);
- knowledge/safety.yaml: each flag's `examples` (urgent) and `not_urgent`;
- the bundled knowledge's questions, alternates and examples (calm: ordinary questions);
- tests/data/risk_questions.yaml: general questions about a risk (calm).
Not trained on: tests/data/real_triage.yaml (real readers' messages: the check on real
writing, kept aside) and the held-out rounds.

Inputs per message as the bot computes them (bot/understanding/triage.py): the reading, and
the triage vector of the text the matcher encodes: all-MiniLM-L6-v2 with its own top 2 layers,
fine-tuned here with the softmax head (bench/triage_layers.py; torch, the `train` extra).
`--regression`: the old recipe, a softmax regression (L2, full-batch Adam from zeros) on the
base vector, no layers of its own. The classes are weighted so calm and urgent weigh alike.

The threshold keeps the catch rate first. It is judged by cross-validation GROUPED BY ROUND
(GROUPS folds of whole training rounds: a blind round's messages share a writer's style, so
random folds flatter the model), on the whole triage as the bot decides (rules, reading,
learned check), out of fold. The recipe shipped before this rule (BASELINE: the regression
trained on rounds 1-11 and 14, threshold 0.85) is cross-validated on the same folds; the
threshold is the one that catches at least as many emergencies as it, and then makes the
fewest calm look-alikes urgent (the lowest such threshold on a tie). Then self-harm gets a
floor of its own (`choose_floor`): below the threshold, a message whose self-harm probability
reaches it is urgent; on the same out-of-fold figures, the floor with the fewest missed
self-harm messages plus calm look-alikes made urgent (a missed self-harm weighs at least a
false alarm; the higher floor on a tie; none when none lowers that sum). Seeded and single-threaded:
the same data give the same weights (about 20 minutes on a 2-core machine).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.knowledge.schema import RedFlags  # noqa: E402
from bot.understanding import semantic  # noqa: E402
from bot.understanding.reading import read  # noqa: E402
from bot.understanding.safety import SafetyCheck  # noqa: E402
from bot.understanding.stance import Stance, read_stance  # noqa: E402
from bot.understanding.text import clean  # noqa: E402
from bot.understanding.triage_model import (  # noqa: E402
    STANCES,
    WEIGHTS,
    TriageModel,
    features,
)

LAYERS = semantic.TRIAGE_LAYERS

DATA = ROOT / "tests" / "data"
SEED = 20261207
# never trained on (README "Safety"): the reported rounds. 21 is the newest, measured twice
# (on arrival and with the final code); 12, 13, 15 and 19 are the older checks
HELD_OUT = (12, 13, 15, 19, 21, 22, 23, 24, 25)
# the recipe shipped before the recall-first rule, cross-validated on the same folds: the
# catches the new threshold must match
BASELINE_ROUNDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14)
BASELINE_THRESHOLD = 0.85
CLASSES = ("calm", "vascular", "breathing", "swallowing", "infection", "self_harm")
FLAGS = {
    "vascular": "filler-vision-or-skin-colour",
    "breathing": "breathing-or-throat",
    "swallowing": "swallowing-or-speaking-after-botox",
    "infection": "infection-after-procedure",
    "self_harm": "self-harm",
}
# categories of the data that are one of CLASSES under another name
ALIASES = {"toxin_spread": "swallowing", "allergy": "breathing", "allergic": "breathing"}
FLAG_CATEGORY = {v: k for k, v in FLAGS.items()} | {"allergic-reaction": "breathing"}
L2 = 0.003  # chosen on round 11 kept aside (train on rounds 1-10): best separation
STEPS = 3000
RATE = 0.5
GROUPS = 4  # cross-validation folds: each a quarter of the training rounds, whole
REFERENCE = DATA / "triage_layers_reference.json"
REFERENCE_TEXTS = [  # the team's own words
    "Since the neck botox on Friday, when I drink tea some of it comes back out through my nose.",
    "Can lip filler ever block an artery? Asking before my first appointment.",
    "I gave away my cat and wrote letters to everyone, I won't need the follow-up appointment.",
    "How long does Botox last on the forehead?",
]
THRESHOLDS = np.round(np.arange(0.30, 0.995, 0.01), 2)
FLOORS = np.round(np.arange(0.90, 0.19, -0.05), 2)  # self-harm's own floor, highest first


def category(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in CLASSES:
        raise SystemExit(f"unknown category {name!r}")
    return name


@dataclass
class Row:
    text: str
    label: str
    round: int  # the blind round, 0 for every other source (always trained on)


def dataset(hold_out: set[int]) -> list[Row]:
    """Every message the check may learn from, with its blind round (0: another source)."""
    rows: list[Row] = []
    for case in yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8")):
        if case["round"] in hold_out:
            continue
        label = category(case["category"]) if case["urgent"] else "calm"
        rows.append(Row(case["text"], label, int(case["round"])))
    for case in yaml.safe_load((DATA / "triage_cases.yaml").read_text(encoding="utf-8")):
        urgent = case.get("outcome") == "urgent"
        label = category(case["style"].split("-")[0]) if urgent else "calm"
        rows.append(Row(case["text"], label, 0))
    risk = DATA / "risk_questions.yaml"
    if risk.exists():
        rows += [Row(c["text"], "calm", 0) for c in yaml.safe_load(risk.read_text("utf-8"))]
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        raise SystemExit("\n".join(str(p) for p in problems))
    for flag in knowledge.red_flags:
        rows += [Row(t, FLAG_CATEGORY[flag.id], 0) for t in flag.examples]
        rows += [Row(t, "calm", 0) for t in flag.not_urgent]
    for entry in knowledge.entries.values():
        rows += [Row(t, "calm", 0) for t in (entry.question, *entry.alternates, *entry.examples)]
    return rows


@dataclass
class Inputs:
    """What the triage sees of each message, for the model and to replay its decision."""

    x: Any  # the model's input rows
    rules_flag: Any  # the rules' flag stands (bot/understanding/triage.py step 1 and 2)
    ruled: Any  # the rules raised anything (then the learned check is not asked)
    calm: Any  # (messages, classes): the reading calms that class's flag


def inputs(texts: list[str], red_flags: RedFlags, max_chars: int) -> Inputs:
    rules = SafetyCheck(red_flags)
    by_id = {f.id: f for f in red_flags}
    encoder = semantic.shared_encoder()
    cut = [clean(t)[:max_chars] for t in texts]
    vectors = encoder.encode_cached([read(t).text[:max_chars] for t in cut])
    stances = [read_stance(t).stance for t in cut]
    raised = [rules.red_flag(t) for t in cut]
    rules_flag = np.array(
        [
            f is not None and not (s is Stance.RISK_QUESTION and "question" in f.calm_when)
            for f, s in zip(raised, stances, strict=True)
        ]
    )
    calm = np.zeros((len(texts), len(CLASSES)), bool)
    for i, s in enumerate(stances):
        for k, name in enumerate(CLASSES[1:], 1):
            flag = by_id.get(FLAGS[name])
            reasons = flag.calm_when if flag else ()
            calm[i, k] = flag is None or (
                (s is Stance.RISK_QUESTION and "question" in reasons)
                or (s is Stance.PAST and "resolved" in reasons)
                or (s is Stance.TREATED and "treated" in reasons)
            )
    x = np.array([features(v, s) for v, s in zip(vectors, stances, strict=True)])
    return Inputs(x, rules_flag, np.array([f is not None for f in raised]), calm)


def fit(x: Any, y: Any) -> tuple[Any, Any]:
    """Softmax regression, L2 on the weights, classes balanced calm vs urgent."""
    d = x.shape[1]
    k = len(CLASSES)
    target = np.eye(k)[y]
    urgent = y > 0
    weight = np.where(urgent, 0.5 / max(urgent.sum(), 1), 0.5 / max((~urgent).sum(), 1))
    w = np.zeros((d, k))
    b = np.zeros(k)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    for step in range(1, STEPS + 1):  # Adam: deterministic from zeros
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - target) * weight[:, None]
        gw = x.T @ g + L2 * w
        gb = g.sum(axis=0)
        for param, grad, m, v in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= (RATE * 0.01) * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w, b


def probabilities(w: Any, b: Any, x: Any) -> Any:
    z = x @ w + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def decide(
    p: Any, threshold: float, inp: Inputs, rows: Any, floors: dict[str, float] | None = None
) -> Any:
    """The triage's verdict (urgent or not) on `rows`, as bot/understanding/triage.py decides:
    a rules' flag stands; else the learned check at `threshold`, unless the reading calms the
    flag of the most likely category; below it, a category at its floor (`floors`), unless the
    reading calms its flag."""
    top = 1 + p[:, 1:].argmax(axis=1)
    urgency = 1.0 - p[:, 0]
    over = urgency >= threshold
    learned = ~inp.ruled[rows] & over & ~inp.calm[rows, top]
    for name, floor in (floors or {}).items():
        k = CLASSES.index(name)
        learned |= ~inp.ruled[rows] & ~over & (p[:, k] >= floor) & ~inp.calm[rows, k]
    return inp.rules_flag[rows] | learned


def choose_floor(oof: Any, inp: Inputs, y: Any, rows: Any, threshold: float) -> dict[str, float]:
    """Self-harm's own floor under `threshold`: the one with the fewest missed self-harm
    messages plus calm messages made urgent, out of fold (the higher floor on a tie); none
    when no floor lowers that sum."""
    k = CLASSES.index("self_harm")

    def cost(floors: dict[str, float]) -> int:
        verdict = decide(oof[rows], threshold, inp, rows, floors)
        missed = int((~verdict & (y[rows] == k)).sum())
        return missed + int(verdict[y[rows] == 0].sum())

    best: tuple[int, dict[str, float]] = (cost({}), {})
    for floor in FLOORS:  # from the highest down: a tie keeps the higher floor
        c = cost({"self_harm": float(floor)})
        if c < best[0]:
            best = (c, {"self_harm": float(floor)})
    return best[1]


def grouped_oof(inp: Inputs, y: Any, rounds: Any, train: Any, groups: list[list[int]]) -> Any:
    """Out-of-fold probabilities for the messages of the rounds in `groups`: each group's from
    a regression fitted on the `train` messages of the other rounds (and every other source)."""
    oof = np.full((len(y), len(CLASSES)), np.nan)
    whole: tuple[Any, Any] | None = None  # one fit on all of `train` serves the rounds outside it
    for group in groups:
        fold = np.isin(rounds, group)
        if not (train & fold).any():
            whole = whole or fit(inp.x[train], y[train])
            w, b = whole
        else:
            keep = train & ~fold
            w, b = fit(inp.x[keep], y[keep])
        oof[fold] = probabilities(w, b, inp.x[fold])
    return oof


def tally(verdict: Any, y: Any) -> tuple[int, int, int, int]:
    """(caught, urgent, calm made urgent, calm)."""
    urgent = y > 0
    return (
        int(verdict[urgent].sum()),
        int(urgent.sum()),
        int(verdict[~urgent].sum()),
        int((~urgent).sum()),
    )


def choose_threshold(oof: Any, inp: Inputs, y: Any, rows: Any, floor: int) -> float:
    """Catches first: of the thresholds that catch at least `floor` emergencies out of fold,
    the one with the fewest calm messages made urgent (the lowest on a tie); with none, the
    one that catches most."""
    best: tuple[int, float] | None = None
    most: tuple[int, float] = (-1, 0.3)
    for t in THRESHOLDS:
        caught, _, false, _ = tally(decide(oof[rows], t, inp, rows), y[rows])
        if caught >= floor and (best is None or false < best[0]):
            best = (false, float(t))
        if caught > most[0]:
            most = (caught, float(t))
    return best[1] if best is not None else most[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-out", type=int, action="append", default=[])
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the model")
    parser.add_argument(
        "--regression",
        action="store_true",
        help="the regression on the base vector alone (no layers of its own): the old recipe",
    )
    args = parser.parse_args()
    hold_out = set(HELD_OUT) | set(args.hold_out)
    knowledge, _ = load_knowledge(ROOT / "knowledge")
    assert knowledge is not None
    max_chars = knowledge.settings.matching.max_chars
    rows = dataset(hold_out)
    y = np.array([CLASSES.index(r.label) for r in rows])
    rounds = np.array([r.round for r in rows])
    inp = inputs([r.text for r in rows], knowledge.red_flags, max_chars)
    train_rounds = sorted({int(r) for r in rounds if r})
    groups = [train_rounds[i::GROUPS] for i in range(GROUPS)]
    print(
        f"{len(rows)} messages ({(y > 0).sum()} urgent), {inp.x.shape[1]} inputs; trained on "
        f"rounds {train_rounds}; held out: rounds {sorted(hold_out)}; folds: rounds {groups}",
        flush=True,
    )
    blind = np.flatnonzero(rounds > 0)
    everything = np.ones(len(rows), bool)
    baseline_train = (rounds == 0) | np.isin(rounds, BASELINE_ROUNDS)
    base_oof = grouped_oof(inp, y, rounds, baseline_train, groups)
    base = tally(decide(base_oof[blind], BASELINE_THRESHOLD, inp, blind), y[blind])
    rules = tally(inp.rules_flag[blind], y[blind])
    tuner = None
    if args.regression:
        oof = grouped_oof(inp, y, rounds, everything, groups)
    else:
        from triage_layers import EPOCHS, TOP, Finetuner  # torch: the `train` extra

        texts = [read(clean(r.text)[:max_chars]).text[:max_chars] for r in rows]
        tuner = Finetuner(texts, inp.x[:, -len(STANCES) :], y, SEED)
        oof = np.full((len(y), len(CLASSES)), np.nan)
        for group in groups:
            fold = np.isin(rounds, group)
            keep = np.flatnonzero(~fold)
            head = tuner.fit(keep, *fit(inp.x[keep], y[keep]))
            oof[fold] = tuner.probabilities(head, np.flatnonzero(fold))
            print(f"  fold {group} done", flush=True)
    threshold = choose_threshold(oof, inp, y, blind, base[0])
    new = tally(decide(oof[blind], threshold, inp, blind), y[blind])
    print("grouped CV (caught, urgent, calm made urgent, calm), out of fold on the rounds:")
    print(f"  rules alone {rules}")
    print(f"  baseline (regression, rounds {BASELINE_ROUNDS}, at {BASELINE_THRESHOLD}) {base}")
    for t in (0.8, 0.85, 0.9, 0.92, 0.94, 0.96, threshold):
        print(f"  this check at {t:.2f}: {tally(decide(oof[blind], t, inp, blind), y[blind])}")
    print(f"threshold {threshold}", flush=True)
    floors = choose_floor(oof, inp, y, blind, threshold)
    floored = tally(decide(oof[blind], threshold, inp, blind, floors), y[blind])
    sh = y[blind] == CLASSES.index("self_harm")
    for f in (None, *FLOORS):
        fl = {} if f is None else {"self_harm": float(f)}
        v = decide(oof[blind], threshold, inp, blind, fl)
        print(
            f"  self-harm floor {f}: {tally(v, y[blind])}, self-harm {int(v[sh].sum())}/{sh.sum()}"
        )
    print(f"self-harm floor {floors}: {floored}", flush=True)
    cv = {
        "folds": f"{GROUPS} groups of whole blind rounds: {groups}",
        "caught": f"{new[0]}/{new[1]}",
        "calm_made_urgent": f"{new[2]}/{new[3]}",
        "baseline_caught": f"{base[0]}/{base[1]}",
        "baseline_calm_made_urgent": f"{base[2]}/{base[3]}",
        "rules_caught": f"{rules[0]}/{rules[1]}",
        "rules_calm_made_urgent": f"{rules[2]}/{rules[3]}",
        "with_floors": f"{floored[0]}/{floored[1]} caught, {floored[2]}/{floored[3]} calm urgent",
    }
    w, b = fit(inp.x, y)
    info: dict[str, Any] = {
        "seed": SEED,
        "held_out_rounds": sorted(hold_out),
        "trained_rounds": train_rounds,
        "messages": len(rows),
        "urgent": int((y > 0).sum()),
        "l2": L2,
        "steps": STEPS,
        "cross_validation": cv,
        "encoder": semantic.MODEL_ID,
        "vector": "base",
    }
    if tuner is not None:
        head = tuner.fit(np.arange(len(rows)), w, b)
        w = head.weight.detach().double().numpy().T
        b = head.bias.detach().double().numpy()
        layers = args.out.with_name(LAYERS.name)
        tuner.save(layers)
        if args.out == WEIGHTS:
            tuner.reference(REFERENCE, REFERENCE_TEXTS, layers)
        info |= {
            "vector": "triage",
            "layers": f"top {TOP} of all-MiniLM-L6-v2, fine-tuned ({layers.name})",
            "layers_sha256": hashlib.sha256(layers.read_bytes()).hexdigest(),
            "epochs": EPOCHS,
        }
        print(f"wrote {layers}" + (f" and {REFERENCE}" if args.out == WEIGHTS else ""))
    model = TriageModel(
        classes=CLASSES,
        flags=FLAGS,
        weights=w,
        bias=b,
        threshold=threshold,
        info=info,
        floors=floors,
    )
    model.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
