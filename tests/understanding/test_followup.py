"""Follow-ups in context (issue 22, bot/understanding/followup.py and the service around it): a short message
right after an answer is read with the last question; what that finds is offered, never
answered outright; the doctor gets a follow-up with the question before it; the last answer is
kept only as long as it serves (window, /forget, retention). The console reads them alike."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.cli.console import console_step
from bot.conversation.render import plain
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge
from bot.models import Action, BlockKind, Outcome
from bot.review import replies as review_replies
from bot.review import terminal as review_terminal
from bot.review.service import ReviewService
from bot.storage import Store
from bot.understanding import followup
from bot.understanding.evaluate import CasesError, evaluate, in_context, load_cases
from bot.understanding.snapshot import Snapshot
from tests.conftest import DATA, db_rows

READER = 303
ROSACEA = "what sets off rosacea flares?"
ROSACEA_ID = "rosacea-triggers-treatment"


@pytest.fixture
def service(bundled_snapshot: Snapshot, store: Store) -> AnswerService:
    return AnswerService(bundled_snapshot, store)


def turn(snapshot: Snapshot, question: str) -> followup.Turn:
    decision, _ = snapshot.decide(question)
    assert decision.outcome is Outcome.ANSWER and decision.entry is not None, question
    return followup.Turn(question, decision.entry)


# --- what is a follow-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "and for lips?",
        "what about while breastfeeding?",
        "How about the cost?",
        "also, does it hurt?",
        "same for the forehead",
        "is that permanent?",
        "does it come back after stopping the treatment for a while?",
        "why?",
        "how many units?",
        "can I use them every day on my face?",  # points back: "them"
        "how often should I book a session then?",  # "then"
        "what would you do for my forehead instead?",  # "instead"
        "ok thanks. and how long does each round last usually",  # thanks, then the cue
        "Got it, also is it okay for teenagers who have oily skin",
    ],
)
def test_short_or_leaning_messages_are_follow_ups(text: str) -> None:
    assert followup.looks_like_followup(text)


@pytest.mark.parametrize(
    "text",
    [
        "Can I get Botox while I am breastfeeding my baby?",
        "How much sunscreen should I put on my face every morning?",
        "I had filler in my lips last week and one side feels lumpier than the other, "
        "and I wonder whether that is normal or if I should go back to my injector soon",
        "",
    ],
)
def test_questions_with_their_own_subject_are_not(text: str) -> None:
    assert not followup.looks_like_followup(text)


def test_the_contextual_text_is_the_follow_up_then_the_last_question() -> None:
    assert followup.contextual_text(" and for lips? ", "How long does Botox last?") == (
        "and for lips? How long does Botox last?"
    )


# --- the reading ------------------------------------------------------------------------------


def test_a_follow_up_alone_is_lost_and_in_context_it_is_one_tap_away(
    bundled_snapshot: Snapshot,
) -> None:
    alone, _ = bundled_snapshot.decide("and coffee?")
    assert alone.outcome is not Outcome.ANSWER
    reading = followup.read_in_context(
        bundled_snapshot, "and coffee?", turn(bundled_snapshot, ROSACEA)
    )
    decision = reading.decision
    assert decision.outcome is Outcome.SUGGEST and decision.likely  # "I think you're asking"
    assert [s.entry.id for s in decision.suggestions] == [ROSACEA_ID]
    assert reading.context == ROSACEA
    assert reading.text == f"and coffee? {ROSACEA}"


def test_without_a_last_answer_a_message_is_read_alone(bundled_snapshot: Snapshot) -> None:
    reading = followup.read_in_context(bundled_snapshot, "and coffee?", None)
    assert reading.decision == bundled_snapshot.decide("and coffee?")[0]
    assert reading.context is None


def test_a_question_that_stands_on_its_own_is_answered_as_before(
    bundled_snapshot: Snapshot, bundled_knowledge: Knowledge
) -> None:
    question = bundled_knowledge.entries["how-much-sunscreen-spf"].question
    reading = followup.read_in_context(bundled_snapshot, question, turn(bundled_snapshot, ROSACEA))
    assert reading.decision == bundled_snapshot.decide(question)[0]
    assert reading.decision.outcome is Outcome.ANSWER and reading.context is None


LATISSE = "Is there a prescription to make my eyelashes longer?"


def test_an_unmatched_message_in_the_last_answers_words_is_read_in_context(
    bundled_snapshot: Snapshot,
) -> None:
    """ "do i need to see a doctor?" (six words, no cue, no pointer) finds nothing alone; its
    words are the Latisse answer's, so it asks about that answer: the entry is a tap away."""
    text = "do i need to see a doctor?"
    assert not followup.looks_like_followup(text)
    assert bundled_snapshot.decide(text)[0].outcome is Outcome.UNMATCHED
    reading = followup.read_in_context(bundled_snapshot, text, turn(bundled_snapshot, LATISSE))
    assert reading.context == LATISSE
    assert reading.decision.outcome is Outcome.SUGGEST
    assert [s.entry.id for s in reading.decision.suggestions][:1] == ["latisse-eyelashes"]


