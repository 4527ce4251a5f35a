"""`expertbot db` (backup, restore, prune) and `expertbot health`: the operations on the
database (bot/runtime/ops.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import DbOpt, config, fail, review
from bot.runtime import ops

db_app = typer.Typer(help="Back up, restore and prune the database.", no_args_is_help=True)


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    db: DbOpt = None,
) -> None:
    """Copy the database to FILE with SQLite's online backup API (safe while the bot runs)."""
    db_path = db or config().db_path
    try:
        typer.echo(ops.backup(db_path, file, force=force))
    except ops.OpsError as exc:
        raise fail(str(exc)) from None


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup made with: expertbot db backup.")],
    db: DbOpt = None,
) -> None:
    """Replace the database with FILE (the bot must be stopped); keeps <db>.before-restore."""
    db_path = db or config().db_path
    try:
        typer.echo(ops.restore(db_path, file))
    except ops.OpsError as exc:
        raise fail(str(exc)) from None


@db_app.command("prune")
def db_prune(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Keep this many days (default: $RETENTION_DAYS, 365)."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Delete questions, answered/dismissed queue items, votes and alternates older than the
    retention period (the running bot does this daily). Pending questions are kept."""
    cfg = config()
    db_path = db or cfg.db_path
    keep = days or cfg.retention_days
    typer.echo(review(db_path, lambda r: ops.prune(r.store, keep)))


def health(db: DbOpt = None) -> None:
    """Exit 0 when the running bot's heartbeat is fresh and the database is usable, else 1."""
    db_path = db or config().db_path
    try:
        typer.echo(ops.health(db_path))
    except ops.OpsError as exc:
        raise fail(str(exc)) from None
