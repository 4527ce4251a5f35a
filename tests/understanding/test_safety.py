"""Red flags and small talk on the bundled knowledge/safety.yaml (design.md §1, §5).

Triage reads like a clinician: every category fires on real-style phrasings (typos, long
chatty messages), and every trap stays calm: a general question or fear, a negated sign, an
episode that is over, one already treated, a long-known state, a procedure only planned. The
real readers' triage set (tests/data/real_triage.yaml, a verbatim copy with sources) and the
team's own cases (tests/data/triage_cases.yaml) are run whole, and each step of the pipeline
is tested on small synthetic flags. Small talk is recognised only when the message is nothing
else."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.knowledge.checks import check as kb_check
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.knowledge.schema import Cues, RedFlag
from bot.models import Outcome
from bot.understanding.phrases import phrase_error, phrase_regex
from bot.understanding.safety import SafetyCheck
from bot.understanding.smalltalk import smalltalk_kind
from bot.understanding.snapshot import Snapshot

DATA = Path(__file__).resolve().parents[1] / "data"

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
        "my lip is white and really painful since the filler",
        "pale and blotchy after juvederm this afternoon",
        "the area above my lip looks purple and lacy since the filler",
        "the skin by my nose has gone a bit bluish since the filler",
        "Quick one - temples filled this morning and now I have a dark spot in my vision",
        "lip filler 2 days ago, today little blisters on the lip and the skin is dusky",
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
        "Im having troble breathing after the lip filer",
        "Help!! my tongue feels huge and my throat is closing up after the hair dye",
    ],
    "swallowing-or-speaking-after-botox": [
        "had botox 5 days ago and now i'm having trouble swallowing",
        "my speech is slurred since the botox in my neck (nefertiti lift)",
        "its hard to swallow water since my masseter injections yesterday",
        "since the Dysport I can't get food down and my lids droop",
        "I keep choking on water since my neck Botox",
        "after dysport for sweating my whole body feels weak and swallowing is a struggle",
    ],
    "infection-after-procedure": [
        "chemical peel 3 days ago, now my cheek is red hot swollen and I have a fever of 39",
        "theres a red painfull swelling spreading down my jaw since my filler and i feel "
        "feverish and shivery",
        "microneedling on monday, now theres pus and red streaks going down my neck",
        "hot, swollen and oozing where I had the filler",
        "4 days after my tummy tuck the incision is red, it's spreading and I've got chills",
        "there is pus coming out of my belly button piercing and I have chills",
        "after lipo the drain site is leaking green fluid",
        "My surgeon gave me antibiotics on Monday but the redness is still spreading",
        "I bought a filler pen online and injected myself, now my lips are hard and swollen",
    ],
    "allergic-reaction": [
        "came up in hives after the peel, now they're on my arms too and I feel lightheaded",
        "my lips are swelling up after the numbing cream and my heart is racing",
        "my face came up in welts after the new serum. feel like I'm going to faint",
    ],
    "self-harm": [
        "honestly i've been thinking about killing myself, my skin is so bad",
        "sometimes I think about hurting myself because of how my face looks",
        "i dont want to live anymore with this acne, whats the point",
        "I want to end it all. nothing works for my skin",
        "my daughter says she wants to die because of her acne, what do I do",
        "some days I think everyone would be better off without me",
        "since the accutane i keep having suicidal thoughts",
        # an intent or a plan: "planning" must not read as a procedure only planned
        "I'm planning to end it all, I can't face anyone with this skin",
        "i am going to kill myself tonight",
        "I'm planning to end everything this weekend",
        "I'm ready to take my life, nothing has worked",
        # hopelessness, in the writer's own words
        "I don't see the point of living anymore",
        "honestly I can't go on like this anymore",
        "I want to go to sleep and never wake up",
        # an overdose
        "I took a whole bottle of my painkillers after seeing my face",
        "i swallowed all my tablets an hour ago",
    ],
}


@pytest.mark.parametrize(
    "text",
    [
        "I cut myself shaving and now there's a dark mark, will it fade?",
        "I accidentally cut myself on a razor near my lip filler, is that ok?",
        "I can't go on holiday straight after laser, can I?",
        "I don't see the point of an eye cream, do I need one?",
        "I'm dying to try lip filler, is it worth it?",
        "this acne is killing me, what can I do?",
        "I took all my makeup off before the peel, was that right?",
    ],
)
def test_look_alikes_of_self_harm_are_not_urgent(bundled_snapshot: Snapshot, text: str) -> None:
    assert bundled_snapshot.decide(text)[0].outcome is not Outcome.URGENT


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
    from bot.knowledge.schema import RedFlag

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


def test_gone_grey_after_a_filler(check: SafetyCheck) -> None:
    assert check.red_flag("my lip has gone grey since the filler this morning") is not None


# --- the traps: the same words, not an emergency ---------------------------------------------

TRAPS: dict[str, list[str]] = {
    "question": [  # a general question, a fear, a risk read about, a procedure only planned
        "can cheek filler ever make you blind?",
        "is it true Botox can spread and stop you breathing?",
        "What are the chances of a filler blocking a vessel and the skin going grey?",
        "I'm considering Botox for neck bands but scared of the swallowing problems I read about",
        "is infection common after a chemical peel?",
        "what are the signs of infection after a BBL?",
        "can isotretinoin cause suicidal thoughts? I'm about to start it",
        "Can a person have an anaphylactic reaction to hyaluronic acid?",
        "If my lip turns white after filler what should I do?",
        "I'm worried about infection after my tattoo, what should I look for?",
        "my friend had a reaction and couldn't breathe after filler, how common is that?",
        "I have a fever and a cough, is it ok to get botox next week?",
    ],
    "negated": [
        "my lips are swollen after the filler, no discoloration and not painful",
        "no trouble breathing or swallowing, just a red itchy rash after the peel",
        "no fever, no chills, no pus, the redness is not spreading after my laser",
        "lip filler yesterday, swollen and a bit bruised. no blanching, no dusky colour, no pain",
        "I'm not suicidal, just sad about my acne",
        "I don't feel any symptoms like double vision or trouble swallowing since the botox",
    ],
    "resolved": [
        "My vision went a little blurry during the filler but it went back to normal in minutes",
        "I had a fever after my filler last month but it went away after 2 days",
        "Had botox 2 years ago and had trouble swallowing for a week but it resolved",
        "Pus came out of my lipo scar. The pus is no longer there, will the hole close?",
        "Last year my throat swelled after a hair dye, it went away with antihistamines",
    ],
    "treated": [
        "the wound from my tummy tuck has drained for weeks, my surgeon is already treating it",
        "my doctor put me on antibiotics for the red bump after microneedling and it's improving",
        "My surgeon drained the abscess yesterday and I'm on antibiotics, when can I shower?",
        "my injector saw the white patch straight away and dissolved it, it's pink again now",
    ],
    "long_standing": [
        "I've had a bluish shadow under my eyes for 2 years since the tear trough filler",
        "I've had asthma for years and get short of breath on the stairs, is laser ok for me?",
        "I have had blurry vision for years, can I get tear trough filler?",
        "had Restylane under my eyes a month ago and now there's a slight blue tinge there",
    ],
    "look-alike": [
        "purple bruises on both lips after filler yesterday, they're tender. how long?",
        "bruises after my lip filler are purple, is that normal?",
        "small white bumps on my lip after filler, are they the filler?",
        "My lips look purple in photos after filler, is it the lighting?",
        "my eyelid drooped a bit after Botox two weeks ago, what can I do?",
        "after a lip flip my smile is lopsided and I can't drink from a straw",
        "my face is red and hot for an hour after laser, like a sunburn, is that normal?",
        "day 4 after co2 laser and my face is oozing and crusty, is this normal??",
    ],
}


@pytest.mark.parametrize(
    ("trap", "text"), [(trap, text) for trap, texts in TRAPS.items() for text in texts]
)
def test_trap_stays_calm(check: SafetyCheck, trap: str, text: str) -> None:
    flag = check.red_flag(text)
    assert flag is None, (trap, text, flag and flag.id)


def test_bundled_flags_examples_fire_and_not_urgent_stay_calm(
    check: SafetyCheck, bundled_knowledge: Knowledge
) -> None:
    """safety.yaml's own examples (kb check warns on them too; here they are a hard test)."""
    for flag in bundled_knowledge.red_flags:
        assert flag.examples and flag.not_urgent, flag.id
        for text in flag.examples:
            got = check.red_flag(text)
            assert got is not None and got.id == flag.id, (flag.id, text)
        for text in flag.not_urgent:
            assert check.red_flag(text) is None, (flag.id, text)


