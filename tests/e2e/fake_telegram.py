"""A fake Telegram Bot API server for end-to-end tests.

Why: the bot must be tested over the real HTTP protocol (python-telegram-bot talks to
``{base_url}{token}/{method}``), and the fake must reject what Telegram rejects (bad HTML,
over-long text, over-long ``callback_data``...) so tests catch what production would.

Usage (in an async test, same event loop)::

    async with FakeTelegram(token="123:ABC") as tg:
        # run the bot with base_url=tg.base_url (or env TELEGRAM_API_URL=tg.base_url)
        tg.send_text(42, "/start")
        [reply] = await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == 42)

Deliberate choices (see the docstrings for details):

- A bare ``&`` that is not a valid entity is rejected in HTML mode (``strict_ampersand``);
  real Telegram keeps it literally, but correctly escaped output never contains one.
- Text length is counted in code points after HTML parsing (Telegram: "1-4096 characters
  after entities parsing"); the returned text is not whitespace-trimmed.
- ``wait_for`` / ``sent_to`` only count successful calls by default: a message Telegram
  rejected was never delivered, so it must not satisfy "the reader got a reply".
- Inline mode: ``FakeTelegram(inline_mode=True)`` is a bot with /setinline done
  (``supports_inline_queries``; ``inline_feedback=True`` adds /setinlinefeedback);
  ``send_inline_query`` injects what a user types, ``answerInlineQuery`` is checked like
  Telegram (query id, ≤ 50 results, ids ≤ 64 bytes and unique, each message's text and
  keyboard), and ``choose_inline_result`` plays the user picking a result: the message appears
  in the chosen chat "via" the bot (delivered to the bot only in its own private chat), then a
  ``chosen_inline_result`` update when feedback is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "TEXT_LIMIT",
    "Call",
    "FakeTelegram",
    "HTMLParseError",
    "parse_html",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024  # bytes: Telegram's limit for a photo uploaded with sendPhoto
PHOTO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG
CALLBACK_DATA_LIMIT = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Parameters that are plain strings in the Bot API: PTB sends them raw (not JSON-encoded), so
# they must never be JSON-decoded (a text "42" must stay the string "42").
_STRING_PARAMS = frozenset(
    {
        "text",
        "parse_mode",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "action",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "ip_address",
        "description",
        "short_description",
        "name",
        "emoji",
        "query",
        "message_effect_id",
        "inline_query_id",
        "next_offset",
    }
)
INLINE_RESULTS_LIMIT = 50  # results in one answerInlineQuery
INLINE_RESULT_ID_LIMIT = 64  # bytes

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update kinds Telegram withholds unless explicitly listed in allowed_updates.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------- HTML entities


class HTMLParseError(ValueError):
    """Telegram's "can't parse entities" error (the message is Telegram's wording)."""