def test_a_message_asking_only_a_kind_of_question_is_read_in_context(
    bundled_snapshot: Snapshot,
) -> None:
    """ "how long until I see anything" names no subject, only asks "how long": about the
    answer just given."""
    text = "how long until I see anything"
    assert not followup.looks_like_followup(text)
    reading = followup.read_in_context(bundled_snapshot, text, turn(bundled_snapshot, LATISSE))
    assert reading.context == LATISSE
    assert [s.entry.id for s in reading.decision.suggestions][:1] == ["latisse-eyelashes"]


@pytest.fixture(scope="module", params=[True, False], ids=["meaning", "words"])
def both_modes(request: pytest.FixtureRequest, bundled_knowledge: Knowledge) -> Snapshot:
    """The bundled knowledge with the meaning signal and in the words-only mode."""
    return Snapshot.build(bundled_knowledge, meaning=request.param)


def test_a_new_kind_of_question_names_the_entry_that_asks_it(both_modes: Snapshot) -> None:
    """ "how long does each round last" after Botox and the muscles: the follow-up's new
    words are a kind of question ("how long") and a word no phrasing uses ("round"); the
    entry whose phrasings ask "how long" of Botox is among the choices."""
    text = "ok thanks. and how long does each round last usually"
    last = turn(both_modes, "Does Botox weaken my forehead muscles for good after years of it?")
    reading = followup.read_in_context(both_modes, text, last)
    assert reading.decision.outcome is Outcome.SUGGEST
    assert "how-long-botox-lasts" in [s.entry.id for s in reading.decision.suggestions]


def test_the_entry_the_new_words_name_first_gets_the_last_place(both_modes: Snapshot) -> None:
    """After melasma in pregnancy, "and botox for my frown lines, also a no?": the readings
    find melasma and Botox entries enough to fill every place; the entry the new words name
    first (Botox in pregnancy, the previous answer's neighbour) must not be left out."""
    last = turn(both_modes, "What can I safely do about melasma while pregnant?")
    reading = followup.read_in_context(both_modes, "and botox for my frown lines, also a no?", last)
    choices = [s.entry.id for s in reading.decision.suggestions]
    assert reading.decision.outcome is Outcome.SUGGEST and len(choices) <= 3
    assert "botox-pregnancy-breastfeeding" in choices


@pytest.mark.parametrize(
    "text",
    [
        "how do I lower my cholesterol without statins",  # words the knowledge never uses
        "what are the early signs of type 2 diabetes",
        "https://www.example.com/watch?v=abc123",  # no words at all
    ],
)
def test_an_unmatched_question_with_its_own_subject_stays_alone(
    bundled_snapshot: Snapshot, text: str
) -> None:
    alone = bundled_snapshot.decide(text)[0]
    assert alone.outcome is Outcome.UNMATCHED
    for question in (LATISSE, ROSACEA, "Can you get lumps after filler?"):
        reading = followup.read_in_context(bundled_snapshot, text, turn(bundled_snapshot, question))
        assert reading.context is None, question
        assert reading.decision == alone


