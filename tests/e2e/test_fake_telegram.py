"""Tests of the fake Bot API server itself, driven by a real python-telegram-bot ``Bot``.

Why: every e2e test trusts the fake to behave like Telegram; these pin that behaviour down.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from .fake_telegram import SECRET_HEADER, FakeTelegram, parse_html

TOKEN = "123:ABC"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(d[:10] or "x", callback_data=d)] for d in data]
    )


# ------------------------------------------------------------------ identity and tokens


async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123
    assert me.is_bot
    assert me.username == "ExpertTestBot"
    assert tg.base_url.startswith("http://127.0.0.1:") and tg.base_url.endswith("/bot")
    assert [c.method for c in tg.calls()] == ["getMe", "getMe"]  # initialize() + get_me()


async def test_invalid_token_is_rejected(tg: FakeTelegram) -> None:
    for token in ("123:WRONG", "not-a-token"):
        with pytest.raises(InvalidToken):
            async with Bot(token, base_url=tg.base_url):  # getMe; then its connections close
                pass
    assert [c.status for c in tg.calls()] == [401, 404]


async def test_unknown_method_is_404(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})


# ------------------------------------------------------------------ sendMessage validation


async def test_send_message_with_valid_html(tg: FakeTelegram, bot: Bot) -> None:
    html = (
        '<b>Hi</b> &amp; <a href="https://ex.org/?a=1&amp;b=2">link</a> <tg-spoiler>x</tg-spoiler>'
    )
    first = await bot.send_message(42, html, parse_mode="HTML", reply_markup=keyboard("yes", "no"))
    second = await bot.send_message(42, "plain <b> text", link_preview_options=None)

    assert first.text == "Hi & link x"
    assert first.message_id == 1 and second.message_id == 2
    assert first.chat.id == 42 and first.chat.type == "private"
    assert first.from_user.id == 123
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [
        ("bold", 0, 2),
        ("text_link", 5, 4),
        ("spoiler", 10, 1),
    ]
    assert first.entities[1].url == "https://ex.org/?a=1&b=2"
    assert second.text == "plain <b> text"  # no parse_mode: taken literally

    [call, _] = tg.sent_to(42)
    assert call.params["chat_id"] == 42
    assert call.params["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "no"
    assert call.text == "Hi & link x"


@pytest.mark.parametrize(
    "html",
    [
        "<b>unclosed",
        "<b>crossed <i>tags</b></i>",
        "</b>stray end tag",
        "1 < 2",
        "Tom & Jerry",
        "&nbsp;",
        "line<br>break",
        "<span>needs class</span>",
        "<div>block</div>",
        '<a href="x>',
    ],
)
async def test_bad_html_is_rejected(tg: FakeTelegram, bot: Bot, html: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, html, parse_mode="HTML")
    assert tg.sent_to(42) == []
    [rejected] = tg.rejected()
    assert rejected.status == 400
    assert rejected.description.startswith("Bad Request: can't parse entities: ")


async def test_text_limit_counts_after_entity_parsing(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(42, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(42, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML")

    message = await bot.send_message(42, "&amp;" * 4096, parse_mode="HTML")
    assert message.text == "&" * 4096
    message = await bot.send_message(42, "<i>" + "a" * 4096 + "</i>", parse_mode="HTML")
    assert len(message.text) == 4096
    assert len(tg.sent_to(42)) == 2


async def test_empty_text_and_missing_chat_are_rejected(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(42, "<b> </b>", parse_mode="HTML")


async def test_callback_data_limit_is_64_bytes(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(42, "ok", reply_markup=keyboard("a" * 64))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(42, "too long", reply_markup=keyboard("a" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            42, "33 Cyrillic letters are 66 bytes", reply_markup=keyboard("я" * 33)
        )
    assert len(tg.sent_to(42)) == 1


async def test_raw_http_bodies_are_decoded(tg: FakeTelegram) -> None:
    url = f"{tg.base_url}{TOKEN}"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with ClientSession() as http:
        # Form body as PTB sends it: strings raw, everything else JSON-encoded.
        form = {"chat_id": "42", "text": "42", "reply_markup": markup}
        async with http.post(f"{url}/sendMessage", data=form) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "42"
        async with http.post(
            f"{url}/sendMessage", json={"chat_id": 42, "text": "json"}
        ) as response:
            assert (await response.json())["ok"] is True
        async with http.get(f"{url}/sendmessage", params={"text": "no chat"}) as response:
            body = await response.json()
            assert response.status == 400
            assert body == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat_id is empty",
            }
        async with http.post(f"{url}/getUpdates", data={"timeout": "0"}) as response:
            assert await response.json() == {"ok": True, "result": []}
    form_call, json_call = tg.sent_to(42)
    assert form_call.params == {"chat_id": 42, "text": "42", "reply_markup": json.loads(markup)}
    assert json_call.params["text"] == "json"
    assert tg.calls()[2].method == "sendMessage"  # method names are case-insensitive


def test_parse_html_entities_are_utf16() -> None:
    text, entities = parse_html('😀 <b>bold</b> <pre><code class="language-py">x</code></pre>')
    assert text == "😀 bold x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "pre", "offset": 8, "length": 1, "language": "py"},
    ]
    assert parse_html("Tom & Jerry", strict_ampersand=False)[0] == "Tom & Jerry"


# ------------------------------------------------------------------ getUpdates


async def test_get_updates_offsets(tg: FakeTelegram, bot: Bot) -> None:
    first = tg.send_text(42, "/start")
    second = tg.send_text(42, "How much water?", user_id=42)

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[1].message.message_id == 2

    # Not confirmed yet: delivered again.
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert tg.confirmed_offset == second
    assert await bot.get_updates(offset=second + 1) == ()
    assert tg.confirmed_offset == second + 1
    assert tg.pending_updates == []


async def test_long_poll_returns_promptly_when_an_update_arrives(
    tg: FakeTelegram, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await tg.wait_until_polling()
    started = loop.time()
    update_id = tg.send_text(7, "hello")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [update_id]
    assert loop.time() - started < 2


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()


async def test_second_poller_terminates_the_first(tg: FakeTelegram) -> None:
    async with Bot(TOKEN, base_url=tg.base_url) as one, Bot(TOKEN, base_url=tg.base_url) as two:
        first = asyncio.create_task(one.get_updates(timeout=30))
        await tg.wait_until_polling()
        second = asyncio.create_task(two.get_updates(timeout=30))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await asyncio.wait_for(first, 5)
        tg.send_text(1, "hi")
        assert len(await asyncio.wait_for(second, 5)) == 1


# ------------------------------------------------------------------ callbacks and edits


async def test_callback_round_trip_and_edits(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(42, "Pick one", reply_markup=keyboard("yes", "no"))
    update_id = tg.send_callback(42, "yes", sent.message_id)
    with pytest.raises(ValueError, match="no button"):
        tg.send_callback(42, "maybe", sent.message_id)

    [update] = await bot.get_updates()
    assert update.update_id == update_id
    query = update.callback_query
    assert query.data == "yes" and query.message.text == "Pick one"
    assert await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("nonexistent")

    edited = await bot.edit_message_text(
        "You picked <b>yes</b>", 42, sent.message_id, parse_mode="HTML"
    )
    assert edited.text == "You picked yes" and edited.reply_markup is None  # keyboard removed
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("You picked <b>yes</b>", 42, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 42, 999)
    assert tg.messages(42)[-1]["text"] == "You picked yes"


async def test_reply_to_known_message(tg: FakeTelegram, bot: Bot) -> None:
    question = await bot.send_message(99, "Reader asks: is it safe?")
    tg.send_text(99, "Yes, it is.", reply_to=question.message_id)
    [update] = await bot.get_updates()
    assert update.message.reply_to_message.text == "Reader asks: is it safe?"
    assert update.message.message_id == question.message_id + 1
    with pytest.raises(BadRequest, match=r"(?i)replied not found"):
        await bot.send_message(99, "x", reply_to_message_id=12345)


# ------------------------------------------------------------------ faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_raises_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "hi")
    assert "3" in str(caught.value)
    await bot.send_message(42, "hi again")  # only the next call failed
    assert [c.text for c in tg.sent_to(42)] == ["hi again"]
    assert [c.status for c in tg.calls("sendMessage")] == [429, 200]


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        (500, NetworkError),
        (502, NetworkError),
        (403, TelegramError),
        ("malformed", TelegramError),
        ("reset", NetworkError),
        ("timeout", TimedOut),
    ],
)
async def test_fault_modes(tg: FakeTelegram, bot: Bot, mode: int | str, error: type) -> None:
    tg.fail_next("sendMessage", mode, times=2)
    for _ in range(2):
        with pytest.raises(error):
            await bot.send_message(42, "hi", read_timeout=0.5)
    await bot.send_message(42, "hi")
    assert len(tg.sent_to(42)) == 1


# ------------------------------------------------------------------ waiting, webhooks, commands


async def test_wait_for_wakes_on_calls_and_times_out(tg: FakeTelegram, bot: Bot) -> None:
    waiter = asyncio.create_task(tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == 5, 2))
    await bot.send_message(5, "one")
    await bot.send_message(6, "other chat")
    await bot.send_message(5, "two")
    calls = await asyncio.wait_for(waiter, 5)
    assert [c.text for c in calls] == ["one", "two"]
    with pytest.raises(TimeoutError, match="recent calls"):
        await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == 5, count=3, timeout=0.1)


async def test_webhook_conflicts_with_polling(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)HTTPS URL"):
        await bot.set_webhook("http://example.com/hook")
    assert await bot.set_webhook("https://example.com/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_post_webhook_sends_json_and_secret(tg: FakeTelegram) -> None:
    received: list[tuple[str, str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.content_type, request.headers.get(SECRET_HEADER), await request.json())
        )
        return web.Response(status=200 if request.headers.get(SECRET_HEADER) == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        update = tg.make_text_update(42, "via webhook")
        assert await tg.post_webhook(url, update, "s3cret") == 200
        assert await tg.post_webhook(url, update, None) == 403
    finally:
        await runner.cleanup()
    assert received[0][:2] == ("application/json", "s3cret")
    assert received[1][1] is None
    assert Update.de_json(received[0][2], None).message.text == "via webhook"


async def test_commands_round_trip(bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Start"), ("ask", "Ask a question")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "ask"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Start", "Capital letters are not allowed")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(42, "typing")


async def test_lost_response_delivers_but_times_out(tg: FakeTelegram, bot: Bot) -> None:
    """ "lost": Telegram delivered the message but the answer never came back."""
    tg.fail_next("sendMessage", "lost")
    with pytest.raises(TimedOut):
        await bot.send_message(42, "hi", read_timeout=0.5)
    await bot.send_message(42, "hi")  # the client's retry
    delivered = tg.sent_to(42)
    assert [c.text for c in delivered] == ["hi", "hi"]
    assert [c.response_lost for c in delivered] == [True, False]


async def test_clear_faults_ends_an_outage(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 502, times=100)
    with pytest.raises(NetworkError):
        await bot.send_message(42, "hi")
    assert tg.clear_faults("sendMessage") == 99
    assert tg.clear_faults() == 0
    await bot.send_message(42, "hi")
    assert len(tg.sent_to(42)) == 1


# ------------------------------------------------------------------ inline mode


def article(result_id: str, text: str, **extra: object) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, "A title", InputTextMessageContent(text, parse_mode="HTML"), **extra
    )


@pytest.fixture
async def inline_tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, inline_mode=True, inline_feedback=True) as server:
        yield server


async def test_inline_queries_need_inline_mode_and_are_answered_once(
    inline_tg: FakeTelegram,
) -> None:
    tg = inline_tg
    async with Bot(TOKEN, base_url=tg.base_url) as client:
        assert (await client.get_me()).supports_inline_queries
        query_id = tg.send_inline_query(7, "botox")
        (update,) = [Update.de_json(u, client) for u in tg.pending_updates]
        assert update.inline_query is not None and update.inline_query.query == "botox"
        for bad, why in (
            ([article("a", "x"), article("a", "y")], "RESULT_ID_DUPLICATE"),
            ([article("x" * 65, "x")], "RESULT_ID_INVALID"),
            ([article("a", "<b>unclosed")], "can't parse entities"),
            ([article(str(i), "x") for i in range(51)], "RESULTS_TOO_MUCH"),
        ):
            with pytest.raises(BadRequest, match=f"(?i){re.escape(why)}"):
                await client.answer_inline_query(query_id, bad)
        await client.answer_inline_query(query_id, [article("a", "<b>Hi</b> &amp; bye")])
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await client.answer_inline_query(query_id, [article("a", "again")])
    shown = tg.choose_inline_result(query_id, "a", -100)
    assert shown["text"] == "Hi & bye" and shown["via_bot"]["id"] == 123
    kinds = [next(k for k in u if k != "update_id") for u in tg.pending_updates]
    assert kinds == ["inline_query", "chosen_inline_result"]  # not the group's message


async def test_without_inline_mode_there_are_no_inline_queries(tg: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="inline mode is off"):
        tg.send_inline_query(7, "botox")
