"""Log output: plain text lines (the default) or, with `LOG_FORMAT=json`, one JSON object per
line for log shippers: `time`, `level`, `logger`, `message`, every `extra=` field of the call,
and `exception` when there is one.

What is logged at INFO never holds a reader's text (it is private; DEBUG only, off by default)
nor a secret (`Redact`, installed by `protect`, blanks the token and the webhook secret).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# the attributes every LogRecord has; anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in data:
                data[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def formatter(log_format: str = "text") -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def setup_logging(level: int = logging.WARNING, log_format: str = "text") -> None:
    """The root logger: one stderr handler in the chosen format (replacing our earlier one)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_expertbot", False):
            root.removeHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if root.handlers:  # configured by someone else (a test harness): leave it, as basicConfig
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._expertbot = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)


# --- secrets ----------------------------------------------------------------------------------


class Redact(logging.Filter):
    """Blank out secrets (the token, the webhook secret) in every log line, tracebacks too."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        return True


# libraries that log request URLs (which hold the Bot API token) at INFO, or every request
QUIET_LOGGERS = ("httpx", "httpcore", "tornado.access")


def protect(secrets: Iterable[str | None], log_format: str = "text") -> Redact:
    """For the running bot: logs at INFO (set up here unless someone already did), the chatty
    libraries kept at WARNING, and the secrets redacted from every handler's output. Returns
    the filter (its `clean` serves what is printed without logging)."""
    root = logging.getLogger()
    if not root.handlers:
        setup_logging(logging.INFO, log_format)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = Redact(secrets)
    for handler in root.handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(redact)
    return redact


# --- one line per update ----------------------------------------------------------------------

_UPDATE: ContextVar[dict[str, Any] | None] = ContextVar("expertbot_update", default=None)


@contextlib.contextmanager
def update_fields() -> Iterator[dict[str, Any]]:
    """While an update is handled: the fields its one log line will carry (see `note`)."""
    fields: dict[str, Any] = {}
    token = _UPDATE.set(fields)
    try:
        yield fields
    finally:
        _UPDATE.reset(token)


def note(**fields: Any) -> bool:
    """Add fields to the log line of the update being handled; False when there is none
    (the console, a test), so the caller logs on its own."""
    current = _UPDATE.get()
    if current is None:
        return False
    current.update(fields)
    return True
