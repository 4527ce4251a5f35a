"""Red flags and small talk on the bundled knowledge/safety.yaml (design.md §1): every red flag
fires on realistic reader phrasings (typos, long chatty messages), a flag with `context` needs
that context, and small talk is recognised only when the message is nothing else."""

from __future__ import annotations

import pytest

from bot.knowledge import Knowledge
from bot.models import Outcome
from bot.safety import SafetyCheck, smalltalk_kind
from bot.snapshot import Snapshot

LONG_CHATTY = (
    "Hi doctor, long time reader and huge fan, sorry in advance for the essay! I'm 34 and "
    "I've been following your posts about vitamin C for ages. Last night I finally tried a "
    "new sheet mask my sister gave me for my birthday and it felt lovely at first, but about "
    "twenty minutes later {symptom}. I took an antihistamine just in case. Is this normal, or "
    "should I just wash my face and sleep it off? Thanks so much, Jo x"
)

# flag id -> reader messages that must fire it (2-3 each, incl. typos and long chatty text)
FIRES: dict[str, list[str]] = {
    "filler-vision-or-skin-colour": [
        "my vision went blurry straight after the filler between my eyebrows",
        "cant see properly out of my left eye since my tear trough filler this morning",
        "the skin around my lip filler has turned white and its really painfull",
        "Hello! Had cheek filler at a salon today (I know...) and an hour later the skin by my "
        "nose went a dusky greyish colour and it's getting really sore. Normal swelling??",
    ],
    "breathing-or-throat": [
        "I cant breath properly after putting on a new moisturiser",
        "having trouble breathing and my lips are huge after the lip scrub",
        LONG_CHATTY.format(symptom="my throat feels tight and I'm a bit wheezy"),
        "tongue swelling after a new toothpaste, is that an allergy",
        "my throat is swelling up after a new face mask",
    ],
    "swallowing-or-speaking-after-botox": [
        "had botox 5 days ago and now i'm having trouble swallowing",
        "my speech is slurred since the botox in my neck (nefertiti lift)",
        "its hard to swallow water since my masseter injections yesterday",
    ],
    "infection-after-procedure": [
        "chemical peel 3 days ago, now my cheek is red hot swollen and I have a fever of 39",
        "theres a red painfull swelling spreading down my jaw since my filler and i feel "
        "feverish and shivery",
        "microneedling on monday, now theres pus and red streaks going down my neck",
    ],
    "self-harm": [
        "honestly i've been thinking about killing myself, my skin is so bad",
        "sometimes I think about hurting myself because of how my face looks",
        "i dont want to live anymore with this acne, whats the point",
        "I want to end it all. nothing works for my skin",
    ],
}


@pytest.fixture(scope="module")
def check(bundled_knowledge: Knowledge) -> SafetyCheck:
    return SafetyCheck(bundled_knowledge.red_flags)


def test_every_bundled_flag_has_cases(bundled_knowledge: Knowledge) -> None:
    # a flag added to safety.yaml without phrasings here would go untested
    assert {flag.id for flag in bundled_knowledge.red_flags} == set(FIRES)


@pytest.mark.parametrize(
    ("flag_id", "text"), [(flag, text) for flag, texts in FIRES.items() for text in texts]
)
def test_red_flag_fires(
    check: SafetyCheck, bundled_snapshot: Snapshot, flag_id: str, text: str
) -> None:
    flag = check.red_flag(text)
    assert flag is not None and flag.id == flag_id, text
    decision, found = bundled_snapshot.decide(text)
    assert decision.outcome is Outcome.URGENT
    assert decision.red_flag == flag_id and found is not None and found.id == flag_id
    assert decision.entry is None


@pytest.mark.parametrize(
    "text",
    [
        "does retinol make my vision blurry",
        "my vision is blurry in the mornings, do I need an eye cream?",
        "is blurry vision a side effect of accutane",
        "I have a white patch on my cheek after the beach",
        "i went white as a sheet when i saw the price",
    ],
)
def test_vision_and_colour_words_need_a_filler_context(check: SafetyCheck, text: str) -> None:
    assert check.red_flag(text) is None


def test_vision_flag_fires_once_the_context_is_there(check: SafetyCheck) -> None:
    flag = check.red_flag("my vision is blurry since the injection")
    assert flag is not None and flag.id == "filler-vision-or-skin-colour"
    assert flag.context  # the rule under test: this flag has a context list


@pytest.mark.parametrize(
    "text",
    ["i have a fever", "i've had a fever and chills all week with the flu"],
)
def test_fever_alone_is_not_an_infection_after_a_procedure(check: SafetyCheck, text: str) -> None:
    assert check.red_flag(text) is None


