"""An in-process Bot API double for python-telegram-bot: a `BaseRequest` that answers every call
at once with a plausible result and records it, so handler tests run the bot's real path
(`UpdateGate` → `process_update` → handler → service → render → keyboard → the sendMessage
PTB serialises) in the test's own event loop, and a handler bug fails with its traceback.

Uploads (sendPhoto's multipart body) are kept: `photos[chat_id]` lists the bytes per chat.

`fail(method, status, body)` scripts the next answers to a method (a 502, a body that is not
JSON, a 429...), once each, in order.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, RequestData

from bot.telegram.app import RATE_LIMITER_RETRIES

TOKEN = "123456:IN-PROCESS"
BOT_ID = 123456


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    message_id: int = 0  # of the message the call sent or edited
    files: dict[str, bytes] = field(default_factory=dict)  # multipart uploads (sendPhoto)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int:
        return int(self.params.get("chat_id", 0))

    def buttons(self) -> list[dict[str, Any]]:
        """Every button of the message's keyboard, as sent."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = (markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button_data(self) -> list[str]:
        """The callback data of the buttons that have some (not Share's inline switch)."""
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]


class BotApiDouble(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._script: dict[str, list[tuple[int, bytes]]] = {}
        self._ids = itertools.count(1)
        self.photos: dict[int, list[bytes]] = {}  # chat id -> the photos uploaded to it

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 5.0

    def fail(self, method: str, status: int, body: bytes | str) -> None:
        """The next call to `method` gets this answer (then, again, a good one)."""
        raw = body.encode() if isinstance(body, str) else body
        self._script.setdefault(method, []).append((status, raw))

    def sent(self, method: str = "sendMessage") -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = ApiCall(name, params)
        if request_data is not None and request_data.contains_files:
            files = request_data.multipart_data or {}
            call.files = {key: value[1] for key, value in files.items()}
        self.calls.append(call)
        scripted = self._script.get(name)
        if scripted:
            return scripted.pop(0)
        result: object = True
        if name == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Test", "username": "TestBot"}
        elif name in ("sendMessage", "editMessageText"):
            chat_id = int(params.get("chat_id", 1))
            call.message_id = int(params.get("message_id") or next(self._ids))
            result = {
                "message_id": call.message_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test"},
                "text": str(params.get("text", "")),
            }
        elif name == "sendPhoto":
            chat_id = int(params.get("chat_id", 1))
            photo = call.files.get("photo", b"")
            self.photos.setdefault(chat_id, []).append(photo)
            call.message_id = next(self._ids)
            result = {
                "message_id": call.message_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test"},
                "photo": [
                    {
                        "file_id": f"photo{call.message_id}",
                        "file_unique_id": "u",
                        "width": 1100,
                        "height": 850,
                        "file_size": len(photo),
                    }
                ],
                "caption": str(params.get("caption", "")),
            }
        elif name == "getChat":
            result = {"id": int(params.get("chat_id", 1)), "type": "private"}
        elif name == "getUpdates":
            result = []
        return 200, json.dumps({"ok": True, "result": result}).encode()


@asynccontextmanager
async def application(
    api: BotApiDouble, *, rate_limiter: bool = False
) -> AsyncIterator[Application]:
    """An initialised PTB Application whose every Bot API call goes to `api` (with the bot's
    rate limiter, as in production, when asked)."""
    builder = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(BotApiDouble())
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMITER_RETRIES))
    app = builder.updater(None).build()
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


_update_ids = itertools.count(1)
_message_ids = itertools.count(10_000)


def bot_message(sent: ApiCall) -> dict[str, Any]:
    """The message the bot sent in `sent`, as Telegram shows it in a reply to it."""
    return {
        "message_id": sent.message_id,
        "date": 0,
        "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "group"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test"},
        "text": sent.text,
    }


def text_update(app: Application, chat_id: int, text: str, **message: Any) -> Update:
    """A private-chat message from user `chat_id`: `text` (none when empty), and `message`'s
    fields (a photo...)."""
    data = {
        "message_id": next(_message_ids),
        "date": 0,
        "chat": {"id": chat_id, "type": "private", "first_name": "R"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "R"},
        "text": text,
    }
    if not text:
        del data["text"]
    elif text.startswith("/"):
        command = text.split()[0]
        data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    data |= message
    return Update.de_json({"update_id": next(_update_ids), "message": data}, app.bot)


def tap_update(app: Application, user_id: int, data: str, sent: ApiCall) -> Update:
    """A tap on a button of the message the bot sent in `sent` (its chat, its text)."""
    message = bot_message(sent)
    query = {
        "id": str(next(_update_ids)),
        "chat_instance": "1",
        "from": {"id": user_id, "is_bot": False, "first_name": "D"},
        "data": data,
        "message": message,
    }
    return Update.de_json({"update_id": next(_update_ids), "callback_query": query}, app.bot)


def inline_update(app: Application, user_id: int, query: str) -> Update:
    """`@bot query` typed by user `user_id` in some chat (no chat or message in it)."""
    inline = {
        "id": f"iq{next(_update_ids)}",
        "from": {"id": user_id, "is_bot": False, "first_name": "R"},
        "query": query,
        "offset": "",
    }
    return Update.de_json({"update_id": next(_update_ids), "inline_query": inline}, app.bot)


def chosen_update(app: Application, user_id: int, result_id: str, query: str) -> Update:
    """The user picked result `result_id` of inline mode (sent with inline feedback on)."""
    chosen = {
        "result_id": result_id,
        "from": {"id": user_id, "is_bot": False, "first_name": "R"},
        "query": query,
    }
    return Update.de_json({"update_id": next(_update_ids), "chosen_inline_result": chosen}, app.bot)
