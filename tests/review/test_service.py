"""The doctor's review (bot/review/service.py): grouping, answer, dismiss, link to an entry, export to
draft entries that load as knowledge once completed, and statistics on known rows."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.conversation import render, replies, rich
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.knowledge.schema import SLUG
from bot.models import BlockKind, ReviewAction, Span
from bot.review import replies as review_replies
from bot.review.service import ReviewError, ReviewService, reader_label, similar
from bot.storage import Delivery, Store
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import normalise

PURGE = "Does retinol cause purging?"
PURGE_CHATTY = "Hi doctor! does retinol cause purging at first? thanks"
PURGE_LOWER = "does retinol cause purging"
PERU = "What is the capital of Peru?"
SWELLING = "My throat is swelling after the filler"


def sql(db: Path, statement: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


async def ask(store: Store, chat_id: int, text: str, outcome: str = "unmatched") -> int:
    """Log a question; returns its queue item id (for queued outcomes)."""
    question_id, _ = await store.log_question(chat_id, text, outcome, None, 0.0, 1.0)
    items = [i for i in await store.queue(None) if i.question_id == question_id]
    return items[0].id if items else 0


def kb_snapshot(kb_dir: Path) -> Snapshot:
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, problems
    return Snapshot.build(knowledge)


@pytest.fixture
def review(store: Store) -> ReviewService:
    return ReviewService(store)


# --- grouping ---------------------------------------------------------------------------------


def test_similarity_rule() -> None:
    assert similar(normalise(PURGE), normalise(PURGE_CHATTY))
    assert similar(normalise(PURGE), normalise("does retinol cause purgng"))  # a typo
    assert not similar(normalise(PURGE), normalise(PERU))
    # token_set_ratio alone scores a one-word message 100 against any question containing it
    assert not similar("retinol", normalise(PURGE))
    assert not similar(
        normalise("Does Botox cause hair loss?"), normalise("Does Botox cause headaches?")
    )


async def test_pending_groups_with_counts_urgent_first(
    store: Store, review: ReviewService, db_path: Path
) -> None:
    first = await ask(store, 1, PURGE)
    peru = await ask(store, 2, PERU)
    chatty = await ask(store, 3, PURGE_CHATTY)
    lower = await ask(store, 4, PURGE_LOWER)
    urgent = await ask(store, 5, SWELLING, "urgent")
    sql(db_path, "UPDATE queue SET created_at = '2026-01-01T00:00:00+00:00' WHERE id = ?", (peru,))

    groups = await review.pending_groups()

    assert [g.lead.id for g in groups] == [urgent, peru, first]  # urgent, then oldest
    assert [g.count for g in groups] == [1, 1, 3]
    assert groups[0].urgent and not groups[1].urgent
    assert [i.id for i in groups[2].items] == [first, chatty, lower]
    assert groups[2].readers == 3
    assert groups[2].as_dict() == {
        "id": first,
        "text": PURGE,
        "count": 3,
        "readers": 3,
        "urgent": False,
        "items": [first, chatty, lower],
    }
    detail = await review.show(chatty)
    assert detail.item.text == PURGE_CHATTY
    assert [i.id for i in detail.group] == [first, lower]


async def test_answered_items_leave_the_groups(store: Store, review: ReviewService) -> None:
    first = await ask(store, 1, PURGE)
    await ask(store, 2, PERU)
    await review.answer(first, "Often, yes.", "dr")
    groups = await review.pending_groups()
    assert [g.lead.text for g in groups] == [PERU]


# --- answer and dismiss -----------------------------------------------------------------------


async def test_answer_one_item(store: Store, review: ReviewService) -> None:
    first = await ask(store, 1, PURGE)
    other = await ask(store, 2, PURGE_CHATTY)
    result = await review.answer(first, "  Often, yes.\n\nIt passes.  ", "doctor:42")
    assert result.already is None
    assert [i.id for i in result.changed] == [first]
    assert [i.chat_id for i in result.recipients] == [1]
    item = result.item
    assert (item.status, item.answer, item.answered_by) == (
        "answered",
        "Often, yes.\n\nIt passes.",
        "doctor:42",
    )
    assert item.answered_at and item.answered_via == "text" and item.delivered == 0
    assert (await store.queue_item(other)).status == "pending"  # no --group: the rest stays
    assert [i.id for i in await store.undelivered()] == [first]
    await store.finish_delivery(first, Delivery.SENT)
    assert await store.undelivered() == []
    assert (await store.queue_item(first)).delivered == 1


async def test_answer_a_group_reaches_each_reader_once(store: Store, review: ReviewService) -> None:
    a = await ask(store, 1, PURGE)
    b = await ask(store, 2, PURGE_CHATTY)
    c = await ask(store, 1, PURGE_LOWER + " at all")  # the same reader again, other words
    d = await ask(store, 3, "does retinol cause purging?? really")
    peru = await ask(store, 4, PERU)

    result = await review.answer(b, "Often, yes.", "dr", group=True)

    assert sorted(i.id for i in result.changed) == sorted([a, b, c, d])
    assert sorted(i.chat_id for i in result.recipients) == [1, 2, 3]  # reader 1 once
    for item_id in (a, b, c, d):
        item = await store.queue_item(item_id)
        assert (item.status, item.answer, item.answer_group) == ("answered", "Often, yes.", b)
    assert sorted(i.chat_id for i in await store.undelivered()) == [1, 2, 3]
    assert (await store.queue_item(peru)).status == "pending"


async def test_answer_is_idempotent(store: Store, review: ReviewService, db_path: Path) -> None:
    item_id = await ask(store, 1, PURGE)
    await review.answer(item_id, "First answer", "dr-a")
    before = sql(db_path, "SELECT * FROM queue")
    again = await review.answer(item_id, "Second answer", "dr-b", group=True)
    assert again.already == "answered"
    assert again.changed == [] and again.recipients == []
    assert again.item.answer == "First answer" and again.item.answered_by == "dr-a"
    assert sql(db_path, "SELECT * FROM queue") == before


async def test_bad_requests(store: Store, review: ReviewService) -> None:
    item_id = await ask(store, 1, PURGE)
    with pytest.raises(ReviewError, match="no queue item #999"):
        await review.answer(999, "text", "dr")
    with pytest.raises(ReviewError, match="empty"):
        await review.answer(item_id, " \u200b ", "dr")
    with pytest.raises(ReviewError, match="no queue item"):
        await review.show(999)
    assert (await store.queue_item(item_id)).status == "pending"


async def test_dismiss(store: Store, review: ReviewService) -> None:
    a = await ask(store, 1, PURGE)
    b = await ask(store, 2, PURGE_CHATTY)
    result = await review.dismiss(a, "dr", group=True)
    assert sorted(i.id for i in result.changed) == [a, b]
    assert result.recipients == []
    for item_id in (a, b):
        item = await store.queue_item(item_id)
        assert (item.status, item.answered_by, item.delivered) == ("dismissed", "dr", None)
    later = await review.answer(a, "Too late", "dr")
    assert later.already == "dismissed" and later.item.answer is None
    assert await review.pending_groups() == []


# --- link to an entry -------------------------------------------------------------------------


async def test_link_to_entry_answers_and_proposes_the_alternate(
    store: Store, kb_dir: Path, db_path: Path
) -> None:
    review = ReviewService(store, lambda: kb_snapshot(kb_dir))
    item_id = await ask(store, 7, "do those stone face rollers help with morning puffy eyes")
    result = await review.link_to_entry(item_id, "jade-roller", "dr")
    assert [i.chat_id for i in result.recipients] == [7]
    item = result.item
    assert (item.status, item.entry_id, item.answered_via, item.delivered) == (
        "answered",
        "jade-roller",
        "entry",
        0,
    )
    assert sql(db_path, "SELECT chat_id, entry_id, text FROM alternates") == [
        (7, "jade-roller", "do those stone face rollers help with morning puffy eyes")
    ]
    again = await review.link_to_entry(item_id, "jade-roller", "dr")
    assert again.already == "answered"
    assert len(sql(db_path, "SELECT * FROM alternates")) == 1

    other = await ask(store, 8, PERU)
    with pytest.raises(ReviewError, match="no entry with id 'no-such-entry'"):
        await review.link_to_entry(other, "no-such-entry", "dr")
    assert (await store.queue_item(other)).status == "pending"

    data = await review.export_data()
    assert data["drafts"] == []  # answered with an entry: nothing new to write
    assert data["alternates"] == {
        "jade-roller": ["do those stone face rollers help with morning puffy eyes"]
    }


# --- export -----------------------------------------------------------------------------------


async def test_export_loads_as_knowledge_once_completed(
    store: Store, kb_dir: Path, tmp_path: Path
) -> None:
    review = ReviewService(store, lambda: kb_snapshot(kb_dir))
    a = await ask(store, 1, "  Does retinol cause\u200b purging?  ")
    await ask(store, 2, PURGE_CHATTY)
    await ask(store, 3, PURGE_LOWER)  # the same words as the question: not an alternate
    await review.answer(a, "Often, yes.\n\nIt passes within 4-6 weeks.\n- keep going", "dr", True)
    jade = await ask(store, 4, "Jade roller?")
    await review.answer(jade, "Placeholder: a cold spoon works too.", "dr")
    again = await ask(store, 5, "Jade roller?")  # answered on its own later: a second draft
    await review.answer(again, "Same again.", "dr")
    await review.link_to_entry(
        await ask(store, 6, "stone rollers for puffy eyes?"), "jade-roller", "dr"
    )
    await store.add_alternate(9, "jade-roller", JADE_EXISTING)  # already known: left out
    await store.add_alternate(9, "cleansing-brush", "are face brushes worth the money")
    await ask(store, 7, PERU)  # pending: not exported

    text = await review.export()

    data = yaml.safe_load(text)
    assert set(data) == {"title", "entries"}
    entries = data["entries"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)) == 3
    assert all(SLUG.match(i) for i in ids)
    assert ids[0] == "does-retinol-cause-purging"
    assert "jade-roller" not in ids  # an existing entry's id is never reused
    assert ids[1].startswith("jade-roller-") and ids[2].startswith("jade-roller-")
    first = entries[0]
    assert set(first) == {"id", "question", "alternates", "answer"}  # no link, no reviewed
    assert first["question"] == "Does retinol cause purging?"
    assert first["alternates"] == [PURGE_CHATTY]
    assert first["answer"] == "Often, yes.\n\nIt passes within 4-6 weeks.\n- keep going"
    assert [e["answer"] for e in entries[1:]] == [
        "Placeholder: a cold spoon works too.",
        "Same again.",
    ]
    # the proposed alternates, per existing entry, as a commented mapping
    comments = "\n".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    tail = comments.split("from readers' words:\n", 1)[1]
    assert yaml.safe_load(tail) == {
        "jade-roller": ["stone rollers for puffy eyes?"],
        "cleansing-brush": ["are face brushes worth the money"],
    }

    # without link and reviewed it is not an entry yet
    (kb_dir / "topics" / "drafts.yaml").write_text(text)
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is None
    assert any("missing required field 'link'" in str(p) for p in problems)
    # an admin adds them: the file loads, and every draft is served
    for entry in entries:
        entry["link"] = f"https://example.org/{entry['id']}"
        entry["reviewed"] = dt.date(2026, 11, 27)
    (kb_dir / "topics" / "drafts.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, [str(p) for p in problems]
    assert set(ids) <= set(knowledge.entries)
    assert knowledge.entries[ids[0]].alternates == (PURGE_CHATTY,)


JADE_EXISTING = "does a jade roller reduce puffiness"


async def test_export_of_an_empty_queue_is_a_valid_topic_file(
    review: ReviewService, kb_dir: Path
) -> None:
    text = await review.export()
    assert yaml.safe_load(text) == {"title": "Drafts from the doctor's answers", "entries": []}
    (kb_dir / "topics" / "drafts.yaml").write_text(text)
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, [str(p) for p in problems]


# --- stats ------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def ago(**delta: float) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat(timespec="seconds")


async def test_stats_on_known_rows(store: Store, db_path: Path) -> None:
    review = ReviewService(store)
    rows = [
        # (chat, text, outcome, entry, age)
        (1, "q1", "answer", "botox-lasts", {"hours": 1}),
        (2, "q2", "answer", "botox-lasts", {"hours": 2}),
        (3, "q3", "answer", "retinol-purge", {"hours": 3}),
        (4, "q4", "suggest", None, {"hours": 4}),
        (5, "Does retinol cause purging?", "unmatched", None, {"hours": 5}),
        (6, "my throat is swelling", "urgent", None, {"hours": 6}),
        (7, "q7", "answer", "retinol-purge", {"days": 3}),
        (8, "does retinol cause purging at first", "unmatched", None, {"days": 3}),
        (9, "q9", "unmatched", None, {"days": 10}),  # outside both windows
    ]
    for chat_id, text, outcome, entry_id, age in rows:
        qid, _ = await store.log_question(chat_id, text, outcome, entry_id, 0.5, 1.0)
        sql(db_path, "UPDATE questions SET created_at = ? WHERE id = ?", (ago(**age), qid))
        sql(db_path, "UPDATE queue SET created_at = ? WHERE question_id = ?", (ago(**age), qid))
    # the doctor answered q9 (2 h after it was asked, 9 days ago: outside) and the urgent one
    # (after 1 h), then q8 from 3 days ago (after 5 h)
    items = {i.text: i.id for i in await store.queue(None)}
    for text, answered in (
        ("q9", ago(days=10, hours=-2)),
        ("my throat is swelling", ago(hours=5)),
        ("does retinol cause purging at first", ago(days=3, hours=-5)),
    ):
        sql(
            db_path,
            "UPDATE queue SET status = 'answered', answer = 'x', answered_at = ? WHERE id = ?",
            (answered, items[text]),
        )
    for chat_id, entry_id, value, age in (
        (1, "botox-lasts", 1, {"hours": 1}),
        (2, "botox-lasts", -1, {"hours": 2}),
        (3, "retinol-purge", 1, {"hours": 3}),
        (7, "retinol-purge", 1, {"days": 3}),
        (9, "old-entry", -1, {"days": 9}),
    ):
        await store.vote(chat_id, entry_id, value)
        sql(
            db_path,
            "UPDATE votes SET created_at = ? WHERE chat_id = ? AND entry_id = ?",
            (ago(**age), chat_id, entry_id),
        )

    stats = await review.stats(NOW)

    day, week = stats["24h"], stats["7d"]
    assert day["questions"] == 6 and week["questions"] == 8
    assert {k: v["count"] for k, v in day["outcomes"].items()} == {
        "answer": 3,
        "suggest": 1,
        "unmatched": 1,
        "urgent": 1,
    }
    assert day["outcomes"]["answer"]["share"] == 0.5
    assert week["outcomes"]["unmatched"] == {"count": 2, "share": 0.25}
    assert "smalltalk" in stats["not_stored"]
    assert day["queued"] == 2 and week["queued"] == 3
    assert day["top_entries"] == [
        {"id": "botox-lasts", "count": 2},
        {"id": "retinol-purge", "count": 1},
    ]
    assert week["top_entries"] == [
        {"id": "botox-lasts", "count": 2},
        {"id": "retinol-purge", "count": 2},
    ]
    assert day["votes"] == [
        {"id": "botox-lasts", "up": 1, "down": 1},
        {"id": "retinol-purge", "up": 1, "down": 0},
    ]
    assert week["votes"][1] == {"id": "retinol-purge", "up": 2, "down": 0}
    assert all(v["id"] != "old-entry" for v in week["votes"])
    assert (day["answered_by_doctor"], day["median_answer_seconds"]) == (1, 3600)
    assert (week["answered_by_doctor"], week["median_answer_seconds"]) == (2, 3 * 3600)
    assert stats["pending_groups"] == [
        {
            "id": items["Does retinol cause purging?"],
            "text": "Does retinol cause purging?",
            "count": 1,
            "readers": 1,
            "urgent": False,
            "items": [items["Does retinol cause purging?"]],
        }
    ]


async def test_stats_of_an_empty_store(review: ReviewService) -> None:
    stats = await review.stats(NOW)
    for window in ("24h", "7d"):
        assert stats[window]["questions"] == 0
        assert all(v == {"count": 0, "share": 0.0} for v in stats[window]["outcomes"].values())
        assert stats[window]["median_answer_seconds"] is None
    assert stats["pending_groups"] == []


# --- the doctor in Telegram: formatting, kind notes, deliveries, cards ------------------------


async def test_a_formatted_answer_is_kept_verbatim_with_its_spans(
    store: Store, review: ReviewService
) -> None:
    item_id = await ask(store, 1, PERU)
    text = "  Lima.\u200b See the guide.  "  # (not cleaned: the spans point into it)
    spans = (Span("bold", 2, 7), Span("text_link", 17, 22, "https://example.org/g"))
    result = await review.answer(item_id, text, "Dr A (900)", spans=spans)
    item = result.item
    assert item.answer == text and rich.loads(item.answer_format) == spans
    reply = replies.doctor_answer(kb_knowledge(), item)
    assert reply is not None
    [rich_block] = [b for b in reply.blocks if b.kind is BlockKind.RICH]
    assert rich_block.spans == spans


async def test_dismiss_with_a_note_owes_each_reader_one_message(
    store: Store, review: ReviewService
) -> None:
    first = await ask(store, 1, PURGE)
    await ask(store, 2, PURGE_CHATTY)
    quiet = await ask(store, 3, PERU)
    result = await review.dismiss(first, "Dr A", group=True, notify=True)
    assert [i.delivered for i in result.changed] == [Delivery.OWED, Delivery.OWED]
    assert all(i.answered_via == "note" for i in result.changed)
    silent = await review.dismiss(quiet, "Dr A")
    assert silent.recipients == [] and silent.item.delivered is None
    note = replies.doctor_answer(kb_knowledge(), result.item)
    assert note is not None and "can't answer it here" in render.plain(note)


async def test_a_delivery_is_claimed_once(store: Store, review: ReviewService) -> None:
    item_id = await ask(store, 1, PERU)
    await review.answer(item_id, "Lima.", "Dr A")
    assert await store.claim_delivery(item_id)
    assert not await store.claim_delivery(item_id)  # the other sender backs off
    assert await store.release_deliveries() == 1  # the sender crashed: owed again
    assert await store.claim_delivery(item_id)
    await store.finish_delivery(item_id, Delivery.SENT)
    assert [i.id for i in await store.undelivered()] == []


async def test_review_posts_and_prompts_survive_and_go_with_forget(
    store: Store, db_path: Path
) -> None:
    item_id = await ask(store, 7, PERU)
    await store.add_review_post(900, 55, item_id, "item")
    await store.set_prompt(900, 900, item_id, "item", "answer")
    assert await store.review_post(900, 55) == (item_id, "item")
    assert await store.prompt(900, 900) == (item_id, "item", "answer")
    await store.forget(7)
    assert await store.review_post(900, 55) is None
    assert await store.prompt(900, 900) is None


async def test_thumbs_down_queues_feedback_once(store: Store) -> None:
    question_id, _ = await store.log_question(
        5, "how long does botox last", "answer", "botox", 0.9, 1
    )
    await store.feedback(5, "botox", "How long does Botox last?")
    await store.feedback(5, "botox", "How long does Botox last?")  # tapped twice
    [item] = await store.queue()
    assert (item.kind, item.entry_id, item.question_id) == ("feedback", "botox", question_id)
    await store.feedback(6, "botox", "How long does Botox last?")  # came by browsing
    texts = sorted(i.text for i in await store.queue())
    assert texts == ["How long does Botox last?", "how long does botox last"]


def test_reader_labels_are_stable_pseudonyms() -> None:
    assert reader_label(42, "salt") == reader_label(42, "salt")
    assert reader_label(42, "salt") != reader_label(43, "salt")
    assert reader_label(42, "salt") != reader_label(42, "other")
    assert re.fullmatch(r"Reader [0-9A-F]{6}", reader_label(42, "salt"))


async def test_a_group_card_and_the_queue_page(store: Store, review: ReviewService) -> None:
    first = await ask(store, 1, PURGE)
    await ask(store, 2, PURGE_CHATTY)
    [group] = await review.pending_groups()
    card = review_replies.card(group.lead, "Reader ABC123", others=group.items[1:])
    text = render.plain(card)
    assert f"#{first} · Reader ABC123" in text and "Asked 2× by 2 readers" in text
    assert [b.action for b in card.flat_buttons] == [
        ReviewAction.REPLY,
        ReviewAction.ENTRIES,
        ReviewAction.DISMISS,
        ReviewAction.DISMISS_NOTE,
    ]
    page = review_replies.queue_page([group], 0, {1: "Reader ABC123"})
    assert "asked 2×" in render.plain(page)
    assert page.flat_buttons[0].arg == str(first)


def kb_knowledge() -> Knowledge:
    knowledge, problems = load_knowledge(Path(__file__).parents[1] / "data" / "kb_small")
    assert knowledge is not None, problems
    return knowledge
