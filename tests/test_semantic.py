"""The meaning signal (in the default install, `make install`).

`tests/conftest.py` leaves this file out when the extra is not installed; the rest of the suite
always tests the default, lexical matcher.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import Knowledge
from bot.models import Outcome
from bot.semantic import shared_encoder
from bot.service import Snapshot

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
    encoder = shared_encoder()
    texts = ["short one", "a much longer sentence about sunscreen on cloudy days in winter"]
    batch = encoder.encode(texts)
    single = np.stack([encoder.encode_one(t) for t in texts])
    assert np.abs(batch - single).max() < 1e-4


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
