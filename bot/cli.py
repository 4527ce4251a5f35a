"""The `expertbot` command. Thin: it parses arguments and calls the services and the renderer.
Its length is its commands: one function per command with its options and help, and nothing
else (the console is bot/console.py, the terminal texts bot/review_terminal.py).

Every failure a user can cause (bad knowledge, bad cases file, unusable database) ends with one
clear line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from bot import chart, logs, ops, proposals_terminal, render, review_terminal
from bot.checks import check
from bot.config import Config, ConfigError
from bot.console import run_console
from bot.evaluate import CasesError, evaluate, load_cases, summary
from bot.knowledge import load_knowledge
from bot.models import Outcome, QueueItem
from bot.proposals import ProposalError, ProposalService
from bot.reload import UnusableKnowledge, load_snapshot
from bot.review import Detail, Resolution, ReviewError, ReviewService
from bot.schema import BotSettings
from bot.snapshot import Snapshot
from bot.storage import Store, StoreError
from bot.text import clean

app = typer.Typer(
    help="ExpertBot: answers readers from vetted answers; brings the rest to the expert.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(
    help="Check the knowledge folder; review the proposals for it.", no_args_is_help=True
)
queue_app = typer.Typer(help="The doctor's queue of unanswered questions.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(queue_app, name="queue")
db_app = typer.Typer(help="Back up, restore and prune the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

T = TypeVar("T")

KnowledgeOpt = Annotated[
    Path | None,
    typer.Option(
        "--knowledge", "-k", help="Knowledge folder (default: $EXPERTBOT_KNOWLEDGE or knowledge/)."
    ),
]
DbOpt = Annotated[Path | None, typer.Option("--db", help="SQLite file (default: $EXPERTBOT_DB).")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"expertbot: {message}", err=True)
    return typer.Exit(code)


_parsed: dict[str, Config] = {}  # this command's settings (emptied by the app callback)


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


def setup_logging(level: int = logging.WARNING, log_format: str | None = None) -> None:
    """Logs on stderr; LOG_FORMAT=json gives one JSON object per line (bot/logs.py)."""
    logs.setup_logging(level, log_format or config().log_format)


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: run the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat."""
    _parsed.clear()  # a new command (tests run many in one process): read the settings again
    if ctx.invoked_subcommand is not None:
        return
    if config().token:
        ctx.invoke(run_bot_command)
    else:
        ctx.invoke(chat)


@app.command("run")
def run_bot_command(
    webhook: Annotated[str | None, typer.Option(help="Public HTTPS URL for webhook mode.")] = None,
    knowledge: KnowledgeOpt = None,
) -> None:
    """Run the Telegram bot (long polling, or a webhook with --webhook URL)."""
    from bot.telegram.app import run_bot

    cfg = config()
    if not cfg.token:
        raise fail(
            "TELEGRAM_BOT_TOKEN is not set. Get one from @BotFather, or talk to the bot "
            "offline with: expertbot chat",
            code=2,
        )
    setup_logging(logging.INFO, cfg.log_format)
    raise typer.Exit(run_bot(cfg, knowledge or cfg.knowledge_dir, webhook))


@app.command()
def chat(knowledge: KnowledgeOpt = None, db: DbOpt = None) -> None:
    """Talk to the bot in the terminal, exactly as a reader would in Telegram."""
    setup_logging()
    snap = snapshot(knowledge)
    db_path = db or config().db_path
    asyncio.run(_chat(snap, db_path))