# --- whole sets: the real readers' triage messages and the team's own cases ------------------


def _triage_counts(check: SafetyCheck, cases: list[dict], urgent_key: str) -> dict[str, int]:
    counts = {"urgent": 0, "caught": 0, "calm": 0, "false": 0}
    for case in cases:
        urgent = case.get(urgent_key) in (True, "urgent")
        flagged = check.red_flag(case["text"]) is not None
        counts["urgent" if urgent else "calm"] += 1
        counts["caught" if urgent else "false"] += flagged
    return counts


# What the rules reached on tests/data/real_triage.yaml when these floors were set: recall 18/18 and
# over-triage 0/31. A change may not fall below these floors; the numbers are computed.
REAL_RECALL_FLOOR = 1.0
REAL_OVER_TRIAGE_CEILING = 0.0


def test_real_triage_set(check: SafetyCheck) -> None:
    cases = yaml.safe_load((DATA / "real_triage.yaml").read_text(encoding="utf-8"))
    assert all(case["source"].startswith("http") for case in cases)
    counts = _triage_counts(check, cases, "urgent")
    assert counts["urgent"] == 18 and counts["calm"] == 31
    recall = counts["caught"] / counts["urgent"]
    over_triage = counts["false"] / counts["calm"]
    missed = [i for i, c in enumerate(cases) if c["urgent"] and check.red_flag(c["text"]) is None]
    false = [i for i, c in enumerate(cases) if not c["urgent"] and check.red_flag(c["text"])]
    assert recall >= REAL_RECALL_FLOOR, f"missed real urgent cases (indices): {missed}"
    assert over_triage <= REAL_OVER_TRIAGE_CEILING, f"false urgent (indices): {false}"


