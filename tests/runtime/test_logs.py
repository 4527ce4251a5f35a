"""Logs (issue 5 §3): LOG_FORMAT=json gives one JSON object per line; one INFO line per handled
update with outcome, entry id, score and time; the reader's text only ever at DEBUG."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from telegram import Update

from bot.conversation.service import AnswerService
from bot.runtime import logs
from bot.runtime.config import Config, ConfigError
from bot.storage import Store
from bot.telegram.updates import UpdateGate
from bot.understanding.snapshot import Snapshot

READER = 4242
PRIVATE = "How long does lip filler last? my secret is Zyxwv-Private-Words"


def test_json_formatter_one_object_per_line_with_extra_fields() -> None:
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.outcome = "answer"
    record.score = 0.5
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "INFO" and data["logger"] == "bot.x"
    assert data["message"] == "hello there"
    assert data["time"].endswith("+00:00") and "T" in data["time"]
    assert data["outcome"] == "answer" and data["score"] == 0.5
    assert "args" not in data and "msg" not in data and "levelno" not in data


def test_json_formatter_keeps_the_traceback_on_the_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("bot", logging.ERROR, "", 1, "failed", (), sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exception"]


def test_log_format_setting() -> None:
    assert Config.from_env({}).log_format == "text"
    assert Config.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        Config.from_env({"LOG_FORMAT": "xml"})


def test_setup_logging_json_switches_the_root_handler() -> None:
    code = (
        "import logging; from bot.runtime import logs; logs.setup_logging(logging.INFO, 'json');"
        "logging.getLogger('bot.t').info('up %d', 3, extra={'mode': 'polling'})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    [line] = done.stderr.splitlines()
    data = json.loads(line)
    assert data["message"] == "up 3" and data["mode"] == "polling" and data["level"] == "INFO"


class _App:
    """Stands in for the PTB Application: handling an update asks the service."""

    def __init__(self, service: AnswerService) -> None:
        self.service = service

    async def process_update(self, update: Update) -> None:
        assert update.message is not None and update.message.text is not None
        await self.service.ask(update.message.chat_id, update.message.text)


def _update(update_id: int, text: str) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": READER, "type": "private"},
            "from": {"id": READER, "is_bot": False, "first_name": "R"},
            "text": text,
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


async def test_one_info_line_per_update_never_with_the_readers_text(
    bundled_snapshot: Snapshot, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gate = UpdateGate(_App(AnswerService(bundled_snapshot, store)), store)  # type: ignore[arg-type]
    assert await gate.handle(_update(7, PRIVATE))
    info = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert all("Zyxwv" not in r.getMessage() for r in info)
    assert all("Zyxwv" not in json.loads(logs.JsonFormatter().format(r)) for r in info)
    [line] = [r for r in info if r.name == "bot.telegram.updates"]
    assert line.getMessage().startswith("update 7 message outcome=")
    assert " entry=" in line.getMessage() and " score=" in line.getMessage()
    assert " ms=" in line.getMessage()
    extra = json.loads(logs.JsonFormatter().format(line))
    assert {"update_id", "outcome", "entry_id", "score", "ms"} <= set(extra)
    assert not [r for r in info if r.name == "bot.conversation.service"]  # not two lines per update
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("Zyxwv" in r.getMessage() for r in debug)  # the text: DEBUG only


async def test_info_never_holds_the_text_outside_telegram_either(
    bundled_snapshot: Snapshot, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await AnswerService(bundled_snapshot, store).ask(READER, PRIVATE)
    assert caplog.records and "Zyxwv" not in caplog.text
