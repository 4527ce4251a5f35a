"""The `expertbot` command. Thin: it parses arguments and calls the services and the renderer.

Every failure a user can cause (bad knowledge, bad cases file, unusable database) ends with one
clear line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot import logs, ops, render
from bot.checks import check
from bot.config import Config, ConfigError
from bot.evaluate import CasesError, evaluate, load_cases, summary
from bot.knowledge import load_knowledge
from bot.models import Outcome, QueueItem, Reply
from bot.review import Detail, Resolution, ReviewError, ReviewService, duration
from bot.service import AnswerService, Snapshot
from bot.storage import Delivery, Store, StoreError
from bot.text import clean

app = typer.Typer(
    help="ExpertBot: answers readers from vetted answers; brings the rest to the expert.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Check the knowledge folder.", no_args_is_help=True)
queue_app = typer.Typer(help="The doctor's queue of unanswered questions.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(queue_app, name="queue")
db_app = typer.Typer(help="Back up, restore and prune the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

T = TypeVar("T")
CONSOLE_CHAT_ID = 0  # the console reader; Telegram chat ids are never 0

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


def config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise fail(str(exc)) from None


def snapshot(knowledge_dir: Path | None) -> Snapshot:
    root = knowledge_dir or config().knowledge_dir
    if not root.is_dir():
        raise fail(f"knowledge folder {root} not found (see --knowledge and EXPERTBOT_KNOWLEDGE)")
    knowledge, problems = load_knowledge(root)
    if knowledge is None:
        errors = [p for p in problems if p.severity == "error"]
        for problem in errors[:10]:
            typer.echo(str(problem), err=True)
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        raise fail(f"the knowledge in {root} has errors{more}; run: expertbot kb check {root}")
    return Snapshot.build(knowledge)


def setup_logging(level: int = logging.WARNING, log_format: str | None = None) -> None:
    """Logs on stderr; LOG_FORMAT=json gives one JSON object per line (bot/logs.py)."""
    logs.setup_logging(level, log_format or config().log_format)


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: run the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat."""
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
    service = AnswerService(snap, store)
    interactive = sys.stdin.isatty()
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 must not crash input()
    if interactive:
        typer.echo(
            f"{snap.knowledge.settings.name} console — {len(snap.knowledge.entries)} answers "
            f"loaded; database {db_path}.\nType a question; a number picks a button; "
            "/topics, /privacy, /forget, /help; Ctrl-D or /quit to leave.\n"
        )
    last: Reply | None = service.start()
    show(last)
    try:
        while True:
            try:
                line = input("you> " if interactive else "")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            reply = await console_step(service, line, last)
            if not interactive:
                typer.echo(f"you> {line}")
            show(reply)
            last = reply
    finally:
        await store.close()


async def console_step(service: AnswerService, line: str, last: Reply | None) -> Reply:
    """One console input -> one reply; the same calls the Telegram handlers make."""
    chat_id = CONSOLE_CHAT_ID
    buttons = last.flat_buttons if last else []
    if line.isascii() and line.isdecimal() and len(line) <= 3 and 1 <= int(line) <= len(buttons):
        button = buttons[int(line) - 1]
        return await service.press(chat_id, button.action, button.arg)
    command = line.split()[0].lower() if line.startswith("/") else None
    if command in ("/start",):
        return service.start()
    if command in ("/help",):
        return service.how_to_ask()
    if command == "/topics":
        return service.topics()
    if command == "/privacy":
        return service.privacy()
    if command == "/forget":
        return service.forget_confirm()
    return await service.ask(chat_id, line)


