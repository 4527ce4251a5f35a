"""A blog imported while the real bot runs (README "Start from your own site"): the imported
drafts are never served; `kb publish` makes them answers the reader gets in Telegram within
seconds (live reload), and the doctors hear that the knowledge was reloaded."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import DATA, PYTHON, ROOT

from .conftest import Chat, StartBot, bot_env
from .fake_telegram import FakeTelegram
from .test_live_knowledge import DOCTOR, Doctor

READER = 77
QUESTION = "How soon can I fly after having dermal filler?"
ANSWER = "Cabin pressure does not move filler that has been placed well."


async def expertbot(kb: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        *args,
        "--knowledge",
        str(kb),
        cwd=ROOT,
        env=bot_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_imported_posts_are_served_once_published(
    tg: FakeTelegram, start_bot: StartBot, kb_e2e_copy: Path
) -> None:
    tg.send_text(DOCTOR, "/start")
    await start_bot(
        knowledge=kb_e2e_copy, env={"DOCTOR_IDS": str(DOCTOR), "EXPERTBOT_RATE_LIMIT": "0"}
    )
    await tg.wait_for("sendMessage", lambda c: c.params.get("chat_id") == DOCTOR)
    doctor = Doctor(tg)
    reader = Chat(tg, READER)

    code, out = await expertbot(
        kb_e2e_copy, "kb", "import", str(DATA / "import" / "blog.xml"), "--topic", "my-blog"
    )
    assert code == 0, out
    await doctor.hears("(file change)")  # the new file was read: drafts only
    (before,) = await reader.say(QUESTION)
    assert ANSWER not in (before.text or "")  # a draft is never served

    code, out = await expertbot(kb_e2e_copy, "kb", "publish", "flying-after-filler")
    assert code == 0, out
    await doctor.hears("Knowledge reloaded (file change)")
    (after,) = await reader.say(QUESTION)
    assert ANSWER in (after.text or "")
    assert "drvera-skin-notes.example/flying-after-filler/" in (after.text or "")
