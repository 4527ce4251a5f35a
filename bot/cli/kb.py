"""`expertbot kb`: check the knowledge folder; list, accept and reject the proposals for it
(bot/proposals/service.py; their texts bot/proposals/terminal.py); import a blog's posts as drafts
(bot/knowledge/importing/) and publish reviewed drafts (bot/knowledge/publish.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from bot import cli
from bot.cli.common import ByOpt, DbOpt, KnowledgeOpt, config, echo_lines, fail, on_store
from bot.conversation import links
from bot.knowledge.checks import check, drafts, tuned_note
from bot.knowledge.importing import KbImportError, import_source, report_lines
from bot.knowledge.publish import PublishError, publish
from bot.proposals import terminal as proposals_terminal
from bot.proposals.listing import ProposalError
from bot.proposals.service import ProposalService
from bot.storage import Store, StoreError
from bot.understanding.snapshot import Snapshot

T = TypeVar("T")

kb_app = typer.Typer(
    help="Check the knowledge folder; review the proposals for it; import and publish drafts.",
    no_args_is_help=True,
)

ProposalIds = Annotated[list[int], typer.Argument(help="Proposal numbers (see: kb proposals).")]


def _proposals(
    db_path: Path,
    snap: Snapshot | None,
    action: Callable[[ProposalService], Awaitable[T]],
) -> T:
    """Run one proposals action on the database; failures become one line and exit 1."""

    def on_proposals(store: Store) -> Awaitable[T]:
        return action(ProposalService(store, lambda: snap))

    return asyncio.run(on_store(db_path, on_proposals, (StoreError, ProposalError)))


@kb_app.command("check")
def kb_check(
    folder: Annotated[Path | None, typer.Argument(help="Knowledge folder.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
) -> None:
    """Validate the knowledge: errors and warnings as file:line: message."""
    root = folder or config().knowledge_dir
    knowledge, problems = check(root)
    for problem in problems:
        typer.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    if knowledge is not None:
        note = tuned_note(knowledge)
        if note:
            typer.echo(note)  # not a warning: a new entry is matched too, a little less well
        waiting = drafts(knowledge)
        for draft in waiting:
            typer.echo(str(draft))
        if waiting:
            typer.echo(f"{len(waiting)} drafts wait for review")
        typer.echo(
            f"{root}: {len(knowledge.entries)} entries in {len(knowledge.topics)} topics, "
            f"{len(knowledge.drafts)} drafts; {errors} errors, {warnings} warnings"
        )
    else:
        typer.echo(f"{root}: {errors} errors, {warnings} warnings", err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


@kb_app.command("proposals")
def kb_proposals(
    knowledge: KnowledgeOpt = None,
    db: DbOpt = None,
    state: Annotated[str, typer.Option(help="pending, accepted, rejected or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """List what readers and the doctor proposed for the knowledge (alternates, new entries)."""
    if state not in ("pending", "accepted", "rejected", "all"):
        raise fail(f"unknown state '{state}': pending, accepted, rejected or all")
    snap = cli.snapshot(knowledge)
    db_path = db or config().db_path
    wanted = None if state == "all" else state
    found = _proposals(db_path, snap, lambda s: s.list(wanted))
    if as_json:
        typer.echo(json.dumps([p.as_dict() for p in found], ensure_ascii=False))
        return
    echo_lines(proposals_terminal.proposal_lines(found, wanted))


@kb_app.command("accept")
def kb_accept(
    ids: ProposalIds,
    topic: Annotated[
        str | None, typer.Option(help="The topic file a new entry goes to, e.g. botox.")
    ] = None,
    by: ByOpt = "terminal",
    knowledge: KnowledgeOpt = None,
    db: DbOpt = None,
) -> None:
    """Write proposals into the knowledge files (only lines are added; checked first)."""
    root = knowledge or config().knowledge_dir
    db_path = db or config().db_path
    result = _proposals(db_path, None, lambda s: s.accept(ids, root, topic=topic, by=by))
    echo_lines(proposals_terminal.accepted_lines(result))
    for line in proposals_terminal.refused_lines(result):
        typer.echo(f"expertbot: {line}", err=True)
    if result.refused:
        raise typer.Exit(1)


@kb_app.command("reject")
def kb_reject(ids: ProposalIds, by: ByOpt = "terminal", db: DbOpt = None) -> None:
    """Reject proposals: the same words proposed again stay rejected."""
    db_path = db or config().db_path
    rejected = _proposals(db_path, None, lambda s: s.reject(ids, by))
    echo_lines(proposals_terminal.rejected_lines(ids, rejected))
    if len(rejected) < len(set(ids)):
        raise typer.Exit(1)


@kb_app.command("import")
def kb_import(
    source: Annotated[
        Path,
        typer.Argument(
            help="A WordPress export (WXR .xml), a folder of saved HTML pages, or a CSV/YAML"
            " file of question, answer, link (and alternates)."
        ),
    ],
    topic: Annotated[
        str, typer.Option(help="The topic file the drafts go to (created when new), e.g. blog.")
    ],
    knowledge: KnowledgeOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")
    ] = False,
) -> None:
    """Import a blog's Q&A posts as draft entries (adding lines only; posts the knowledge
    already has are skipped)."""
    root = knowledge or config().knowledge_dir
    try:
        result = import_source(source, root, topic, dry_run=dry_run)
    except KbImportError as exc:
        raise fail(str(exc)) from None
    echo_lines(report_lines(result))


@kb_app.command("publish")
def kb_publish(
    ids: Annotated[list[str], typer.Argument(help="Draft entry ids (see: kb check).")],
    knowledge: KnowledgeOpt = None,
) -> None:
    """Serve reviewed drafts: set `reviewed` to today and remove `draft` (only those lines)."""
    root = knowledge or config().knowledge_dir
    try:
        result = publish(root, ids)
    except PublishError as exc:
        raise fail(str(exc)) from None
    for entry_id, file, line in result.published:
        typer.echo(f"{file}:{line}: published {entry_id}")
    for entry_id, why in result.refused:
        typer.echo(f"expertbot: not published {entry_id}: {why}", err=True)
    if result.refused:
        raise typer.Exit(1)


@kb_app.command("links")
def kb_links(
    knowledge: KnowledgeOpt = None,
    bot: Annotated[
        str | None,
        typer.Option(
            "--bot", help="The bot's username (default: $TELEGRAM_BOT_USERNAME).", metavar="NAME"
        ),
    ] = None,
) -> None:
    """Print every served entry's start link (t.me/<bot>?start=<entry-id>: it opens the bot
    with that answer), one per line: id, link, question; tab-separated."""
    raw = bot or config().bot_username
    if not raw:
        raise fail("which bot? give --bot USERNAME or set TELEGRAM_BOT_USERNAME")
    username = links.clean_username(raw)
    if username is None:
        raise fail(f"'{raw}' is not a Telegram bot username (5-32 letters, digits or _)")
    snap = cli.snapshot(knowledge)
    for entry in snap.knowledge.entries.values():
        typer.echo(f"{entry.id}\t{links.start_link(username, entry.id)}\t{entry.question}")
