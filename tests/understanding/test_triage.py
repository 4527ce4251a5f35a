"""Triage in words-only mode (bot/understanding/triage.py): the rules, with the reading before them. A
question about a risk is never urgent; a flag that is not calmed by a question (self-harm)
still fires; everything else is what the rules say. The learned check is tested in
tests/understanding/test_triage_model.py (it needs the meaning signal)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.knowledge.loading import Knowledge
from bot.models import Outcome
from bot.understanding.snapshot import Snapshot
from bot.understanding.stance import Stance
from bot.understanding.text import clean
from bot.understanding.triage import Triage

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def triage(bundled_knowledge: Knowledge) -> Triage:
    return Triage.build(bundled_knowledge.red_flags, meaning=False)


def test_words_only_mode_keeps_the_rules_only(triage: Triage) -> None:
    assert triage.model is None and triage.encoder is None
    verdict = triage.assess("my lip is white and really painful since the filler")
    assert verdict.flag is not None and verdict.flag is verdict.rules
    assert verdict.urgency is None and verdict.vector is None
    assert verdict.stance is Stance.REPORT


def test_a_question_about_a_risk_is_never_urgent_whatever_the_rules_say(triage: Triage) -> None:
    text = "Is anaphylaxis from lidocaine in fillers a real thing or super rare?"
    verdict = triage.assess(text)
    assert verdict.rules is not None  # the words of an emergency...
    assert verdict.stance is Stance.RISK_QUESTION and verdict.flag is None  # ...asked about


def test_self_harm_is_not_silenced_by_a_question(triage: Triage) -> None:
    """Its flag has no `question` in calm_when: such messages often read as questions."""
    text = "Does botox still work if I won't be around next month? I've decided to end my life."
    flag = triage.red_flag(text)
    assert flag is not None and flag.id == "self-harm"


def test_a_report_beside_the_question_stays_urgent(triage: Triage) -> None:
    flag = triage.red_flag("Can botox spread? Since yesterday I can't swallow my food.")
    assert flag is not None and flag.id == "swallowing-or-speaking-after-botox"


def test_no_blind_risk_question_is_urgent(triage: Triage, bundled_knowledge: Knowledge) -> None:
    cases = yaml.safe_load((DATA / "risk_questions.yaml").read_text(encoding="utf-8"))
    assert len(cases) >= 40
    max_chars = bundled_knowledge.settings.matching.max_chars
    urgent = [i for i, c in enumerate(cases) if triage.red_flag(clean(c["text"])[:max_chars])]
    assert urgent == []


def test_real_triage_words_only(triage: Triage) -> None:
    cases = yaml.safe_load((DATA / "real_triage.yaml").read_text(encoding="utf-8"))
    missed = [i for i, c in enumerate(cases) if c["urgent"] and not triage.red_flag(c["text"])]
    false = [i for i, c in enumerate(cases) if not c["urgent"] and triage.red_flag(c["text"])]
    assert (missed, false) == ([], [])


def test_the_snapshot_decides_with_the_triage(bundled_knowledge: Knowledge) -> None:
    snapshot = Snapshot.build(bundled_knowledge, meaning=False)
    assert isinstance(snapshot.safety, Triage)
    decision, flag = snapshot.decide("Can cheek filler ever make you blind? Just curious")
    assert decision.outcome is not Outcome.URGENT and flag is None
    decision, flag = snapshot.decide("thanks! btw my lip went white since the filler")
    assert decision.outcome is Outcome.URGENT and flag is not None
