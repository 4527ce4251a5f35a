"""The calibrated decision (bot/understanding/decision.py): pure, so each rule is shown on made-up evidence."""

from __future__ import annotations

import numpy as np
import pytest

from bench import calibrate
from bot.knowledge.schema import Calibration, Matching
from bot.models import Entry, Outcome
from bot.understanding.decision import (
    WORDS_VETO,
    Candidate,
    Evidence,
    confidence,
    decide,
    each_question_answered,
    lead_lost,
)

ENTRIES = [
    Entry(f"e{i}", f"Question {i}?", "Answer.", f"https://example.org/{i}") for i in range(5)
]
CALIBRATION = Calibration(
    bias=-4.0, weights={"meaning": 8.0}, answer=0.9, likely=0.6, floor=0.4, gap=0.1
)
SETTINGS = Matching(tuned=CALIBRATION, meaning=CALIBRATION, words=CALIBRATION)


def evidence(closeness: list[float], meaning: float, *, with_meaning: bool = True) -> Evidence:
    candidates = tuple(Candidate(e, c) for e, c in zip(ENTRIES, closeness, strict=False))
    return Evidence(candidates, {"meaning": meaning}, meaning=with_meaning)


def test_confidence_is_the_logistic_of_the_weighted_features() -> None:
    assert confidence(CALIBRATION, {"meaning": 0.5}) == pytest.approx(0.5)
    assert confidence(CALIBRATION, {"meaning": 1.0}) == pytest.approx(1 / (1 + 2.718281828**-4))
    assert confidence(CALIBRATION, {"meaning": 1e9}) == pytest.approx(1.0)  # no overflow


def test_sure_enough_answers() -> None:
    decision = decide(evidence([0.9, 0.5], meaning=0.9), SETTINGS)  # confidence 0.96
    assert decision.outcome is Outcome.ANSWER and decision.entry == ENTRIES[0]


def test_likely_offers_the_one_entry() -> None:
    decision = decide(evidence([0.7, 0.65], meaning=0.6), SETTINGS)  # confidence 0.69
    assert decision.outcome is Outcome.SUGGEST and decision.likely
    assert [s.entry for s in decision.suggestions] == [ENTRIES[0]]


def test_unsure_offers_only_the_close_ones_best_first() -> None:
    decision = decide(evidence([0.7, 0.65, 0.61, 0.55, 0.45], meaning=0.4), SETTINGS)
    assert decision.outcome is Outcome.SUGGEST and not decision.likely
    assert [s.entry.id for s in decision.suggestions] == ["e0", "e1", "e2"]  # within the gap
    narrow = Matching(meaning=CALIBRATION, words=CALIBRATION, max_suggestions=2)
    assert len(decide(evidence([0.7, 0.65, 0.61], meaning=0.4), narrow).suggestions) == 2


def test_nothing_close_goes_to_the_doctor_without_padding() -> None:
    assert decide(evidence([0.39, 0.3], meaning=0.99), SETTINGS).outcome is Outcome.UNMATCHED
    assert decide(Evidence(()), SETTINGS).outcome is Outcome.UNMATCHED


def test_words_alone_never_answer_past_the_veto() -> None:
    vetoed = Evidence(
        (Candidate(ENTRIES[0], 0.9),), {"meaning": 0.99, "veto": WORDS_VETO}, meaning=False
    )
    assert decide(vetoed, SETTINGS).outcome is Outcome.SUGGEST
    with_meaning = Evidence(vetoed.candidates, vetoed.features, meaning=True)
    assert decide(with_meaning, SETTINGS).outcome is Outcome.ANSWER  # the model weighs it


def test_each_signal_set_has_its_own_calibration() -> None:
    strict = Calibration(bias=-4.0, weights={"meaning": 8.0}, answer=0.999, floor=0.4)
    settings = Matching(tuned=strict, meaning=CALIBRATION, words=strict)
    assert decide(evidence([0.9], 0.9), settings).outcome is Outcome.ANSWER
    assert decide(evidence([0.9], 0.9, with_meaning=False), settings).outcome is Outcome.SUGGEST
    # the tuned model's signals: its own calibration
    with_tuned = Evidence(
        (Candidate(ENTRIES[0], 0.9),), {"meaning": 0.9, "tuned": 0.5, "tuned_lead": 0.0}, True
    )
    assert decide(with_tuned, settings).outcome is Outcome.SUGGEST
    assert decide(with_tuned, Matching(meaning=strict, tuned=CALIBRATION)).outcome is (
        Outcome.ANSWER
    )