def test_a_red_flag_in_a_follow_up_is_urgent(bundled_snapshot: Snapshot) -> None:
    text = "and now I can't breathe and my throat is swelling"
    reading = followup.read_in_context(bundled_snapshot, text, turn(bundled_snapshot, ROSACEA))
    assert reading.decision.outcome is Outcome.URGENT and reading.flag is not None


@pytest.mark.parametrize("text", ["and now it is turning white?", "and now my vision is blurry?"])
def test_a_sign_urgent_only_with_the_last_question_is_urgent(
    bundled_snapshot: Snapshot, text: str
) -> None:
    """Alone, "and now it is turning white?" names no procedure; after a lip-filler answer
    it describes a blocked vessel: safety reads it with the last question too."""
    assert bundled_snapshot.decide(text)[0].outcome is not Outcome.URGENT
    last = turn(bundled_snapshot, "How long does lip filler swelling last?")
    reading = followup.read_in_context(bundled_snapshot, text, last)
    assert reading.decision.outcome is Outcome.URGENT and reading.flag is not None
    assert reading.context == last.question


async def test_an_urgent_follow_up_reaches_the_doctor_at_once_with_its_context(
    service: AnswerService, store: Store
) -> None:
    await service.ask(READER, "How long does lip filler swelling last?")
    reply = await service.ask(READER, "and now it is turning white?")
    assert reply.outcome is Outcome.URGENT and reply.queued
    (item,) = await store.queue()
    assert (item.kind, item.context) == ("urgent", "How long does lip filler swelling last?")


@pytest.mark.parametrize("name", ["followup_cases.yaml", "followup_cases2.yaml"])
def test_no_follow_up_of_the_blind_sets_is_made_urgent(
    bundled_snapshot: Snapshot, name: str
) -> None:
    """Over-triage: none of the 320 + 200 follow-ups describes an emergency. Counted only
    (the second set's held half is never read case by case)."""
    cases = load_cases(DATA / name, bundled_snapshot)
    urgent = sum(in_context(bundled_snapshot, c).outcome is Outcome.URGENT for c in cases)
    assert urgent == 0


def test_the_previous_entry_again_must_be_asked_something_new(
    bundled_snapshot: Snapshot,
) -> None:
    """Reading "and what about my cat?" with the rosacea question finds rosacea again: it is
    offered among choices (a tap away, 'Not quite — ask the doctor' beside it), never as the
    answer the reader is sure to want."""
    reading = followup.read_in_context(
        bundled_snapshot, "and what about my cat?", turn(bundled_snapshot, ROSACEA)
    )
    assert reading.decision.outcome is not Outcome.ANSWER
    assert not reading.decision.likely


DARK_CIRCLES = "What causes dark circles under my eyes?"


def test_the_choices_left_go_to_entries_naming_the_follow_ups_new_words(
    bundled_snapshot: Snapshot,
) -> None:
    """Read with the dark-circles question, "and the puffiness?" finds dark circles again
    (that question's words outweigh one new word); the places left among the choices go to
    entries whose own phrasings name "puffiness", never to an answer."""
    last = turn(bundled_snapshot, DARK_CIRCLES)
    assert last.entry.id == "dark-under-eye-circles"
    reading = followup.read_in_context(bundled_snapshot, "and the puffiness?", last)
    decision = reading.decision
    assert decision.outcome is Outcome.SUGGEST and decision.entry is None
    ids = [s.entry.id for s in decision.suggestions]
    assert ids[0] == "dark-under-eye-circles"  # what the reading found comes first
    assert "under-eye-bags-puffiness" in ids and len(ids) <= 3
    matcher = bundled_snapshot.matcher
    (word,) = matcher.analyzer.terms("puffiness")
    assert all(word in matcher.phrasing_terms(i) for i in ids[1:])