# Tag name -> entity type. Telegram supports exactly these tags in parse_mode=HTML.
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``pos``; only the forms Telegram accepts. None if invalid."""
    match = _ENTITY_RE.match(source, pos)
    if match is None:
        return None
    if match[1]:
        return _NAMED_ENTITIES[match[1]], match.end()
    code = int(match[2]) if match[2] else int(match[3], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_attribute(raw: str) -> str:
    """Attribute values may contain entities; unknown ones are kept literally."""
    out: list[str] = []
    pos = 0
    while pos < len(raw):
        decoded = _decode_entity(raw, pos) if raw[pos] == "&" else None
        if decoded is None:
            out.append(raw[pos])
            pos += 1
        else:
            out.append(decoded[0])
            pos = decoded[1]
    return "".join(out)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    byte_offset: int
    start: int  # UTF-16 offset in the output text
    language: str | None = None


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (plain text, entities), or raise HTMLParseError.

    Follows TDLib's parser: only supported tags, properly nested and closed; ``<`` must be
    escaped; entities are ``&lt; &gt; &amp; &quot;`` and numeric ones. Entity offsets and
    lengths are in UTF-16 code units, like Telegram's.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    pos, size = 0, len(source)

    def byte_offset(at: int) -> int:
        return len(source[:at].encode("utf-8"))

    while pos < size:
        char = source[pos]
        if char == "&":
            decoded = _decode_entity(source, pos)
            if decoded is not None:
                out.append(decoded[0])
                out_len += _utf16_len(decoded[0])
                pos = decoded[1]
                continue
            if strict_ampersand:
                raise HTMLParseError(
                    f'Unescaped "&" at byte offset {byte_offset(pos)}: use "&amp;"'
                )
        if char != "<":
            out.append(char)
            out_len += _utf16_len(char)
            pos += 1
            continue

        begin = pos
        if source.startswith("</", pos):
            end = source.find(">", pos)
            if end == -1:
                raise HTMLParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            name = source[pos + 2 : end].strip().lower()
            if not stack:
                raise HTMLParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            tag = stack.pop()
            if name != tag.name:
                raise HTMLParseError(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{tag.name}>", found "</{name}>"'
                )
            pos = end + 1
            _close_tag(tag, stack, entities, out_len)
            continue

        pos += 1
        while pos < size and not source[pos].isspace() and source[pos] != ">":
            pos += 1
        if pos >= size:
            raise HTMLParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = source[begin + 1 : pos].lower()
        if name not in _TAG_ENTITY:
            raise HTMLParseError(
                f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while pos < size and source[pos].isspace():
                pos += 1
            if pos >= size:
                raise HTMLParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if source[pos] == ">":
                pos += 1
                break
            attr_start = pos
            while pos < size and (source[pos].isalnum() or source[pos] in "-_"):
                pos += 1
            if pos == attr_start:
                raise HTMLParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}'
                )
            attr = source[attr_start:pos].lower()
            while pos < size and source[pos].isspace():
                pos += 1
            value = ""
            if pos < size and source[pos] == "=":
                pos += 1
                while pos < size and source[pos].isspace():
                    pos += 1
                if pos >= size:
                    raise HTMLParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                quote = source[pos]
                if quote in "\"'":
                    end = source.find(quote, pos + 1)
                    if end == -1:
                        raise HTMLParseError(
                            f"Unclosed start tag at byte offset {byte_offset(begin)}"
                        )
                    raw, pos = source[pos + 1 : end], end + 1
                else:
                    value_start = pos
                    while pos < size and not source[pos].isspace() and source[pos] != ">":
                        pos += 1
                    raw = source[value_start:pos]
                value = _decode_attribute(raw)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HTMLParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HTMLParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_offset(begin)}'
            )
        stack.append(_OpenTag(name, attrs, byte_offset(begin), out_len))

    if stack:
        raise HTMLParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_tag(
    tag: _OpenTag, stack: list[_OpenTag], entities: list[dict[str, Any]], end: int
) -> None:
    """Turn a closed tag into a Telegram MessageEntity (pre+code → pre with language)."""
    kind = _TAG_ENTITY[tag.name]
    if kind == "code" and stack and stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
            return
    if end == tag.start:
        return
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": end - tag.start}
    if kind == "text_link":
        if "href" not in tag.attrs:
            return
        entity["url"] = tag.attrs["href"]
    elif kind == "pre" and tag.language:
        entity["language"] = tag.language
    elif kind == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    entities.append(entity)


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Call:
    """One API call the bot made. ``time`` is ``time.monotonic()`` at arrival."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    result: Any = None
    description: str | None = None
    fault: str | None = None  # fail_next mode that answered this call, if any
    response_lost: bool = False  # handled (e.g. delivered), but the client never got the answer

    @property
    def ok(self) -> bool:
        """True if Telegram would have accepted the call (so e.g. the message was delivered)."""
        return self.status == HTTPStatus.OK and self.fault is None

    @property
    def text(self) -> str | None:
        """The delivered text (HTML stripped) if known, else the raw ``text`` parameter."""
        if isinstance(self.result, dict) and "text" in self.result:
            return self.result["text"]
        return self.params.get("text")

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"{self.fault or self.status} {self.description or ''}"
        text = self.params.get("text")
        shown = f" text={text[:60]!r}" if isinstance(text, str) else ""
        chat = f" chat_id={self.params['chat_id']}" if "chat_id" in self.params else ""
        return f"{self.method}{chat}{shown} -> {outcome.strip()}"


class _ApiError(Exception):
    """An error response in Telegram's shape."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(what: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {what}")


@dataclass
class _Fault:
    mode: int | str
    times: int
    retry_after: int
    description: str | None


class _Signal:
    """Broadcast "something changed": waiters grab the current Event, notify() swaps it.

    Lets synchronous code (send_text) wake async waiters without a lock, and never sleeps.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            if condition():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