def test_a_procedure_not_had_at_all_is_no_context(check: SafetyCheck) -> None:
    """ "Haven't had any procedures" names a procedure without one having happened."""
    flu = "Fever and chills since yesterday, flu at home. Haven't had any procedures in months."
    assert check.red_flag(flu) is None
    after = "Fever and chills since yesterday, two days after my lip filler."
    flag = check.red_flag(after)
    assert flag is not None and flag.id == "infection-after-procedure"


def test_a_recent_procedure_outweighs_a_time_of_day(check: SafetyCheck) -> None:
    """ "In the evenings" reads as long-standing, unless the same sentence dates it days ago."""
    flag = check.red_flag("Had masseter botox 3 days ago and I'm seeing double in the evenings")
    assert flag is not None and flag.id == "swallowing-or-speaking-after-botox"
    calm = "I see double in the evenings, I have for years. Can I have botox for my frown?"
    assert check.red_flag(calm) is None


# tests/data/triage_blind.yaml, per round, the rules alone: (share of emergencies caught at
# least, share of calm messages made urgent at most). Rounds 1-9 were tuned on after they were
# measured; rounds 10 and 11 were kept aside from the rules (11 trained the learned check);
# rounds 12, 13, 15, 19 and 21 are never tuned on, round 14 was after its measurement. The whole
# triage's floors: tests/understanding/test_triage_model.py.
BLIND_FLOORS = {
    1: (0.97, 0.0),
    2: (0.98, 0.04),
    3: (0.93, 0.04),
    4: (0.98, 0.04),
    5: (0.98, 0.04),
    6: (0.95, 0.02),
    7: (0.98, 0.02),
    8: (0.98, 0.04),
    9: (0.98, 0.04),
    10: (0.83, 0.04),  # held out from the rules
    11: (0.81, 0.10),  # held out from the rules
    12: (0.73, 0.14),  # held out: never tuned on
    13: (0.86, 0.18),  # held out: never tuned on (written after the learned check shipped)
    14: (0.81, 0.14),  # measured at 81.7 % / 18 % on arrival, then tuned on
    15: (0.76, 0.26),  # held out: never tuned on (measured on arrival and at the end)
    16: (0.83, 0.18),  # issue 21b: measured on arrival (the rules were not changed after)
    17: (0.81, 0.12),  # the same
    18: (0.78, 0.20),  # the same
    19: (0.83, 0.24),  # held out: never tuned on (measured on arrival and at the end)
    20: (0.81, 0.20),  # issue 21d: measured on arrival, then trained on (the rules unchanged)
    21: (0.88, 0.16),  # held out, the newest: measured on arrival and at the end
}