def test_candidates_the_previous_answer_lists_as_related_come_first(
    bundled_snapshot: Snapshot,
) -> None:
    last = turn(bundled_snapshot, DARK_CIRCLES)
    text = "and the puffiness?"
    found = followup._named_candidates(
        bundled_snapshot, text, followup.contextual_text(text, last.question), last
    )
    others = [s.entry.id for s in found if s.entry != last.entry]
    assert others, "an entry names the puffiness"
    flags = [i in last.entry.related for i in others]
    assert flags[0] and flags == sorted(flags, reverse=True)  # related ones, then the rest


# --- the service: remembered, queued with context, forgotten ----------------------------------


async def test_the_bot_reads_a_follow_up_after_its_answer(
    service: AnswerService, db_path: Path
) -> None:
    first = await service.ask(READER, ROSACEA)
    assert first.outcome is Outcome.ANSWER
    assert db_rows(db_path, "SELECT chat_id, question, entry_id FROM conversations") == [
        (READER, ROSACEA, ROSACEA_ID)
    ]
    reply = await service.ask(READER, "and coffee?")
    assert reply.outcome is Outcome.SUGGEST
    assert plain(reply).startswith("I think you're asking:")
    # another reader's "and coffee?" has no context
    other = await service.ask(READER + 1, "and coffee?")
    assert not plain(other).startswith("I think you're asking:")
    assert db_rows(db_path, "SELECT text, context FROM questions ORDER BY id") == [
        (ROSACEA, None),
        ("and coffee?", ROSACEA),
        ("and coffee?", None),
    ]


async def test_a_follow_up_sent_to_the_doctor_carries_the_question_before_it(
    service: AnswerService, store: Store, bundled_snapshot: Snapshot
) -> None:
    await service.ask(READER, ROSACEA)
    offer = await service.ask(READER, "and what about my cat?")
    (ask_doctor,) = offer.buttons[-1]
    assert ask_doctor.action is Action.ASK_DOCTOR
    await service.press(READER, ask_doctor.action, ask_doctor.arg)
    (item,) = await store.queue()
    assert (item.text, item.context) == ("and what about my cat?", ROSACEA)
    # her card quotes both, and `queue show` says it
    card = review_replies.card(item, "Reader ABCDEF")
    quotes = [b.text for b in card.blocks if b.kind is BlockKind.QUOTE]
    assert quotes == ["and what about my cat?", ROSACEA]
    detail = await ReviewService(store, lambda: bundled_snapshot).show(item.id)
    lines = review_terminal.detail_lines(detail)
    assert f"(a follow-up; the reader had just asked: {ROSACEA})" in lines
    assert review_terminal.item_dict(item)["context"] == ROSACEA


async def test_an_unmatched_follow_up_is_queued_with_its_context(store: Store) -> None:
    _, queued = await store.log_question(
        READER, "and in dogs?", "unmatched", None, 0.0, 1.0, context=ROSACEA
    )
    assert queued
    (item,) = await store.queue()
    assert item.context == ROSACEA


async def test_after_the_window_a_short_message_is_read_alone(
    service: AnswerService, db_path: Path, bundled_snapshot: Snapshot
) -> None:
    await service.ask(READER, ROSACEA)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE conversations SET at = ?", (old,))
    conn.close()
    reply = await service.ask(READER, "and coffee?")
    assert reply.outcome == bundled_snapshot.decide("and coffee?")[0].outcome
    assert db_rows(db_path, "SELECT context FROM questions ORDER BY id DESC LIMIT 1") == [(None,)]