def test_the_shipped_calibration_is_loaded_by_default() -> None:
    default = Matching()
    for calibration in (default.meaning, default.words):
        assert calibration.weights, "bot/understanding/calibration.json is missing or unreadable"
        assert 0 < calibration.likely <= calibration.answer < 1
    # with the tuned model, the tuned model's gate answers (the confidence: the rest)
    assert default.tuned.weights and 0 < default.tuned.likely < 1
    assert 0 < default.tuned.tuned_answer < 1 and 0 < default.tuned.tuned_lead < 1


def test_under_the_offer_floors_no_choices_are_shown() -> None:
    """Choices only when real: no list under the `offer_sure` confidence, and only entries at
    or above the `offer` closeness; with none left, the honest unmatched reply."""
    close = [0.7, 0.65, 0.61]
    assert decide(evidence(close, meaning=0.35), SETTINGS).outcome is Outcome.SUGGEST
    sure = CALIBRATION.model_copy(update={"offer_sure": 0.3})
    by_sure = Matching(meaning=sure, words=sure)
    assert decide(evidence(close, meaning=0.4), by_sure).outcome is Outcome.SUGGEST  # 0.31
    low = decide(evidence(close, meaning=0.35), by_sure)  # confidence 0.23
    assert low.outcome is Outcome.UNMATCHED and not low.suggestions
    near = CALIBRATION.model_copy(update={"offer": 0.64})
    by_closeness = Matching(meaning=near, words=near)
    listed = decide(evidence(close, meaning=0.4), by_closeness)
    assert [s.entry.id for s in listed.suggestions] == ["e0", "e1"]  # 0.61 is not offered
    far = decide(evidence([0.63, 0.6], meaning=0.4), by_closeness)
    assert far.outcome is Outcome.UNMATCHED and not far.suggestions


def rows(covered: list[bool], best: list[float], right: list[bool]) -> list[dict]:
    return [
        {"covered": c, "best": b, "y": float(y)}
        for c, b, y in zip(covered, best, right, strict=True)
    ]


def test_calibrate_puts_the_offer_floor_where_few_uncovered_see_choices() -> None:
    # ten uncovered messages, all in the list region; closeness 0.60 … 0.78, confidence 0 … 0.45
    uncovered = rows([False] * 10, [0.6 + 0.02 * i for i in range(10)], [False] * 10)
    # five covered ones whose first entry is right: close, but of low confidence
    covered = rows([True] * 5, [0.9] * 5, [True] * 5)
    p = np.array([0.05 * i for i in range(10)] + [0.1] * 5)
    floors = calibrate.offer_floors(uncovered + covered, p, answer=0.9, likely=0.8, floor=0.5)
    allowed = int(calibrate.MAX_CHOICES_UNCOVERED * 10)
    # closeness keeps all five covered ones one tap away; confidence would lose them
    assert floors["offer_sure"] == 0.0
    shown = [r for r in uncovered if r["best"] >= floors["offer"]]
    assert len(shown) == allowed
    # when the covered ones are the confident ones, the floor goes on confidence
    p2 = np.array([0.05 * (9 - i) for i in range(10)] + [0.7] * 5)
    covered_far = rows([True] * 5, [0.55] * 5, [True] * 5)
    floors = calibrate.offer_floors(uncovered + covered_far, p2, answer=0.9, likely=0.8, floor=0.5)
    assert floors["offer"] == 0.0 and floors["offer_sure"] > 0
    assert sum(1 for q in p2[:10] if q >= floors["offer_sure"]) == allowed


GATED = CALIBRATION.model_copy(update={"answer": 1.0, "tuned_answer": 0.6, "tuned_lead": 0.2})


def tuned_evidence(tuned: float, lead: float) -> Evidence:
    candidates = tuple(Candidate(e, c) for e, c in zip(ENTRIES, [0.7, 0.65], strict=False))
    features = {"meaning": 0.6, "tuned": tuned, "tuned_lead": lead}
    return Evidence(candidates, features, meaning=True)


