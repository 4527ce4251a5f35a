"""The doctor's chart (bot/review/chart.py): the data by day and outcome, a readable PNG whatever the
data (none, one day, readers' emoji and dollar signs, long questions), its words from bot.yaml,
and `ReviewService.chart_data` on known rows."""

from __future__ import annotations

import datetime as dt
import sqlite3
import struct
import sys
from pathlib import Path

import pytest

from bot.knowledge.loading import Knowledge
from bot.knowledge.schema import BotSettings
from bot.review import chart
from bot.review.service import ReviewService
from bot.storage import Store
from tests.conversation.test_texts import knowledge_with

PNG = b"\x89PNG\r\n\x1a\n"
UNTIL = dt.date(2026, 11, 27)  # a Friday


def size(png: bytes) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk."""
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def assert_png(png: bytes) -> None:
    assert png.startswith(PNG)
    assert 5_000 < len(png) < 2_000_000  # a real picture, far under Telegram's 10 MB
    width, height = size(png)
    assert 800 <= width <= 2000 and 600 <= height <= 2000  # Telegram: w + h ≤ 10,000


# --- the data ---------------------------------------------------------------------------------


def test_the_window_is_whole_weeks_ending_today() -> None:
    days = chart.window(UNTIL, 4)
    assert len(days) == 28
    assert days[-1] == UNTIL and days[0] == UNTIL - dt.timedelta(days=27)
    assert chart.window(UNTIL, 1)[0] == dt.date(2026, 11, 21)
    with pytest.raises(ValueError):
        chart.window(UNTIL, 0)


def test_aggregate_counts_per_day_and_outcome() -> None:
    days = chart.window(UNTIL, 1)  # 21 … 27 Nov
    rows = [
        ("2026-11-21", "answer", 3),
        ("2026-11-21", "suggest", 2),
        ("2026-11-23", "unmatched", 4),
        ("2026-11-27", "urgent", 1),
        ("2026-11-27", "answer", 5),
        ("2026-11-20", "answer", 9),  # before the window
        ("2026-11-28", "answer", 9),  # after it
        ("2026-11-24", "smalltalk", 7),  # not drawn
        ("not a day", "answer", 9),
    ]
    data = chart.aggregate(rows, days)
    assert data.days == days
    assert data.counts == {
        "answer": (3, 0, 0, 0, 0, 0, 5),
        "suggest": (2, 0, 0, 0, 0, 0, 0),
        "unmatched": (0, 0, 4, 0, 0, 0, 0),
        "urgent": (0, 0, 0, 0, 0, 0, 1),
    }
    assert data.total == 15
    assert data.waiting == ()


def test_aggregate_keeps_the_most_asked_waiting_groups_first() -> None:
    waiting = [(f"question {n}\n  spread", n) for n in (1, 5, 3, 2, 9, 4, 7, 6, 8, 2)]
    data = chart.aggregate([], chart.window(UNTIL, 1), waiting)
    assert [n for _, n in data.waiting] == [9, 8, 7, 6, 5, 4, 3, 2]  # WAITING_SHOWN
    assert data.waiting[0][0] == "question 9 spread"


# --- the picture ------------------------------------------------------------------------------


def realistic() -> chart.ChartData:
    days = chart.window(UNTIL, 4)
    rows = []
    for i, day in enumerate(days):
        weekday = day.weekday() < 5
        stamp = day.isoformat()
        rows += [(stamp, "answer", 3 + i % 4), (stamp, "suggest", 5 + 2 * weekday)]
        rows += [(stamp, "unmatched", 2 + i % 3)] + ([(stamp, "urgent", 1)] if i % 9 == 0 else [])
    waiting = [
        ("Can I go to the sauna after laser hair removal? I booked a spa day " * 3, 7),
        ("Is it safe to use tretinoin and vitamin C together?", 5),
        ("Does Botox make my eyebrows drop 💉😟?", 3),
        ("What is $x^2$ price of Morpheus8 in $ and € — \\frac{1}{2}", 2),
        ("هل يمكنني استخدام الريتينول أثناء الحمل؟", 2),
        ("<b>html</b> & {braces} %s", 1),
    ]
    return chart.aggregate(rows, days, waiting)


def test_a_realistic_chart_is_a_png_of_a_sane_size() -> None:
    png = chart.render_png(realistic(), chart.Labels(title="Questions per day, last 4 weeks"))
    assert_png(png)


def test_no_data_still_renders() -> None:
    empty = chart.aggregate([], chart.window(UNTIL, 4))
    assert empty.total == 0
    assert_png(chart.render_png(empty))
    assert_png(chart.render_png(chart.aggregate([], chart.window(UNTIL, 1))))


def test_one_day_of_data_and_a_year_of_weeks_render() -> None:
    one = chart.aggregate([("2026-11-27", "urgent", 1)], chart.window(UNTIL, 1), [("q?", 1)])
    assert_png(chart.render_png(one))
    year = chart.aggregate([("2026-01-05", "answer", 40)], chart.window(UNTIL, 52))
    assert_png(chart.render_png(year))


def without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every `import matplotlib…` fail, as when the `chart` extra is not installed."""
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_without_matplotlib_the_chart_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    without_matplotlib(monkeypatch)
    assert not chart.available()
    with pytest.raises(chart.ChartUnavailable, match="matplotlib"):
        chart.render_png(realistic())