async def _chat(snap: Snapshot, db_path: Path) -> None:
    try:
        store = await Store.open(db_path)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        await run_console(snap, store, db_path)
    finally:
        await store.close()


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The reader's message.")],
    knowledge: KnowledgeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Show the decision for one message. A probe: writes nothing to the database."""
    if not clean(text):
        raise fail("the message is empty: give the reader's text")
    snap = snapshot(knowledge)
    reply = snap.probe(text)
    if not as_json:
        score = f"{reply.outcome.value if reply.outcome else 'message'} (score {reply.score:.2f})"
        typer.echo(f"{score}\n\n{render.plain(reply, with_buttons=True)}")
        return
    entry = reply.entry if reply.outcome is Outcome.ANSWER else None
    payload = {
        "outcome": reply.outcome.value if reply.outcome else "unmatched",
        "entry": {"id": entry.id, "question": entry.question, "link": entry.link}
        if entry
        else None,
        "score": round(min(max(reply.score, 0.0), 1.0), 4),
        "suggestions": [
            {
                "id": s.entry.id,
                "question": s.entry.question,
                "link": s.entry.link,
                "score": round(s.score, 4),
            }
            for s in reply.suggestions
        ]
        if reply.outcome is Outcome.SUGGEST
        else [],
        "reply": render.plain(reply),
    }
    typer.echo(json.dumps(payload, ensure_ascii=False))


@app.command("eval")
def eval_command(
    cases: Annotated[Path, typer.Argument(help="YAML list of {text, expect} cases.")],
    knowledge: KnowledgeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Measure the matcher on a cases file. Writes nothing to the database."""
    snap = snapshot(knowledge)
    try:
        loaded = load_cases(cases, snap)
    except CasesError as exc:
        raise fail(str(exc)) from None
    report = evaluate(snap, loaded)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(summary(report))


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
    warnings = len(problems) - errors
    if knowledge is not None:
        typer.echo(
            f"{root}: {len(knowledge.entries)} entries in {len(knowledge.topics)} topics, "
            f"{len(knowledge.drafts)} drafts; {errors} errors, {warnings} warnings"
        )
    else:
        typer.echo(f"{root}: {errors} errors, {warnings} warnings", err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


async def _proposals(
    db_path: Path,
    snap: Snapshot | None,
    action: Callable[[ProposalService], Awaitable[T]],
) -> T:
    """Open the store, run one proposals action, close; failures become one line and exit 1."""
    try:
        store = await Store.open(db_path)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        return await action(ProposalService(store, lambda: snap))
    except (StoreError, ProposalError) as exc:
        raise fail(str(exc)) from None
    finally:
        await store.close()


ProposalIds = Annotated[list[int], typer.Argument(help="Proposal numbers (see: kb proposals).")]


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
    snap = snapshot(knowledge)
    db_path = db or config().db_path
    wanted = None if state == "all" else state
    found = asyncio.run(_proposals(db_path, snap, lambda s: s.list(wanted)))
    if as_json:
        typer.echo(json.dumps([p.as_dict() for p in found], ensure_ascii=False))
        return
    _echo(proposals_terminal.proposal_lines(found, wanted))


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
    result = asyncio.run(
        _proposals(db_path, None, lambda s: s.accept(ids, root, topic=topic, by=by))
    )
    _echo(proposals_terminal.accepted_lines(result))
    for line in proposals_terminal.refused_lines(result):
        typer.echo(f"expertbot: {line}", err=True)
    if result.refused:
        raise typer.Exit(1)


@kb_app.command("reject")
def kb_reject(ids: ProposalIds, by: ByOpt = "terminal", db: DbOpt = None) -> None:
    """Reject proposals: the same words proposed again stay rejected."""
    db_path = db or config().db_path
    rejected = asyncio.run(_proposals(db_path, None, lambda s: s.reject(ids, by)))
    _echo(proposals_terminal.rejected_lines(ids, rejected))
    if len(rejected) < len(set(ids)):
        raise typer.Exit(1)


@queue_app.command("list")
def queue_list(
    db: DbOpt = None,
    status: Annotated[str, typer.Option(help="pending, answered, dismissed or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """List queued questions, urgent first, then oldest."""
    db_path = db or config().db_path
    items = asyncio.run(_queue(db_path, None if status == "all" else status))
    if as_json:
        rows = [review_terminal.item_summary(i) for i in items]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    _echo(review_terminal.queue_lines(items))


def _echo(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


async def _queue(db_path: Path, status: str | None) -> list:
    return await _review(db_path, None, lambda review: review.store.queue(status))


async def _review(
    db_path: Path,
    snap: Snapshot | None,
    action: Callable[[ReviewService], Awaitable[T]],
) -> T:
    """Open the store, run one review action, close; failures become one line and exit 1."""
    try:
        store = await Store.open(db_path)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        return await action(ReviewService(store, lambda: snap))
    except (StoreError, ReviewError) as exc:
        raise fail(str(exc)) from None
    finally:
        await store.close()


IdArg = Annotated[int, typer.Argument(help="The queue item's number (see: queue list).")]
GroupOpt = Annotated[
    bool, typer.Option("--group", help="Act on every pending question of its group too.")
]
ByOpt = Annotated[str, typer.Option("--by", help="Who acts, stored with the item.")]


@queue_app.command("show")
def queue_show(
    item_id: IdArg,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object.")] = False,
) -> None:
    """Show one queued question, its answer, and the pending questions like it."""
    db_path = db or config().db_path
    detail: Detail = asyncio.run(_review(db_path, None, lambda r: r.show(item_id)))
    if as_json:
        data = review_terminal.item_dict(detail.item) | {"similar": [i.id for i in detail.group]}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _echo(review_terminal.detail_lines(detail))


def _report(result: Resolution, verb: str, how: str = "") -> None:
    _echo(review_terminal.resolution_lines(result, verb, how))
    if not result.already and result.recipients:
        sent = _send_owed(result.recipients)
        typer.echo(review_terminal.delivery_line(len(result.recipients), sent))


def _send_owed(items: list[QueueItem]) -> int | None:
    """Deliver the answers now through the Bot API, when a token is set (the running bot
    would within seconds anyway; a claim in the database keeps the two from both sending).
    None: no token (or no usable knowledge), the bot sends them when it runs."""
    cfg = config()
    snap = _default_snapshot() if cfg.token else None
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
    result = asyncio.run(_review(db_path, None, lambda r: r.answer(item_id, text, by, group)))
    _report(result, "Answered")


@queue_app.command("dismiss")
def queue_dismiss(
    item_id: IdArg, group: GroupOpt = False, by: ByOpt = "terminal", db: DbOpt = None
) -> None:
    """Dismiss a queued question without an answer (nothing is sent to the reader)."""
    db_path = db or config().db_path
    result = asyncio.run(_review(db_path, None, lambda r: r.dismiss(item_id, by, group)))
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
    snap = snapshot(knowledge)
    db_path = db or config().db_path
    result = asyncio.run(
        _review(db_path, snap, lambda r: r.link_to_entry(item_id, entry_id, by, group))
    )
    _report(result, "Answered", how=f" with entry {entry_id}")


@queue_app.command("export")
def queue_export(
    file: Annotated[Path | None, typer.Argument(help="Output file (default: stdout).")] = None,
    knowledge: KnowledgeOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the doctor's answers and proposed alternates as draft entries (YAML)."""
    snap = snapshot(knowledge) if knowledge else _default_snapshot()
    db_path = db or config().db_path
    text = asyncio.run(_review(db_path, snap, lambda r: r.export()))
    if file is None:
        typer.echo(text, nl=False)
        return
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror}") from None
    typer.echo(f"Wrote {file}.", err=True)


def _default_snapshot() -> Snapshot | None:
    """The configured knowledge when it loads (to avoid its ids and known phrasings), else
    none: an export must work while an admin is half-way through an edit."""
    try:
        return load_snapshot(config().knowledge_dir)
    except UnusableKnowledge:
        return None


@app.command()
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
    data = asyncio.run(_review(db_path, None, lambda r: r.stats()))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _echo(review_terminal.stats_lines(data))


def _write_chart(file: Path, weeks: int, db_path: Path, knowledge_dir: Path) -> None:
    if not chart.available():
        raise fail("the chart needs matplotlib: pip install 'expertbot[chart]' (or make install)")
    loaded, _ = load_knowledge(knowledge_dir)  # only its texts; the defaults without it
    settings = loaded.settings if loaded is not None else BotSettings()
    data = asyncio.run(_review(db_path, None, lambda r: r.chart_data(weeks)))
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
    typer.echo(asyncio.run(_review(db_path, None, lambda r: ops.prune(r.store, keep))))


@app.command()
def health(db: DbOpt = None) -> None:
    """Exit 0 when the running bot's heartbeat is fresh and the database is usable, else 1."""
    db_path = db or config().db_path
    try:
        typer.echo(ops.health(db_path))
    except ops.OpsError as exc:
        raise fail(str(exc)) from None


def main() -> None:
    app(prog_name="expertbot")
