"""Writes tests/data/triage_reference.json: the learned triage check's probabilities for a few
fixed messages, which tests/understanding/test_triage_model.py checks the shipped model against. Run after
`make train-safety` (the file records which weights it was made with):

    .venv/bin/python tests/data/make_triage_reference.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.understanding.triage import Triage  # noqa: E402
from bot.understanding.triage_model import WEIGHTS, features  # noqa: E402

OUT = Path(__file__).with_name("triage_reference.json")

# the team's own words: emergencies with no phrase of the rules' kind, look-alikes, questions
MESSAGES = [
    "Since the neck botox on Friday, when I drink tea some of it comes back out through my nose.",
    "Had the filler put in my cheek this morning and now the skin beside my nostril looks marbled.",
    "Can lip filler ever block an artery? Asking before my first appointment.",
    "How long does Botox last on the forehead?",
    "Two years ago my lip went pale after filler, it was dissolved and has been fine ever since.",
    "I gave away my cat and wrote letters to everyone, I won't need the follow-up appointment.",
    "My tummy tuck scar is hot and oozing and I've been shivering all night.",
    "Is it normal to have a small bruise two days after lip filler?",
]


def main() -> None:
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        raise SystemExit("\n".join(str(p) for p in problems))
    triage = Triage.build(knowledge.red_flags, meaning=True)
    assert triage.model is not None, "no shipped model or no meaning signal"
    rows = []
    for text in MESSAGES:
        verdict = triage.assess(text)
        vector = verdict.vector
        if triage.model.own_layers:
            vector = triage.encoder.encode_triage([verdict.reading.text])[1][0]  # type: ignore[union-attr]
        p = triage.model.probabilities(features(vector, verdict.stance))
        rows.append(
            {
                "text": text,
                "stance": verdict.stance.value,
                "probabilities": [round(float(x), 5) for x in p],
                "urgent": verdict.flag.id if verdict.flag else None,
            }
        )
    data = {
        "model_sha256": hashlib.sha256(WEIGHTS.read_bytes()).hexdigest(),
        "classes": list(triage.model.classes),
        "messages": rows,
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