def test_the_tuned_gate_answers_only_when_close_and_clearly_ahead() -> None:
    gated = Matching(tuned=GATED, meaning=CALIBRATION, words=CALIBRATION)
    answered = decide(tuned_evidence(0.7, 0.25), gated)
    assert answered.outcome is Outcome.ANSWER and answered.entry == ENTRIES[0]
    # close but not ahead (a near-miss beside another entry), or ahead but not close: as before
    for tuned, lead in ((0.7, 0.1), (0.55, 0.3), (0.7, -0.05)):
        assert decide(tuned_evidence(tuned, lead), gated).outcome is Outcome.SUGGEST
    # off (the defaults) or without the tuned model's signals, the gate never answers
    assert decide(tuned_evidence(0.99, 0.9), SETTINGS).outcome is Outcome.SUGGEST
    assert decide(evidence([0.7, 0.65], meaning=0.6), gated).outcome is Outcome.SUGGEST


def question(entry: int, tuned: float, lead: float) -> Evidence:
    """One question of a message, weighed alone: its best entry and the tuned signals."""
    return Evidence((Candidate(ENTRIES[entry], 0.8),), {"tuned": tuned, "tuned_lead": lead}, True)


def test_several_questions_each_clearly_an_entrys_answer_the_best() -> None:
    """The message's gate lost only on its lead (another question's entry is close too): when
    every question alone passes the gate, one of them with the message's best entry, it answers
    (as each would if sent alone); not when one question fails, none names the best entry, the
    lead was not what failed, or there is one question only."""
    message = tuned_evidence(0.7, 0.1)  # close, not clearly ahead
    assert lead_lost(GATED, message.features)
    assert not lead_lost(GATED, tuned_evidence(0.55, 0.1).features)  # not close: lost anyway
    assert not lead_lost(GATED, tuned_evidence(0.7, 0.3).features)  # the gate passes
    assert not lead_lost(GATED, {"meaning": 0.6})  # without the tuned model
    parts = {"q0": question(0, 0.9, 0.3), "q1": question(1, 0.8, 0.3), "q2": question(0, 0.9, 0.1)}
    weighed: list[str] = []

    def weigh(text: str) -> Evidence:
        weighed.append(text)
        return parts[text]

    assert each_question_answered(GATED, message, ["q0", "q1"], weigh)
    assert not each_question_answered(GATED, message, ["q2", "q0", "q1"], weigh)
    assert weighed[-1] == "q2"  # stops at the first question that fails
    assert not each_question_answered(GATED, message, ["q1", "q1"], weigh)  # best not named
    assert not each_question_answered(GATED, message, ["q0"], weigh)  # one question
    weighed.clear()
    assert not each_question_answered(GATED, tuned_evidence(0.7, 0.3), ["q0", "q1"], weigh)
    assert not each_question_answered(GATED, tuned_evidence(0.5, 0.1), ["q0", "q1"], weigh)
    assert weighed == []  # the questions are weighed only when the lead was lost


def test_calibrate_picks_the_gate_that_answers_most_within_the_limits() -> None:
    # 10 covered messages rightly first (tuned 0.70..0.79, lead 0.3), 1 covered wrongly first
    # at 0.75, and 20 uncovered (two of them close: 0.72 and 0.78, lead 0.1)
    rows = [
        {"covered": True, "y": 1.0, "features": {"tuned": 0.70 + 0.01 * i, "tuned_lead": 0.3}}
        for i in range(10)
    ]
    rows.append({"covered": True, "y": 0.0, "features": {"tuned": 0.75, "tuned_lead": 0.05}})
    rows += [
        {"covered": False, "y": 0.0, "features": {"tuned": 0.3 + 0.01 * i, "tuned_lead": 0.02}}
        for i in range(18)
    ]
    rows += [
        {"covered": False, "y": 0.0, "features": {"tuned": t, "tuned_lead": 0.1}}
        for t in (0.72, 0.78)
    ]
    gate = calibrate.tuned_gate(rows, np.zeros(len(rows)), answer=1.0)
    # all ten right ones pass; neither the wrong one nor the close uncovered ones do
    assert gate["tuned_answer"] <= 0.70 and 0.1 < gate["tuned_lead"] <= 0.3
    cos = np.array([r["features"]["tuned"] for r in rows])
    lead = np.array([r["features"]["tuned_lead"] for r in rows])
    answered = (cos >= gate["tuned_answer"]) & (lead >= gate["tuned_lead"])
    assert answered[:10].all() and not answered[10:].any()
    # no pair adds a right answer: the gate stays off
    none_right = [dict(r, y=0.0) for r in rows]
    off = calibrate.tuned_gate(none_right, np.zeros(len(rows)), answer=1.0)
    assert off == {"tuned_answer": 1.0, "tuned_lead": 1.0}