@pytest.mark.parametrize("round_", sorted(BLIND_FLOORS))
def test_blind_triage_round(check: SafetyCheck, round_: int) -> None:
    cases = yaml.safe_load((DATA / "triage_blind.yaml").read_text(encoding="utf-8"))
    cases = [c for c in cases if c["round"] == round_]
    counts = _triage_counts(check, cases, "urgent")
    assert counts["urgent"] >= 60 and counts["calm"] >= 50
    missed = [i for i, c in enumerate(cases) if c["urgent"] and check.red_flag(c["text"]) is None]
    false = [i for i, c in enumerate(cases) if not c["urgent"] and check.red_flag(c["text"])]
    recall_floor, over_ceiling = BLIND_FLOORS[round_]
    assert counts["caught"] / counts["urgent"] >= recall_floor, f"missed: {missed}"
    assert counts["false"] / counts["calm"] <= over_ceiling, f"false urgent: {false}"


def test_own_triage_cases(check: SafetyCheck) -> None:
    cases = yaml.safe_load((DATA / "triage_cases.yaml").read_text(encoding="utf-8"))
    counts = _triage_counts(check, cases, "outcome")
    assert counts["urgent"] >= 30 and counts["calm"] >= 30
    wrong = [
        (i, case["style"])
        for i, case in enumerate(cases)
        if (check.red_flag(case["text"]) is not None) != (case.get("outcome") == "urgent")
    ]
    assert wrong == []


def test_every_category_and_trap_has_own_cases() -> None:
    cases = yaml.safe_load((DATA / "triage_cases.yaml").read_text(encoding="utf-8"))
    styles = {case["style"] for case in cases}
    for category in ("vascular", "breathing", "swallowing", "infection", "self_harm"):
        assert sum(case["style"] == category for case in cases) >= 5, category
        assert any(s.startswith(category + "-") for s in styles), category
    for trap in ("question", "negated", "resolved", "treated", "long"):
        assert any(s.endswith("-" + trap) for s in styles), trap


def test_ordinary_questions_of_the_knowledge_are_never_urgent(
    check: SafetyCheck, bundled_knowledge: Knowledge
) -> None:
    """Entries and their examples too: no vetted question may be swallowed by a red flag."""
    for entry in bundled_knowledge.entries.values():
        for text in (entry.question, *entry.alternates, *entry.examples):
            assert check.red_flag(text) is None, (entry.id, text)


def test_urgent_decision_wins_over_smalltalk_and_answers(bundled_snapshot: Snapshot) -> None:
    decision, flag = bundled_snapshot.decide("thanks! btw my lip went white since the filler")
    assert decision.outcome is Outcome.URGENT and flag is not None


def test_speed_on_a_long_message(check: SafetyCheck) -> None:
    """A 2,000-character message full of sign words and cues stays far below the 2 ms budget
    (bench/bench_safety.py measures properly; this only guards against a slow pattern)."""
    text = (
        "no fever but is it true filler can make my lip white and blurry and swollen and hot, "
        "I had it yesterday and it went away? "
    ) * 20
    text = text[:2000]
    check.red_flag(text)
    started = time.perf_counter()
    for _ in range(20):
        check.red_flag(text)
    assert (time.perf_counter() - started) / 20 < 0.05


# --- the pipeline, step by step, on small synthetic flags ----------------------------------

CUES = Cues(
    breaks=["but"],
    subjects=["my", "i", "it", "its"],
    negation=["no", "not", "dont"],
    not_negation=["not sure"],
    scope_ends=["why", "if"],
    question=["can ... cause", "is it true", "if my"],
    not_question=["as if"],
    current=["since", "today"],
    resolved=["went away", "is gone"],
    still=["still"],
    long_standing=["for years"],
    treated=["on antibiotics"],
    failing=["worse"],
    planned=["can i get"],
    long_ago=["a month ago"],
    recent=["today"],
)


def _check(**flag: object) -> SafetyCheck:
    fields = {"id": "x", "title": "X", "phrases": ["white"], "advice": "go now"} | flag
    return SafetyCheck([RedFlag(**fields)], cues=CUES, terms={"colour": ["white", "grey"]})


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("my lip is white", True),
        ("no white patch", False),  # negated
        ("no pain, my lip is white", True),  # a comma before a subject starts a new clause
        ("no pain but white", True),  # "but" ends the negation's reach
        ("I dont know why it is white", True),  # "why" ends it too
        ("not sure, white", True),  # not a negation at all
        ("can filler cause white skin", False),  # a general question
        ("white skin, can filler cause it", True),  # the question comes after the sign
        ("can filler cause my lip to be white since today", True),  # ... but it is happening
        ("is it true that it goes white", False),
        ("if my lip goes white", False),  # a conditional
        ("it looks as if my lip is white", True),  # "as if" blocks the cue it overlaps
        ("it went white and then it went away", False),  # over, in the same clause
        ("it was white, it went away", False),  # the next clause points back and is over
        ("it was white. It went away.", False),  # ... also across sentences
        ("The white is gone now. Will it come back?", False),  # the same sign said to be over
        ("white for years", False),  # long-standing
        ("still white for years", True),  # "still" cancels long-standing
        ("white and on antibiotics", False),  # treated
        ("white and on antibiotics and worse", True),  # failing cancels treated
    ],
)
def test_pipeline_steps(text: str, urgent: bool) -> None:
    assert (_check().red_flag(text) is not None) is urgent, text


