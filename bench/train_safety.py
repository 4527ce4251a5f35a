"""Train the learned triage check (bot/understanding/triage_model.py) and write bot/understanding/triage_model.json.

    make train-safety                                  # what ships
    .venv/bin/python bench/train_safety.py --hold-out 10 --out /tmp/model.json   # a round kept aside

Data (labels: calm, or the emergency's category):
- tests/data/triage_blind.yaml: the blind-written rounds, all but those `--hold-out` names
  (the newest round is never trained on: see HELD_OUT);
- tests/data/triage_cases.yaml: the team's cases (`outcome: urgent` and `style`);
- knowledge/safety.yaml: each flag's `examples` (urgent) and `not_urgent`;
- the bundled knowledge's questions, alternates and examples (calm: ordinary questions);
- tests/data/risk_questions.yaml: general questions about a risk (calm).
Not trained on: tests/data/real_triage.yaml (real readers' messages: the check on real
writing, kept aside) and the held-out rounds.

Inputs per message as the bot computes them (bot/understanding/triage.py): the base meaning vector of the
text the matcher encodes, the rules' verdict and signs, the reading. The model: softmax
regression with an L2 penalty, full-batch gradient descent from zeros (deterministic); the
classes are weighted so calm and urgent weigh alike. The threshold: the lowest urgency at
which, in 5-fold cross-validation (folds shuffled with SEED), the combined triage makes at
most MAX_FALSE of the calm look-alikes (blind rounds and team cases) urgent. Vectors are
cached on disk by the encoder (`encode_cached`), so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.understanding import semantic  # noqa: E402
from bot.understanding.reading import read  # noqa: E402
from bot.understanding.safety import SafetyCheck  # noqa: E402
from bot.understanding.stance import read_stance  # noqa: E402
from bot.understanding.text import clean  # noqa: E402
from bot.understanding.triage_model import WEIGHTS, TriageModel, features  # noqa: E402

DATA = ROOT / "tests" / "data"
SEED = 20261207
HELD_OUT = (12, 13, 15, 16, 17, 18, 19)  # never trained on (README "Safety"): 12, 13, 15 and 19 are
# the reported figures; 16-18 are measured but not trained on yet (trained on, the rule picked a
# threshold that missed more emergencies on the held-out rounds: README "Safety")
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
MAX_FALSE = 0.02
FOLDS = 5


def category(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in CLASSES:
        raise SystemExit(f"unknown category {name!r}")
    return name


def dataset(hold_out: set[int]) -> list[tuple[str, str, str]]:
    """(text, class, group) triples; group names the source (look-alikes are measured)."""
    rows: list[tuple[str, str, str]] = []
    for case in yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8")):
        if case["round"] in hold_out:
            continue
        label = category(case["category"]) if case["urgent"] else "calm"
        rows.append((case["text"], label, "look-alike"))
    for case in yaml.safe_load((DATA / "triage_cases.yaml").read_text(encoding="utf-8")):
        urgent = case.get("outcome") == "urgent"
        label = category(case["style"].split("-")[0]) if urgent else "calm"
        rows.append((case["text"], label, "look-alike"))
    risk = DATA / "risk_questions.yaml"
    if risk.exists():
        rows += [(c["text"], "calm", "risk") for c in yaml.safe_load(risk.read_text("utf-8"))]
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        raise SystemExit("\n".join(str(p) for p in problems))
    for flag in knowledge.red_flags:
        rows += [(t, FLAG_CATEGORY[flag.id], "flag example") for t in flag.examples]
        rows += [(t, "calm", "flag example") for t in flag.not_urgent]
    for entry in knowledge.entries.values():
        rows += [
            (t, "calm", "knowledge") for t in (entry.question, *entry.alternates, *entry.examples)
        ]
    return rows


def inputs(texts: list[str], rules: SafetyCheck, max_chars: int) -> tuple[Any, Any]:
    """The model's input rows, and whether the rules flagged each message."""
    encoder = semantic.shared_encoder()
    cut = [clean(t)[:max_chars] for t in texts]
    vectors = encoder.encode_cached([read(t).text[:max_chars] for t in cut])
    flagged = np.array([rules.red_flag(t) is not None for t in cut])
    rows = [features(v, read_stance(t).stance) for v, t in zip(vectors, cut, strict=True)]
    return np.array(rows), flagged


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


