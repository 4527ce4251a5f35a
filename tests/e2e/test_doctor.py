"""The doctor's review loop with the real bot process over the fake Bot API (design.md §1
Doctor): a question nobody could answer reaches her chat, her reply reaches the reader.

The doctor is user 900 (DOCTOR_IDS); her review chat is her private chat with the bot (no
REVIEW_CHAT_ID), which she opened with /start before the bot started.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.models import Outcome
from tests.conftest import until

from .conftest import (
    KB_E2E,
    PYTHON,
    ROOT,
    TOKEN,
    UNMATCHED_CANDIDATES,
    BotProcess,
    Chat,
    StartBot,
    bot_env,
    buttons,
    message_id,
    text_with,
)
from .fake_telegram import Call, FakeTelegram

DOCTOR = 900
READERS = (41, 42, 43)
SAUNA = (
    "Can I go to the sauna after laser hair removal?",
    "Is a sauna okay after laser hair removal?",
    "Can I use the sauna right after my laser hair removal session?",
)
SUNSCREEN_Q = "How much sunscreen should I apply?"
DISCLAIMER = "General information, not medical advice for your situation."

Doctor = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def doctor_bot(tg: FakeTelegram, start_bot: StartBot) -> Doctor:
    """start(**kwargs) -> the bot with DOCTOR_IDS=900, after the doctor opened her chat."""

    async def start(env: dict[str, str] | None = None, **kwargs: Any) -> BotProcess:
        if not tg.sent_to(DOCTOR):
            tg.send_text(DOCTOR, "/start")  # she opened a chat with the bot (Telegram needs it)
        variables = {"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"} | (env or {})
        bot = await start_bot(env=variables, **kwargs)
        await tg.wait_for("sendMessage", lambda c: c.params.get("chat_id") == DOCTOR)
        return bot

    return start


async def settled(bot: BotProcess, sql: str, expected: list[tuple[Any, ...]]) -> None:
    """Wait until the bot's database shows `expected` (it writes right after sending)."""
    await until(
        lambda: bot.rows(sql) == expected, 10, lambda: f"{sql}: {bot.rows(sql)} != {expected}"
    )


async def card_about(tg: FakeTelegram, words: str, timeout: float = 15) -> Call:
    """The card posted to the doctor whose text contains `words`."""
    calls = await tg.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == DOCTOR and words in (c.text or "") and _has_reply(c),
        timeout=timeout,
    )
    return calls[-1]


def _has_reply(call: Call) -> bool:
    return any(label == "✍️ Reply" for label, _ in buttons(call))


def data_of(call: Call, label: str) -> str:
    found = [data for text, data in buttons(call) if text.startswith(label)]
    assert found, f"no button {label!r} in {buttons(call)}"
    return found[0]


def item_id(card: Call) -> int:
    found = re.search(r"#(\d+)", card.text or "")
    assert found, card.text
    return int(found[1])


async def asked(tg: FakeTelegram, question: str = SAUNA[0]) -> tuple[Chat, Call]:
    """A reader asks something unknown; returns their chat and the card the doctor got."""
    reader = Chat(tg, READERS[0])
    await reader.say(question)
    return reader, await card_about(tg, question)


async def answer_by_reply(tg: FakeTelegram, card: Call, text: str, **kwargs: Any) -> Call:
    """The doctor replies (a Telegram reply) to the card; returns the bot's confirmation."""
    doctor = Chat(tg, DOCTOR)
    before = len(doctor.received())
    tg.send_text(DOCTOR, text, reply_to=message_id(card), **kwargs)
    (confirmation,) = await doctor.expect(before)
    return confirmation