def show(reply: Reply) -> None:
    typer.echo(render.plain(reply, with_buttons=True))
    typer.echo("")


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
        rows = [
            {
                "id": i.id,
                "status": i.status,
                "kind": i.kind,
                "chat_id": i.chat_id,
                "text": i.text,
                "created_at": i.created_at,
            }
            for i in items
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not items:
        typer.echo("The queue is empty.")
    for item in items:
        text = " ".join(item.text.split())
        text = text if len(text) <= 90 else text[:87] + "..."
        typer.echo(f"#{item.id:<5} {item.kind:<9} {item.status:<9} {item.created_at}  {text}")


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


DELIVERY_NAMES = {
    Delivery.OWED: "owed",
    Delivery.SENDING: "sending",
    Delivery.SENT: "sent",
    Delivery.UNDELIVERABLE: "undeliverable",
}


def _item_dict(item: QueueItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "kind": item.kind,
        "chat_id": item.chat_id,
        "text": item.text,
        "created_at": item.created_at,
        "answer": item.answer,
        "answered_by": item.answered_by,
        "answered_at": item.answered_at,
        "answered_via": item.answered_via,
        "entry_id": item.entry_id,
        "delivered": item.delivered == Delivery.SENT,
        "delivery": DELIVERY_NAMES.get(item.delivered),
    }


def _one_line(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


@queue_app.command("show")
def queue_show(
    item_id: IdArg,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object.")] = False,
) -> None:
    """Show one queued question, its answer, and the pending questions like it."""
    db_path = db or config().db_path
    detail: Detail = asyncio.run(_review(db_path, None, lambda r: r.show(item_id)))
    item = detail.item
    if as_json:
        data = _item_dict(item) | {"similar": [i.id for i in detail.group]}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"#{item.id} {item.kind} {item.status}, asked {item.created_at}")
    typer.echo(item.text)
    if item.status == "answered":
        how = f" with entry {item.entry_id}" if item.answered_via == "entry" else ""
        typer.echo(f"\nAnswered{how} by {item.answered_by} at {item.answered_at}")
        if item.answer:
            typer.echo(item.answer)
        if item.delivered in (Delivery.OWED, Delivery.SENDING):
            typer.echo("(not delivered to the reader yet)")
        elif item.delivered == Delivery.UNDELIVERABLE:
            typer.echo("(could not be delivered: the reader blocked the bot or left)")
    elif item.status == "dismissed":
        typer.echo(f"\nDismissed by {item.answered_by} at {item.answered_at}")
    if detail.group:
        typer.echo(f"\nSimilar pending questions ({len(detail.group)}):")
        for other in detail.group:
            typer.echo(f"  #{other.id:<5} {_one_line(other.text, 80)}")


def _report(result: Resolution, verb: str, how: str = "") -> None:
    item = result.item
    if result.already:
        when = f" by {item.answered_by} at {item.answered_at}" if item.answered_by else ""
        typer.echo(f"#{item.id} was already {result.already}{when}; nothing changed.")
        return
    ids = ", ".join(f"#{i.id}" for i in result.changed)
    noun = "question" if len(result.changed) == 1 else "questions"
    typer.echo(f"{verb} {len(result.changed)} {noun}{how}: {ids}.")
    if not result.recipients:
        return
    readers = len(result.recipients)
    who = "1 reader" if readers == 1 else f"{readers} readers"
    sent = _send_owed(result.recipients)
    if sent is None:
        typer.echo(
            f"Stored: {who} to receive it. The bot sends it when it runs "
            "(no TELEGRAM_BOT_TOKEN here to send it now)."
        )
    else:
        typer.echo(f"Sent to {sent} of {who} through Telegram; the bot retries the rest.")


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
    root = config().knowledge_dir
    knowledge, _ = load_knowledge(root) if root.is_dir() else (None, [])
    return Snapshot.build(knowledge) if knowledge is not None else None


@app.command()
def stats(
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Questions and outcomes in the last 24 hours and 7 days, top entries, votes, the queue."""
    db_path = db or config().db_path
    data = asyncio.run(_review(db_path, None, lambda r: r.stats()))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for name, label in (("24h", "Last 24 hours"), ("7d", "Last 7 days")):
        window = data[name]
        typer.echo(f"{label}: {window['questions']} questions")
        for outcome, value in window["outcomes"].items():
            typer.echo(f"  {outcome:<10} {value['count']:>5}  {value['share'] * 100:5.1f}%")
        typer.echo(f"  queued for the doctor: {window['queued']}")
        median = window["median_answer_seconds"]
        if median is not None:
            typer.echo(
                f"  answered by the doctor: {window['answered_by_doctor']}, "
                f"median time {duration(median)}"
            )
        if window["top_entries"]:
            typer.echo("  top entries:")
            for entry in window["top_entries"]:
                typer.echo(f"    {entry['count']:>5}  {entry['id']}")
        if window["votes"]:
            typer.echo("  votes (👍/👎):")
            for vote in window["votes"]:
                typer.echo(f"    {vote['up']:>3}/{vote['down']:<3} {vote['id']}")
    typer.echo("(small talk is not stored, so it is not counted)")
    groups = data["pending_groups"]
    typer.echo(f"Top pending questions: {len(groups) or 'none'}")
    for group in groups:
        mark = "URGENT " if group["urgent"] else ""
        typer.echo(
            f"  #{group['id']:<5} {mark}asked {group['count']}×  {_one_line(group['text'], 70)}"
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
