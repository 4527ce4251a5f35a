"""Reading before flagging (bot/understanding/stance.py): a report of a sign, a question about a risk, an
episode that is over, one already under a doctor's care. Tested on its own: it knows no sign,
only how the message is said."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.understanding.stance import Stance, read_stance, sentence_kind

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    "text",
    [
        "Can cheek filler ever make you blind?",
        "Is it true that Botox can spread and stop you swallowing?",
        "What are the warning signs of a blocked vessel after filler?",
        "what are the risks of a tummy tuck",
        "How common is an infection after microneedling?",
        "Does lip filler cause necrosis?",
        "Saw a TikTok where a girl's lip went black after filler. How do you prevent that?",
        "I'm getting filler next month. What should I do if my skin turns white?",
        "Has anyone ever had trouble breathing after a peel?",
        "Is anaphylaxis from the numbing cream a real thing?",
    ],
)
def test_a_question_about_a_risk(text: str) -> None:
    assert read_stance(text).stance is Stance.RISK_QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "my lip is white and really painful since the filler",
        "Is it normal that my lip went white after the filler?",
        "Can botox spread? I can't swallow properly since yesterday.",
        "Had cheek filler 3 hours ago, could this be a blocked vessel? the skin is grey",
        "My daughter's throat feels tight after the peel and she is wheezing",
        "What are the warning signs of infection? My incision is hot and red today.",
        "jawline filler 2 days ago, theres a dark patch getting bigger",
        "Help, I can't breathe properly",
    ],
)
def test_a_report_of_a_sign_wins_over_any_question(text: str) -> None:
    assert read_stance(text).stance is Stance.REPORT


@pytest.mark.parametrize(
    "text",
    [
        "Three years ago my lip went grey after filler, it cleared up in a day.",
        "I used to get hives after peels when I was a teenager.",
        "Back in 2019 I had a reaction to a filler.",
    ],
)
def test_an_episode_that_is_over(text: str) -> None:
    assert read_stance(text).stance is Stance.PAST


@pytest.mark.parametrize(
    "text",
    [
        "The swelling was drained and my surgeon put me on antibiotics.",
        "I'm on antibiotics for the redness round the piercing.",
        "The clinic dissolved it with hyaluronidase.",
    ],
)
def test_one_already_under_care(text: str) -> None:
    assert read_stance(text).stance is Stance.TREATED


def test_care_that_is_failing_is_a_report() -> None:
    assert sentence_kind("I'm on antibiotics but the redness is still spreading") is Stance.REPORT


def test_each_sentence_is_read_and_the_message_takes_the_first_that_applies() -> None:
    reading = read_stance("Hi! Booked for lips next week. Can filler cause blindness? Thanks")
    assert reading.stance is Stance.RISK_QUESTION
    assert reading.kinds[2] is Stance.RISK_QUESTION and reading.has(Stance.OTHER)
    assert read_stance("").stance is Stance.OTHER
    assert read_stance("How much does it cost?").stance is Stance.OTHER


def _urgent_cases() -> list[tuple[str, str]]:
    cases = [
        (c["text"], c["category"])
        for c in yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8"))
        if c["urgent"]
    ]
    cases += [
        (c["text"], c["style"])
        for c in yaml.safe_load((DATA / "triage_cases.yaml").read_text(encoding="utf-8"))
        if c.get("outcome") == "urgent"
    ]
    cases += [
        (c["text"], c["category"])
        for c in yaml.safe_load((DATA / "real_triage.yaml").read_text(encoding="utf-8"))
        if c["urgent"]
    ]
    return cases


def test_no_emergency_of_the_sets_reads_as_only_a_question_about_risk() -> None:
    """The reading silences the rules on a question about a risk: no emergency of any set may
    read so (self-harm excepted: its flag is never calmed by a question, see bot/understanding/triage.py)."""
    wrong = [
        i
        for i, (text, category) in enumerate(_urgent_cases())
        if category != "self_harm" and read_stance(text).stance is Stance.RISK_QUESTION
    ]
    assert wrong == []


def test_the_blind_risk_questions_mostly_read_as_questions() -> None:
    cases = yaml.safe_load((DATA / "risk_questions.yaml").read_text(encoding="utf-8"))
    assert len(cases) >= 40
    read_as_question = sum(read_stance(c["text"]).stance is Stance.RISK_QUESTION for c in cases)
    assert read_as_question / len(cases) >= 0.8
