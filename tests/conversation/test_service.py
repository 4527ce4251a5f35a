"""The answer service (design.md §1, §3) on the bundled knowledge and a real SQLite store: what
each outcome replies, what it stores, the buttons and their presses, /forget, topic browsing,
and an honest reply when the database fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.conversation import replies
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge
from bot.models import Action, BlockKind, Button, Decision, Outcome, Reply, Scored
from bot.storage import MAX_STORED_CHARS, Store
from bot.understanding.snapshot import Snapshot
from tests.conftest import db_rows

READER = 101
OTHER = 202
ANSWERED_ID = "lip-filler-duration-swelling"
UNKNOWN = "What is the capital of Peru?"
URGENT = "How long does lip filler last? my lip went white after the filler and it hurts so much"
SUGGEST_CANDIDATES = (
    "botox",
    "filler",
    "retinol",
    "botox side effects",
    "which laser is best for redness",
    "retinol and vitamin c together",
)


def count(db: Path, table: str, chat_id: int | None = None) -> int:
    where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
    return db_rows(db, f"SELECT COUNT(*) FROM {table} {where}", params)[0][0]


def tables_with_chat_id(db: Path) -> list[str]:
    names = [n for (n,) in db_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        n
        for n in names
        if any(col[1] == "chat_id" for col in db_rows(db, f"PRAGMA table_info({n})"))
    ]


def text_of(reply: Reply) -> str:
    return "\n".join(block.text for block in reply.blocks)


def callback(button: Button) -> bytes:
    return f"{button.action}:{button.arg}".encode()


@pytest.fixture
def service(bundled_snapshot: Snapshot, store: Store) -> AnswerService:
    return AnswerService(bundled_snapshot, store)


@pytest.fixture
def settings(bundled_knowledge: Knowledge):
    return bundled_knowledge.settings


@pytest.fixture(scope="module")
def suggest_text(bundled_snapshot: Snapshot) -> str:
    for text in SUGGEST_CANDIDATES:
        if bundled_snapshot.decide(text)[0].outcome is Outcome.SUGGEST:
            return text
    pytest.fail(f"none of {SUGGEST_CANDIDATES} gets a suggest reply any more")


# --- answer -----------------------------------------------------------------------------------


async def test_answer_card(
    service: AnswerService, bundled_knowledge: Knowledge, settings, db_path: Path
) -> None:
    entry = bundled_knowledge.entries[ANSWERED_ID]
    reply = await service.ask(READER, entry.question)
    assert reply.outcome is Outcome.ANSWER and reply.entry == entry
    kinds = [b.kind for b in reply.blocks]
    assert kinds[0] is BlockKind.TITLE and reply.blocks[0].text == entry.question
    links = [b for b in reply.blocks if b.kind is BlockKind.LINK]
    assert len(links) == 1 and links[0].url == entry.link
    assert links[0].text == settings.text("read_more")
    notes = [b for b in reply.blocks if b.kind is BlockKind.NOTE]
    assert [n.text for n in notes] == [settings.text("disclaimer")]
    assert any(b.kind is BlockKind.TEXT and b.text == entry.answer for b in reply.blocks)

    votes, *related, share = reply.buttons
    assert [(b.action, b.arg) for b in share] == [(Action.SHARE, entry.id)]
    assert [(b.label, b.action, b.arg) for b in votes] == [
        ("👍", Action.VOTE_UP, entry.id),
        ("👎", Action.VOTE_DOWN, entry.id),
    ]
    assert 1 <= len(related) <= 3
    for (button,) in related:
        assert button.action is Action.ENTRY and button.arg in entry.related
        assert bundled_knowledge.entries[button.arg].question in button.label

    assert db_rows(db_path, "SELECT chat_id, text, outcome, entry_id FROM questions") == [
        (READER, entry.question, "answer", entry.id)
    ]
    assert count(db_path, "queue") == 0


async def test_at_most_three_related(
    bundled_knowledge: Knowledge, bundled_snapshot: Snapshot, store: Store
) -> None:
    entry = bundled_knowledge.entries[ANSWERED_ID]
    others = tuple(i for i in bundled_knowledge.entries if i != entry.id)[:6]
    crowded = dataclasses.replace(entry, related=others)
    knowledge = dataclasses.replace(
        bundled_knowledge, entries={**bundled_knowledge.entries, entry.id: crowded}
    )
    service = AnswerService(dataclasses.replace(bundled_snapshot, knowledge=knowledge), store)
    reply = await service.press(READER, Action.ENTRY, entry.id)
    related = reply.buttons[1:-1]  # (the last row: Share)
    assert [b.arg for (b,) in related] == list(others[:3])


# --- urgent -----------------------------------------------------------------------------------


async def test_urgent_reply_and_queue(
    service: AnswerService, bundled_snapshot: Snapshot, settings, db_path: Path
) -> None:
    # without the safety check this message would get a lip filler answer or suggestion
    alone = bundled_snapshot.matcher.decide(URGENT)
    assert alone.entry is not None or alone.suggestions
    reply = await service.ask(READER, URGENT)
    assert reply.outcome is Outcome.URGENT
    assert reply.entry is None and reply.suggestions == () and reply.buttons == ()
    assert reply.blocks[0].kind is BlockKind.TITLE
    assert reply.blocks[0].text == settings.text("urgent")
    flag = bundled_snapshot.safety.red_flag(URGENT)
    assert flag is not None
    assert reply.blocks[1].text == flag.advice.strip()
    assert settings.text("urgent_queued") in text_of(reply)
    assert not any(b.kind is BlockKind.LINK for b in reply.blocks)
    assert "Read more" not in text_of(reply)
    assert reply.queued
    assert db_rows(db_path, "SELECT chat_id, text, kind, status FROM queue") == [
        (READER, URGENT, "urgent", "pending")
    ]
    assert db_rows(db_path, "SELECT outcome, entry_id FROM questions") == [("urgent", None)]


# --- unmatched --------------------------------------------------------------------------------


async def test_unmatched_is_queued_once(service: AnswerService, settings, db_path: Path) -> None:
    reply = await service.ask(READER, UNKNOWN)
    assert reply.outcome is Outcome.UNMATCHED and reply.queued
    assert text_of(reply) == settings.text("unmatched")
    assert reply.question_id is not None
    assert db_rows(db_path, "SELECT chat_id, text, kind, status, question_id FROM queue") == [
        (READER, UNKNOWN, "unmatched", "pending", reply.question_id)
    ]
    again = await service.ask(READER, UNKNOWN.upper())  # same question, shouted
    assert again.queued
    assert count(db_path, "questions") == 2
    assert count(db_path, "queue") == 1  # one queue item per reader per repeated question
    await service.ask(OTHER, UNKNOWN)
    assert count(db_path, "queue") == 2


# --- small talk and empty ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"), [("hi", "greeting"), ("thanks!", "thanks"), ("👍", "ack"), ("bye", "bye")]
)
async def test_smalltalk_stores_nothing(
    service: AnswerService, settings, db_path: Path, text: str, kind: str
) -> None:
    reply = await service.ask(READER, text)
    assert reply.outcome is Outcome.SMALLTALK
    assert text_of(reply) == settings.text(f"smalltalk_{kind}")
    for table in tables_with_chat_id(db_path):
        assert count(db_path, table) == 0, table


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b\u200d\ufeff"])
async def test_empty_text(service: AnswerService, settings, db_path: Path, text: str) -> None:
    reply = await service.ask(READER, text)
    assert reply.outcome is None
    assert text_of(reply) == settings.text("empty")
    assert count(db_path, "questions") == 0


# --- suggest ----------------------------------------------------------------------------------


async def test_suggest_then_tap_an_entry(
    service: AnswerService, suggest_text: str, bundled_knowledge: Knowledge, db_path: Path
) -> None:
    reply = await service.ask(READER, suggest_text)
    assert reply.outcome is Outcome.SUGGEST
    qid = reply.question_id
    assert qid is not None and not reply.queued
    *entry_rows, (ask_doctor,) = reply.buttons
    assert 1 <= len(entry_rows) <= 3
    assert [b.label for (b,) in entry_rows] == [s.entry.question for s in reply.suggestions]
    assert ask_doctor.action is Action.ASK_DOCTOR and ask_doctor.arg == str(qid)
    assert count(db_path, "queue") == 0  # a suggestion is not queued until asked
    assert db_rows(db_path, "SELECT outcome FROM questions") == [("suggest",)]

    (tap,) = entry_rows[-1]
    assert tap.action is Action.ENTRY
    chosen = reply.suggestions[len(entry_rows) - 1].entry
    card = await service.press(READER, tap.action, tap.arg)
    assert card.outcome is Outcome.ANSWER and card.entry == bundled_knowledge.entries[chosen.id]
    assert card.blocks[0].text == chosen.question
    assert db_rows(db_path, "SELECT chat_id, entry_id, text FROM alternates") == [
        (READER, chosen.id, suggest_text)
    ]


async def test_tap_with_someone_elses_question_stores_no_alternate(
    service: AnswerService, suggest_text: str, db_path: Path
) -> None:
    reply = await service.ask(READER, suggest_text)
    (tap,) = reply.buttons[0]
    card = await service.press(OTHER, tap.action, tap.arg)
    assert card.outcome is Outcome.ANSWER
    assert count(db_path, "alternates") == 0


async def test_none_of_these_queues_the_question_once(
    service: AnswerService, suggest_text: str, settings, db_path: Path
) -> None:
    reply = await service.ask(READER, suggest_text)
    (ask_doctor,) = reply.buttons[-1]
    assert settings.expert in ask_doctor.label
    first = await service.press(READER, ask_doctor.action, ask_doctor.arg)
    assert text_of(first) == settings.text("queued_from_suggest")
    second = await service.press(READER, ask_doctor.action, ask_doctor.arg)
    assert text_of(second) in (
        settings.text("queued_from_suggest"),
        settings.text("unmatched_not_queued"),
    )
    assert db_rows(db_path, "SELECT chat_id, text, status, question_id FROM queue") == [
        (READER, suggest_text, "pending", reply.question_id)
    ]
    # someone else cannot queue (or learn about) this reader's question
    other = await service.press(OTHER, ask_doctor.action, ask_doctor.arg)
    assert text_of(other) == settings.text("unmatched_not_queued")
    assert count(db_path, "queue") == 1


# --- votes, unknown entries -------------------------------------------------------------------


async def test_votes_are_stored_and_changeable(
    service: AnswerService, settings, db_path: Path
) -> None:
    up = await service.press(READER, Action.VOTE_UP, ANSWERED_ID)
    assert text_of(up) == settings.text("vote_thanks")
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [
        (READER, ANSWERED_ID, 1)
    ]
    await service.press(READER, Action.VOTE_DOWN, ANSWERED_ID)
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [
        (READER, ANSWERED_ID, -1)
    ]
    await service.press(OTHER, Action.VOTE_UP, ANSWERED_ID)
    assert count(db_path, "votes") == 2


@pytest.mark.parametrize(
    ("action", "arg"),
    [
        (Action.ENTRY, "no-such-entry"),
        (Action.ENTRY, "no-such-entry:5"),
        (Action.VOTE_UP, "no-such-entry"),
        (Action.VOTE_DOWN, ""),
        (Action.TOPIC, "no-such-topic:0"),
    ],
)
async def test_press_unknown_is_answer_changed(
    service: AnswerService, settings, db_path: Path, action: Action, arg: str
) -> None:
    reply = await service.press(READER, action, arg)
    assert text_of(reply) == settings.text("answer_changed")
    assert count(db_path, "votes") == 0 and count(db_path, "alternates") == 0


# --- /forget ----------------------------------------------------------------------------------


async def test_forget_deletes_the_readers_rows_everywhere(
    service: AnswerService, suggest_text: str, settings, db_path: Path
) -> None:
    async def activity(chat_id: int) -> None:
        await service.ask(chat_id, UNKNOWN)
        await service.ask(chat_id, URGENT)
        suggest = await service.ask(chat_id, suggest_text)
        (tap,) = suggest.buttons[0]
        await service.press(chat_id, tap.action, tap.arg)
        (ask_doctor,) = suggest.buttons[-1]
        await service.press(chat_id, ask_doctor.action, ask_doctor.arg)
        await service.press(chat_id, Action.VOTE_UP, ANSWERED_ID)
        await service.ask(chat_id, f"{suggest_text}?")  # shown choices: held for the reader

    await activity(READER)
    await activity(OTHER)
    tables = tables_with_chat_id(db_path)
    assert set(tables) >= {"questions", "queue", "votes", "alternates"}
    before_other = {t: count(db_path, t, OTHER) for t in tables}
    assert all(count(db_path, t, READER) > 0 for t in tables)

    confirm = service.forget_confirm()
    assert text_of(confirm) == settings.text("forget_confirm")
    actions = [b.action for b in confirm.flat_buttons]
    assert actions == [Action.FORGET, Action.CANCEL]

    cancelled = await service.press(READER, Action.CANCEL)
    assert text_of(cancelled) == settings.text("cancelled")
    assert all(count(db_path, t, READER) > 0 for t in tables)

    forget = confirm.flat_buttons[0]
    done = await service.press(READER, forget.action, forget.arg)
    assert text_of(done) == settings.text("forgotten")
    assert {t: count(db_path, t, READER) for t in tables} == dict.fromkeys(tables, 0)
    assert {t: count(db_path, t, OTHER) for t in tables} == before_other


# --- topics -----------------------------------------------------------------------------------


async def test_topics_paging(service: AnswerService, bundled_knowledge: Knowledge) -> None:
    seen_buttons: list[Button] = []

    def buttons(reply: Reply) -> list[Button]:
        seen_buttons.extend(reply.flat_buttons)
        return reply.flat_buttons

    # the topic list, page by page, forward then back
    first = service.topics(0)
    assert first == await service.press(READER, Action.TOPICS, "0")
    listed: list[str] = []
    page = first
    pages = [first]
    while True:
        listed += [b.arg.split(":")[0] for b in buttons(page) if b.action is Action.TOPIC]
        more = [b for b in page.flat_buttons if b.action is Action.TOPICS and "›" in b.label]
        if not more:
            break
        page = await service.press(READER, more[0].action, more[0].arg)
        pages.append(page)
    assert len(pages) >= 2  # 12 bundled topics do not fit on one page
    assert listed == [t.id for t in bundled_knowledge.topics]
    back = [b for b in pages[1].flat_buttons if b.action is Action.TOPICS and "‹" in b.label]
    assert len(back) == 1
    assert await service.press(READER, back[0].action, back[0].arg) == pages[0]
    assert service.topics(99) == pages[-1]  # out of range: the last page, no error

    # every topic's questions, page by page; every question opens its card
    for topic in bundled_knowledge.topics:
        (button,) = [b for p in pages for b in p.flat_buttons if b.arg.split(":")[0] == topic.id]
        reply = await service.press(READER, button.action, button.arg)
        assert reply.blocks[0].text.startswith(topic.title)
        shown: list[str] = []
        while True:
            shown += [b.arg for b in buttons(reply) if b.action is Action.ENTRY]
            assert any(b.action is Action.TOPICS for b in reply.flat_buttons)  # All topics
            more = [b for b in reply.flat_buttons if b.action is Action.TOPIC and "›" in b.label]
            if not more:
                break
            reply = await service.press(READER, more[0].action, more[0].arg)
            assert reply.blocks[0].text.startswith(topic.title)
        assert shown == list(topic.entry_ids)
        for entry_id in shown:
            card = await service.press(READER, Action.ENTRY, entry_id)
            assert card.entry is not None and card.entry.id == entry_id
            buttons(card)

    # a paged topic: next page, then back to the first
    paged = next(t for t in bundled_knowledge.topics if len(t.entry_ids) > replies.PAGE_SIZE)
    page0 = service.topic(paged.id, 0)
    (more,) = [b for b in page0.flat_buttons if b.action is Action.TOPIC and "›" in b.label]
    page1 = await service.press(READER, more.action, more.arg)
    assert page1 != page0
    (back_btn,) = [b for b in page1.flat_buttons if b.action is Action.TOPIC and "‹" in b.label]
    assert await service.press(READER, back_btn.action, back_btn.arg) == page0

    assert seen_buttons
    too_long = [callback(b) for b in seen_buttons if len(callback(b)) > 64]
    assert too_long == []


def test_suggest_buttons_fit_in_callback_data(bundled_knowledge: Knowledge) -> None:
    """The longest entry ids with a large question id still fit Telegram's 64 bytes."""
    longest = sorted(bundled_knowledge.entries.values(), key=lambda e: len(e.id))[-3:]
    decision = Decision(
        Outcome.SUGGEST, score=0.5, suggestions=tuple(Scored(e, 0.5) for e in longest)
    )
    reply = replies.for_decision(
        bundled_knowledge, decision, question_id=10**12, queued=False, red_flag=None
    )
    assert len(reply.flat_buttons) == 4
    assert all(len(callback(b)) <= 64 for b in reply.flat_buttons)
    start = replies.start(bundled_knowledge)
    assert all(len(callback(b)) <= 64 for b in start.flat_buttons)