# --- its words come from bot.yaml -------------------------------------------------------------


def test_the_words_default_to_the_built_in_texts() -> None:
    labels = chart.labels(BotSettings(), 4)
    assert labels.title == "Questions per day, last 4 weeks"
    assert labels.to_doctor == "sent to the doctor"
    assert labels.waiting == "Most asked, still waiting for the doctor"
    caption = chart.caption(BotSettings(), "weekly_chart_caption", 6)
    assert caption.startswith("Your weekly picture: the last 6 weeks")


def test_the_words_and_captions_come_from_bot_yaml(kb_dir: Path) -> None:
    french = {
        "chart_title": "Questions par jour, {weeks} dernières semaines",
        "chart_answered": "répondu",
        "chart_to_doctor": "envoyé à {expert}",
        "chart_caption": "Les {weeks} dernières semaines.",
        "weekly_chart_caption": "x" * 2000,
    }
    knowledge: Knowledge = knowledge_with(kb_dir, french)
    labels = chart.labels(knowledge.settings, 3)
    assert labels.title == "Questions par jour, 3 dernières semaines"
    assert labels.answered == "répondu"
    assert labels.to_doctor == f"envoyé à {knowledge.settings.expert}"
    assert labels.urgent == "urgent"  # not given: the default
    assert chart.caption(knowledge.settings, "chart_caption", 3) == "Les 3 dernières semaines."
    assert len(chart.caption(knowledge.settings, "weekly_chart_caption", 3)) == 1024
    assert_png(chart.render_png(realistic(), labels))


# --- from the database ------------------------------------------------------------------------


async def test_chart_data_from_the_store(store: Store, db_path: Path) -> None:
    now = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)
    rows = [
        # (chat, text, outcome, created at)
        (1, "q1", "answer", "2026-11-27T09:00:00+00:00"),
        (2, "q2", "answer", "2026-11-27T00:00:00+00:00"),
        (3, "q3", "suggest", "2026-11-26T23:59:59+00:00"),
        (4, "Can I go to the sauna after laser?", "unmatched", "2026-11-25T10:00:00+00:00"),
        (5, "can i go to the sauna after laser", "unmatched", "2026-11-26T10:00:00+00:00"),
        (6, "my throat is swelling", "urgent", "2026-11-21T00:00:00+00:00"),
        (7, "Is microneedling safe when pregnant?", "unmatched", "2026-11-20T23:00:00+00:00"),
        (8, "hi", "smalltalk", "2026-11-27T10:00:00+00:00"),
    ]
    for chat_id, text, outcome, at in rows:
        qid, _ = await store.log_question(chat_id, text, outcome, None, 0.5, 1.0)
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("UPDATE questions SET created_at = ? WHERE id = ?", (at, qid))
            conn.execute("UPDATE queue SET created_at = ? WHERE question_id = ?", (at, qid))
        conn.close()
    data = await ReviewService(store).chart_data(weeks=1, now=now)
    assert data.days[0] == dt.date(2026, 11, 21) and data.days[-1] == dt.date(2026, 11, 27)
    assert data.counts == {
        "answer": (0, 0, 0, 0, 0, 0, 2),
        "suggest": (0, 0, 0, 0, 0, 1, 0),
        "unmatched": (0, 0, 0, 0, 1, 1, 0),  # the one on the 20th is before the window
        "urgent": (1, 0, 0, 0, 0, 0, 0),
    }
    # still waiting, most asked first, then oldest (every pending one, whenever it was asked)
    assert [(text, n) for text, n in data.waiting] == [
        ("Can I go to the sauna after laser?", 2),
        ("Is microneedling safe when pregnant?", 1),
        ("my throat is swelling", 1),
    ]
    assert_png(chart.render_png(data))
