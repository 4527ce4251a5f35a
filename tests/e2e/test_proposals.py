"""The admins' /proposals with the real bot process over the fake Bot API (issue 13): a reader's
question nobody could answer, the doctor's *It's entry…* link, then an admin's ✅ Add on the
proposal's card writes the reader's words into the knowledge (a temporary copy) and the
running bot answers the next reader with the same words directly. Anyone else who types
/proposals gets the plain refusal.

The doctor (user 900, DOCTOR_IDS) is also the admin (ADMIN_IDS defaults to DOCTOR_IDS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Outcome
from tests.conftest import until

from .conftest import Chat, StartBot, buttons, message_id, text_with
from .fake_telegram import Call, FakeTelegram

DOCTOR = 900
READER = 41
NEXT_READER = 42
STRANGER = 555
WORDS = "how many grams of spf cream for my whole face every morning"
SUNSCREEN_Q = "How much sunscreen should I apply?"
SUNSCREEN_A = "Placeholder answer about the amount of sunscreen"


@pytest.fixture
def kb(kb_e2e_copy: Path) -> Path:
    return kb_e2e_copy


def data_of(call: Call, label: str) -> str:
    found = [data for text, data in buttons(call) if text.startswith(label)]
    assert found, f"no button {label!r} in {buttons(call)}"
    return found[0]


async def test_an_admins_add_reaches_the_file_and_the_next_reader(
    tg: FakeTelegram, start_bot: StartBot, kb: Path
) -> None:
    assert text_with(Outcome.UNMATCHED, (WORDS,)) == WORDS
    tg.send_text(DOCTOR, "/start")  # she opened a chat with the bot (Telegram needs it)
    bot = await start_bot(
        knowledge=kb, env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"}
    )
    await tg.wait_for("sendMessage", lambda c: c.params.get("chat_id") == DOCTOR)

    # a reader's question nobody could answer reaches the doctor, who links it to an entry
    (queued,) = await Chat(tg, READER).say(WORDS)
    assert "passed your question" in (queued.text or "")
    [card, *_] = await tg.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == DOCTOR and WORDS in (c.text or "") and buttons(c),
        timeout=15,
    )
    doctor = Chat(tg, DOCTOR)
    (picker,) = await doctor.tap(card, data_of(card, "📚 It's entry"))
    if not any(label == SUNSCREEN_Q for label, _ in buttons(picker)):
        (picker,) = await doctor.say("sunscreen apply amount")  # search by typing
    (confirmation,) = await doctor.tap(picker, data_of(picker, SUNSCREEN_Q))
    assert "Answered" in (confirmation.text or "")

    # the admin's /proposals: a heading, then the proposal's card
    heading, proposal = await doctor.say("/proposals", count=2)
    assert "1 proposal waiting" in (heading.text or "")
    assert WORDS in (proposal.text or "") and SUNSCREEN_Q in (proposal.text or "")
    assert "Asked 1×" in (proposal.text or "") and "the doctor linked" in (proposal.text or "")
    assert [label for label, _ in buttons(proposal)] == ["✅ Add", "❌ Reject"]

    basics = kb / "topics" / "basics.yaml"
    before = basics.read_text(encoding="utf-8")
    tg.send_callback(DOCTOR, data_of(proposal, "✅ Add"), message_id(proposal))
    checking, done = await tg.wait_for(
        "editMessageText",
        lambda c: c.params.get("message_id") == message_id(proposal),
        count=2,
        timeout=30,
    )
    assert "⏳ Checking the knowledge" in (checking.text or "")
    assert "✅ Added to kb/topics/basics.yaml." in (done.text or "")
    after = basics.read_text(encoding="utf-8")
    assert after.replace(f"    alternates:\n      - {WORDS}\n", "", 1) == before  # lines added
    sql = "SELECT state, decided_by FROM proposals"
    await until(
        lambda: bot.rows(sql) == [("accepted", f"User{DOCTOR} ({DOCTOR})")],
        10,
        lambda: str(bot.rows(sql)),
    )

    # the next reader with the same words is answered directly, with that entry
    (answer,) = await Chat(tg, NEXT_READER).say(WORDS)
    assert SUNSCREEN_A in (answer.text or "")
    assert "passed your question" not in (answer.text or "")

    # and the proposal is no longer waiting
    (empty,) = await doctor.say("/proposals")
    assert empty.text == "No proposals waiting."


async def test_someone_else_gets_the_plain_refusal(
    tg: FakeTelegram, start_bot: StartBot, kb: Path
) -> None:
    tg.send_text(DOCTOR, "/start")
    await start_bot(knowledge=kb, env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"})
    (refusal,) = await Chat(tg, STRANGER).say("/proposals")
    assert refusal.text == "Sorry, only an admin can do that."