def test_one_uncertain_choice_is_asked_about_as_one(bundled_knowledge: Knowledge) -> None:
    """ "Which of these" / "None of these" over a single choice would read oddly."""
    entry = bundled_knowledge.get("how-long-botox-lasts")
    settings = bundled_knowledge.settings
    one = replies.for_decision(
        bundled_knowledge,
        Decision(Outcome.SUGGEST, score=0.5, suggestions=(Scored(entry, 0.5),)),
        question_id=7,
        queued=False,
    )
    assert one.blocks[0].text == settings.text("suggest_one_intro")
    assert [b.label for b in one.flat_buttons] == [
        entry.question,
        settings.text("not_quite_button"),
    ]
    two = replies.for_decision(
        bundled_knowledge,
        Decision(Outcome.SUGGEST, score=0.5, suggestions=(Scored(entry, 0.5),) * 2),
        question_id=7,
        queued=False,
    )
    assert two.blocks[0].text == settings.text("suggest_intro")
    assert two.flat_buttons[-1].label == settings.text("ask_doctor_button")


# --- big and hostile input --------------------------------------------------------------------


async def test_huge_message_is_answered_and_stored_capped(
    service: AnswerService, db_path: Path
) -> None:
    text = ("Hi, I have a long story about my skin and my sunscreen routine. " * 400)[:20_000]
    assert len(text) == 20_000
    reply = await service.ask(READER, text)
    assert reply.outcome is not None and reply.blocks
    ((stored,),) = db_rows(db_path, "SELECT text FROM questions")
    assert len(stored) == MAX_STORED_CHARS
    assert text.startswith(stored)


