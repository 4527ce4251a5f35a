"""No reader left hanging, with the real bot process over the fake Bot API: a question that got
choices and no tap reaches the doctor's review card by itself after the grace period, whole and
with the choices shown; a tap on an offered answer settles it; a restart during the grace
period loses nothing. EXPERTBOT_CHOICES_GRACE=3 (seconds), the doctor is user 900."""

from __future__ import annotations

import signal
import time

import pytest

from bot.models import Outcome
from tests.conftest import until

from .conftest import SUGGEST_CANDIDATES, Chat, buttons, text_with
from .fake_telegram import FakeTelegram
from .test_doctor import DOCTOR, Doctor, _has_reply, card_about, doctor_bot, settled

__all__ = ["doctor_bot"]  # the fixture, shared with test_doctor.py

GRACE = {"EXPERTBOT_CHOICES_GRACE": "3"}
HELD_NOTE = "I'll pass your question to Dr Example."


def offered(call) -> list[tuple[str, str]]:
    """The reader's choice buttons that open an entry (not 'ask the doctor')."""
    return [(label, data) for label, data in buttons(call) if data.startswith("e:")]


async def test_choices_and_no_tap_reach_the_doctor_whole_within_the_grace_period(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot(env=GRACE)
    question = text_with(Outcome.SUGGEST, SUGGEST_CANDIDATES)
    reader = Chat(tg, 61)
    asked_at = time.monotonic()
    (choices,) = await reader.say(question)
    assert HELD_NOTE in (choices.text or "")
    shown = [label for label, _ in offered(choices)]
    assert shown
    assert bot.rows("SELECT COUNT(*) FROM held") == [(1,)]

    card = await card_about(tg, question, timeout=15)
    assert time.monotonic() - asked_at < 3 + 10  # the grace period, and a sweep
    text = card.text or ""
    assert "none of the offered answers was opened" in text
    assert "Offered to the reader, not opened:" in text
    assert all(label in text for label in shown)
    await settled(bot, "SELECT kind, status FROM queue", [("held", "pending")])
    assert bot.rows("SELECT COUNT(*) FROM held") == [(0,)]


async def test_a_reader_who_opens_an_offered_answer_is_not_queued(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot(env=GRACE)
    question = text_with(Outcome.SUGGEST, SUGGEST_CANDIDATES)
    tapper, waiter = Chat(tg, 62), Chat(tg, 63)
    (choices,) = await tapper.say(question)
    (_, data) = offered(choices)[0]
    (answer,) = await tapper.tap(choices, data)
    assert "Read more" in (answer.text or "")
    await settled(bot, "SELECT COUNT(*) FROM held", [(0,)])
    # a second reader asks after the tap and taps nothing: when their card arrives, the
    # first reader's grace period is over too
    await waiter.say(question)
    await card_about(tg, question, timeout=15)
    assert bot.rows("SELECT chat_id, kind FROM queue") == [(63, "held")]
    cards = [c for c in tg.sent_to(DOCTOR) if _has_reply(c)]
    assert len(cards) == 1


@pytest.mark.slow  # reliability, real time: a restart inside a real grace period
async def test_a_restart_during_the_grace_period_loses_nothing(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot(env=GRACE)
    question = text_with(Outcome.SUGGEST, SUGGEST_CANDIDATES)
    reader = Chat(tg, 64)
    await reader.say(question)
    ((due,),) = bot.rows("SELECT due FROM held")
    # (the doctor's /start and the question recorded as handled: not redelivered after the kill)
    await settled(bot, "SELECT COUNT(*) FROM handled_updates", [(2,)])
    bot.proc.send_signal(signal.SIGKILL)  # the worst moment: killed while it waits
    await bot.wait()
    await until(lambda: time.time() > due, 10, "the grace period to end while the bot is down")
    assert bot.rows("SELECT COUNT(*) FROM queue") == [(0,)]

    again = await doctor_bot(env=GRACE, db=bot.db)
    card = await card_about(tg, question, timeout=15)
    assert "Offered to the reader, not opened:" in (card.text or "")
    await settled(again, "SELECT chat_id, kind FROM queue", [(64, "held")])
    assert again.rows("SELECT COUNT(*) FROM held") == [(0,)]


async def test_a_message_answered_in_part_reaches_the_doctor_whole_with_the_part_marked(
    tg: FakeTelegram, doctor_bot: Doctor
) -> None:
    bot = await doctor_bot()
    answered = "How much sunscreen should I apply?"
    rest = "Also, what vaccines do I need for a trip to Kenya?"
    reader = Chat(tg, 65)
    (reply,) = await reader.say(f"{answered} {rest}")
    assert "Read more" in (reply.text or "") and rest in (reply.text or "")
    card = await card_about(tg, rest)
    text = card.text or ""
    assert f"{answered} ▶ {rest} ◀" in text  # the whole message, never the fragment alone
    assert "Part of a message left unanswered" in text
    await settled(bot, "SELECT kind, part FROM queue", [("part", rest)])
