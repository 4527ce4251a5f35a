"""The outbox's decisions, with the real store and service and a stand-in for the Bot API
(the end-to-end tests in tests/e2e/test_doctor.py use the real HTTP stack): when questions go
to the review chat — at once, or as a digest — and who is owed what."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.conversation.service import AnswerService
from bot.knowledge.loading import load_knowledge
from bot.storage import Store, StoreError
from bot.telegram.outbox import Outbox, Roles
from bot.understanding.snapshot import Snapshot

DOCTOR = 900


class Recorder:
    """Accepts every sendMessage and remembers (chat id, text)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> SimpleNamespace:
        self.sent.append((chat_id, text))
        return SimpleNamespace(message_id=len(self.sent))


@pytest.fixture
def outbox(store: Store, kb_dir: Path) -> tuple[Outbox, Recorder, AnswerService]:
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, problems
    service = AnswerService(Snapshot.build(knowledge), store)
    bot = Recorder()
    return Outbox(bot, store, lambda: service.knowledge, Roles(frozenset({DOCTOR}))), bot, service  # type: ignore[arg-type]


def with_digest(service: AnswerService, minutes: int) -> None:
    settings = service.knowledge.settings
    review = settings.review.model_copy(update={"digest_minutes": minutes})
    knowledge = dataclasses.replace(
        service.knowledge, settings=settings.model_copy(update={"review": review})
    )
    service.swap(dataclasses.replace(service.snapshot, knowledge=knowledge))


async def test_each_question_goes_at_once_by_default(outbox, store: Store) -> None:
    box, bot, service = outbox
    await service.ask(1, "What is the capital of Peru?")
    await service.ask(2, "Who won the football match yesterday?")
    await box.post_new()
    assert [chat for chat, _ in bot.sent] == [DOCTOR, DOCTOR]
    assert await store.unposted() == []
    await box.post_new()
    assert len(bot.sent) == 2  # posted once


async def test_a_digest_waits_but_urgent_questions_do_not(outbox, store: Store) -> None:
    box, bot, service = outbox
    with_digest(service, 60)
    await service.ask(1, "What is the capital of Peru?")
    await service.ask(2, "Who won the football match yesterday?")
    await store.log_question(3, "My throat is swelling", "urgent", None, 0.0, 1.0)
    now = dt.datetime.now(dt.UTC)
    await box.post_new(now)
    assert len(bot.sent) == 1 and "URGENT" in bot.sent[0][1]
    await box.post_new(now + dt.timedelta(minutes=30))
    assert len(bot.sent) == 1  # not yet
    await box.post_new(now + dt.timedelta(minutes=61))
    assert "Digest: 2 new questions" in bot.sent[1][1]
    assert len(bot.sent) == 4 and await store.unposted() == []


async def test_without_doctors_nothing_is_posted_and_nothing_lost(store: Store, kb_dir: Path):
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is not None
    service = AnswerService(Snapshot.build(knowledge), store)
    bot = Recorder()
    box = Outbox(bot, store, lambda: service.knowledge, Roles())  # type: ignore[arg-type]
    await service.ask(1, "What is the capital of Peru?")
    await box.work()
    assert bot.sent == [] and len(await store.unposted()) == 1


async def test_storage_trouble_is_told_once_and_its_end_too(outbox) -> None:
    box, bot, _ = outbox
    for _ in range(3):
        box.storage(StoreError("disk full"))
    box.storage(None)
    box.storage(None)
    for task in list(box._notices):
        await task
    texts = [text for _, text in bot.sent]
    assert len(texts) == 2
    assert "stopped saving" in texts[0] and "disk full" in texts[0]
    assert "saves readers' questions again" in texts[1]
