"""The learned check: a softmax head that reads a message's triage vector.

The rules (bot/understanding/safety.py) catch the signs someone wrote a phrase for; this catches the ones
nobody did ("when I drink, it comes out of my nose" after neck Botox). Its inputs:
- the message's triage vector: all-MiniLM-L6-v2 whose top 2 layers were fine-tuned for
  triage (bot/understanding/triage_layers.safetensors, fp16; `Encoder.encode_triage` runs the
  base layers 1-4 once for the matcher's base vector and this one), of the text the matcher
  encodes; a model trained with `--regression` reads the base vector itself (`own_layers`
  False);
- the reading (bot/understanding/stance.py): report, risk question, past, treated, other.
Its output: a probability per class, `calm` and one per emergency category. The weights are
package data (bot/understanding/triage_model.json and the layers), written by `make train-safety` (bench/train_safety.py,
seeded, repeatable); tests/understanding/test_triage_model.py checks fixed messages against fixed
probabilities and the layers against torch's vectors. The head: a 389 x 6 matrix product.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.understanding.stance import Stance

WEIGHTS = Path(__file__).with_name("triage_model.json")
STANCES = (Stance.REPORT, Stance.RISK_QUESTION, Stance.PAST, Stance.TREATED, Stance.OTHER)
# the meaning vector is unit length (components ~0.05): scaled so that its weights are of the
# same order as the other features' under one L2 penalty
VECTOR_SCALE = 4.0


def features(vector: Any, stance: Stance) -> Any:
    """One row of inputs (float64): the scaled vector and the reading. Not what the rules
    said: they were written on the same messages the model learns from, so there they look
    right every time, and the model would learn to trust them and nothing else."""
    import numpy as np

    extra = [float(stance is s) for s in STANCES]
    return np.concatenate([np.asarray(vector, np.float64) * VECTOR_SCALE, np.array(extra)])


@dataclass(frozen=True, slots=True)
class TriageModel:
    """Softmax regression: `probabilities(x)` = softmax(x @ weights + bias)."""

    classes: tuple[str, ...]  # "calm" first, then the emergency categories
    flags: dict[str, str]  # category -> red flag id in knowledge/safety.yaml
    weights: Any  # (features, classes)
    bias: Any  # (classes,)
    threshold: float  # urgent when 1 - p(calm) reaches this (and the rules did not flag)
    info: dict[str, Any]  # how it was trained (data, seed, figures), for the record
    # category -> its own probability at which it alone makes a message urgent, below
    # `threshold`: a missed self-harm message costs more than a false alarm (bench/train_safety.py
    # `choose_floor` picks it on the training rounds' cross-validation)
    floors: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> TriageModel | None:
        """The shipped model, or None when there is none (the rules alone then)."""
        import numpy as np

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return cls(
            classes=tuple(data["classes"]),
            flags=dict(data["flags"]),
            weights=np.asarray(data["weights"], np.float64),
            bias=np.asarray(data["bias"], np.float64),
            threshold=float(data["threshold"]),
            info=dict(data.get("info", {})),
            floors={k: float(v) for k, v in data.get("floors", {}).items()},
        )

    @property
    def own_layers(self) -> bool:
        """Whether it reads the vector of its own top layers (bot/understanding/
        triage_layers.safetensors, `Encoder.encode_triage`) rather than the base one."""
        return self.info.get("vector") == "triage"

    def probabilities(self, x: Any) -> Any:
        """(classes,) or (n, classes) probabilities for one row or a matrix of rows."""
        import numpy as np

        z = x @ self.weights + self.bias
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def save(self, path: Path = WEIGHTS) -> None:
        data = {
            "classes": list(self.classes),
            "flags": self.flags,
            "threshold": round(self.threshold, 4),
            "floors": {k: round(v, 4) for k, v in self.floors.items()},
            "info": self.info,
            "bias": [round(float(b), 5) for b in self.bias],
            "weights": [[round(float(w), 5) for w in row] for row in self.weights],
        }
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
