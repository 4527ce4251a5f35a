"""Whole reader conversations with the real bot process over the fake Bot API (design.md §1, §6).

The knowledge is tests/data/kb_e2e. Where an outcome depends on the matcher's tuning
(a "suggest"), the test asks the service in-process which text gives it, so the test checks
the Telegram side, not today's thresholds.
"""

from __future__ import annotations

import time
from typing import Any

from bot.models import Outcome

from .conftest import (
    SUGGEST_CANDIDATES,
    TOKEN,
    UNMATCHED_CANDIDATES,
    Chat,
    StartBot,
    buttons,
    message_id,
    snapshot,
    text_with,
)
from .fake_telegram import TEXT_LIMIT, FakeTelegram

READER = 42
DISCLAIMER = "General information, not medical advice for your situation."
SUNSCREEN_Q = "How much sunscreen should I apply?"
SUNSCREEN_LINK = "https://example.org/kb/sunscreen-amount"
LONG_Q = "What is the complete aftercare routine for a new tattoo?"


def suggest_text() -> str:
    return text_with(Outcome.SUGGEST, SUGGEST_CANDIDATES)


def unmatched_text() -> str:
    return text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)


def count(bot: Any, table: str, chat_id: int = READER) -> int:
    return bot.rows(f"SELECT COUNT(*) FROM {table} WHERE chat_id = ?", (chat_id,))[0][0]


def photo_update(tg: FakeTelegram, chat_id: int) -> dict[str, Any]:
    update = tg.make_text_update(chat_id, "x")
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    return update


