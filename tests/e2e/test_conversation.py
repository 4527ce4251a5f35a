"""A conversation, not a form (issue 22), with the real bot process over the fake Bot API: inline
mode in another chat, a start link, the Share button, and a follow-up read in context that
reaches the doctor with the question before it.

The fake server here is a bot with inline mode and inline feedback on (BotFather's /setinline
and /setinlinefeedback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import until

from .conftest import ROOT, TOKEN, Chat, StartBot, buttons
from .fake_telegram import FakeTelegram, parse_html

DOCTOR = 900
READER = 41
FRIENDS = -100777  # a group chat the bot is not in
SUNSCREEN_Q = "How much sunscreen should I apply?"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, inline_mode=True, inline_feedback=True) as server:
        yield server


async def test_inline_mode_sends_a_vetted_card_into_another_chat(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    bot = await start_bot()
    query_id = tg.send_inline_query(READER, "sunscreen")
    (answer,) = await tg.wait_for("answerInlineQuery")
    results = answer.params["results"]
    assert 1 <= len(results) <= 10
    first = results[0]
    assert first["id"] == "sunscreen-amount" and first["title"] == SUNSCREEN_Q
    (open_bot,) = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert open_bot["url"] == "https://t.me/ExpertTestBot?start=sunscreen-amount"

    shown = tg.choose_inline_result(query_id, "sunscreen-amount", FRIENDS)
    assert shown["text"].startswith(SUNSCREEN_Q) and "Read more:" in shown["text"]
    assert shown["via_bot"]["username"] == "ExpertTestBot"
    # counted when the feedback arrives; nothing else about the person is stored
    await until(
        lambda: (
            bot.rows("SELECT name, n FROM counters ORDER BY name")
            == [
                ("inline_chosen", 1),
                ("inline_query", 1),
            ]
        )
    )
    assert bot.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    assert tg.rejected() == []


async def test_a_card_sent_into_the_bots_own_chat_is_not_answered(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    reader = Chat(tg, READER)
    query_id = tg.send_inline_query(READER, "sunscreen-amount")  # the Share button's query
    (answer,) = await tg.wait_for("answerInlineQuery")
    assert [r["id"] for r in answer.params["results"]] == ["sunscreen-amount"]
    tg.choose_inline_result(query_id, "sunscreen-amount", READER)
    (help_reply,) = await reader.say("/help")  # updates are handled in order
    assert "question" in (help_reply.text or "").lower()
    assert len(reader.received()) == 1  # the card itself got no reply


async def test_a_red_flag_in_inline_mode_gets_only_the_safety_text(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot(knowledge=ROOT / "knowledge")  # (with safety.yaml)
    tg.send_inline_query(READER, "had lip filler yesterday and now my lip is turning white")
    (answer,) = await tg.wait_for("answerInlineQuery")
    (result,) = answer.params["results"]
    assert result["id"] == "urgent"
    text, _ = parse_html(result["input_message_content"]["message_text"])
    assert "urgent" in text.lower()


async def test_a_start_link_shows_the_answer_with_a_share_button(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    reader = Chat(tg, READER)
    (card,) = await reader.say("/start sunscreen-amount")
    assert (card.text or "").startswith(SUNSCREEN_Q)
    markup = card.params["reply_markup"]["inline_keyboard"]
    (share,) = [b for row in markup for b in row if "switch_inline_query" in b]
    assert share["switch_inline_query"] == "sunscreen-amount"
    assert [label for label, _ in buttons(card)][:2] == ["👍", "👎"]
    (greeting,) = await reader.say("/start not-an-entry")
    (plain_start,) = await reader.say("/start")
    assert greeting.text == plain_start.text


async def test_a_follow_up_is_read_in_context_and_the_doctor_sees_both(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    tg.send_text(DOCTOR, "/start")  # she opened her chat with the bot
    await start_bot(env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"})
    reader = Chat(tg, READER)
    (answer,) = await reader.say(SUNSCREEN_Q)
    assert (answer.text or "").startswith(SUNSCREEN_Q)
    (offer,) = await reader.say("and how often?")
    assert (offer.text or "").startswith("I think you're asking:")
    assert SUNSCREEN_Q in (offer.text or "")
    (choices,) = await reader.say("what about my kids?")
    ask_doctor = next(data for _, data in buttons(choices) if data.startswith("q:"))
    await reader.tap(choices, ask_doctor)
    (card,) = await tg.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == DOCTOR and "what about my kids?" in (c.text or ""),
    )
    assert "A follow-up. The reader had just asked:" in (card.text or "")
    assert SUNSCREEN_Q in (card.text or "")
    assert tg.rejected() == []