def test_negation_inside_a_gap() -> None:
    check = _check(phrases=["redness ... spreading"])
    assert check.red_flag("the redness is spreading") is not None
    assert check.red_flag("the redness is not spreading") is None


def test_terms_and_alternatives() -> None:
    check = _check(phrases=["is|looks {colour}", "blurr*"])
    assert check.red_flag("it looks grey") is not None
    assert check.red_flag("blurriness") is not None
    assert check.red_flag("grey") is None


def test_calm_when_limits_the_reasons() -> None:
    check = _check(calm_when=["negated"])  # e.g. self-harm: no question or treatment calms it
    assert check.red_flag("can filler cause white skin") is not None
    assert check.red_flag("no white") is None


def test_context_must_have_happened_not_be_planned() -> None:
    check = _check(context=["filler"])
    assert check.red_flag("white since the filler") is not None
    assert check.red_flag("white, can I get filler next week") is None
    assert check.red_flag("white") is None


def test_not_recent_is_opt_in() -> None:
    assert _check().red_flag("filler a month ago and it is white") is not None
    check = _check(calm_when=["not_recent"])
    assert check.red_flag("filler a month ago and it is white") is None
    assert check.red_flag("filler a month ago and it is white today") is not None


def test_without_cues_every_sign_counts() -> None:
    """A safety.yaml with no `cues` keeps the old, cautious behaviour: phrases alone."""
    flags = [RedFlag(id="x", title="X", phrases=["white"], advice="go")]
    check = SafetyCheck(flags)
    assert check.red_flag("no white at all, can it go white?") is not None


def test_the_knowledge_carries_terms_and_cues(bundled_knowledge: Knowledge) -> None:
    flags = bundled_knowledge.red_flags
    assert flags.terms and flags.cues.negation  # type: ignore[attr-defined]
    # so Snapshot.build's SafetyCheck(knowledge.red_flags) has all of safety.yaml
    assert SafetyCheck(flags).red_flag("no fever after the laser") is None
    with pytest.raises(ValueError, match="unknown term"):  # a plain list lost the terms
        SafetyCheck(list(flags))
    explicit = SafetyCheck(list(flags), terms=flags.terms, cues=flags.cues)  # type: ignore[attr-defined]
    assert explicit.red_flag("no fever after the laser") is None


# --- phrase syntax and kb check ----------------------------------------------------------------


def test_phrase_regex() -> None:
    import re

    pattern = re.compile(phrase_regex("can't ... see|look*", {}))
    assert pattern.search("i cant really see")
    assert pattern.search("cant looking")
    assert not pattern.search("cant one two three four five see")  # at most four between


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("", "an empty phrase"),
        ("bl*ur", "'*' may only end a word"),
        ("... white", "'...' goes between two words"),
        ("white ...", "'...' goes between two words"),
        ("white ... ... grey", "two '...' in a row"),
        ("{nope} white", "unknown term '{nope}'"),
        ("{colour white", "write a term as {name}"),
        ("white|", "an empty word"),
    ],
)
def test_phrase_errors(phrase: str, reason: str) -> None:
    error = phrase_error(phrase, {"colour": ["white"]})
    assert error is not None and reason in error


SAFETY_OK = """\
terms:
  colour: [white, grey]
cues:
  negation: ['no', not]
red_flags:
  - id: colour
    title: Colour
    phrases: ['is {colour}']
    advice: Go now.
    examples: [my lip is white]
    not_urgent: [no it is not white]
"""


def _write(kb_dir: Path, text: str) -> list[str]:
    (kb_dir / "safety.yaml").write_text(text, encoding="utf-8")
    _, problems = kb_check(kb_dir)
    return [str(p) for p in problems]


