"""`expertbot chat`: the console twin of bot/telegram/reader.py. Type a question, see exactly the
reply a reader would get (buttons as numbered choices); it logs and queues like the bot. Runs
with no token and no network; reads piped stdin too and ends at end of input.

A question shown choices is held as in Telegram: it goes to the doctor's queue when its grace
period passes (looked at after every input) or when the chat ends, unless a number opened an
offered answer."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import typer

from bot.conversation import render
from bot.conversation.held import HeldSweeper
from bot.conversation.service import AnswerService
from bot.models import Reply
from bot.storage import Store
from bot.understanding.snapshot import Snapshot

CONSOLE_CHAT_ID = 0  # the console reader; Telegram chat ids are never 0


async def run_console(
    snap: Snapshot, store: Store, db_path: Path, choices_grace: float | None = None
) -> None:
    """The conversation, until end of input or /quit (the caller closes the store).
    `choices_grace`: seconds (EXPERTBOT_CHOICES_GRACE), else bot.yaml's."""
    service = AnswerService(snap, store, choices_grace=choices_grace)
    try:
        await _converse(service, snap, db_path)
    finally:  # the chat ends: what the reader left waiting goes to the doctor now
        await service.release_held(chat_id=CONSOLE_CHAT_ID)


async def _converse(service: AnswerService, snap: Snapshot, db_path: Path) -> None:
    # the bot's sweeper, one look at a time: it writes only when a held question is due
    sweeper = HeldSweeper(service)
    await sweeper.sweep()  # overdue from an earlier chat
    interactive = sys.stdin.isatty()
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 must not crash input()
    if interactive:
        typer.echo(
            f"{snap.knowledge.settings.name} console — {len(snap.knowledge.entries)} answers "
            f"loaded; database {db_path}.\nType a question; a number picks a button; "
            "/topics, /privacy, /forget, /help; Ctrl-D or /quit to leave.\n"
        )
    last: Reply | None = service.greeting()
    show(last)
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
        await sweeper.sweep()  # the grace period of earlier ones may be over
        if not interactive:
            typer.echo(f"you> {line}")
        show(reply)
        last = reply


async def console_step(service: AnswerService, line: str, last: Reply | None) -> Reply:
    """One console input -> one reply; the same calls the Telegram handlers make."""
    chat_id = CONSOLE_CHAT_ID
    buttons = last.flat_buttons if last else []
    if line.isascii() and line.isdecimal() and len(line) <= 3 and 1 <= int(line) <= len(buttons):
        button = buttons[int(line) - 1]
        return await service.press(chat_id, button.action, button.arg)
    command = line.split()[0].lower() if line.startswith("/") else None
    if command in ("/start",):  # "/start <entry-id>" as a start link opens that answer
        return await service.start(chat_id, line.split(maxsplit=1)[1] if " " in line else "")
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
