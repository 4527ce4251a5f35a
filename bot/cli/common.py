"""What the `expertbot` commands share: the one-line failure, the settings parsed once per
command, loading the knowledge, logging, the common options, and running one service action on
the database in its own event loop.

Commands load the knowledge through `bot.cli.snapshot` (this module's `snapshot`, looked up on
the package when called), so replacing that one name serves every command, as the tests do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from bot.review.service import ReviewError, ReviewService
from bot.runtime import logs
from bot.runtime.config import Config, ConfigError
from bot.runtime.reload import UnusableKnowledge, load_snapshot
from bot.storage import Store, StoreError
from bot.understanding.snapshot import Snapshot

T = TypeVar("T")

KnowledgeOpt = Annotated[
    Path | None,
    typer.Option(
        "--knowledge", "-k", help="Knowledge folder (default: $EXPERTBOT_KNOWLEDGE or knowledge/)."
    ),
]
DbOpt = Annotated[Path | None, typer.Option("--db", help="SQLite file (default: $EXPERTBOT_DB).")]
ByOpt = Annotated[str, typer.Option("--by", help="Who acts, stored with the item.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"expertbot: {message}", err=True)
    return typer.Exit(code)


_parsed: dict[str, Config] = {}  # this command's settings (emptied by new_command)


def new_command() -> None:
    """A new command (tests run many in one process): read the settings again."""
    _parsed.clear()


def config() -> Config:
    """The settings from the environment, parsed once per command: when the command first
    needs them (so a command that needs none never fails on a bad setting)."""
    if "config" not in _parsed:
        try:
            _parsed["config"] = Config.from_env()
        except ConfigError as exc:
            raise fail(str(exc)) from None
    return _parsed["config"]


def snapshot(knowledge_dir: Path | None) -> Snapshot:
    root = knowledge_dir or config().knowledge_dir
    try:
        return load_snapshot(root)
    except UnusableKnowledge as exc:
        if not exc.errors:
            raise fail(
                f"knowledge folder {root} not found (see --knowledge and EXPERTBOT_KNOWLEDGE)"
            ) from None
        for problem in exc.errors[:10]:
            typer.echo(str(problem), err=True)
        more = f" (and {len(exc.errors) - 10} more)" if len(exc.errors) > 10 else ""
        raise fail(
            f"the knowledge in {root} has errors{more}; run: expertbot kb check {root}"
        ) from None


def default_snapshot() -> Snapshot | None:
    """The configured knowledge when it loads (to avoid its ids and known phrasings), else
    none: an export must work while an admin is half-way through an edit."""
    try:
        return load_snapshot(config().knowledge_dir)
    except UnusableKnowledge:
        return None


def setup_logging(level: int = logging.WARNING, log_format: str | None = None) -> None:
    """Logs on stderr; LOG_FORMAT=json gives one JSON object per line (bot/runtime/logs.py)."""
    logs.setup_logging(level, log_format or config().log_format)


def echo_lines(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


async def on_store(
    db_path: Path,
    action: Callable[[Store], Awaitable[T]],
    errors: tuple[type[Exception], ...] = (),
) -> T:
    """Open the store, run one action on it, close; a store that does not open, and the
    action's `errors`, become one line and exit 1."""
    try:
        store = await Store.open(db_path)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        return await action(store)
    except errors as exc:
        raise fail(str(exc)) from None
    finally:
        await store.close()


def review(
    db_path: Path,
    action: Callable[[ReviewService], Awaitable[T]],
    snap: Snapshot | None = None,
) -> T:
    """Run one review action on the database (in its own event loop); failures become one
    line and exit 1."""

    def on_review(store: Store) -> Awaitable[T]:
        return action(ReviewService(store, lambda: snap))

    return asyncio.run(on_store(db_path, on_review, (StoreError, ReviewError)))
