"""How the default install does on real readers' messages, and on the team's own sets.

The figures README quotes as honest are the cross-validated ones written by
`bench/calibrate.py` (each real message judged by a model that never saw it). These tests run
the shipped model on whole files, so they catch a change that breaks the decision; the floors
are a little under the current figures (README, "Matching quality"). Never lower a floor to
make a change pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge.loading import Knowledge
from bot.models import Outcome
from bot.understanding.decision import lead_lost
from bot.understanding.evaluate import Report, evaluate, load_cases
from bot.understanding.semantic import available
from bot.understanding.snapshot import Snapshot

DATA = Path(__file__).parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not available(), reason="needs the default install")


@pytest.fixture(scope="module")
def meaning(bundled_knowledge: Knowledge) -> Snapshot:
    return Snapshot.build(bundled_knowledge, meaning=True)


@pytest.fixture(scope="module")
def words(bundled_knowledge: Knowledge) -> Snapshot:
    return Snapshot.build(bundled_knowledge, meaning=False)


def run(snapshot: Snapshot, name: str) -> Report:
    return evaluate(snapshot, load_cases(DATA / name, snapshot))


def test_real_messages_are_never_answered_wrongly_and_mostly_one_tap(meaning: Snapshot) -> None:
    report = run(meaning, "real_dev.yaml")
    assert report.covered >= 50 and report.uncovered >= 70
    assert report.wrong_rate <= 0.02, report.failures
    assert report.false_answer_rate <= 0.03, report.failures
    assert report.right_rate >= 0.22
    # choices only when real: few uncovered readers see a list, and every question that is
    # not answered reaches the doctor (at once, or after the choices' grace period)
    assert report.choices_uncovered_rate <= 0.25, report.choices_uncovered
    assert report.reaches_doctor_rate >= 0.95
    # the price, measured: fewer covered readers are one tap from their answer
    assert report.one_tap >= 0.70


def test_the_light_mode_is_not_confidently_wrong_either(words: Snapshot) -> None:
    report = run(words, "real_dev.yaml")
    assert report.wrong_rate <= 0.03
    assert report.false_answer_rate <= 0.05
    assert report.right_rate + report.assisted_rate >= 0.5
    assert report.choices_uncovered_rate <= 0.3


def test_held_aside_figures_of_the_shipped_calibration() -> None:
    """The cross-validated figures that `make calibrate` recorded with the shipped model."""
    held = json.loads((ROOT / "bot" / "understanding" / "calibration.json").read_text())[
        "held_aside"
    ]
    assert held["meaning"]["wrong_rate"] <= 0.02
    assert held["meaning"]["false_answer_rate"] <= 0.03
    assert held["words"]["wrong_rate"] <= 0.03
    assert held["words"]["false_answer_rate"] <= 0.05
    assert held["meaning"]["choices_uncovered_rate"] <= 0.25
    assert held["meaning"]["reaches_doctor_rate"] >= 0.95


@pytest.mark.parametrize("name", ["dev_cases.yaml", "holdout_cases.yaml"])
def test_the_teams_own_sets(meaning: Snapshot, name: str) -> None:
    report = run(meaning, name)
    assert report.wrong_rate <= 0.01
    assert report.false_answer_rate <= 0.01
    assert report.right_rate + report.assisted_rate >= 0.98
    assert report.one_tap >= 0.97
    assert report.right_rate >= 0.65


def test_a_message_with_a_covered_and_an_uncovered_question(meaning: Snapshot) -> None:
    decision, _ = meaning.decide(
        "Does diet have any effect on my acne? Also, how often should I exfoliate?"
    )
    assert decision.outcome is Outcome.ANSWER
    assert decision.entry is not None and decision.entry.id == "diet-dairy-sugar-acne"
    assert [e.id for e in decision.also] == ["how-often-exfoliate-aha"]
    # two questions on one subject (pregnancy): the second pulls the tuned model towards its
    # own entry, so the message's lead is small; each question alone passes the gate, so the
    # first is answered and the other offered beside it, as with the base model alone
    text = "Is Botox safe while breastfeeding? Also, can I use retinol while pregnant?"
    for tuned in (True, False):
        snapshot = Snapshot.build(meaning.knowledge, meaning=True, tuned=tuned)
        decision, _ = snapshot.decide(text)
        assert decision.outcome is Outcome.ANSWER, tuned
        assert decision.entry is not None and decision.entry.id == "botox-pregnancy-breastfeeding"
        assert [e.id for e in decision.also] == ["retinoids-in-pregnancy"]
    # one of the two questions uncovered: the lead is lost the same way, but that question
    # fails the gate alone, so nothing is answered
    text = "Is Botox safe while breastfeeding? Also, does Botox help with an overactive bladder?"
    matcher = meaning.matcher
    assert lead_lost(matcher.settings.tuned, matcher.evidence(text).features)
    assert meaning.decide(text)[0].outcome is not Outcome.ANSWER


def test_off_topic_gets_the_honest_reply_not_padding(meaning: Snapshot) -> None:
    for text in ("do you know a good plastic surgeon in Seattle?", "what's the weather tomorrow"):
        assert meaning.decide(text)[0].outcome is Outcome.UNMATCHED, text