async def test_start_help_privacy_and_the_command_menu(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    [commands] = tg.calls("setMyCommands")
    assert {c["command"] for c in commands.params["commands"]} == {
        "start",
        "topics",
        "help",
        "privacy",
        "forget",
    }
    chat = Chat(tg, READER)

    [start] = await chat.say("/start")
    assert start.params["parse_mode"] == "HTML"
    assert start.params["link_preview_options"] == {"is_disabled": True}
    assert "Dr Example" in start.text and DISCLAIMER in start.text
    assert [label for label, _ in buttons(start)] == ["Browse topics", "How to ask"]
    [how] = await chat.tap(start, buttons(start)[1][1])
    assert "Write one question" in how.text

    [help_] = await chat.say("/help")
    assert help_.text == how.text
    [unknown] = await chat.say("/nonsense")
    assert unknown.text == how.text
    [privacy] = await chat.say("/privacy")
    assert "/forget" in privacy.text


async def test_question_answered_with_link_disclaimer_and_buttons(
    tg: FakeTelegram, start_bot: StartBot
):
    bot = await start_bot()
    chat = Chat(tg, READER)
    [answer] = await chat.say(SUNSCREEN_Q)

    assert answer.text.startswith(SUNSCREEN_Q)
    assert f"Read more: {SUNSCREEN_LINK}" in answer.text
    assert answer.text.endswith(DISCLAIMER)
    entities = {e["type"]: e for e in answer.result["entities"]}
    assert entities["text_link"]["url"] == SUNSCREEN_LINK
    assert {"bold", "italic"} <= entities.keys()
    assert answer.params["link_preview_options"] == {"is_disabled": True}
    labels = buttons(answer)
    assert labels[:2] == [("👍", "u:sunscreen-amount"), ("👎", "d:sunscreen-amount")]
    assert (
        "Related: How often should I use an exfoliating acid toner?",
        "e:exfoliate-how-often",
    ) in labels
    assert tg.calls("sendChatAction") == []  # the answer is ready at once: no "typing…"

    [related] = await chat.tap(answer, "e:exfoliate-how-often")
    assert related.text.startswith("How often should I use an exfoliating acid toner?")
    assert bot.rows("SELECT outcome, entry_id FROM questions WHERE chat_id = ?", (READER,)) == [
        ("answer", "sunscreen-amount")
    ]
    assert count(bot, "queue") == 0


async def test_suggest_then_tap_a_question(tg: FakeTelegram, start_bot: StartBot):
    text = suggest_text()
    expected = snapshot().probe(text)
    bot = await start_bot()
    chat = Chat(tg, READER)

    [suggest] = await chat.say(text)
    labels = buttons(suggest)
    # (as a set: the matcher orders equal scores differently from one process to the next)
    assert {label for label, _ in labels[:-1]} == {s.entry.question for s in expected.suggestions}
    assert labels[-1][0] == "None of these — ask Dr Example"
    assert count(bot, "queue") == 0  # not queued unless the reader asks for it
    label, data = labels[0]
    [answer] = await chat.tap(suggest, data)
    assert answer.text.startswith(label)
    assert DISCLAIMER in answer.text
    # the reader's words are kept as a proposed alternate phrasing for that entry
    entry_id = next(s.entry.id for s in expected.suggestions if s.entry.question == label)
    assert bot.rows("SELECT entry_id, text FROM alternates WHERE chat_id = ?", (READER,)) == [
        (entry_id, text)
    ]


async def test_suggest_then_none_of_these_queues_the_question(
    tg: FakeTelegram, start_bot: StartBot
):
    text = suggest_text()
    bot = await start_bot()
    chat = Chat(tg, READER)
    [suggest] = await chat.say(text)
    _, data = buttons(suggest)[-1]
    assert data.startswith("q:")
    [queued] = await chat.tap(suggest, data)
    assert "passed your question to Dr Example" in queued.text
    assert bot.rows("SELECT text, status FROM queue WHERE chat_id = ?", (READER,)) == [
        (text, "pending")
    ]


async def test_unmatched_question_is_queued_once(tg: FakeTelegram, start_bot: StartBot):
    unknown = unmatched_text()
    bot = await start_bot()
    chat = Chat(tg, READER)
    [reply] = await chat.say(unknown)
    assert "passed your question to Dr Example" in reply.text
    assert "usually within a week" in reply.text
    assert bot.rows("SELECT text, status, kind FROM queue WHERE chat_id = ?", (READER,)) == [
        (unknown, "pending", "unmatched")
    ]
    await chat.say(unknown.upper())  # asked again: one queue item
    assert count(bot, "queue") == 1
    assert count(bot, "questions") == 2


async def test_feedback_vote_is_stored_and_changeable(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot()
    chat = Chat(tg, READER)
    [answer] = await chat.say(SUNSCREEN_Q)

    tg.send_callback(READER, "u:sunscreen-amount", message_id(answer))
    [toast] = await tg.wait_for("answerCallbackQuery")
    assert toast.params["text"] == "Thanks for the feedback!"
    assert bot.rows("SELECT entry_id, value FROM votes WHERE chat_id = ?", (READER,)) == [
        ("sunscreen-amount", 1)
    ]
    tg.send_callback(READER, "d:sunscreen-amount", message_id(answer))
    await tg.wait_for("answerCallbackQuery", count=2)
    assert bot.rows("SELECT entry_id, value FROM votes WHERE chat_id = ?", (READER,)) == [
        ("sunscreen-amount", -1)
    ]
    assert len(chat.received()) == 1  # a vote is a toast, not a new message


async def test_topics_paging_in_place_then_an_answer(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    chat = Chat(tg, READER)
    [topics] = await chat.say("/topics")
    first_page = buttons(topics)
    assert len(first_page) == 7 and first_page[-1] == ("More ›", "t:1")

    page2 = await chat.tap_and_edit(topics, "t:1")
    assert message_id(page2) == message_id(topics)
    second_page = buttons(page2)
    assert second_page[-1] == ("‹ Back", "t:0")
    every_topic = [b for b in first_page[:-1] + second_page[:-1]]
    assert len(every_topic) == 8
    label, data = next(b for b in every_topic if b[0].startswith("Small things"))
    assert label == "Small things (8)"
    page = second_page if (label, data) in second_page else first_page
    shown = page2 if page is second_page else await chat.tap_and_edit(page2, "t:0")

    things = await chat.tap_and_edit(shown, data)
    assert things.text == "Small things — page 1 of 2"
    assert [b[1] for b in buttons(things)][-2:] == ["p:small-things:1", "t:0"]
    things2 = await chat.tap_and_edit(things, "p:small-things:1")
    entries = [b for b in buttons(things2) if b[1].startswith("e:")]
    assert len(entries) == 2
    assert len(chat.received()) == 1  # all of it in the one /topics message

    [answer] = await chat.tap(things2, entries[0][1])
    assert answer.text.startswith(entries[0][0])
    assert tg.rejected() == []


async def test_photo_and_other_non_text(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot()
    chat = Chat(tg, READER)
    [reply] = await chat.send(photo_update(tg, READER))
    assert "can't assess photos" in reply.text
    sticker = tg.make_text_update(READER, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "CAAD",
        "file_unique_id": "AgAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    [again] = await chat.send(sticker)
    assert again.text == reply.text
    assert count(bot, "questions") == 0


async def test_forget_asks_first_then_deletes(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot()
    chat = Chat(tg, READER)
    other = Chat(tg, 77)
    unknown = unmatched_text()
    [answer] = await chat.say(SUNSCREEN_Q)
    await chat.say(unknown)
    tg.send_callback(READER, "u:sunscreen-amount", message_id(answer))
    await tg.wait_for("answerCallbackQuery")
    await other.say(unknown)
    assert count(bot, "questions") == 2 and count(bot, "queue") == 1 and count(bot, "votes") == 1

    [confirm] = await chat.say("/forget")
    assert [d for _, d in buttons(confirm)] == ["f:", "x:"]
    cancelled = await chat.tap_and_edit(confirm, "x:")
    assert cancelled.text == "Nothing was deleted."
    assert count(bot, "questions") == 2

    [confirm] = await chat.say("/forget")
    done = await chat.tap_and_edit(confirm, "f:")
    assert "deleted" in done.text
    assert "reply_markup" not in done.params  # the buttons are gone: no second tap
    for table in ("questions", "queue", "votes", "alternates"):
        assert count(bot, table) == 0, table
    assert count(bot, "questions", 77) == 1  # another reader's data stays


async def test_long_answer_is_split_in_two_messages(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    chat = Chat(tg, READER)
    first, second = await chat.say(LONG_Q, count=2)
    assert first.text.startswith(LONG_Q)
    assert all(len(m.text) <= TEXT_LIMIT for m in (first, second))
    assert "reply_markup" not in first.params  # the buttons go under the last message
    assert buttons(second)[0] == ("👍", "u:tattoo-aftercare-guide")
    assert second.text.endswith(DISCLAIMER)
    whole = first.text + "\n\n" + second.text
    for step in ("Step 1.1:", "Step 6.6:", "Step 12.6:"):
        assert whole.count(step) == 1, step
    assert tg.rejected() == []


async def test_group_answers_only_when_mentioned_or_replied_to(
    tg: FakeTelegram, start_bot: StartBot
):
    bot = await start_bot()
    group = -1001234
    member = 7
    chat = Chat(tg, group)
    tg.send_text(group, SUNSCREEN_Q, member)  # not for the bot: ignored
    mention = f"@ExpertTestBot {SUNSCREEN_Q}"
    entities = [{"type": "mention", "offset": 0, "length": len("@ExpertTestBot")}]
    [answer] = await chat.say(mention, user_id=member, entities=entities)
    assert answer.text.startswith(SUNSCREEN_Q)
    asked = tg.messages(group)[-2]
    assert answer.params["reply_parameters"]["message_id"] == asked["message_id"]

    [again] = await chat.say(
        "Is an electric cleansing brush worth buying?", user_id=member, reply_to=message_id(answer)
    )
    assert again.text.startswith("Is an electric cleansing brush worth buying?")
    [topics] = await chat.say("/topics@ExpertTestBot", user_id=member)
    assert topics.text == "Pick a topic:"
    tg.send_text(group, "/topics", member)  # a bare command may be for another bot
    tg.send_update(photo_update(tg, group))
    [sync] = await Chat(tg, READER).say(SUNSCREEN_Q)
    assert sync.text.startswith(SUNSCREEN_Q)
    assert len(chat.received()) == 3
    assert bot.rows("SELECT text FROM questions WHERE chat_id = ?", (group,)) == [
        (SUNSCREEN_Q,),
        ("Is an electric cleansing brush worth buying?",),
    ]


async def test_edited_messages_are_ignored_and_forwards_answered(
    tg: FakeTelegram, start_bot: StartBot
):
    bot = await start_bot()
    chat = Chat(tg, READER)
    await chat.say(SUNSCREEN_Q)
    edited = tg.make_text_update(READER, "How much sunscreen should I apply to my face?")
    edited["edited_message"] = edited.pop("message")
    edited["edited_message"]["edit_date"] = int(time.time())
    tg.send_update(edited)

    forwarded = tg.make_text_update(READER, SUNSCREEN_Q)
    forwarded["message"]["forward_origin"] = {
        "type": "user",
        "date": int(time.time()) - 60,
        "sender_user": tg.user(99),
    }
    [answer] = await chat.send(forwarded)
    assert answer.text.startswith(SUNSCREEN_Q)
    assert len(chat.received()) == 2
    assert [t for (t,) in bot.rows("SELECT text FROM questions ORDER BY id")] == [
        SUNSCREEN_Q,
        SUNSCREEN_Q,
    ]


async def test_rate_limit_per_chat(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot(env={"EXPERTBOT_RATE_LIMIT": "2"})
    chat = Chat(tg, READER)
    unknown = unmatched_text()
    for i in range(5):
        tg.send_text(READER, f"{unknown} {'?' * i}")
    [other] = await Chat(tg, 77).say(SUNSCREEN_Q)  # updates are handled in order: a sync point
    assert other.text.startswith(SUNSCREEN_Q)
    texts = [c.text for c in chat.received()]
    assert len(texts) == 3
    assert "faster than I can answer" not in texts[0] + texts[1]
    assert "faster than I can answer" in texts[2]  # told once, not once per message
    assert count(bot, "questions") == 2 and count(bot, "queue") == 1  # one item per question
    # button taps and commands are not questions: still answered
    [topics] = await chat.say("/topics")
    assert topics.text == "Pick a topic:"


async def test_callback_data_from_an_old_or_foreign_button(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    chat = Chat(tg, READER)
    [answer] = await chat.say(SUNSCREEN_Q)
    # a button for an entry that is gone since (a knowledge reload), and junk data
    before = len(chat.received())
    tg.send_callback(READER, "e:removed-entry", message_id(answer), check=False)
    [changed] = await chat.expect(before)
    assert "has changed" in changed.text
    tg.send_callback(READER, "zz-junk", message_id(answer), check=False)
    toasts = await tg.wait_for("answerCallbackQuery", count=2)
    assert "has changed" in toasts[-1].params["text"]
    assert TOKEN not in str(tg.calls())
