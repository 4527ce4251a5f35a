"""The doctor's weekly picture as a PNG: (top) questions per day over the last weeks, stacked by
outcome — answered from the knowledge, "did you mean", sent to the doctor, urgent — and
(bottom) the most-asked questions still waiting for her, the "what should I write next" view.

Pure: data in, PNG bytes out (no database, no Telegram). Every word on it comes from the
caller (`Labels`, from bot.yaml's texts). matplotlib is the optional extra `chart` (in the
default install); it is imported only when a chart is drawn, with the Agg canvas and never
pyplot (no display, no global state), and `ChartUnavailable` says when it is missing.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

OUTCOMES = ("answer", "suggest", "unmatched", "urgent")  # bottom to top in each day's bar
COLORS = {
    "answer": "#2e7d32",  # green: the knowledge answered
    "suggest": "#f9a825",  # amber: "did you mean"
    "unmatched": "#1565c0",  # blue: sent to the doctor
    "urgent": "#c62828",  # red
}
WAITING_SHOWN = 8  # groups in the bottom panel
QUESTION_CHARS = 110  # of a waiting group's question on its bar
DPI = 100
CAPTION_CHARS = 1024  # Telegram's limit for a photo's caption
SIZE = (11.0, 8.5)  # inches: 1100 × 850 px, well inside Telegram's photo limits

_drawing = threading.Lock()  # matplotlib's text and font caches are not thread-safe


class ChartUnavailable(Exception):
    """matplotlib is not installed (the `chart` extra)."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The words on the chart (bot.yaml: chart_title, chart_answered, …)."""

    title: str = "Questions per day"
    answered: str = "answered"
    suggested: str = "did you mean"
    to_doctor: str = "sent to the doctor"
    urgent: str = "urgent"
    waiting: str = "Most asked, still waiting"
    nothing_waiting: str = "Nothing is waiting."
    no_questions: str = "No questions yet."

    def outcome(self, outcome: str) -> str:
        return {
            "answer": self.answered,
            "suggest": self.suggested,
            "unmatched": self.to_doctor,
            "urgent": self.urgent,
        }[outcome]


class Texts(Protocol):
    """bot.yaml's settings (`BotSettings`): `text(name)` with {expert} filled in."""

    def text(self, name: str) -> str: ...


def labels(settings: Texts, weeks: int) -> Labels:
    """The chart's words from bot.yaml's texts."""

    def text(name: str) -> str:
        return settings.text(name).replace("{weeks}", str(weeks))

    return Labels(
        title=text("chart_title"),
        answered=text("chart_answered"),
        suggested=text("chart_suggested"),
        to_doctor=text("chart_to_doctor"),
        urgent=text("chart_urgent"),
        waiting=text("chart_waiting"),
        nothing_waiting=text("chart_nothing_waiting"),
        no_questions=text("chart_no_questions"),
    )


def caption(settings: Texts, name: str, weeks: int) -> str:
    """A photo caption from bot.yaml (`chart_caption`, `weekly_chart_caption`), within
    Telegram's 1,024 characters."""
    return cut(settings.text(name).replace("{weeks}", str(weeks)), CAPTION_CHARS)


