"""The running bot's heartbeat as operators see it: `expertbot health` passes while the bot
runs (long polling and webhook mode), fails once it stopped; `db restore` refuses meanwhile."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, ClientTimeout

from bot.models import Outcome

from .conftest import (
    PYTHON,
    ROOT,
    UNMATCHED_CANDIDATES,
    StartBot,
    bot_env,
    free_port,
    snapshot,
    text_with,
)
from .fake_telegram import FakeTelegram

HOOK_URL = "https://bot.example.org/tg/hook"
SECRET = "s3cret_Value-1"
READER = 5551234


async def expertbot(*args: str, db) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=bot_env(EXPERTBOT_DB=str(db)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.slow  # reliability, real time: waits for the heartbeat to go stale
async def test_health_passes_while_polling_and_fails_after_stop(
    tg: FakeTelegram, start_bot: StartBot, tmp_path
):
    bot = await start_bot()
    code, out, err = await expertbot("health", db=bot.db)
    assert code == 0, err
    assert out.startswith("ok: heartbeat ") and "(polling, pid " in out
    assert out.count("\n") == 1

    backup = tmp_path / "backup.sqlite3"
    code, out, err = await expertbot("db", "backup", str(backup), db=bot.db)
    assert code == 0, err  # while the bot runs
    code, out, err = await expertbot("db", "restore", str(backup), db=bot.db)
    assert code == 1 and "the bot is running" in err

    assert await bot.stop() == 0
    code, out, err = await expertbot("health", db=bot.db)
    assert code == 1 and "the bot stopped at" in err
    code, out, err = await expertbot("db", "restore", str(backup), db=bot.db)
    assert code == 0, err


async def test_health_passes_in_webhook_mode(tg: FakeTelegram, start_bot: StartBot):
    port = free_port()
    env = {"WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    bot = await start_bot("--webhook", HOOK_URL, env=env, ready="webhook")
    code, out, err = await expertbot("health", db=bot.db)
    assert code == 0, err
    assert "(webhook, pid " in out


async def _get(url: str) -> tuple[int, dict]:
    async with ClientSession() as session, session.get(url, timeout=ClientTimeout(10)) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_healthz_in_webhook_mode(tg: FakeTelegram, start_bot: StartBot):
    port = free_port()
    env = {"WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    bot = await start_bot("--webhook", HOOK_URL, env=env, ready="webhook")
    healthz = f"http://127.0.0.1:{port}/healthz"

    status, body = await _get(healthz)  # no secret needed
    assert status == 200, body
    assert body == {
        "status": "ok",
        "knowledge_version": snapshot().knowledge.version,
        "queue_pending": 0,
    }

    question = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    update = tg.make_text_update(READER, question)
    assert await tg.post_webhook(f"http://127.0.0.1:{port}/tg/hook", update, SECRET) == 200
    status, body = await _get(healthz)
    assert status == 200 and body["queue_pending"] == 1
    assert question not in bot.log  # the reader's text is never logged at INFO
    [line] = [x for x in bot.log.splitlines() if " outcome=" in x]  # one line per update
    assert f"update {update['update_id']} message outcome=unmatched entry=- score=" in line
    assert " ms=" in line

    moved = bot.db.with_name("moved.sqlite3")
    bot.db.rename(moved)  # the database is gone: unusable
    try:
        status, body = await _get(healthz)
    finally:
        moved.rename(bot.db)
    assert status == 503
    assert body["status"] == "unavailable" and "does not exist" in body["reason"]
    status, body = await _get(healthz)
    assert status == 200 and body["queue_pending"] == 1
    assert bot.rows("SELECT COUNT(*) FROM questions")[0][0] == 1  # /healthz handled nothing
    assert await bot.stop() == 0
    assert SECRET not in bot.log
