"""Button <-> Telegram `callback_data`, which Telegram caps at 64 bytes.

The data is `"{action}:{arg}"` (an `Action` value is one letter). An arg is an entry or topic
id, optionally followed by `:` and a number (the question id, or a page). When an id is too
long to fit, it is replaced by `~` and a short digest; the tap is resolved against the
knowledge served at tap time, so a button from before a reload still works if its entry does
(and gets the service's polite "this answer changed" when it does not).
"""

from __future__ import annotations

import hashlib

from bot.knowledge.loading import Knowledge
from bot.models import Action, Button, ReviewAction

LIMIT = 64  # bytes, Telegram's limit for callback_data
DIGEST_MARK = "~"
READER_ACTIONS: dict[str, Action | ReviewAction] = {a.value: a for a in Action}
REVIEW_ACTIONS: dict[str, Action | ReviewAction] = {a.value: a for a in ReviewAction}
PROPOSAL_LETTERS = "".join(
    a.value
    for a in (
        ReviewAction.PROPOSALS,
        ReviewAction.ADD,
        ReviewAction.DRAFT,
        ReviewAction.ADD_TO,
        ReviewAction.REJECT,
        ReviewAction.BACK,
    )
)
# a doctor's button (never a reader's); an admin's button on a /proposals card
REVIEW_PATTERN = rf"^[{''.join(a for a in REVIEW_ACTIONS if a not in PROPOSAL_LETTERS)}]:"
PROPOSAL_PATTERN = rf"^[{PROPOSAL_LETTERS}]:"


def _digest(identifier: str) -> str:
    return DIGEST_MARK + hashlib.blake2s(identifier.encode("utf-8"), digest_size=8).hexdigest()


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= LIMIT


def encode(button: Button) -> str:
    """The callback_data for a button: at most 64 bytes, always."""
    action = button.action.value
    data = f"{action}:{button.arg}"
    if _fits(data):
        return data
    head, sep, tail = button.arg.partition(":")
    data = f"{action}:{_digest(head)}{sep}{tail}"
    if not _fits(data):  # a tail is a number; this is only a last resort
        data = f"{action}:{_digest(head)}"
    assert _fits(data), data
    return data


def decode(
    data: str,
    knowledge: Knowledge,
    actions: dict[str, Action | ReviewAction] = READER_ACTIONS,
) -> tuple[Action | ReviewAction, str] | None:
    """(action, arg) for a tap, or None for data this bot never made."""
    letter, sep, arg = data.partition(":")
    action = actions.get(letter)
    if action is None or not sep:
        return None
    head, sep, tail = arg.partition(":")
    if head.startswith(DIGEST_MARK):
        head = _resolve(head, knowledge)
    return action, f"{head}{sep}{tail}"


def _resolve(digest: str, knowledge: Knowledge) -> str:
    """The entry or topic id with this digest in the knowledge served now (else unchanged,
    which the service answers with "this answer changed")."""
    for identifier in (*knowledge.entries, *(t.id for t in knowledge.topics)):
        if _digest(identifier) == digest:
            return identifier
    return digest