async def test_a_window_of_zero_turns_follow_ups_off(
    bundled_snapshot: Snapshot, store: Store, db_path: Path
) -> None:
    knowledge = bundled_snapshot.knowledge
    settings = knowledge.settings.model_copy(update={"followup_window": 0})
    snap = dataclasses.replace(
        bundled_snapshot, knowledge=dataclasses.replace(knowledge, settings=settings)
    )
    service = AnswerService(snap, store)
    await service.ask(READER, ROSACEA)
    await service.ask(READER, "and coffee?")
    assert db_rows(db_path, "SELECT context FROM questions ORDER BY id") == [(None,), (None,)]


async def test_an_answer_opened_from_a_button_is_the_new_context(
    service: AnswerService, db_path: Path, bundled_knowledge: Knowledge
) -> None:
    entry = bundled_knowledge.entries["how-much-sunscreen-spf"]
    await service.press(READER, Action.ENTRY, entry.id)
    assert db_rows(db_path, "SELECT question, entry_id FROM conversations") == [
        (entry.question, entry.id)
    ]


async def test_forget_and_retention_delete_the_last_answer(
    service: AnswerService, store: Store, db_path: Path
) -> None:
    await service.ask(READER, ROSACEA)
    await service.ask(READER + 1, ROSACEA)
    await service.forget(READER)
    assert db_rows(db_path, "SELECT chat_id FROM conversations") == [(READER + 1,)]
    deleted = await store.prune_old(365, at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert deleted["conversations"] == 1
    assert db_rows(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_the_console_reads_follow_ups_the_same(service: AnswerService) -> None:
    first = await console_step(service, ROSACEA, None)
    assert first.outcome is Outcome.ANSWER
    reply = await console_step(service, "and coffee?", first)
    assert plain(reply).startswith("I think you're asking:")
    shown = await console_step(service, "1", reply)  # "Show the answer"
    assert shown.entry is not None and shown.entry.id == ROSACEA_ID


# --- eval with follow-up cases ----------------------------------------------------------------


def test_eval_reads_cases_with_previous_in_context(
    bundled_snapshot: Snapshot, tmp_path: Path
) -> None:
    cases_file = tmp_path / "cases.yaml"
    cases_file.write_text(
        "- text: and coffee?\n"
        f"  expect: {ROSACEA_ID}\n"
        f"  previous: {ROSACEA}\n"
        f"  previous_expect: {ROSACEA_ID}\n",
        encoding="utf-8",
    )
    (case,) = load_cases(cases_file, bundled_snapshot)
    assert (case.previous, case.previous_expect) == (ROSACEA, ROSACEA_ID)
    decision = in_context(bundled_snapshot, case)
    assert decision.likely and decision.suggestions[0].entry.id == ROSACEA_ID
    assert decision != bundled_snapshot.decide(case.text)[0]  # not read alone
    report = evaluate(bundled_snapshot, [case])
    assert (report.covered, report.assisted, report.one_tap) == (1, 1, 1.0)
    cases_file.write_text("- {text: 'and coffee?', expect: null, previous: hi}\n", encoding="utf-8")
    with pytest.raises(CasesError, match="'previous' needs 'previous_expect'"):
        load_cases(cases_file, bundled_snapshot)


@pytest.mark.parametrize(
    ("name", "size"), [("followup_cases.yaml", 320), ("followup_cases2.yaml", 200)]
)
def test_the_follow_up_sets_are_the_blind_ones_with_their_split_stated(
    name: str, size: int
) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert "ODD positions" in text and "HELD ASIDE" in text and "another helper" in text
    assert text.count("\n- text: ") == size


def test_in_words_only_mode_an_answer_the_context_only_lists_is_offered(
    bundled_knowledge: Knowledge,
) -> None:
    """Without the meaning signal, "would Sculptra have been better there instead?" after
    tear-trough filler names the Sculptra entry word for word; read in context it is only one
    of the choices: offered a tap away, not answered (words alone cannot tell a near-miss)."""
    words = Snapshot.build(bundled_knowledge, meaning=False)
    text = "would Sculptra have been better there instead?"
    alone = words.decide(text)[0]
    assert alone.outcome is Outcome.ANSWER and alone.entry is not None
    assert alone.entry.id == "sculptra-vs-ha-filler"
    last = turn(words, "My under-eye filler looks puffy and a bit blue, why is that?")
    reading = followup.read_in_context(words, text, last)
    assert reading.decision.outcome is Outcome.SUGGEST and reading.context == last.question
    assert "sculptra-vs-ha-filler" in [s.entry.id for s in reading.decision.suggestions]


def test_a_short_message_after_an_answer_is_answered_only_as_without_the_tuned_model(
    bundled_knowledge: Knowledge,
) -> None:
    """'when can i wear makeup?' after a Fraxel answer stands on its own words, and the tuned
    model's gate alone answers it with microneedling (whose answer speaks of makeup after
    microneedling): right after an answer it is offered, one tap away, not answered; read with
    no answer before it, it is answered as before."""
    snapshot = Snapshot.build(bundled_knowledge, meaning=True, tuned=True)
    assert snapshot.matcher.meaning is not None and snapshot.matcher.meaning.tuned is not None
    text = "when can i wear makeup?"
    alone, _ = snapshot.decide(text)
    assert alone.outcome is Outcome.ANSWER
    assert followup.read_in_context(snapshot, text, None).decision == alone
    last = turn(snapshot, "fraxel recovery time")
    assert last.entry.id == "fraxel-downtime"
    decision = followup.read_in_context(snapshot, text, last).decision
    assert decision.outcome is Outcome.SUGGEST
    assert alone.entry in [s.entry for s in decision.suggestions]


def test_without_the_tuned_model_a_short_message_after_an_answer_is_answered_as_before(
    bundled_knowledge: Knowledge,
) -> None:
    """The rule above only undoes the tuned model's gate: with the base model alone, a question
    that stands on its own after an answer is answered as when it is read alone."""
    snapshot = Snapshot.build(bundled_knowledge, meaning=True, tuned=False)
    question = bundled_knowledge.entries["how-much-sunscreen-spf"].question
    alone, _ = snapshot.decide(question)
    assert alone.outcome is Outcome.ANSWER
    last = turn(snapshot, ROSACEA)
    assert followup.read_in_context(snapshot, question, last).decision == alone


def test_a_short_follow_up_answered_alone_is_encoded_once(
    bundled_knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a short message after an answer weighs it alone twice (with and without the
    tuned model's signals): its meaning vectors are encoded once by each model, then handed on
    (an encoding costs 25-40 ms), with the same decision as when encoded again."""
    snapshot = Snapshot.build(bundled_knowledge, meaning=True, tuned=True)
    assert snapshot.matcher.meaning is not None and snapshot.matcher.meaning.tuned is not None
    last = turn(snapshot, "fraxel recovery time")
    text = "when can i wear makeup?"
    assert snapshot.decide(text)[0].outcome is Outcome.ANSWER  # so both readings alone run
    encoder = snapshot.matcher.meaning.encoder.encoder  # type: ignore[union-attr]
    real = encoder._encode
    calls: list[tuple[str, bool]] = []

    def counted(texts: list[str], models: tuple[bool, ...]) -> list:
        calls.extend((t, m) for t in texts for m in models)
        return real(texts, models)

    monkeypatch.setattr(encoder, "_encode", counted)
    decision = followup.read_in_context(snapshot, text, last).decision
    assert calls.count((text, False)) == 1 and calls.count((text, True)) == 1, calls
    assert decision.outcome is Outcome.SUGGEST
    # the same as weighing it again from its text, encoded afresh
    judged = snapshot.judge(text)
    again = followup._alone_without_tuned(snapshot, text, judged.decision, None)
    handed = followup._alone_without_tuned(snapshot, text, judged.decision, judged.vectors)
    assert handed == again and handed.outcome is Outcome.SUGGEST
