"""End-to-end fixtures: the fake Bot API server, and the real bot process pointed at it.

`start_bot()` runs `python -m bot run` (the same command as in production) with
TELEGRAM_API_URL set to the fake server, a temporary SQLite file and the e2e knowledge, and
waits until it is long-polling (or, in webhook mode, until it has set its webhook). Every
process is stopped at the end of the test with SIGTERM and must exit 0 without ever having
logged the token. Tests wait on conditions (`tg.wait_for`), never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.loading import load_knowledge
from bot.models import Outcome
from bot.understanding.snapshot import Snapshot
from tests.conftest import db_rows

from .fake_telegram import Call, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
KB_E2E = ROOT / "tests" / "data" / "kb_e2e"
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable
TOKEN = "123456:TEST-token_e2e"
SUGGEST_CANDIDATES = (
    "hand cream or nail oil worth buying?",  # a list of two (a floor keeps choices real)
    "how often exfoliate or moisturiser",
    "exfoliate moisturiser",
    "sunscreen or exfoliating toner",
    "roller or brush",
    "is it worth buying",
)
UNMATCHED_CANDIDATES = (
    "What is the capital of France?",
    "Who won the football match yesterday?",
    "zxqv wplk trovm",
)


# --------------------------------------------------------------------------- the knowledge


@cache
def snapshot(root: Path = KB_E2E) -> Snapshot:
    knowledge, problems = load_knowledge(root)
    assert knowledge is not None, [str(p) for p in problems]
    return Snapshot.build(knowledge)


def outcome(text: str, root: Path = KB_E2E) -> Outcome | None:
    """What the service decides for `text` (in-process, nothing stored)."""
    return snapshot(root).probe(text).outcome


def text_with(wanted: Outcome, candidates: tuple[str, ...]) -> str:
    """The first candidate the matcher gives `wanted` for: e2e tests check the Telegram side,
    so they must not break when the matcher's tuning moves a threshold."""
    for text in candidates:
        if outcome(text) is wanted:
            return text
    pytest.fail(f"none of {candidates} gives {wanted.value} on {KB_E2E} any more: add one")


START_TIMEOUT = 30.0


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@dataclass
class BotProcess:
    proc: asyncio.subprocess.Process
    db: Path
    _stderr: list[str] = field(default_factory=list)
    _reader: asyncio.Task | None = None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    @property
    def log(self) -> str:
        """Everything the process wrote on stderr so far (its log)."""
        return "".join(self._stderr)

    async def wait(self, timeout: float = 20) -> int:
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            await self._reader
        return code

    async def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Send a signal (SIGTERM by default) and wait for the exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(signum)
        return await self.wait(timeout)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the bot's SQLite file through an independent connection (committed data)."""
        return db_rows(self.db, sql, params)