def urgency(w: Any, b: Any, x: Any) -> Any:
    z = x @ w + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return 1.0 - p[:, 0]


def choose_threshold(oof: Any, y: Any, flagged: Any, lookalike: Any) -> float:
    """The lowest threshold at which the model alone makes at most MAX_FALSE of the calm
    look-alikes that the rules leave calm urgent (out-of-fold urgencies; the rules are not
    judged here: they were written on these very messages)."""
    calm = lookalike & (y == 0) & ~flagged
    for t in np.arange(0.30, 0.99, 0.01):
        if (oof[calm] >= t).mean() <= MAX_FALSE:
            return float(round(t, 2))
    return 0.99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-out", type=int, action="append", default=[])
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the model")
    args = parser.parse_args()
    hold_out = set(HELD_OUT) | set(args.hold_out)
    knowledge, _ = load_knowledge(ROOT / "knowledge")
    assert knowledge is not None
    max_chars = knowledge.settings.matching.max_chars
    rules = SafetyCheck(knowledge.red_flags)
    rows = dataset(hold_out)
    texts = [t for t, _, _ in rows]
    y = np.array([CLASSES.index(c) for _, c, _ in rows])
    lookalike = np.array([g == "look-alike" for _, _, g in rows])
    x, flagged = inputs(texts, rules, max_chars)
    print(
        f"{len(rows)} messages ({(y > 0).sum()} urgent), {x.shape[1]} inputs; held out: "
        f"rounds {sorted(hold_out)}"
    )

    rng = np.random.default_rng(SEED)
    fold = rng.permutation(len(rows)) % FOLDS
    oof = np.zeros(len(rows))
    for f in range(FOLDS):
        w, b = fit(x[fold != f], y[fold != f])
        oof[fold == f] = urgency(w, b, x[fold == f])
    threshold = choose_threshold(oof, y, flagged, lookalike)
    urgent = y > 0
    combined = flagged | (oof >= threshold)
    cv = {
        "caught": round(float(combined[urgent & lookalike].mean()), 4),
        "calm_made_urgent": round(float(combined[~urgent & lookalike].mean()), 4),
        "rules_caught": round(float(flagged[urgent & lookalike].mean()), 4),
        "rules_calm_made_urgent": round(float(flagged[~urgent & lookalike].mean()), 4),
        "knowledge_made_urgent": int(
            combined[np.array([g == "knowledge" for _, _, g in rows])].sum()
        ),
    }
    for name, mask in (("urgent", urgent & lookalike), ("calm", ~urgent & lookalike)):
        print(
            name,
            "model alone caught/flagged:",
            round(float((oof[mask] >= threshold).mean()), 4),
            "urgency quantiles:",
            np.round(np.quantile(oof[mask], [0.01, 0.05, 0.1, 0.5, 0.9, 0.95, 0.99]), 3),
        )
    print(f"threshold {threshold}; {FOLDS}-fold cross-validation on the look-alikes: {cv}")
    w, b = fit(x, y)
    model = TriageModel(
        classes=CLASSES,
        flags=FLAGS,
        weights=w,
        bias=b,
        threshold=threshold,
        info={
            "seed": SEED,
            "held_out_rounds": sorted(hold_out),
            "messages": len(rows),
            "urgent": int(urgent.sum()),
            "l2": L2,
            "steps": STEPS,
            "cross_validation": cv,
            "encoder": semantic.MODEL_ID,
        },
    )
    model.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
