"""`expertbot stats`: the numbers in the terminal (bot/review/terminal.py), or with --chart the
doctor's chart as a PNG file (bot/review/chart.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import DbOpt, KnowledgeOpt, config, echo_lines, fail, review
from bot.knowledge.loading import load_knowledge
from bot.knowledge.schema import BotSettings
from bot.review import chart
from bot.review import terminal as review_terminal


def stats(
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    chart_file: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            metavar="FILE.png",
            help="Write the doctor's chart instead (PNG): questions per day by outcome, and "
            "the most asked questions still waiting.",
        ),
    ] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, max=52, help="Weeks on the chart (with --chart).")
    ] = 4,
    knowledge: KnowledgeOpt = None,
) -> None:
    """Questions and outcomes in the last 24 hours and 7 days, top entries, votes, the queue;
    with --chart, the doctor's chart as a PNG file (its words from the knowledge's bot.yaml)."""
    db_path = db or config().db_path
    if chart_file is not None:
        _write_chart(chart_file, weeks, db_path, knowledge or config().knowledge_dir)
        return
    data = review(db_path, lambda r: r.stats())
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    echo_lines(review_terminal.stats_lines(data))


def _write_chart(file: Path, weeks: int, db_path: Path, knowledge_dir: Path) -> None:
    if not chart.available():
        raise fail("the chart needs matplotlib: pip install 'expertbot[chart]' (or make install)")
    loaded, _ = load_knowledge(knowledge_dir)  # only its texts; the defaults without it
    settings = loaded.settings if loaded is not None else BotSettings()
    data = review(db_path, lambda r: r.chart_data(weeks))
    try:
        png = chart.render_png(data, chart.labels(settings, weeks))
    except chart.ChartUnavailable as exc:
        raise fail(str(exc)) from None
    try:
        file.write_bytes(png)
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror or exc}") from None
    typer.echo(
        f"Wrote {file}: {data.total} questions over {weeks} weeks, "
        f"{len(data.waiting)} of the most asked waiting questions."
    )
