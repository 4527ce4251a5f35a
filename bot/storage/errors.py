"""What every part of the storage shares: its error, and how values are made storable."""

from __future__ import annotations

import datetime as dt
import sqlite3

MAX_STORED_CHARS = 10_000

# aiosqlite raises ValueError("no active connection") once the connection is closed
DB_ERRORS = (sqlite3.Error, ValueError, OverflowError)


class StoreError(Exception):
    """The database cannot be used; the message says why in words an operator can act on."""


def storable(text: str) -> str:
    """Cap the length; replace what UTF-8 cannot encode (lone surrogates from undecodable
    input), which sqlite3 would otherwise reject with a UnicodeEncodeError."""
    return text[:MAX_STORED_CHARS].encode("utf-8", "replace").decode("utf-8")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
