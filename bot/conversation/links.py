"""Start links: `https://t.me/<bot>?start=<payload>` opens the bot with one answer shown.

Telegram passes the payload to the bot as `/start <payload>`; it allows only `A-Z a-z 0-9 _ -`
and at most 64 characters. An entry id that fits is its own payload (readable in a blog post);
any other id gets `h` + a short digest, resolved against the knowledge served when the link is
opened. An unknown payload is no error: the reader gets the normal greeting.
"""

from __future__ import annotations

import hashlib
import re

from bot.knowledge.loading import Knowledge
from bot.models import Entry

PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")  # Telegram's rule for usernames
_DIGEST_MARK = "h-"


def _digest(entry_id: str) -> str:
    return _DIGEST_MARK + hashlib.blake2s(entry_id.encode("utf-8"), digest_size=10).hexdigest()


def start_payload(entry_id: str) -> str:
    """What follows `?start=` for this entry (always a valid payload)."""
    if PAYLOAD.fullmatch(entry_id) and not entry_id.startswith(_DIGEST_MARK):
        return entry_id
    return _digest(entry_id)


def clean_username(username: str) -> str | None:
    """The bot's username without a leading @ or t.me/ (None when it cannot be one)."""
    name = username.strip().removeprefix("https://").removeprefix("t.me/").lstrip("@")
    return name if USERNAME.fullmatch(name) else None


def start_link(username: str, entry_id: str) -> str:
    return f"https://t.me/{username}?start={start_payload(entry_id)}"


def entry_for_payload(knowledge: Knowledge, payload: str) -> Entry | None:
    """The served entry a /start payload names, or None (unknown, changed, or not a link)."""
    payload = payload.strip()
    if not PAYLOAD.fullmatch(payload):
        return None
    entry = knowledge.get(payload)
    if entry is not None:
        return entry
    if payload.startswith(_DIGEST_MARK):
        return next((e for e in knowledge.entries.values() if _digest(e.id) == payload), None)
    return None
