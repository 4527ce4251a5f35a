"""The `expertbot` command (Typer). This package only wires commands to the parts of the bot:
each command parses its arguments and calls the services and the renderers (the terminal texts
are bot/review/terminal.py and bot/proposals/terminal.py).

  common.py   the one-line failure, the settings, loading the knowledge, the shared options,
              one service action on the database
  reader.py   run (the Telegram bot), chat, ask, eval
  kb.py       kb check, proposals, accept, reject
  queue.py    queue list, show, answer, dismiss, link, export
  stats.py    stats (and --chart)
  db.py       db backup, restore, prune; health
  console.py  `expertbot chat`: the console twin of bot/telegram/reader.py

Every failure a user can cause (bad knowledge, bad cases file, unusable database) ends with one
clear line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import typer

from bot.cli import common, db, kb, queue, reader, stats
from bot.cli.common import snapshot

__all__ = ["app", "main", "snapshot"]

app = typer.Typer(
    help="ExpertBot: answers readers from vetted answers; brings the rest to the expert.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: run the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the console chat."""
    common.new_command()
    if ctx.invoked_subcommand is not None:
        return
    if common.config().token:
        ctx.invoke(reader.run_bot_command)
    else:
        ctx.invoke(reader.chat)


app.command("run")(reader.run_bot_command)
app.command()(reader.chat)
app.command()(reader.ask)
app.command("eval")(reader.eval_command)
app.command()(stats.stats)
app.command()(db.health)
app.add_typer(kb.kb_app, name="kb")
app.add_typer(queue.queue_app, name="queue")
app.add_typer(db.db_app, name="db")


def main() -> None:
    app(prog_name="expertbot")
