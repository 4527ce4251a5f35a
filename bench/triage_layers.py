"""The triage check's own top layers: a fine-tune of all-MiniLM-L6-v2's top 2 transformer
layers with a softmax head over the triage classes (torch, CPU, the `train` extra; used by
bench/train_safety.py, never at run time).

The lower 4 layers stay the base model's: their outputs are computed once per text and cached
(bench/train_meaning.py's `Model` with `tuned_layers=2`), so at run time the numpy encoder runs
them once for the base vector (the matcher's) and the triage's (bot/understanding/semantic.py
`encode_triage`). The head reads the triage vector as the regression read the base one
(bot/understanding/triage_model.py `features`: the unit vector scaled, and the reading) and
starts from the regression fitted on the same messages; cross-entropy, classes weighted so calm
and urgent weigh alike, AdamW, seeded, one thread, deterministic algorithms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional as F
from train_meaning import BASE_MODEL, Model  # bench/ is the script folder: on sys.path

from bot.understanding.semantic import base_model_dir
from bot.understanding.triage_model import VECTOR_SCALE

TOP = 2  # the layers that learn (the top ones); the lower 4 stay frozen
EPOCHS = 3
BATCH = 32
LR_LAYERS = 3e-5
LR_HEAD = 1e-3
WEIGHT_DECAY = 0.01


class Finetuner:
    """The frozen lower layers' outputs of every text, computed once; `fit` trains the top
    layers and a head from the base ones on some of the texts."""

    def __init__(self, texts: list[str], stance: Any, y: Any, seed: int) -> None:
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        self.model = Model(base_model_dir(), tuned_layers=TOP)
        self.hidden = [self.model.frozen(t) for t in texts]
        self.base_state = [
            {k: v.clone() for k, v in layer.state_dict().items()} for layer in self.model.top
        ]
        self.stance = torch.tensor(np.asarray(stance), dtype=torch.float32)
        self.y = np.asarray(y)
        self.seed = seed

    def fit(self, rows: Any, w0: Any, b0: Any) -> torch.nn.Linear:
        """Train on `rows` from the base top layers and the head (w0, b0): the regression."""
        torch.manual_seed(self.seed)
        model = self.model
        model.restore(self.base_state)
        head = torch.nn.Linear(w0.shape[0], w0.shape[1])
        head.weight.data = torch.tensor(w0.T, dtype=torch.float32).contiguous()
        head.bias.data = torch.tensor(b0, dtype=torch.float32)
        y = self.y
        urgent = y[rows] > 0
        weight = torch.tensor(
            np.where(y > 0, 0.5 / urgent.sum(), 0.5 / (~urgent).sum()), dtype=torch.float32
        )
        labels = torch.tensor(y)
        optimiser = torch.optim.AdamW(
            [
                {
                    "params": [p for layer in model.top for p in layer.parameters()],
                    "lr": LR_LAYERS,
                    "weight_decay": WEIGHT_DECAY,
                },
                {"params": head.parameters(), "lr": LR_HEAD, "weight_decay": 0.0},
            ]
        )
        rng = np.random.default_rng(self.seed)
        lengths = np.array([len(h) for h in self.hidden])
        for _ in range(EPOCHS):
            order = rng.permutation(rows)
            batches = []
            for start in range(0, len(order), 8 * BATCH):  # like lengths: little padding
                chunk = order[start : start + 8 * BATCH]
                chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
                batches += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
            rng.shuffle(batches)
            for batch in batches:
                v = model.encode([self.hidden[i] for i in batch]) * VECTOR_SCALE
                logits = head(torch.cat([v, self.stance[batch]], 1))
                loss = F.cross_entropy(logits, labels[batch], reduction="none") @ weight[batch]
                loss = loss * (len(rows) / len(batch))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        return head

    @torch.no_grad()
    def probabilities(self, head: torch.nn.Linear, rows: Any) -> Any:
        v = self.model.vectors([self.hidden[i] for i in rows]) * VECTOR_SCALE
        return torch.softmax(head(torch.cat([v, self.stance[rows]], 1)), -1).double().numpy()

    def save(self, path: Path) -> None:
        """The top layers, fp16, under the base model's names (semantic.Encoder loads them)."""
        tensors: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.model.top):
            tensors |= layer.export(f"encoder.layer.{self.model.first + i}")
        half = {k: v.half().contiguous() for k, v in tensors.items()}
        save_file(half, str(path), metadata={"base_model": BASE_MODEL})

    @torch.no_grad()
    def reference(self, path: Path, texts: list[str], layers: Path) -> None:
        """torch's triage vectors of `texts` with the weights as shipped (fp16, computed in
        float32): tests/understanding/test_triage_model.py checks the numpy encoder against them."""
        shipped = load_file(str(layers))
        for i, layer in enumerate(self.model.top):
            layer.load(
                {k: v.float() for k, v in shipped.items()}, f"encoder.layer.{self.model.first + i}"
            )
        vectors = self.model.vectors([self.model.frozen(t) for t in texts])
        data = {
            "layers_sha256": _sha256(layers),
            "texts": texts,
            "vectors": [[round(float(x), 6) for x in v] for v in vectors],
        }
        path.write_text(json.dumps(data) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
