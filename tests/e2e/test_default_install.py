"""The default install, end to end: the real bot process with the meaning signal on, the
bundled knowledge, real readers' kinds of messages (design.md §1, issue 10).

Which texts give "I think you're asking" is asked of the same model in-process, so the test
checks the Telegram side and the wiring, not today's thresholds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loading import load_knowledge
from bot.models import Outcome
from bot.understanding.semantic import available
from bot.understanding.snapshot import Snapshot

from .conftest import ROOT, Chat, StartBot, buttons
from .fake_telegram import FakeTelegram

pytestmark = pytest.mark.skipif(not available(), reason="needs the default install")

KNOWLEDGE = ROOT / "knowledge"
READER = 77
MEANING = {"EXPERTBOT_SEMANTIC": "auto"}
SLOW = 60.0  # the first message loads the model in the bot process
BRIEF = (
    "Hi! Long-time reader… I'm 34, just found out I'm pregnant and I use a retinol serum "
    "every night — should I stop?"
)
LIKELY_CANDIDATES = (
    "filler",
    "got my botax 2 days ago and no change yet, is that normal?",
    "why do i have purple shadows under my eyes even when I'm not tired",
    "greasy face all day, do I still need moisturizer?",
    # more than 12 words: right after the answer above, a shorter one is read as a follow-up
    "is retin a just a stronger retinal or is it a totally different thing?",
    "do serums go on before or after creams? thinnest to thickest? and do I need to wait",
)


def meaning_snapshot() -> Snapshot:
    knowledge, _ = load_knowledge(KNOWLEDGE)
    assert knowledge is not None
    return Snapshot.build(knowledge, meaning=True)


async def test_readers_messages_with_the_meaning_signal(
    tg: FakeTelegram, start_bot: StartBot, tmp_path: Path
) -> None:
    snapshot = meaning_snapshot()
    likely = next(
        (t for t in LIKELY_CANDIDATES if snapshot.decide(t)[0].likely),
        None,
    )
    assert likely is not None, "no candidate gives 'I think you're asking' any more: add one"
    bot = await start_bot(knowledge=KNOWLEDGE, env=MEANING)
    chat = Chat(tg, READER)

    [answer] = await chat.say(BRIEF, timeout=SLOW)
    assert "retin" in answer.text.lower() and "Read more" in answer.text

    [offer] = await chat.say(likely, timeout=SLOW)
    assert "I think you're asking:" in offer.text
    labels = [label for label, _ in buttons(offer)]
    assert labels == ["Show the answer", "Not quite — ask the doctor"]
    [shown] = await chat.tap(offer, buttons(offer)[0][1])
    assert "Read more" in shown.text
    assert bot.rows("SELECT COUNT(*) FROM alternates")[0][0] == 1  # the reader's words, proposed

    [both] = await chat.say(
        "Does diet have any effect on my acne? Also, how often should I exfoliate?", timeout=SLOW
    )
    assert "dairy" in both.text.lower()
    assert buttons(both)[0][0].startswith("You also asked: ")

    [foreign] = await chat.say("¿Cuánto dura el efecto del bótox en la frente?", timeout=SLOW)
    assert "only answer questions written in English" in foreign.text
    [photo] = await chat.say(
        "Lumpy lip after filler (photo)\n\nTwo weeks after filler my lip still has small lumps. "
        "Will they smooth out on their own?",
        timeout=SLOW,
    )
    assert "I can't see photos" in photo.text
    queued = bot.rows("SELECT text FROM queue WHERE chat_id = ?", (READER,))
    assert [row[0] for row in queued] == ["¿Cuánto dura el efecto del bótox en la frente?"]
    assert snapshot.decide(BRIEF)[0].outcome is Outcome.ANSWER  # the process decided alike
