"""SQLite storage, one `Store` for its callers, built from one module per job:

- `db`: the connection (WAL, busy timeout, foreign keys), the write lock, and the one way to
  write (`_transaction("what")`) and to read (`_read("what", …)`), so every failure is a
  `StoreError` that names what failed;
- `migrations`: the schema, forward-only, numbered by `PRAGMA user_version`;
- `readers`: what readers leave — questions (queued when nobody answered), votes, proposed
  alternates — and /forget;
- `held`: questions shown choices, waiting for the reader until a grace period ends;
- `queue`: the doctor's queue, what she did with it, and the delivery of her answers;
- `telegram_state`: the transport's own state (handled updates, review posts, prompts);
- `proposals`: knowledge proposals (phrasings that could join the knowledge) and the
  decisions on them;
- `conversation`: a chat's last answer (for follow-ups) and inline mode's counts;
- `stats`: statistics, and retention.

Every write commits before the caller replies to anyone, so a crash never loses what a reader
sent. Only this package holds SQL for the bot's own tables (bot/runtime/ops.py reads the heartbeat and
copies whole files).
"""

from __future__ import annotations

from bot.storage.conversation import (
    CONVERSATION_KEPT,
    INLINE_CHOSEN,
    INLINE_QUERY,
    Conversation,
    LastAnswer,
)
from bot.storage.db import BUSY_TIMEOUT_MS
from bot.storage.errors import MAX_STORED_CHARS, StoreError, now, storable
from bot.storage.held import HELD_KIND, HeldQuestions
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.storage.proposals import Proposals, Source, StoredProposal, phrasing
from bot.storage.queue import QUEUED_OUTCOMES, Delivery, Queue
from bot.storage.readers import PART_KIND, READER_TABLES, Readers
from bot.storage.stats import PRUNE_QUEUE_SQL, Stats
from bot.storage.telegram_state import HANDLED_UPDATES_KEPT, TelegramState


class Store(Readers, HeldQuestions, Queue, Proposals, TelegramState, Stats, Conversation):
    """The bot's database: `await Store.open(path)`, then the methods of each part."""


__all__ = [
    "BUSY_TIMEOUT_MS",
    "CONVERSATION_KEPT",
    "HANDLED_UPDATES_KEPT",
    "HELD_KIND",
    "INLINE_CHOSEN",
    "INLINE_QUERY",
    "MAX_STORED_CHARS",
    "MIGRATIONS",
    "PART_KIND",
    "PRUNE_QUEUE_SQL",
    "QUEUED_OUTCOMES",
    "READER_TABLES",
    "SCHEMA_VERSION",
    "Delivery",
    "LastAnswer",
    "Source",
    "Store",
    "StoreError",
    "StoredProposal",
    "now",
    "phrasing",
    "storable",
]