async def test_unknown_question_reaches_the_doctor_and_her_reply_the_reader(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    reader = Chat(tg, READERS[0])
    question = "Can I <b>really</b> go to the sauna after laser hair removal? & why"
    (reply,) = await reader.say(question)
    assert "passed your question" in (reply.text or "")

    card = await card_about(tg, "sauna")
    assert question in (card.text or "")  # escaped on the way: shown exactly as written
    assert "New question" in (card.text or "")
    assert re.search(r"Reader [0-9A-F]{6}", card.text or "")
    assert "User41" not in (card.text or "") and "user41" not in (card.text or "")
    assert [label for label, _ in buttons(card)] == [
        "✍️ Reply",
        "📚 It's entry…",
        "Dismiss",
        "Dismiss + kind note",
    ]

    answer = "Wait 48 hours. See the guide for details."
    entities = [
        {"type": "bold", "offset": 0, "length": 13},
        {
            "type": "text_link",
            "offset": 23,
            "length": 5,
            "url": "https://example.org/guide?a=1&b=2",
        },
    ]
    before = len(reader.received())
    confirmation = await answer_by_reply(tg, card, answer, entities=entities)
    assert f"Answered #{item_id(card)}" in (confirmation.text or "")
    (delivered,) = await reader.expect(before)
    text = delivered.text or ""
    assert text.startswith("Dr Example answered your question:")
    assert question in text and answer in text and DISCLAIMER in text
    html = delivered.params["text"]
    assert "<b>Wait 48 hours</b>" in html
    assert '<a href="https://example.org/guide?a=1&amp;b=2">guide</a>' in html
    assert "&lt;b&gt;really&lt;/b&gt;" in html  # the reader's words stay text

    await settled(bot, "SELECT delivered FROM queue", [(1,)])
    [(status, stored, by)] = bot.rows("SELECT status, answer, answered_by FROM queue")
    assert (status, stored) == ("answered", answer)
    assert str(DOCTOR) in by

    # a second reply to the same card says so and sends nothing twice
    again = await answer_by_reply(tg, card, "Another answer")
    assert "was already answered" in (again.text or "")
    await tg.wait_for("editMessageReplyMarkup")  # the card lost its buttons
    assert len(reader.received()) == before + 1


async def test_reply_button_then_next_message_answers(tg: FakeTelegram, doctor_bot: Doctor):
    bot = await doctor_bot()
    reader, card = await asked(tg)
    doctor = Chat(tg, DOCTOR)
    (prompt,) = await doctor.tap(card, data_of(card, "✍️ Reply"))
    assert f"answer to #{item_id(card)}" in (prompt.text or "")
    before = len(reader.received())
    (confirmation,) = await doctor.say("Usually after 48 hours.")  # not a reply: the prompt
    assert "Answered" in (confirmation.text or "")
    (delivered,) = await reader.expect(before)
    assert "Usually after 48 hours." in (delivered.text or "")
    assert bot.rows("SELECT COUNT(*) FROM review_prompts")[0][0] == 0


async def test_dismiss_with_the_kind_note(tg: FakeTelegram, doctor_bot: Doctor) -> None:
    bot = await doctor_bot()
    reader = Chat(tg, READERS[0])
    question = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    await reader.say(question)
    card = await card_about(tg, question)
    before = len(reader.received())
    (confirmation,) = await Chat(tg, DOCTOR).tap(card, data_of(card, "Dismiss + kind note"))
    assert "Dismissed" in (confirmation.text or "")
    (note,) = await reader.expect(before)
    assert "can't answer it here" in (note.text or "")
    await settled(bot, "SELECT status, delivered FROM queue", [("dismissed", 1)])


async def test_its_entry_sends_the_entry_and_exports_the_alternate(
    tg: FakeTelegram, doctor_bot: Doctor, tmp_path: Path
) -> None:
    bot = await doctor_bot()
    reader = Chat(tg, READERS[0])
    question = "how many grams of spf cream for my whole face every morning"
    assert text_with(Outcome.UNMATCHED, (question,)) == question
    await reader.say(question)
    card = await card_about(tg, "spf cream")
    doctor = Chat(tg, DOCTOR)
    (picker,) = await doctor.tap(card, data_of(card, "📚 It's entry"))
    if not any(label == SUNSCREEN_Q for label, _ in buttons(picker)):
        (picker,) = await doctor.say("sunscreen apply amount")  # search by typing
    before = len(reader.received())
    (confirmation,) = await doctor.tap(picker, data_of(picker, SUNSCREEN_Q))
    assert "Answered" in (confirmation.text or "")
    (delivered,) = await reader.expect(before)
    assert "picked this vetted answer" in (delivered.text or "")
    assert SUNSCREEN_Q in (delivered.text or "")
    assert any(label == "👍" for label, _ in buttons(delivered))

    await bot.stop()
    export = tmp_path / "drafts.yaml"
    code, out = await run_cli("queue", "export", str(export), db=bot.db)
    assert code == 0, out
    assert question in export.read_text(encoding="utf-8")


async def test_a_group_of_three_answered_once_reaches_all_three(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    chats = [Chat(tg, r) for r in READERS]
    for chat, question in zip(chats, SAUNA, strict=True):
        await chat.say(question)
    for question in SAUNA:
        await card_about(tg, question)
    doctor = Chat(tg, DOCTOR)
    (page,) = await doctor.say("/queue")
    assert "3 question(s) waiting, in 1 group(s)" in (page.text or "")
    assert "asked 3×" in (page.text or "")
    (group_card,) = await doctor.tap(page, buttons(page)[0][1])
    assert "Asked 3× by 3 readers" in (group_card.text or "")
    before = [len(c.received()) for c in chats]
    confirmation = await answer_by_reply(tg, group_card, "Wait two days before a sauna.")
    assert "Sending to 3 readers" in (confirmation.text or "")
    for chat, count in zip(chats, before, strict=True):
        (delivered,) = await chat.expect(count)
        assert "Wait two days before a sauna." in (delivered.text or "")
    await settled(
        bot,
        "SELECT status, COUNT(*), SUM(delivered) FROM queue GROUP BY status",
        [("answered", 3, 3)],
    )
    (empty,) = await doctor.say("/queue")
    assert "No questions are waiting" in (empty.text or "")


@pytest.mark.slow  # reliability, real time: kill -9, then a restart
async def test_kill_and_restart_between_question_and_reply(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    reader, card = await asked(tg)
    await settled(bot, "SELECT COUNT(*) FROM queue WHERE posted_at IS NOT NULL", [(1,)])
    bot.proc.send_signal(signal.SIGKILL)
    await bot.wait()

    again = await doctor_bot(db=bot.db)
    before = len(reader.received())
    await answer_by_reply(tg, card, "After two days.")
    (delivered,) = await reader.expect(before)
    assert "After two days." in (delivered.text or "")
    await settled(again, "SELECT status, delivered FROM queue", [("answered", 1)])
    cards = [c for c in tg.sent_to(DOCTOR) if _has_reply(c)]
    assert len(cards) == 1, "the question was posted to the doctor twice"


@pytest.mark.slow  # reliability, real time: a crash, then a restart
async def test_a_card_sent_just_before_a_crash_still_answers(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    """The bot sent the card but died before it recorded it: it posts the card again on
    restart, and a reply to either card answers the question, once."""
    bot = await doctor_bot()
    reader, card = await asked(tg)
    await settled(bot, "SELECT COUNT(*) FROM review_posts", [(1,)])
    await bot.stop()
    with sqlite3.connect(bot.db) as db:  # as if it had crashed between sending and recording
        db.execute("DELETE FROM review_posts")
        db.execute("UPDATE queue SET posted_at = NULL")
    again = await doctor_bot(db=bot.db)
    await tg.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == DOCTOR and _has_reply(c), count=2
    )
    before = len(reader.received())
    await answer_by_reply(tg, card, "After two days.")  # the first, unrecorded card
    (delivered,) = await reader.expect(before)
    assert "After two days." in (delivered.text or "")
    await settled(again, "SELECT status, delivered FROM queue", [("answered", 1)])


async def test_a_reader_who_blocked_the_bot(tg: FakeTelegram, doctor_bot: Doctor) -> None:
    bot = await doctor_bot()
    _, card = await asked(tg)
    tg.blocked.add(READERS[0])
    await answer_by_reply(tg, card, "After two days.")
    [notice] = await tg.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == DOCTOR and "could not be delivered" in (c.text or ""),
    )
    assert f"#{item_id(card)}" in (notice.text or "")
    await settled(bot, "SELECT status, delivered FROM queue", [("answered", 2)])


async def test_thumbs_down_brings_the_question_to_the_doctor(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    reader = Chat(tg, READERS[0])
    (answer,) = await reader.say(SUNSCREEN_Q)
    tg.send_callback(READERS[0], data_of(answer, "👎"), message_id(answer))
    card = await card_about(tg, "Feedback")
    assert SUNSCREEN_Q in (card.text or "")
    assert "tapped 👎 on the answer" in (card.text or "")
    assert bot.rows("SELECT kind, entry_id FROM queue") == [("feedback", "sunscreen-amount")]


async def test_only_doctors_may_review(tg: FakeTelegram, doctor_bot: Doctor) -> None:
    bot = await doctor_bot()
    _, card = await asked(tg)
    stranger = Chat(tg, 555)
    for command in ("/queue", "/stats", "/reload", "/cancel"):
        (refusal,) = await stranger.say(command)
        assert (refusal.text or "").startswith("Sorry, ")
        assert "sauna" not in (refusal.text or "") and "#" not in (refusal.text or "")
    # forged taps: a doctor's buttons, from someone else, on her card and in their own chat
    for data in ("D:", "N:", "R:", "L:", "O:1", "Q:0", "K:sunscreen-amount"):
        tg.send_callback(DOCTOR, data, message_id(card), user_id=555, check=False)
        tg.send_callback(555, data, 1, check=False)
    toasts = await tg.wait_for("answerCallbackQuery", count=14)
    assert all(t.params.get("text") == "Sorry, that is only for the doctor." for t in toasts)
    assert bot.rows("SELECT status FROM queue") == [("pending",)]
    assert all(c.params.get("chat_id") != 555 or "sauna" not in (c.text or "") for c in tg.calls())


async def test_doctor_commands_only_in_the_doctors_menu(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot(env={"DOCTOR_IDS": f"{DOCTOR},901"})
    menus = {
        str(c.params.get("scope", {}).get("chat_id", "default")): {
            command["command"] for command in c.params["commands"]
        }
        for c in tg.calls("setMyCommands")
    }
    assert "queue" not in menus["default"]
    assert {"queue", "stats", "reload", "start"} <= menus[str(DOCTOR)]
    assert "901" not in menus  # never opened a chat: no menu, and a warning instead
    await tg.wait_for("getChat", lambda c: c.params.get("chat_id") == 901, include_failed=True)
    assert "doctor 901 has never opened a chat" in bot.log


async def test_a_backlog_is_posted_as_a_digest_of_groups(
    tg: FakeTelegram, start_bot: StartBot, doctor_bot: Doctor
) -> None:
    bot = await start_bot(env={"EXPERTBOT_RATE_LIMIT": "0"})  # no doctor configured yet
    for number, chat_id in enumerate(range(100, 112)):
        await Chat(tg, chat_id).say(f"Question number {number} about zebra stripes {number}?")
    await bot.stop()
    await doctor_bot(db=bot.db)
    [header] = await tg.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == DOCTOR and "Digest" in (c.text or "")
    )
    assert "12 new questions" in (header.text or "")


async def test_an_answer_from_the_terminal_is_sent_by_the_bot(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    reader, card = await asked(tg)
    before = len(reader.received())
    code, out = await run_cli(
        "queue", "answer", str(item_id(card)), "From the desk: two days.", db=bot.db, token=None
    )
    assert code == 0 and "The bot sends it when it runs" in out, out
    (delivered,) = await reader.expect(before, timeout=15)
    assert "From the desk: two days." in (delivered.text or "")


async def test_an_answer_from_the_terminal_with_a_token_is_sent_at_once(
    tg: FakeTelegram, start_bot: StartBot, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    reader, card = await asked(tg)
    await bot.stop()  # not running: the terminal sends it itself
    before = len(reader.received())
    code, out = await run_cli(
        "queue", "answer", str(item_id(card)), "Two days, from the desk.", db=bot.db, token=TOKEN
    )
    assert code == 0 and "Sent to 1 of 1 reader" in out, out
    (delivered,) = await reader.expect(before)
    assert "Two days, from the desk." in (delivered.text or "")


async def run_cli(
    *args: str, db: Path, token: str | None = None, tg_url: str | None = None
) -> tuple[int, str]:
    """`python -m bot ARGS` against the bot's database; (exit code, stdout+stderr)."""
    env = {"EXPERTBOT_DB": str(db), "EXPERTBOT_KNOWLEDGE": str(KB_E2E)}
    if token is not None:
        env |= {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": _API_URL[0]}
    proc = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=bot_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


_API_URL = [""]


@pytest.fixture(autouse=True)
def _remember_api_url(tg: FakeTelegram) -> None:
    _API_URL[0] = tg.base_url
