"""The doctors' review group (REVIEW_CHAT_ID) with the real bot process over the fake Bot API:
questions are posted to the group, not to each doctor; a doctor answers from the group; a
member who is not a doctor cannot; the weekly chart goes to the group once."""

from __future__ import annotations

from bot.models import Outcome
from tests.conftest import until

from .conftest import UNMATCHED_CANDIDATES, Chat, StartBot, buttons, message_id, text_with
from .fake_telegram import Call, FakeTelegram

GROUP = -1001234567890
DOCTOR = 900
MEMBER = 777  # in the group, not a doctor
READER = 41
FIRST_CHART = 60.0  # the first chart may wait for matplotlib's font cache on a fresh machine


def in_group(call: Call) -> bool:
    return str(call.params.get("chat_id")) == str(GROUP)


async def test_the_review_group_gets_questions_and_the_weekly_chart_and_doctors_answer_there(
    tg: FakeTelegram, start_bot: StartBot
) -> None:
    tg.send_text(DOCTOR, "/start")  # she opened a chat with the bot too
    env = {
        "DOCTOR_IDS": str(DOCTOR),
        "REVIEW_CHAT_ID": str(GROUP),
        "EXPERTBOT_WEEKLY_CHART": "2",
        "EXPERTBOT_RATE_LIMIT": "0",
    }
    bot = await start_bot(env=env)
    question = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    reader = Chat(tg, READER)
    await reader.say(question)

    (card,) = await tg.wait_for(
        "sendMessage", lambda c: in_group(c) and question in (c.text or "") and buttons(c)
    )
    assert buttons(card)[0][0] == "✍️ Reply"
    # posted to the group, not to the doctor's own chat as well
    assert not [c for c in tg.sent_to(DOCTOR) if question in (c.text or "")]

    # a member who is not a doctor replies to the card: nothing reaches the reader
    before = len(reader.received())
    tg.send_text(GROUP, "I think it's fine!", user_id=MEMBER, reply_to=message_id(card))
    # the doctor replies to the card in the group: the reader gets her answer, once
    answer = "Wait 48 hours before the sauna."
    tg.send_text(GROUP, answer, user_id=DOCTOR, reply_to=message_id(card))
    (delivered,) = await reader.expect(before)
    assert answer in (delivered.text or "") and "I think it's fine" not in (delivered.text or "")
    await until(
        lambda: (
            bot.rows("SELECT status, answer, delivered FROM queue") == [("answered", answer, 1)]
        ),
        what="the item answered by the doctor and delivered",
    )

    # the weekly chart: to the group, not to the doctor's private chat
    chart = (await tg.wait_for("sendPhoto", in_group, timeout=FIRST_CHART))[0]
    assert chart.params["caption"].startswith("Your weekly picture")
    assert not tg.photos_to(DOCTOR)
    assert len(reader.received()) == before + 1
    assert "Traceback" not in bot.log