def _decode_value(key: str, value: Any) -> Any:
    """Undo PTB's form encoding: non-string parameters arrive JSON-encoded."""
    if key in _STRING_PARAMS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _norm_chat_id(chat_id: Any) -> int | str:
    if isinstance(chat_id, bool):
        return str(chat_id)
    if isinstance(chat_id, int):
        return chat_id
    try:
        return int(str(chat_id))
    except ValueError:
        return str(chat_id)


def _chat_type(chat_id: int | str) -> str:
    if isinstance(chat_id, str):
        return "channel"
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """A fake Bot API server on 127.0.0.1 with a test-side API to inject updates and inspect calls.

    Args:
        token: the only token accepted; others get 401 (malformed ones 404), like Telegram.
        bot_username / bot_first_name: what getMe returns (PTB needs a username for commands).
        strict_ampersand: reject a bare ``&`` in HTML (stricter than Telegram, on purpose).
        strict_chats: reject sending to chats that never wrote to the bot ("chat not found").
        first_update_id: update ids start here and increase by one.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        bot_username: str = "ExpertTestBot",
        bot_first_name: str = "ExpertBot",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
        first_update_id: int = 100,
        port: int = 0,
        inline_mode: bool = False,
        inline_feedback: bool = False,
    ) -> None:
        self.token = token
        self.strict_ampersand = strict_ampersand
        self.strict_chats = strict_chats
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": inline_mode,
        }
        self.inline_feedback = inline_feedback
        # inline query id -> (user id, query, the results the bot answered, or None)
        self.inline_queries: dict[str, tuple[int, str, list[dict[str, Any]] | None]] = {}
        self._port = port
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._closing = False
        self._closed = asyncio.Event()

        self._calls: list[Call] = []
        self._calls_signal = _Signal()
        self._updates: list[dict[str, Any]] = []
        self._updates_signal = _Signal()
        self._next_update_id = first_update_id
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._waiting_polls = 0

        self._chats: dict[int | str, dict[str, Any]] = {}
        self._messages: dict[int | str, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int | str, int] = {}
        self._callback_ids: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        # users who blocked the bot: sending to them fails with 403, as in Telegram
        self.blocked: set[int | str] = set()
        # photos uploaded with sendPhoto (multipart), per chat: the file's bytes, in order
        self.photos: dict[int | str, list[bytes]] = {}

        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "getChat": self._get_chat,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": self._true,
            "logOut": self._true,
        }
        # Telegram method names are case-insensitive.
        self._method_names = {name.lower(): name for name in self._handlers}

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind to 127.0.0.1 on a free port (or the given one) and serve."""
        app = web.Application(client_max_size=PHOTO_LIMIT + 1024 * 1024)  # photos fit
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: when a client gives up (timeout, killed bot), stop its handler
        # so a dead long poll never lingers. Short shutdown: nothing is worth waiting for.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Wake pending long polls and hung requests, then shut the server down."""
        self._closing = True
        self._closed.set()
        self._updates_signal.notify()
        self._calls_signal.notify()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` (or env TELEGRAM_API_URL) takes: the token is appended."""
        return f"http://127.0.0.1:{self._port}/bot"

    # ----------------------------------------------------------------- test API: updates

    def send_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        *,
        reply_to: int | dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Inject a text message from a user; returns its update_id."""
        update = self.make_text_update(chat_id, text, user_id, reply_to=reply_to, entities=entities)
        return self.send_update(update)

    def send_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        user_id: int | None = None,
        *,
        check: bool = True,
    ) -> int:
        """Inject a button tap on ``message_id``; returns its update_id.

        The callback query id is ``f"cq-{update_id}"``. With ``check``, a tap on a known
        message whose keyboard has no such button raises ValueError: a user can't do that.
        """
        return self.send_update(
            self.make_callback_update(chat_id, data, message_id, user_id, check=check)
        )

    def send_update(self, update: dict[str, Any]) -> int:
        """Inject an arbitrary update (photo, sticker, edited_message, group message...).

        ``update_id`` is assigned if missing. Messages in it become known to the fake, so
        the bot can reply to them and callbacks can reference them.
        """
        update = self._with_update_id(update)
        self._absorb(update)
        self._updates.append(update)
        self._updates.sort(key=lambda u: u["update_id"])
        self._updates_signal.notify()
        return update["update_id"]

    def make_text_update(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        *,
        reply_to: int | dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Build (without injecting) a message update, e.g. for post_webhook."""
        user = self.user(chat_id if user_id is None else user_id)
        message: dict[str, Any] = {
            "message_id": self._allocate_message_id(chat_id),
            "from": user,
            "chat": self._chat_from_user(chat_id, user),
            "date": int(time.time()),
            "text": text,
        }
        if entities is None:
            command = _COMMAND_RE.match(text)
            if command:
                entities = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            if isinstance(reply_to, dict):
                message["reply_to_message"] = reply_to
            else:
                message["reply_to_message"] = self._message_or_stub(chat_id, reply_to)
        return {"update_id": self._allocate_update_id(), "message": message}

    def make_callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        user_id: int | None = None,
        *,
        check: bool = True,
    ) -> dict[str, Any]:
        """Build (without injecting) a callback_query update."""
        known = self._messages.get(_norm_chat_id(chat_id), {}).get(message_id)
        if check and known is not None:
            buttons = [
                button.get("callback_data")
                for row in (known.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in buttons:
                raise ValueError(
                    f"message {message_id} in chat {chat_id} has no button with "
                    f"callback_data={data!r}; it has {buttons}"
                )
        update_id = self._allocate_update_id()
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cq-{update_id}",
                "from": self.user(chat_id if user_id is None else user_id),
                "message": self._message_or_stub(chat_id, message_id),
                "chat_instance": f"ci{chat_id}",
                "data": data,
            },
        }

    def send_inline_query(self, user_id: int, query: str) -> str:
        """A user types `@bot query` in some chat; returns the inline query's id. Telegram
        sends these only to a bot with inline mode on (BotFather's /setinline)."""
        if not self.bot_user["supports_inline_queries"]:
            raise ValueError("inline mode is off for this bot: FakeTelegram(inline_mode=True)")
        update_id = self._allocate_update_id()
        query_id = f"iq-{update_id}"
        self.inline_queries[query_id] = (user_id, query, None)
        inline = {"id": query_id, "from": self.user(user_id), "query": query, "offset": ""}
        self.send_update({"update_id": update_id, "inline_query": inline})
        return query_id

    def choose_inline_result(
        self, query_id: str, result_id: str, chat_id: int | str
    ) -> dict[str, Any]:
        """The user picks one of the results the bot answered, in chat `chat_id`: returns the
        message that appears there (sent by the user, "via" the bot). It reaches the bot as an
        update only in the bot's private chat with that user; with inline feedback on, the
        bot then gets a `chosen_inline_result`."""
        user_id, query, results = self.inline_queries[query_id]
        if results is None:
            raise ValueError(f"the bot has not answered inline query {query_id}")
        result = next(r for r in results if r["id"] == result_id)
        content = result["input_message_content"]
        plain, entities = self._render_text(
            {"text": content["message_text"], "parse_mode": content.get("parse_mode")}
        )
        user = self.user(user_id)
        message: dict[str, Any] = {
            "message_id": self._allocate_message_id(chat_id),
            "from": user,
            "chat": self._chat_from_user(chat_id, user),
            "date": int(time.time()),
            "text": plain,
            "via_bot": dict(self.bot_user),
        }
        if entities:
            message["entities"] = entities
        if result.get("reply_markup"):
            message["reply_markup"] = copy.deepcopy(result["reply_markup"])
        if _norm_chat_id(chat_id) == user_id:  # the bot's own chat with this user
            self.send_update({"message": message})
        else:
            self._store_message(_norm_chat_id(chat_id), message)
        if self.inline_feedback:
            chosen = {"result_id": result_id, "from": user, "query": query}
            self.send_update({"chosen_inline_result": chosen})
        return copy.deepcopy(message)

    def user(self, user_id: int) -> dict[str, Any]:
        """The User object the fake uses for a given id."""
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "username": f"user{user_id}",
            "language_code": "en",
        }

    async def post_webhook(
        self, url: str, update: dict[str, Any], secret: str | None, *, timeout: float = 10.0
    ) -> int:
        """Act as Telegram in webhook mode: POST the update as JSON; returns the HTTP status."""
        update = self._with_update_id(update)
        self._absorb(update)
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if self._session is None:
            self._session = ClientSession()
        async with self._session.post(
            url, json=update, headers=headers, timeout=ClientTimeout(total=timeout)
        ) as response:
            await response.read()
            return response.status

    # ----------------------------------------------------------------- test API: inspection

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded call (including rejected ones), optionally for one method."""
        return [c for c in self._calls if method is None or c.method == method]

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Successful sendMessage calls to a chat: what the user actually received."""
        target = _norm_chat_id(chat_id)
        return [
            c
            for c in self._calls
            if c.method == "sendMessage"
            and c.ok
            and _norm_chat_id(c.params.get("chat_id")) == target
        ]

    def photos_to(self, chat_id: int | str) -> list[Call]:
        """Successful sendPhoto calls to a chat (the bytes are in ``photos[chat_id]``)."""
        target = _norm_chat_id(chat_id)
        return [
            c
            for c in self._calls
            if c.method == "sendPhoto" and c.ok and _norm_chat_id(c.params.get("chat_id")) == target
        ]

    def rejected(self) -> list[Call]:
        """Calls Telegram would have refused (4xx/5xx or injected faults)."""
        return [c for c in self._calls if not c.ok]

    def clear_calls(self) -> None:
        """Forget recorded calls, e.g. between phases of a conversation."""
        self._calls.clear()

    def messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Current state of the chat (user and bot messages, after edits/deletes), by id."""
        chat = self._messages.get(_norm_chat_id(chat_id), {})
        return [copy.deepcopy(chat[i]) for i in sorted(chat)]

    async def wait_for(
        self,
        method: str | None,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 10,
        *,
        include_failed: bool = False,
    ) -> list[Call]:
        """Wait until at least ``count`` matching calls were recorded; returns all matching.

        Only successful calls match unless ``include_failed``. Raises TimeoutError listing
        the recent calls, so a failing test shows what the bot did instead.
        """

        def matching() -> list[Call]:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method)
                and (include_failed or c.ok)
                and (predicate is None or predicate(c))
            ]

        if not await self._calls_signal.wait_until(lambda: len(matching()) >= count, timeout):
            recent = "\n  ".join(str(c) for c in self._calls[-20:]) or "(none)"
            raise TimeoutError(
                f"waited {timeout}s for {count} {method or 'any'} call(s), got "
                f"{len(matching())}; recent calls:\n  {recent}"
            )
        return matching()

    async def wait_until_polling(self, timeout: float = 10) -> None:
        """Wait until a getUpdates long poll is pending (the bot is up and listening)."""
        if not await self._updates_signal.wait_until(lambda: self._waiting_polls > 0, timeout):
            raise TimeoutError(f"no getUpdates long poll within {timeout}s")

    @property
    def confirmed_offset(self) -> int:
        """Highest offset acknowledged by getUpdates (0 if none yet)."""
        return self._confirmed_offset

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._updates)

    def fail_next(
        self,
        method: str,
        status: int | str = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``status``: an HTTP status (429 adds ``parameters.retry_after``; 502 answers nginx's
        HTML page like Telegram's front does), or a mode: ``"malformed"`` (200 with invalid
        JSON), ``"timeout"`` (never answers; the client times out), ``"reset"`` (the
        connection is closed without a response). None of these handles the call: a message
        is not delivered. ``"lost"`` is the other case of a timeout: the call is handled (the
        message is delivered, recorded as a successful call with ``response_lost``), but the
        answer never reaches the client, which times out — a retry then delivers it twice.
        """
        if isinstance(status, str) and status not in ("malformed", "timeout", "reset", "lost"):
            raise ValueError(f"unknown fault mode {status!r}")
        name = self._method_names.get(method.lower(), method)
        self._faults.setdefault(name, []).append(_Fault(status, times, retry_after, description))

    def clear_faults(self, method: str | None = None) -> int:
        """Drop the faults not yet used (of one method, or all): an outage ends. Returns how
        many calls would still have failed."""
        names = [self._method_names.get(method.lower(), method)] if method else list(self._faults)
        left = 0
        for name in names:
            left += sum(fault.times for fault in self._faults.pop(name, []))
        return left

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower(), raw_method)
        try:
            params = await self._read_params(request)
        except ValueError:
            return self._respond(Call(method, {}, arrival), _bad_request("can't parse JSON"))

        token = request.match_info["token"]
        if not _TOKEN_RE.fullmatch(token):
            return self._respond(Call(method, params, arrival), _ApiError(404, "Not Found"))
        if token != self.token:
            return self._respond(Call(method, params, arrival), _ApiError(401, "Unauthorized"))

        fault = self._take_fault(method)
        if fault is not None and fault.mode != "lost":
            return await self._apply_fault(request, Call(method, params, arrival), fault)

        handler = self._handlers.get(method)
        if handler is None:
            error = _ApiError(404, "Not Found: method not found")
            return self._respond(Call(method, params, arrival), error)
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except _ApiError as error:
            return self._respond(Call(method, params, arrival), error)
        if fault is not None:  # "lost": handled, but the answer never leaves
            delivered = Call(method, params, arrival, 200, copy.deepcopy(result))
            self._record(dataclasses.replace(delivered, response_lost=True))
            await self._closed.wait()
            raise asyncio.CancelledError
        return self._respond(Call(method, params, arrival), result=result)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Query string + form/multipart/JSON body, with JSON-encoded values decoded."""
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        content = value.file.read()
                        params[key] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "size": len(content),
                            "content": content,
                        }
                    else:
                        params[key] = value
        return {key: _decode_value(key, value) for key, value in params.items()}

    def _respond(
        self, call: Call, error: _ApiError | None = None, *, result: Any = None
    ) -> web.Response:
        """Record the call and answer in Telegram's envelope."""
        if error is None:
            body: dict[str, Any] = {"ok": True, "result": result}
            self._record(Call(call.method, call.params, call.time, 200, copy.deepcopy(result)))
            return web.json_response(body)
        body = {"ok": False, "error_code": error.status, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        self._record(
            Call(call.method, call.params, call.time, error.status, description=error.description)
        )
        return web.json_response(body, status=error.status)

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._calls_signal.notify()

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    async def _apply_fault(
        self, request: web.Request, call: Call, fault: _Fault
    ) -> web.StreamResponse:
        mode = fault.mode
        if isinstance(mode, int):
            if mode == HTTPStatus.BAD_GATEWAY and fault.description is None:
                self._record(Call(call.method, call.params, call.time, 502, fault="502"))
                return web.Response(status=502, text=_NGINX_502, content_type="text/html")
            parameters = {"retry_after": fault.retry_after} if mode == 429 else None
            return self._respond(
                call, _ApiError(mode, fault.description or _describe(mode, fault), parameters)
            )
        self._record(Call(call.method, call.params, call.time, 0, fault=mode))
        if mode == "malformed":
            return web.Response(
                status=200, body=b'{"ok": true, "result": {', content_type="application/json"
            )
        if mode == "reset":
            if request.transport is not None:
                request.transport.abort()
            # Nothing can be sent any more; cancel the handler so aiohttp just drops it.
            raise asyncio.CancelledError
        # "timeout": hang until the client gives up (handler cancelled) or the server stops.
        await self._closed.wait()
        raise asyncio.CancelledError

    # ----------------------------------------------------------------- state helpers

    def _allocate_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _with_update_id(self, update: dict[str, Any]) -> dict[str, Any]:
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._allocate_update_id()
        else:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        return update

    def _allocate_message_id(self, chat_id: int | str) -> int:
        """Message ids increase per chat, shared by the user's and the bot's messages."""
        key = _norm_chat_id(chat_id)
        self._last_message_id[key] = self._last_message_id.get(key, 0) + 1
        return self._last_message_id[key]

    def _chat_from_user(self, chat_id: int | str, user: dict[str, Any]) -> dict[str, Any]:
        key = _norm_chat_id(chat_id)
        if key in self._chats:
            return copy.deepcopy(self._chats[key])
        kind = _chat_type(key)
        if kind == "private":
            return {"id": key, "type": "private", "first_name": user["first_name"]}
        return {"id": key, "type": kind, "title": f"Chat {key}"}

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if chat_id in self._chats:
            return copy.deepcopy(self._chats[chat_id])
        if self.strict_chats:
            raise _bad_request("chat not found")
        if isinstance(chat_id, int) and chat_id > 0:
            return self._chat_from_user(chat_id, self.user(chat_id))
        return self._chat_from_user(chat_id, {"first_name": ""})

    def _absorb(self, update: dict[str, Any]) -> None:
        """Remember chats, messages and callback ids an update brings to the fake's world."""
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(kind)
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat_id = _norm_chat_id(message["chat"]["id"])
                self._chats.setdefault(chat_id, copy.deepcopy(message["chat"]))
                if "message_id" in message:
                    self._store_message(chat_id, message)
        callback = update.get("callback_query")
        if isinstance(callback, dict) and "id" in callback:
            self._callback_ids.add(str(callback["id"]))

    def _store_message(self, chat_id: int | str, message: dict[str, Any]) -> None:
        message_id = int(message["message_id"])
        self._messages.setdefault(chat_id, {})[message_id] = copy.deepcopy(message)
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), message_id)

    def _message_or_stub(self, chat_id: int | str, message_id: int) -> dict[str, Any]:
        key = _norm_chat_id(chat_id)
        known = self._messages.get(key, {}).get(message_id)
        if known is not None:
            return copy.deepcopy(known)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat_from_user(key, self.user(key) if isinstance(key, int) else {}),
            "from": self.bot_user,
        }

    def _deliverable(self) -> list[dict[str, Any]]:
        """Pending updates of allowed kinds; others are dropped, as Telegram never creates them."""

        def allowed(update: dict[str, Any]) -> bool:
            kind = next((k for k in update if k != "update_id"), "")
            if self._allowed_updates:
                return kind in self._allowed_updates
            return kind not in _DEFAULT_EXCLUDED_UPDATES

        self._updates = [u for u in self._updates if allowed(u)]
        return list(self._updates)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0:
            self._updates = self._updates[offset:]
            if self._updates:
                first = self._updates[0]["update_id"]
                self._confirmed_offset = max(self._confirmed_offset, first)

    # ----------------------------------------------------------------- validation

    def _require_chat_id(self, params: Mapping[str, Any]) -> int | str:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        return _norm_chat_id(chat_id)

    def _render_text(self, params: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Validate text + parse_mode like Telegram; returns (plain text, entities)."""
        text = params.get("text")
        if text is None or text == "":
            raise _bad_request("message text is empty")
        text = str(text)
        parse_mode = str(params.get("parse_mode") or "").lower()
        if parse_mode == "html":
            try:
                plain, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
            except HTMLParseError as error:
                raise _bad_request(f"can't parse entities: {error}") from None
        elif parse_mode in ("", "markdown", "markdownv2"):
            plain = text
            given = params.get("entities")
            entities = list(given) if isinstance(given, list) else []
        else:
            raise _bad_request("unsupported parse_mode")
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > TEXT_LIMIT:
            raise _bad_request("message is too long")
        return plain, entities

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; returns it if it is an inline keyboard (kept on the message)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not _INLINE_BUTTON_ACTIONS & button.keys():
                    raise _bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and len(str(data).encode("utf-8")) > CALLBACK_DATA_LIMIT:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _editable(self, params: Mapping[str, Any]) -> dict[str, Any]:
        chat_id = self._require_chat_id(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._messages.get(chat_id, {}).get(int(message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return message

    # ----------------------------------------------------------------- methods

    def _true(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise _bad_request("wrong parameter in getUpdates") from None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self._confirm(offset)
        # A newer getUpdates terminates an older pending one, like Telegram (409 Conflict).
        self._poll_generation += 1
        generation = self._poll_generation
        self._waiting_polls += 1
        self._updates_signal.notify()
        try:
            await self._updates_signal.wait_until(
                lambda: (
                    self._closing
                    or generation != self._poll_generation
                    or bool(self._deliverable())
                ),
                timeout,
            )
        finally:
            self._waiting_polls -= 1
        if generation != self._poll_generation and not self._closing:
            raise _ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return copy.deepcopy(self._deliverable()[:limit])

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """Only chats that wrote to the bot exist for it (a user who never opened a chat
        with the bot is "chat not found", like in Telegram)."""
        chat_id = self._require_chat_id(params)
        if chat_id not in self._chats:
            raise _bad_request("chat not found")
        # a ChatFullInfo: the chat plus the fields Telegram always sends with it
        return copy.deepcopy(self._chats[chat_id]) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
        }

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._require_chat_id(params)
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chat(chat_id)
        plain, entities = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat_id, params)
        message: dict[str, Any] = {
            "message_id": self._allocate_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(time.time()),
            "text": plain,
        }
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._store_message(chat_id, message)
        return copy.deepcopy(message)

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo uploaded in a multipart body (a file_id or URL is not accepted here: the bot
        only uploads). Rejected like Telegram: no file, not an image, over 10 MB, a caption
        over 1,024 characters."""
        chat_id = self._require_chat_id(params)
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chat(chat_id)
        photo = params.get("photo")
        if not isinstance(photo, dict) or "content" not in photo:
            raise _bad_request("there is no photo in the request")
        content: bytes = photo["content"]
        if not content.startswith(PHOTO_SIGNATURES):
            raise _bad_request("IMAGE_PROCESS_FAILED")
        if len(content) > PHOTO_LIMIT:
            raise _ApiError(413, "Request Entity Too Large")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > CAPTION_LIMIT:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        message: dict[str, Any] = {
            "message_id": self._allocate_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(time.time()),
            "photo": [
                {
                    "file_id": f"photo-{chat_id}-{len(self.photos.get(chat_id, []))}",
                    "file_unique_id": f"u{len(content)}",
                    "width": 1100,
                    "height": 850,
                    "file_size": len(content),
                }
            ],
        }
        if caption:
            message["caption"] = str(caption)
        if markup is not None:
            message["reply_markup"] = markup
        self._store_message(chat_id, message)
        self.photos.setdefault(chat_id, []).append(content)
        return copy.deepcopy(message)

    def _reply_target(self, chat_id: int | str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Resolve reply_parameters / reply_to_message_id; unknown targets fail like Telegram."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target, lenient = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
        else:
            target = params.get("reply_to_message_id")
            lenient = bool(params.get("allow_sending_without_reply"))
        if target is None:
            return None
        message = self._messages.get(chat_id, {}).get(int(target))
        if message is None and not lenient:
            raise _bad_request("message to be replied not found")
        if message is None:
            return None
        reply_copy = copy.deepcopy(message)
        reply_copy.pop("reply_to_message", None)
        return reply_copy

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            self._render_text(params)
            self._check_markup(params.get("reply_markup"))
            return True
        message = self._editable(params)
        plain, entities = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        if (
            plain == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        message["text"] = plain
        message["edit_date"] = int(time.time())
        _set_or_pop(message, "entities", entities or None)
        _set_or_pop(message, "reply_markup", markup)  # no reply_markup removes the keyboard
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            self._check_markup(params.get("reply_markup"))
            return True
        message = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        message["edit_date"] = int(time.time())
        _set_or_pop(message, "reply_markup", markup)
        return copy.deepcopy(message)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._require_chat_id(params)
        message_id = params.get("message_id")
        chat = self._messages.get(chat_id, {})
        if message_id is None or int(message_id) not in chat:
            raise _bad_request("message to delete not found")
        del chat[int(message_id)]
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if str(params.get("callback_query_id")) not in self._callback_ids:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        """Checked like Telegram: a known, unanswered query; at most 50 results with unique
        ids of 1-64 bytes; each a titled article whose message text and keyboard are valid."""
        query_id = str(params.get("inline_query_id"))
        known = self.inline_queries.get(query_id)
        if known is None or known[2] is not None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > INLINE_RESULTS_LIMIT:
            raise _bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", "")) if isinstance(result, dict) else ""
            if not 1 <= len(result_id.encode("utf-8")) <= INLINE_RESULT_ID_LIMIT:
                raise _bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result.get("type") != "article" or not str(result.get("title", "")).strip():
                raise _bad_request("RESULT_TYPE_INVALID or empty title")
            content = result.get("input_message_content")
            if not isinstance(content, dict) or "message_text" not in content:
                raise _bad_request("MESSAGE_EMPTY")
            self._render_text(
                {"text": content["message_text"], "parse_mode": content.get("parse_mode")}
            )
            self._check_markup(result.get("reply_markup"))
        self.inline_queries[query_id] = (known[0], known[1], copy.deepcopy(results))
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    @staticmethod
    def _commands_key(params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand")
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        port_match = re.match(r"https://[^/:]+:(\d+)", url)
        if port_match and port_match[1] not in ("80", "88", "443", "8443"):
            raise _bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections", 40),
        }
        self._updates_signal.notify()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info


def _set_or_pop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _describe(status: int, fault: _Fault) -> str:
    """Telegram's wording for an injected error status."""
    known = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        429: f"Too Many Requests: retry after {fault.retry_after}",
        500: "Internal Server Error",
    }
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"
