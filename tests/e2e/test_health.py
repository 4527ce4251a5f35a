"""The running bot's heartbeat as operators see it: `expertbot health` passes while the bot
runs (long polling and webhook mode), fails once it stopped; `db restore` refuses meanwhile."""

from __future__ import annotations

import asyncio

from .conftest import PYTHON, ROOT, StartBot, bot_env, free_port
from .fake_telegram import FakeTelegram

HOOK_URL = "https://bot.example.org/tg/hook"
SECRET = "s3cret_Value-1"


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
