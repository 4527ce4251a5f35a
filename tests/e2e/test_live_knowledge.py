"""Knowledge edited while the real bot runs (design.md §1 Admin): a good edit is served
within seconds, a broken one keeps the old answers serving and the doctors get the errors,
file and line; /reload (admins only) and SIGHUP force a reload."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .conftest import Chat, StartBot
from .fake_telegram import Call, FakeTelegram

DOCTOR = 900
READER = 42
QUESTION = "How much sunscreen should I apply?"
OLD = "Placeholder answer about the amount of sunscreen"
NEW = "Two finger-lengths of sunscreen"


@pytest.fixture
def kb(kb_e2e_copy: Path) -> Path:
    root = kb_e2e_copy
    assert OLD in (root / "topics" / "basics.yaml").read_text(encoding="utf-8")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


class Doctor:
    """What the doctor is told: each `hears` waits for a message she has not seen yet."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.seen: set[int] = set()

    async def hears(self, words: str, timeout: float = 15) -> str:
        def new(call: Call) -> bool:
            return (
                call.params.get("chat_id") == DOCTOR
                and id(call) not in self.seen
                and words in (call.text or "")
            )

        [call, *_] = await self.tg.wait_for("sendMessage", new, timeout=timeout)
        self.seen.add(id(call))
        return call.text or ""


@pytest.fixture
async def running(tg: FakeTelegram, start_bot: StartBot, kb: Path):
    tg.send_text(DOCTOR, "/start")
    bot = await start_bot(
        knowledge=kb, env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"}
    )
    await tg.wait_for("sendMessage", lambda c: c.params.get("chat_id") == DOCTOR)
    (answer,) = await Chat(tg, READER).say(QUESTION)
    assert OLD in (answer.text or "")
    return bot


async def answer_now(tg: FakeTelegram) -> str:
    (answer,) = await Chat(tg, READER).say(QUESTION)
    return answer.text or ""


async def test_a_good_edit_is_served_and_a_broken_one_is_not(
    tg: FakeTelegram, running, kb: Path
) -> None:
    doctor = Doctor(tg)
    basics = kb / "topics" / "basics.yaml"
    edit(basics, OLD, NEW)
    report = await doctor.hears("Knowledge reloaded (file change)")
    assert "answers" in report
    assert NEW in await answer_now(tg)

    edit(basics, "    question: How much sunscreen", "    question: [How much sunscreen")
    errors = await doctor.hears("Knowledge NOT reloaded (file change)")
    assert "kb/topics/basics.yaml:" in errors and "error" in errors
    (answer,) = await Chat(tg, READER).say(QUESTION)
    assert NEW in (answer.text or "")  # the last good knowledge still serves


@pytest.mark.slow  # reliability, real time: a series of broken files, each waited out by the watcher
async def test_knowledge_faults_keep_the_old_knowledge(tg: FakeTelegram, running, kb: Path) -> None:
    doctor = Doctor(tg)
    tools = kb / "topics" / "tools.yaml"
    content = tools.read_bytes()
    tools.unlink()
    tools.symlink_to(tools)  # a symlink loop where a topic file was
    errors = await doctor.hears("Knowledge NOT reloaded")
    assert "kb/topics/tools.yaml:1: error: cannot read the file" in errors
    assert OLD in await answer_now(tg)

    tools.unlink()
    tools.write_bytes(content[: len(content) // 3])  # saved half-way
    half = await doctor.hears("Knowledge NOT reloaded")
    assert "kb/topics/tools.yaml:" in half
    assert OLD in await answer_now(tg)

    tools.write_bytes(content)
    await doctor.hears("Knowledge checked (file change): no errors")  # fixed: they hear it
    (kb / "bot.yaml").unlink()
    await doctor.hears("kb/bot.yaml:1: error: was deleted")
    assert OLD in await answer_now(tg)
    (start,) = await Chat(tg, READER).say("/start")
    assert "Dr Example" in (start.text or "")  # bot.yaml's texts, not the defaults


async def test_reload_command_is_for_admins(tg: FakeTelegram, running, kb: Path) -> None:
    edit(kb / "topics" / "basics.yaml", OLD, NEW)
    (refusal,) = await Chat(tg, 555).say("/reload")
    assert refusal.text == "Sorry, only an admin can do that."
    (report,) = await Chat(tg, DOCTOR).say("/reload")  # ADMIN_IDS defaults to DOCTOR_IDS
    assert (report.text or "").startswith(
        ("Knowledge reloaded (/reload)", "Knowledge checked (/reload)")
    )
    (answer,) = await Chat(tg, READER).say(QUESTION)
    assert NEW in (answer.text or "")


async def test_sighup_reloads(tg: FakeTelegram, running, kb: Path) -> None:
    doctor = Doctor(tg)
    edit(kb / "topics" / "basics.yaml", OLD, NEW)
    running.proc.send_signal(signal.SIGHUP)  # (sooner than the watcher, which waits ≥ 1 s)
    await doctor.hears("Knowledge reloaded (SIGHUP)")
    assert NEW in await answer_now(tg)
    assert "SIGHUP: reloading the knowledge" in running.log
    assert running.returncode is None  # still running
