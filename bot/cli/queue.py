"""`expertbot queue`: the doctor's queue of unanswered questions: list, show, answer, dismiss,
link to an entry, export as draft entries (bot/review/service.py; the texts bot/review/terminal.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from bot import cli
from bot.cli.common import (
    ByOpt,
    DbOpt,
    KnowledgeOpt,
    config,
    default_snapshot,
    echo_lines,
    fail,
    review,
)
from bot.models import QueueItem
from bot.review import terminal as review_terminal
from bot.review.service import Detail, Resolution

queue_app = typer.Typer(help="The doctor's queue of unanswered questions.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="The queue item's number (see: queue list).")]
GroupOpt = Annotated[
    bool, typer.Option("--group", help="Act on every pending question of its group too.")
]


@queue_app.command("list")
def queue_list(
    db: DbOpt = None,
    status: Annotated[str, typer.Option(help="pending, answered, dismissed or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """List queued questions, urgent first, then oldest."""
    db_path = db or config().db_path
    wanted = None if status == "all" else status
    items = review(db_path, lambda r: r.store.queue(wanted))
    if as_json:
        rows = [review_terminal.item_summary(i) for i in items]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    echo_lines(review_terminal.queue_lines(items))


@queue_app.command("show")
def queue_show(
    item_id: IdArg,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object.")] = False,
) -> None:
    """Show one queued question, its answer, and the pending questions like it."""
    db_path = db or config().db_path
    detail: Detail = review(db_path, lambda r: r.show(item_id))
    if as_json:
        data = review_terminal.item_dict(detail.item) | {"similar": [i.id for i in detail.group]}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    echo_lines(review_terminal.detail_lines(detail))


def _report(result: Resolution, verb: str, how: str = "") -> None:
    echo_lines(review_terminal.resolution_lines(result, verb, how))
    if not result.already and result.recipients:
        sent = _send_owed(result.recipients)
        typer.echo(review_terminal.delivery_line(len(result.recipients), sent))


def _send_owed(items: list[QueueItem]) -> int | None:
    """Deliver the answers now through the Bot API, when a token is set (the running bot
    would within seconds anyway; a claim in the database keeps the two from both sending).
    None: no token (or no usable knowledge), the bot sends them when it runs."""
    cfg = config()
    snap = default_snapshot() if cfg.token else None
    if snap is None:
        return None
    from bot.telegram.outbox import deliver_now

    try:
        return asyncio.run(deliver_now(cfg, snap, [i.id for i in items]))
    except Exception as exc:  # the answer is stored: the bot sends it when it runs
        typer.echo(f"Not sent now ({type(exc).__name__}: {exc}).", err=True)
        return 0


@queue_app.command("answer")
def queue_answer(
    item_id: IdArg,
    text: Annotated[str, typer.Argument(help="The doctor's answer.")],
    group: GroupOpt = False,
    by: ByOpt = "terminal",
    db: DbOpt = None,
) -> None:
    """Answer a queued question (and with --group, every pending question like it)."""
    db_path = db or config().db_path
    result = review(db_path, lambda r: r.answer(item_id, text, by, group))
    _report(result, "Answered")


@queue_app.command("dismiss")
def queue_dismiss(
    item_id: IdArg, group: GroupOpt = False, by: ByOpt = "terminal", db: DbOpt = None
) -> None:
    """Dismiss a queued question without an answer (nothing is sent to the reader)."""
    db_path = db or config().db_path
    result = review(db_path, lambda r: r.dismiss(item_id, by, group))
    _report(result, "Dismissed")


@queue_app.command("link")
def queue_link(
    item_id: IdArg,
    entry_id: Annotated[str, typer.Argument(help="The id of the entry that answers it.")],
    group: GroupOpt = False,
    by: ByOpt = "terminal",
    knowledge: KnowledgeOpt = None,
    db: DbOpt = None,
) -> None:
    """Answer a queued question with an existing entry; its words become a proposed alternate."""
    snap = cli.snapshot(knowledge)
    db_path = db or config().db_path
    result = review(db_path, lambda r: r.link_to_entry(item_id, entry_id, by, group), snap)
    _report(result, "Answered", how=f" with entry {entry_id}")


@queue_app.command("export")
def queue_export(
    file: Annotated[Path | None, typer.Argument(help="Output file (default: stdout).")] = None,
    knowledge: KnowledgeOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the doctor's answers and proposed alternates as draft entries (YAML)."""
    snap = cli.snapshot(knowledge) if knowledge else default_snapshot()
    db_path = db or config().db_path
    text = review(db_path, lambda r: r.export(), snap)
    if file is None:
        typer.echo(text, nl=False)
        return
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror}") from None
    typer.echo(f"Wrote {file}.", err=True)
