"""The commands that meet the bot as readers do: `run` (the Telegram bot), `chat` (the console
twin, bot/cli/console.py), `ask` (one message's decision, a probe) and `eval` (a cases file)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from bot import cli
from bot.cli.common import DbOpt, KnowledgeOpt, config, fail, on_store, setup_logging
from bot.cli.console import run_console
from bot.conversation import render
from bot.models import Outcome
from bot.understanding.evaluate import CasesError, evaluate, load_cases, summary
from bot.understanding.text import clean


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


def chat(knowledge: KnowledgeOpt = None, db: DbOpt = None) -> None:
    """Talk to the bot in the terminal, exactly as a reader would in Telegram."""
    setup_logging()
    snap = cli.snapshot(knowledge)
    cfg = config()
    db_path = db or cfg.db_path
    grace = cfg.choices_grace
    asyncio.run(on_store(db_path, lambda store: run_console(snap, store, db_path, grace)))


def ask(
    text: Annotated[str, typer.Argument(help="The reader's message.")],
    knowledge: KnowledgeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Show the decision for one message. A probe: writes nothing to the database."""
    if not clean(text):
        raise fail("the message is empty: give the reader's text")
    snap = cli.snapshot(knowledge)
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


def eval_command(
    cases: Annotated[Path, typer.Argument(help="YAML list of {text, expect} cases.")],
    knowledge: KnowledgeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Measure the matcher on a cases file. Writes nothing to the database."""
    snap = cli.snapshot(knowledge)
    try:
        loaded = load_cases(cases, snap)
    except CasesError as exc:
        raise fail(str(exc)) from None
    report = evaluate(snap, loaded)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(summary(report))
