"""The matcher: its parts, the decisions that matter most, and the development-set numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Entry, Outcome
from bot.understanding.analysis import Analyzer, question_kinds
from bot.understanding.evaluate import evaluate, load_cases
from bot.understanding.matching import Matcher
from bot.understanding.snapshot import Snapshot

DATA = Path(__file__).parents[1] / "data"

# Floors for the development set in the light (words-only) mode; README's table has the
# current numbers. Raise them when the matcher improves; never lower them to make a change pass.
# (Lowered once, from 0.78, when the decision was calibrated on real readers' messages and
# traded direct answers for far fewer false ones: issue 10.)
# right + assisted: a few covered cases of little evidence get no list since choices are
# offered only above the calibrated `offer` floor (they reach the doctor instead)
DEV_FLOORS = {"right_rate": 0.70, "right_plus_assisted": 0.97}
DEV_CEILINGS = {"wrong_rate": 0.02, "false_answer_rate": 0.03}


@pytest.fixture(scope="module")
def snapshot(bundled_snapshot: Snapshot) -> Snapshot:
    return bundled_snapshot


def test_analyzer_maps_synonyms_brands_and_typos() -> None:
    analyzer = Analyzer({"botox": ["dysport", "wrinkle relaxer"], "sunscreen": ["spf"]})
    analyzer.set_vocabulary(analyzer.terms("botox sunscreen muscle sag", correct=False))
    assert analyzer.terms("Dysport") == ["botox"]
    assert analyzer.terms("my wrinkle relaxers") == ["botox"]
    assert analyzer.terms("botax") == ["botox"]  # typo corrected against the vocabulary
    assert analyzer.terms("disport") == ["botox"]  # typo of a synonym
    assert analyzer.terms("Do muscles sag?") == analyzer.terms("muscle sag")
    assert analyzer.terms("hello, thanks so much!") == []


def test_analyzer_does_not_turn_unrelated_words_into_synonyms() -> None:
    analyzer = Analyzer({"exercise": ["work out"]})
    analyzer.set_vocabulary({"exercise", "work"})
    [exercise] = analyzer.terms("exercise")
    assert analyzer.terms("I work out daily") == [exercise, "daily"]
    assert exercise not in analyzer.terms("when does it start working")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how long does botox last", "duration"),
        ("when does botox start working", "onset"),
        ("how long does it take to kick in", "onset"),
        ("dysport vs xeomin", "difference"),
        ("how much does lip filler cost", "cost"),
    ],
)
def test_question_kinds(text: str, kind: str) -> None:
    assert kind in question_kinds(text)


def test_how_long_to_work_is_onset_not_duration() -> None:
    assert question_kinds("how long does botox take to work") == frozenset({"onset"})


def test_chatty_botox_atrophy_message_is_answered(snapshot: Snapshot) -> None:
    text = (
        "Hi there, long-time reader and huge fan of the blog! I'm 47 and I've been getting Botox "
        "in my forehead and around my eyes every four months for about nine years now. My "
        "sister keeps telling me that all those years of injections will make my muscles waste "
        "away, and that when I stop my whole face will sag and droop. Is that true? Thanks so "
        "much, Linda"
    )
    decision, _ = snapshot.decide(text)
    assert decision.outcome is Outcome.ANSWER
    assert decision.entry is not None
    assert decision.entry.id == "botox-dysport-cause-muscle-sagging"


@pytest.mark.parametrize(
    "text",
    [
        "does botox cause hair loss?",
        "how much does lip filler cost?",
        "does minoxidil work for growing a beard?",
        "can kybella be used on belly fat?",
    ],
)
def test_near_misses_are_not_answered(snapshot: Snapshot, text: str) -> None:
    decision, _ = snapshot.decide(text)
    assert decision.outcome is not Outcome.ANSWER, decision


@pytest.mark.parametrize(
    "text",
    ["what's the weather in Paris tomorrow", "asdkjh qwe zzz", "¿Cuánto dura el bótox?", "12345"],
)
def test_out_of_scope_is_unmatched_or_suggested(snapshot: Snapshot, text: str) -> None:
    decision, _ = snapshot.decide(text)
    assert decision.outcome in (Outcome.UNMATCHED, Outcome.SUGGEST)


def test_every_entry_answers_its_own_question(snapshot: Snapshot) -> None:
    for entry in snapshot.knowledge.entries.values():
        decision, _ = snapshot.decide(entry.question)
        assert decision.outcome is Outcome.ANSWER, entry.id
        assert decision.entry is not None and decision.entry.id == entry.id


def test_suggestions_are_best_first_and_at_most_three(snapshot: Snapshot) -> None:
    vague = ("retinol", "which laser is best for redness", "botox side effects")
    decisions = [snapshot.decide(text)[0] for text in vague]
    lists = [d for d in decisions if d.outcome is Outcome.SUGGEST and not d.likely]
    assert lists, [d.outcome for d in decisions]
    decision = lists[0]
    scores = [s.score for s in decision.suggestions]
    assert 1 <= len(scores) <= 3
    assert scores == sorted(scores, reverse=True)


def test_huge_message_is_capped(snapshot: Snapshot) -> None:
    matcher = snapshot.matcher
    text = "Does long-term Botox make facial muscles sag? " + "blah " * 20_000
    units = matcher._units(text)
    assert all(len(u.terms) < 400 for u in units)
    assert snapshot.decide(text)[0].outcome is Outcome.ANSWER


def test_empty_knowledge_never_answers() -> None:
    matcher = Matcher([], {})
    assert matcher.decide("how long does botox last").outcome is Outcome.UNMATCHED


def test_a_new_knowledge_needs_no_code_change() -> None:
    entries = [
        Entry(
            "sourdough-starter",
            "How do I feed a sourdough starter?",
            "Flour and water.",
            "https://example.org/a",
            alternates=("feeding my starter",),
        ),
        Entry("bread-rise", "Why didn't my bread rise?", "Yeast.", "https://example.org/b"),
    ]
    matcher = Matcher(entries, {"sourdough": ["levain"]})
    decision = matcher.decide("how often should I feed my levain starter")
    # from words alone the calibrated decision is cautious: the entry is answered or is the
    # one question offered ("I think you're asking"), never another entry
    assert decision.outcome in (Outcome.ANSWER, Outcome.SUGGEST)
    picked = decision.entry or decision.suggestions[0].entry
    assert picked.id == "sourdough-starter"
    assert decision.outcome is Outcome.ANSWER or decision.likely


def test_development_set_meets_its_floors(snapshot: Snapshot) -> None:
    report = evaluate(snapshot, load_cases(DATA / "dev_cases.yaml", snapshot))
    assert report.cases >= 300
    assert report.right_rate >= DEV_FLOORS["right_rate"], report.right_rate
    assert report.right_rate + report.assisted_rate >= DEV_FLOORS["right_plus_assisted"]
    assert report.wrong_rate <= DEV_CEILINGS["wrong_rate"], report.wrong_rate
    assert report.false_answer_rate <= DEV_CEILINGS["false_answer_rate"]


def test_urgent_and_smalltalk_cases_of_the_development_set(snapshot: Snapshot) -> None:
    cases = [c for c in load_cases(DATA / "dev_cases.yaml", snapshot) if c.outcome]
    assert len(cases) >= 40
    missed = [c.text for c in cases if snapshot.decide(c.text)[0].outcome is not c.outcome]
    assert len(missed) <= 2, missed