@dataclass(frozen=True, slots=True)
class ChartData:
    """`days`: each UTC day shown, oldest first; `counts[outcome][i]`: questions on `days[i]`;
    `waiting`: (the group's question, how many asked it), most asked first."""

    days: tuple[dt.date, ...]
    counts: dict[str, tuple[int, ...]]
    waiting: tuple[tuple[str, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(sum(per_day) for per_day in self.counts.values())


def window(until: dt.date, weeks: int) -> tuple[dt.date, ...]:
    """The `weeks` × 7 days ending with `until` (included), oldest first."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    first = until - dt.timedelta(days=7 * weeks - 1)
    return tuple(first + dt.timedelta(days=i) for i in range(7 * weeks))


def aggregate(
    rows: Iterable[tuple[str, str, int]],
    days: Sequence[dt.date],
    waiting: Iterable[tuple[str, int]] = (),
) -> ChartData:
    """ChartData from (day 'YYYY-MM-DD', outcome, questions) rows: days outside `days` and
    outcomes not drawn (small talk) are left out; a day without questions counts 0."""
    index = {day: i for i, day in enumerate(days)}
    counts = {outcome: [0] * len(days) for outcome in OUTCOMES}
    for day, outcome, n in rows:
        try:
            at = index.get(dt.date.fromisoformat(day[:10]))
        except ValueError:
            continue
        if at is not None and outcome in counts:
            counts[outcome][at] += int(n)
    shown = sorted(waiting, key=lambda group: -group[1])[:WAITING_SHOWN]
    return ChartData(
        tuple(days),
        {outcome: tuple(per_day) for outcome, per_day in counts.items()},
        tuple((" ".join(text.split()), int(n)) for text, n in shown),
    )


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def cut(text: str, limit: int = QUESTION_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_png(data: ChartData, labels: Labels | None = None) -> bytes:
    """The chart as PNG bytes. Raises ChartUnavailable without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ChartUnavailable(
            "the chart needs matplotlib: pip install 'expertbot[chart]'"
        ) from None
    labels = labels or Labels()
    with _drawing, warnings.catch_warnings():
        # a reader's emoji or script missing from the font is drawn as a box, not an error
        warnings.simplefilter("ignore")
        figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))
        _per_day(top, data, labels, MaxNLocator)
        _waiting(bottom, data, labels)
        figure.suptitle(labels.title, fontsize=15, fontweight="bold", parse_math=False)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _per_day(ax, data: ChartData, labels: Labels, locator) -> None:  # type: ignore[no-untyped-def]
    positions = list(range(len(data.days)))
    base = [0] * len(data.days)
    for outcome in OUTCOMES:
        heights = data.counts.get(outcome, (0,) * len(data.days))
        ax.bar(
            positions,
            heights,
            bottom=base,
            width=0.8,
            color=COLORS[outcome],
            label=labels.outcome(outcome),
        )
        base = [b + h for b, h in zip(base, heights, strict=True)]
    # a date under every Monday (and the first and last day when far enough), so the weeks
    # read at a glance; a faint line starts each week
    mondays = [i for i, day in enumerate(data.days) if day.weekday() == 0]
    ticks = list(mondays)
    if not ticks or ticks[0] >= 3:
        ticks.insert(0, 0)
    if len(data.days) - 1 - ticks[-1] >= 3:
        ticks.append(len(data.days) - 1)
    for i in mondays:
        ax.axvline(i - 0.5, color="#bbbbbb", linewidth=0.8, linestyle=":", zorder=0)
    ax.set_xticks(ticks, [_day(data.days[i]) for i in ticks], parse_math=False)
    ax.set_xlim(-0.6, len(data.days) - 0.4)
    ax.yaxis.set_major_locator(locator(integer=True))
    ax.set_ylim(0, max(max(base, default=0) * 1.12, 1))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if data.total == 0:
        _note(ax, labels.no_questions)
    legend = ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncols=len(OUTCOMES),
        frameon=False,
        fontsize=10,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)


def _note(ax, text: str) -> None:  # type: ignore[no-untyped-def]
    """A grey line in the middle of an empty panel ("no questions yet")."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=12,
        color="#666666",
        parse_math=False,
    )


def _waiting(ax, data: ChartData, labels: Labels) -> None:  # type: ignore[no-untyped-def]
    ax.set_title(labels.waiting, loc="left", fontsize=12, fontweight="bold", parse_math=False)
    if not data.waiting:
        ax.set_axis_off()
        _note(ax, labels.nothing_waiting)
        return
    # each question on its own line above its bar, so long questions take the full width
    groups = list(reversed(data.waiting))  # most asked on top
    counts = [n for _, n in groups]
    most = max(counts)
    ax.barh(range(len(groups)), counts, height=0.35, color=COLORS["unmatched"], align="edge")
    for y, (text, n) in enumerate(groups):
        ax.text(0, y + 0.42, cut(text), va="bottom", ha="left", fontsize=10, parse_math=False)
        ax.text(n + most * 0.01, y + 0.17, f"{n}×", va="center", fontsize=10, parse_math=False)
    ax.set_ylim(-0.1, len(groups) + 0.05)
    ax.set_xlim(0, most * 1.08)
    ax.set_axis_off()


def _day(day: dt.date) -> str:
    return day.isoformat()  # the same in every language
