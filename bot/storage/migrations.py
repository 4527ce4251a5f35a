"""The schema: forward-only migrations, numbered by `PRAGMA user_version`.

Each script runs once, in its own immediate transaction together with the version bump, so a
crash mid-migration leaves the previous version intact. Never edit a released script: add one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from bot.storage.errors import StoreError

MIGRATIONS: Sequence[str] = (
    # 1: the first schema
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        outcome TEXT NOT NULL,
        entry_id TEXT,
        score REAL NOT NULL DEFAULT 0,
        elapsed_ms REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX questions_chat ON questions (chat_id);
    CREATE INDEX questions_created ON questions (created_at);
    CREATE TABLE queue (
        id INTEGER PRIMARY KEY,
        question_id INTEGER REFERENCES questions (id) ON DELETE SET NULL,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        norm TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL,
        answer TEXT,
        answered_by TEXT,
        answered_at TEXT,
        entry_id TEXT
    );
    CREATE UNIQUE INDEX queue_one_pending ON queue (chat_id, norm) WHERE status = 'pending';
    CREATE INDEX queue_status ON queue (status, created_at);
    CREATE TABLE votes (
        chat_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, entry_id)
    );
    CREATE TABLE alternates (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 2: Telegram updates already handled, so a re-delivered update (after a crash, before
    # getUpdates acknowledged it, or a webhook retry) is not answered twice. No chat data here.
    """
    CREATE TABLE handled_updates (
        update_id INTEGER PRIMARY KEY,
        handled_at TEXT NOT NULL
    );
    CREATE INDEX handled_updates_at ON handled_updates (handled_at);
    """,
    # 3: the doctor's review. answered_via: 'text' (her own words) or 'entry' (an existing
    # entry); answer_group: the item she acted on, shared by every item answered with it (the
    # export turns a group into one draft); delivered: 0 = the reader is owed the answer,
    # 1 = sent, NULL = nothing to send (pending, dismissed, or the reader got it via another item).
    """
    ALTER TABLE queue ADD COLUMN answered_via TEXT;
    ALTER TABLE queue ADD COLUMN answer_group INTEGER;
    ALTER TABLE queue ADD COLUMN delivered INTEGER;
    CREATE INDEX queue_undelivered ON queue (delivered) WHERE delivered = 0;
    CREATE INDEX queue_answered ON queue (answered_at) WHERE answered_at IS NOT NULL;
    """,
    # 4: the running bot's heartbeat (bot/runtime/ops.py): one row, rewritten every 30 s while the bot
    # runs; stopped_at is set on a clean stop. `expertbot health` and `db restore` read it.
    """
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        beat_at TEXT NOT NULL,
        started_at TEXT NOT NULL,
        stopped_at TEXT,
        mode TEXT NOT NULL,
        pid INTEGER NOT NULL,
        knowledge_version TEXT NOT NULL
    );
    """,
    # 5: the doctor in Telegram. posted_at: when the item was shown in the review chat (NULL:
    # still to post, so a restart posts it then); answer_format: her Telegram formatting (JSON
    # spans, bot/conversation/rich.py). review_posts: which queue item each review message is about (her
    # reply to it answers that item, also after a restart); review_prompts: she tapped Reply or
    # It's entry and her next text is the answer or a search. meta.reader_salt keys the
    # pseudonymous reader labels shown to her.
    """
    ALTER TABLE queue ADD COLUMN posted_at TEXT;
    ALTER TABLE queue ADD COLUMN answer_format TEXT;
    UPDATE queue SET posted_at = created_at WHERE status != 'pending';
    CREATE INDEX queue_unposted ON queue (created_at) WHERE posted_at IS NULL;
    CREATE TABLE review_posts (
        review_chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (review_chat_id, message_id)
    );
    CREATE INDEX review_posts_item ON review_posts (item_id);
    CREATE TABLE review_prompts (
        user_id INTEGER NOT NULL,
        review_chat_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        mode TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, review_chat_id)
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('reader_salt', lower(hex(randomblob(16))));
    """,
    # 6: knowledge proposals (bot/proposals/service.py). alternates.source: 'tap' (a reader picked a
    # suggested question) or 'link' (the doctor's "It's entry…"); rows from before are 'link'
    # when a queue item was answered with that entry in those words. `proposals` keeps one row
    # per phrasing (kind, target, norm: the normalised text) so that ids stay stable and a
    # decision sticks; what it stands for (how many readers, from where) is always read from
    # the readers' own rows, so /forget and retention take a phrasing with them unless it was
    # accepted (then it lives in the knowledge files). target: the entry an alternate joins,
    # '' for a new entry; entry_id: that entry, or the id a new entry was written with.
    """
    ALTER TABLE alternates ADD COLUMN source TEXT NOT NULL DEFAULT 'tap';
    UPDATE alternates SET source = 'link' WHERE EXISTS (
        SELECT 1 FROM queue q WHERE q.chat_id = alternates.chat_id
        AND q.entry_id = alternates.entry_id AND q.answered_via = 'entry'
        AND q.text = alternates.text
    );
    CREATE TABLE proposals (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('alternate', 'entry')),
        target TEXT NOT NULL,
        norm TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
        created_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        entry_id TEXT,
        file TEXT
    );
    CREATE UNIQUE INDEX proposals_key ON proposals (kind, target, norm);
    CREATE INDEX proposals_state ON proposals (state);
    """,
    # 7: no reader left hanging. `held`: a question shown choices ("Did you mean…", "I think
    # you're asking…") waits here for the reader; a tap on an offered answer settles it, "ask
    # the doctor" or the grace period (`due`, Unix seconds: compared as numbers) queues it.
    # queue.choices: the questions the reader was offered (one a line), so the doctor sees
    # what did not fit; queue.part: the part(s) of a several-question message that no entry
    # answered (one a line), marked inside the whole message the queue item now carries.
    """
    CREATE TABLE held (
        question_id INTEGER PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
        chat_id INTEGER NOT NULL,
        choices TEXT NOT NULL,
        due REAL NOT NULL
    );
    CREATE INDEX held_due ON held (due);
    CREATE INDEX held_chat ON held (chat_id);
    ALTER TABLE queue ADD COLUMN choices TEXT;
    ALTER TABLE queue ADD COLUMN part TEXT;
    """,
    # 8: the conversation (bot/understanding/followup.py, bot/conversation/inline.py). conversations: per chat, the last
    # question answered and its entry, so a short follow-up ("and for lips?") is read in its
    # context for a few minutes; one row per chat, replaced, deleted by /forget and pruned
    # within a day. questions.context and queue.context: the question a follow-up came after,
    # for the doctor (also when it is queued later, from "ask the doctor"). counters: per
    # hour, how many inline queries came and how many cards were sent from them, for /stats;
    # no reader's id or words (inline mode stores nothing else).
    """
    CREATE TABLE conversations (
        chat_id INTEGER PRIMARY KEY,
        question TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    ALTER TABLE questions ADD COLUMN context TEXT;
    ALTER TABLE queue ADD COLUMN context TEXT;
    CREATE TABLE counters (
        hour TEXT NOT NULL,
        name TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (hour, name)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Bring the database to SCHEMA_VERSION; refuse one made by a newer program."""
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {path} has schema version {version}, newer than this "
            f"program's {SCHEMA_VERSION}: upgrade ExpertBot"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[number - 1]
        await db.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