def test_fever_with_a_procedure_is_urgent(check: SafetyCheck) -> None:
    flag = check.red_flag("i have a fever since my microneedling")
    assert flag is not None and flag.id == "infection-after-procedure"


def test_context_is_per_flag() -> None:
    """A context word only counts for its own flag: a synthetic pair of flags shows it."""
    from bot.schema import RedFlag

    flags = [
        RedFlag(id="a", title="A", phrases=["blurry"], context=["filler*"], advice="a"),
        RedFlag(id="b", title="B", phrases=["fever"], advice="b"),
    ]
    check = SafetyCheck(flags)
    assert check.red_flag("blurry since my fillers") is not None
    assert check.red_flag("blurry and feverish") is None  # "fever" is not a wildcard
    assert check.red_flag("blurry with a fever").id == "b"
    assert check.red_flag("BLURRY!!! after the FILLER") is not None


def test_worrying_mole_is_not_urgent(check: SafetyCheck, bundled_snapshot: Snapshot) -> None:
    text = "my mole changed shape and is bleeding, should I worry?"
    assert check.red_flag(text) is None
    decision, flag = bundled_snapshot.decide(text)
    assert flag is None
    assert decision.outcome is not Outcome.URGENT


def test_no_entry_of_the_knowledge_looks_urgent(
    check: SafetyCheck, bundled_knowledge: Knowledge
) -> None:
    """The vetted questions themselves must be answerable, never swallowed by a red flag."""
    flagged = [
        (entry.id, text)
        for entry in bundled_knowledge.entries.values()
        for text in (entry.question, *entry.alternates, *entry.examples)
        if check.red_flag(text) is not None
    ]
    assert flagged == []


# Known gaps in knowledge/safety.yaml (reported, not fixed here: knowledge/ is not ours to edit).
# strict: when the yaml is fixed these start passing and the marker must go.
def test_known_gap_gone_grey(check: SafetyCheck) -> None:
    assert check.red_flag("my lip has gone grey since the filler this morning") is not None


# --- small talk -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello!", "greeting"),
        ("hey there", "greeting"),
        ("Good morning doctor :)", "greeting"),
        ("hiya 👋", "greeting"),
        ("thanks", "thanks"),
        ("Thank you so much!! 🙏", "thanks"),
        ("thx doc", "thanks"),
        ("ok thank you", "thanks"),
        ("great, thanks", "thanks"),
        ("bye", "bye"),
        ("goodbye, take care!", "bye"),
        ("bye bye", "bye"),
        ("ok", "ack"),
        ("okay cool", "ack"),
        ("got it", "ack"),
        ("makes sense", "ack"),
        ("👍", "ack"),
        ("🙏🙏", "ack"),
        ("❤️", "ack"),
        ("😊😊😊", "ack"),
    ],
)
def test_smalltalk_kind(text: str, kind: str, bundled_snapshot: Snapshot) -> None:
    assert smalltalk_kind(text) == kind
    decision, _ = bundled_snapshot.decide(text)
    assert decision.outcome is Outcome.SMALLTALK and decision.smalltalk == kind


@pytest.mark.parametrize(
    "text",
    [
        "hi, how long does botox last?",
        "hello doctor, is retinol safe in pregnancy?",
        "hey! what spf should i use",
        "thanks! one more: does retinol cause purging?",
        "ok so how often should i exfoliate",
        "hi retinol",
        "",
        "   ",
        "👍" * 20,  # a wall of emoji is not a nod
    ],
)
def test_not_smalltalk(text: str) -> None:
    assert smalltalk_kind(text) is None


def test_question_with_a_greeting_goes_to_the_knowledge(bundled_snapshot: Snapshot) -> None:
    decision, flag = bundled_snapshot.decide("hi, how long does botox last?")
    assert flag is None
    assert decision.outcome in (Outcome.ANSWER, Outcome.SUGGEST)
    ids = {decision.entry.id} if decision.entry else {s.entry.id for s in decision.suggestions}
    assert "how-long-botox-lasts" in ids


# Known gaps in the small-talk vocabulary (bot/safety.py), reported rather than changed here.
def test_known_gap_thanks_for_your_help() -> None:
    assert smalltalk_kind("thanks for your help!") == "thanks"


@pytest.mark.parametrize("text", ["good night", "see you"])
def test_known_gap_bye(text: str) -> None:
    assert smalltalk_kind(text) == "bye"