async def test_html_is_stored_verbatim(service: AnswerService, db_path: Path) -> None:
    text = "<b>Does</b> <script>alert('x')</script> retinol & tretinoin <i>differ</i>? &amp;"
    await service.ask(READER, text)
    assert db_rows(db_path, "SELECT text FROM questions") == [(text,)]


# --- a failing database -----------------------------------------------------------------------


async def _break(store: Store, how: str) -> None:
    if how == "closed":
        await store.close()
    else:
        await store._db.execute("PRAGMA query_only = ON")


@pytest.mark.parametrize("how", ["closed", "read-only"])
async def test_store_failure_is_honest(
    service: AnswerService,
    store: Store,
    bundled_knowledge: Knowledge,
    suggest_text: str,
    settings,
    how: str,
) -> None:
    suggest_before = await service.ask(READER, suggest_text)  # logged while the store works
    await _break(store, how)

    unmatched = await service.ask(READER, UNKNOWN)
    assert unmatched.outcome is Outcome.UNMATCHED and not unmatched.queued
    assert text_of(unmatched) == settings.text("unmatched_not_queued")
    assert settings.text("unmatched") not in text_of(unmatched)

    entry = bundled_knowledge.entries[ANSWERED_ID]
    answer = await service.ask(READER, entry.question)
    assert answer.outcome is Outcome.ANSWER and answer.entry == entry

    urgent = await service.ask(READER, URGENT)
    assert urgent.outcome is Outcome.URGENT and not urgent.queued
    assert urgent.blocks[0].text == settings.text("urgent")
    assert settings.text("urgent_queued") not in text_of(urgent)

    suggest = await service.ask(READER, suggest_text)
    assert suggest.outcome is Outcome.SUGGEST and suggest.question_id is None
    (ask_doctor,) = suggest.buttons[-1]
    not_queued = await service.press(READER, ask_doctor.action, ask_doctor.arg)
    assert text_of(not_queued) == settings.text("unmatched_not_queued")

    # buttons from before the failure: no crash, no false claim
    (old_ask,) = suggest_before.buttons[-1]
    old = await service.press(READER, old_ask.action, old_ask.arg)
    assert text_of(old) == settings.text("unmatched_not_queued")
    (old_tap,) = suggest_before.buttons[0]
    card = await service.press(READER, old_tap.action, old_tap.arg)
    assert card.outcome is Outcome.ANSWER

    vote = await service.press(READER, Action.VOTE_UP, ANSWERED_ID)
    assert text_of(vote) == settings.text("vote_thanks")
    forget = await service.press(READER, Action.FORGET)
    assert text_of(forget) != settings.text("forgotten")  # never claims a deletion it did not do


async def test_without_a_store_nothing_claims_to_be_queued(
    bundled_snapshot: Snapshot, settings
) -> None:
    service = AnswerService(bundled_snapshot, None)
    reply = await service.ask(READER, UNKNOWN)
    assert text_of(reply) == settings.text("unmatched_not_queued") and not reply.queued