StartBot = Callable[..., Awaitable[BotProcess]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "EXPERTBOT_", "DOCTOR_", "ADMIN_", "WEBHOOK_"))
        or k == "EXPERTBOT_SEMANTIC"  # the bot decides like the tests' in-process matcher
    }
    env |= {"PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    env |= overrides
    return env


@pytest.fixture
async def start_bot(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[StartBot]:
    """start_bot(*args, knowledge=KB_E2E, env=None, token=TOKEN, db=None, ready="polling",
    command=("run",)) -> BotProcess: `python -m bot run ARGS`.

    `ready`: wait until the bot long-polls ("polling"), has set its webhook ("webhook"), or
    don't wait (False: for processes expected to exit).
    """
    started: list[BotProcess] = []

    async def start(
        *args: str,
        knowledge: Path = KB_E2E,
        env: dict[str, str] | None = None,
        token: str | None = TOKEN,
        db: Path | None = None,
        ready: str | bool = "polling",
        command: tuple[str, ...] = ("run",),
    ) -> BotProcess:
        db = db or tmp_path / "bot.sqlite3"
        variables = {
            "TELEGRAM_API_URL": tg.base_url,
            "EXPERTBOT_DB": str(db),
            "EXPERTBOT_KNOWLEDGE": str(knowledge),
        }
        if token is not None:
            variables["TELEGRAM_BOT_TOKEN"] = token
        proc = await asyncio.create_subprocess_exec(
            PYTHON,
            "-m",
            "bot",
            *command,
            *args,
            cwd=ROOT,
            env=bot_env(**variables, **(env or {})),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        bot = BotProcess(proc, db)
        bot._reader = asyncio.create_task(_collect(proc, bot._stderr))
        started.append(bot)
        if ready:
            await _until_ready(tg, bot, ready)
        return bot

    yield start

    for number, bot in enumerate(started, 1):
        print(f"--- log of bot process {number} ---\n{bot.log}")  # shown when a test fails
        if bot.returncode is None:
            code = await bot.stop()
            assert code == 0, f"the bot did not stop cleanly (exit {code}):\n{bot.log}"
        assert TOKEN not in bot.log, "the token was logged"


async def _collect(proc: asyncio.subprocess.Process, sink: list[str]) -> None:
    assert proc.stderr is not None
    async for line in proc.stderr:
        sink.append(line.decode("utf-8", errors="replace"))


async def _until_ready(tg: FakeTelegram, bot: BotProcess, ready: str | bool) -> None:
    if ready == "webhook":
        waiting = tg.wait_for("setWebhook", timeout=START_TIMEOUT)
    else:
        waiting = tg.wait_until_polling(timeout=START_TIMEOUT)
    ready_task = asyncio.ensure_future(waiting)
    exited = asyncio.ensure_future(bot.proc.wait())
    await asyncio.wait({ready_task, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not ready_task.done():
        ready_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await ready_task
        await bot.wait()
        raise AssertionError(
            f"the bot exited with {bot.returncode} before it was ready:\n{bot.log}"
        )
    exited.cancel()
    ready_task.result()


# --------------------------------------------------------------------------- conversations


def buttons(call: Call) -> list[tuple[str, str]]:
    """(label, callback_data) of the inline keyboard a message was sent with."""
    markup = call.params.get("reply_markup") or {}
    return [
        (button["text"], button.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def message_id(call: Call) -> int:
    return int(call.result["message_id"])


class Chat:
    """One reader's private chat with the bot, driven through the fake server."""

    def __init__(self, tg: FakeTelegram, chat_id: int) -> None:
        self.tg = tg
        self.chat_id = chat_id

    def received(self) -> list[Call]:
        return self.tg.sent_to(self.chat_id)

    async def expect(self, before: int, count: int = 1, timeout: float = 10) -> list[Call]:
        """Wait until the chat has `count` more messages than `before`; returns the new ones."""
        calls = await self.tg.wait_for(
            "sendMessage",
            lambda c: c.params.get("chat_id") == self.chat_id,
            count=before + count,
            timeout=timeout,
        )
        return calls[before:]

    async def say(
        self, text: str, count: int = 1, *, timeout: float = 10, **kwargs: Any
    ) -> list[Call]:
        """Send a text message; returns the bot's `count` reply messages."""
        before = len(self.received())
        self.tg.send_text(self.chat_id, text, **kwargs)
        return await self.expect(before, count, timeout)

    async def send(self, update: dict[str, Any], count: int = 1) -> list[Call]:
        before = len(self.received())
        self.tg.send_update(update)
        return await self.expect(before, count)

    async def tap(self, call: Call, data: str, count: int = 1) -> list[Call]:
        """Tap a button of a message the bot sent; returns the `count` new messages."""
        before = len(self.received())
        self.tg.send_callback(self.chat_id, data, message_id(call))
        return await self.expect(before, count)

    async def tap_and_edit(self, call: Call, data: str) -> Call:
        """Tap a button that changes the message in place; returns the editMessageText call."""
        before = len(self.tg.calls("editMessageText"))
        self.tg.send_callback(self.chat_id, data, message_id(call))
        calls = await self.tg.wait_for("editMessageText", count=before + 1)
        return calls[-1]