def test_valid_safety_file(kb_dir: Path) -> None:
    assert _write(kb_dir, SAFETY_OK) == []
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is not None
    assert SafetyCheck(knowledge.red_flags).red_flag("my lip is white") is not None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "phrases: ['is {colour}']",
            "phrases: ['is {color}']",
            "kb/safety.yaml:8: error: red flag 'colour', phrases: unknown term '{color}'",
        ),
        (
            "phrases: ['is {colour}']",
            "phrases: [is, 'bl*ue']",
            "kb/safety.yaml:8: error: red flag 'colour', phrases: '*' may only end a word",
        ),
        (
            "  negation: ['no', not]",
            "  negation: [no, not]",
            "kb/safety.yaml:4: error: 'cues.negation.0': YAML reads an unquoted no",
        ),
        (
            "  negation: ['no', not]",
            "  negation: ['no ...', not]",
            "kb/safety.yaml:4: error: cue 'negation': '...' goes between two words",
        ),
        (
            "  negation: ['no', not]",
            "  negation: ['no']\n  negations: [not]",
            "kb/safety.yaml:5: error: unknown field 'negations'",
        ),
        (
            "  colour: [white, grey]",
            "  colour: [white, '{grey}']",
            "kb/safety.yaml:2: error: term 'colour': a term cannot use another term",
        ),
        (
            "    advice: Go now.",
            "    advice: Go now.\n    calm_when: [negated, maybe]",
            "kb/safety.yaml:10: error: 'red_flags.0.calm_when.1': Input should be",
        ),
        (
            "    advice: Go now.",
            "    advice: Go now.\n  - id: colour\n    title: Again\n    phrases: [x]\n"
            "    advice: Go.",
            "kb/safety.yaml:10: error: duplicate red flag id 'colour' (first at line 6)",
        ),
    ],
)
def test_safety_file_errors(kb_dir: Path, old: str, new: str, expected: str) -> None:
    assert old in SAFETY_OK
    problems = _write(kb_dir, SAFETY_OK.replace(old, new))
    assert any(p.startswith(expected) for p in problems), problems
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is None  # an error stops a (re)load


def test_safety_file_warnings(kb_dir: Path) -> None:
    text = SAFETY_OK.replace("examples: [my lip is white]", "examples: [my lip is grey, nope]")
    text = text.replace("not_urgent: [no it is not white]", "not_urgent: [\n      it is white]")
    problems = _write(kb_dir, text)
    assert problems == [
        "kb/safety.yaml:10: warning: example of red flag 'colour' raises no flag: 'nope'",
        "kb/safety.yaml:12: warning: not_urgent message of red flag 'colour' raises 'colour': "
        "'it is white'",
    ]


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


# Known gaps in the small-talk vocabulary (bot/understanding/smalltalk.py), reported rather than changed here.
def test_known_gap_thanks_for_your_help() -> None:
    assert smalltalk_kind("thanks for your help!") == "thanks"


@pytest.mark.parametrize("text", ["good night", "see you"])
def test_known_gap_bye(text: str) -> None:
    assert smalltalk_kind(text) == "bye"


def test_readme_safety_example_is_valid(kb_dir: Path) -> None:
    """The example in knowledge/README.md's safety section loads and its example fires."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "knowledge" / "README.md").read_text()
    section = readme[readme.index("## `safety.yaml`") : readme.index("## Checking your changes")]
    found = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert found is not None
    assert _write(kb_dir, found.group(1)) == []


def test_signs_name_the_reason_each_sign_is_calm() -> None:
    """`signs` is what `red_flag` reads: every sign found, with why it does not count."""
    check = _check()
    assert [s.calm for s in check.signs("no white patch")] == ["negated"]
    assert [s.calm for s in check.signs("can filler cause white skin")] == ["question"]
    assert [s.calm for s in check.signs("white and on antibiotics")] == ["treated"]
    assert [s.calm for s in check.signs("white for years")] == ["long_standing"]
    assert [s.calm for s in check.signs("it went white and then it went away")] == ["resolved"]
    # lazily: red_flag stops at the first sign that counts; every=True reads them all
    text = "no white patch, my lip is white. it is white"
    assert [s.calm for s in check.signs(text)] == ["negated", None]
    assert [s.calm for s in check.signs(text, every=True)] == ["negated", None, None]
    assert all(s.flag.id == "x" and s.words == "white" for s in check.signs(text))


def test_a_sign_whose_context_is_missing_is_listed_as_such() -> None:
    check = _check(context=["filler"])
    assert [s.calm for s in check.signs("my lip is white")] == ["no_context"]
    assert check.red_flag("my lip is white") is None
