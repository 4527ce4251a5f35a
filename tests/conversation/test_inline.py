"""Inline mode's service part (bot/conversation/inline.py, `AnswerService.inline`): which entries a query
lists, the card each sends (one valid Telegram HTML message), the safety text for a red flag,
and that only a count is stored."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.conversation import inline, render
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge
from bot.review import replies as review_replies
from bot.review import terminal as review_terminal
from bot.review.service import ReviewService
from bot.storage import Store
from bot.understanding.snapshot import Snapshot
from tests.conftest import db_rows
from tests.e2e.fake_telegram import TEXT_LIMIT, parse_html

RED_FLAG = "my vision went blurry right after my filler"


def test_a_query_lists_the_entries_about_it_best_first(bundled_snapshot: Snapshot) -> None:
    found = inline.rank(bundled_snapshot, "botox atrophy")
    assert found[0].id == "botox-dysport-cause-muscle-sagging"
    assert 1 < len(found) <= inline.MAX_RESULTS
    assert all("botox" in (e.question + " ".join(e.alternates)).lower() for e in found[:3])


@pytest.mark.parametrize("typed", ["bot", "boto", "sunscr"])
def test_a_half_typed_word_still_lists_sensible_entries(
    bundled_snapshot: Snapshot, typed: str
) -> None:
    found = inline.rank(bundled_snapshot, typed)
    assert found, typed
    word = {"bot": "botox", "boto": "botox", "sunscr": "sunscreen"}[typed]
    assert word in (found[0].question + " ".join(found[0].alternates)).lower()


def test_an_empty_query_lists_the_first_entries(
    bundled_snapshot: Snapshot, bundled_knowledge: Knowledge
) -> None:
    assert inline.rank(bundled_snapshot, "  ") == list(bundled_knowledge.entries.values())[:10]


def test_an_entry_id_lists_that_entry_alone(bundled_snapshot: Snapshot) -> None:
    """The Share button opens inline mode with the entry's id."""
    assert [e.id for e in inline.rank(bundled_snapshot, "how-long-botox-lasts")] == [
        "how-long-botox-lasts"
    ]


def test_nonsense_lists_nothing(bundled_snapshot: Snapshot) -> None:
    assert inline.answer(bundled_snapshot, "zxqv wplk").items == ()


def test_each_result_is_a_card_telegram_accepts(
    bundled_snapshot: Snapshot, bundled_knowledge: Knowledge
) -> None:
    found = inline.answer(bundled_snapshot, "sunscreen")
    assert not found.urgent and 1 <= len(found.items) <= 10
    for item in found.items:
        entry = bundled_knowledge.entries[item.id]
        assert item.entry == entry and item.title == entry.question
        assert item.description == inline.first_line(entry.answer)
        text, entities = parse_html(item.html)  # raises where Telegram would refuse
        assert len(text) <= TEXT_LIMIT
        assert text.startswith(entry.question) and entry.link in text
        assert bundled_knowledge.settings.text("disclaimer") in text
        assert {"bold", "italic", "text_link"} <= {e["type"] for e in entities}


def test_a_card_too_long_for_one_message_is_cut_in_its_answer(
    bundled_snapshot: Snapshot, bundled_knowledge: Knowledge
) -> None:
    entry = bundled_knowledge.entries["how-long-botox-lasts"]
    huge = dataclasses.replace(entry, answer="Botox & <b>friends</b> last months. " * 300)
    text, _ = parse_html(inline.card_html(bundled_snapshot, huge))
    assert len(text) <= TEXT_LIMIT
    assert " …" in text and entry.link in text  # the link leads to the whole answer
    assert "<b>friends</b>" in text  # escaped, not markup


def test_a_red_flag_gets_the_safety_text_alone(bundled_snapshot: Snapshot) -> None:
    found = inline.answer(bundled_snapshot, RED_FLAG)
    assert found.urgent
    (item,) = found.items
    assert item.id == inline.URGENT_ID and item.entry is None
    text, _ = parse_html(item.html)
    assert text.startswith(bundled_snapshot.knowledge.settings.text("urgent"))


def test_the_first_line_of_an_answer_is_its_description() -> None:
    assert inline.first_line("\n\n- A bullet first.\nThen more.") == "A bullet first."
    long = inline.first_line("word " * 100)
    assert len(long) == inline.DESCRIPTION_CHARS and long.endswith("…")


async def test_only_a_count_is_stored(
    bundled_snapshot: Snapshot, store: Store, db_path: Path
) -> None:
    service = AnswerService(bundled_snapshot, store)
    await service.inline("botox")
    await service.inline(RED_FLAG)
    await service.inline_chosen()
    assert db_rows(db_path, "SELECT name, n FROM counters ORDER BY name") == [
        ("inline_chosen", 1),
        ("inline_query", 2),
    ]
    for table in ("questions", "queue", "conversations", "votes", "alternates"):
        assert db_rows(db_path, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    stats = await ReviewService(store, lambda: bundled_snapshot).stats()
    assert stats["24h"]["inline"] == {"queries": 2, "cards_sent": 1}
    shown = render.plain(review_replies.stats(stats, {}))
    assert "Inline searches in other chats: 2, answers sent: 1" in shown
    lines = review_terminal.stats_lines(stats)
    assert any(line.startswith("  inline searches: 2, answers sent from them: 1") for line in lines)
