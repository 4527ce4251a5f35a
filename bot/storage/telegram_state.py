"""The Telegram transport's own state: updates already handled (so a re-delivered one is not
answered twice), which queue item each message in a review chat is about, the doctor's open
prompts (her next text answers or searches), and the `meta` table's values: the salt of the
pseudonymous reader labels, when the weekly chart was last sent."""

from __future__ import annotations

import datetime as dt

from bot.storage.db import Database
from bot.storage.errors import now

HANDLED_UPDATES_KEPT = dt.timedelta(days=2)  # Telegram keeps an update for 24 hours


class TelegramState(Database):
    # --- updates ------------------------------------------------------------------------------

    async def update_handled(self, update_id: int) -> bool:
        """Was this Telegram update already handled (see `mark_update_handled`)?"""
        rows = await self._read(
            "the handled updates",
            "SELECT 1 FROM handled_updates WHERE update_id = ?",
            (update_id,),
        )
        return bool(rows)

    async def mark_update_handled(self, update_id: int) -> None:
        await self._write(
            "record the handled update",
            "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
            (update_id, now()),
        )

    async def prune_handled_updates(self, keep: dt.timedelta = HANDLED_UPDATES_KEPT) -> None:
        """Forget old update ids: Telegram re-delivers an update for at most 24 hours."""
        cutoff = (dt.datetime.now(dt.UTC) - keep).isoformat(timespec="seconds")
        await self._write(
            "prune the handled updates",
            "DELETE FROM handled_updates WHERE handled_at < ?",
            (cutoff,),
        )

    # --- the review chat ----------------------------------------------------------------------

    async def add_review_post(
        self, chat_id: int, message_id: int, item_id: int, scope: str
    ) -> None:
        """Remember which queue item a message in a review chat is about, so the doctor's
        Telegram reply to it (even after a restart) reaches the right reader."""
        await self._write(
            "record the review message",
            "INSERT OR REPLACE INTO review_posts (review_chat_id, message_id, item_id, scope,"
            " posted_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, message_id, item_id, scope, now()),
        )

    async def review_post(self, chat_id: int, message_id: int) -> tuple[int, str] | None:
        """(item id, scope) of a message the bot posted in a review chat."""
        rows = await self._read(
            "the review messages",
            "SELECT item_id, scope FROM review_posts WHERE review_chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return (int(rows[0]["item_id"]), str(rows[0]["scope"])) if rows else None

    async def set_prompt(
        self, user_id: int, chat_id: int, item_id: int, scope: str, mode: str
    ) -> None:
        """The doctor tapped Reply (mode 'answer') or It's entry (mode 'search'): her next text
        in this chat is the answer, or words to search the entries for."""
        await self._write(
            "save the doctor's prompt",
            "INSERT OR REPLACE INTO review_prompts (user_id, review_chat_id, item_id, scope,"
            " mode, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, chat_id, item_id, scope, mode, now()),
        )

    async def prompt(self, user_id: int, chat_id: int) -> tuple[int, str, str] | None:
        """(item id, scope, mode) the doctor's next text in this chat is for, if any."""
        rows = await self._read(
            "the doctor's prompt",
            "SELECT item_id, scope, mode FROM review_prompts"
            " WHERE user_id = ? AND review_chat_id = ?",
            (user_id, chat_id),
        )
        if not rows:
            return None
        row = rows[0]
        return int(row["item_id"]), str(row["scope"]), str(row["mode"])

    async def clear_prompt(self, user_id: int, chat_id: int) -> bool:
        changed = await self._write(
            "clear the doctor's prompt",
            "DELETE FROM review_prompts WHERE user_id = ? AND review_chat_id = ?",
            (user_id, chat_id),
        )
        return changed > 0

    async def reader_salt(self) -> str:
        return await self.meta("reader_salt") or ""

    async def meta(self, key: str) -> str | None:
        """A value of the `meta` table (migration 5), or None."""
        rows = await self._read("a setting", "SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(
            "save a setting",
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
