"""`expertbot run` as a process: start-up checks, faults, stop, restart, webhook mode (§4, §6)."""

from __future__ import annotations

import signal

import pytest

from bot.models import Outcome

from .conftest import UNMATCHED_CANDIDATES, Chat, StartBot, free_port, text_with
from .fake_telegram import FakeTelegram

READER = 42
QUESTION = "How much sunscreen should I apply?"
HOOK_URL = "https://bot.example.org/tg/hook"
SECRET = "s3cret_Value-1"


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.strip()]


# --------------------------------------------------------------------------- start-up


async def test_invalid_token_exits_2_with_one_clear_line(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot(token="123:WRONG", ready=False)
    assert await bot.wait() == 2
    [line] = error_lines(bot.log)
    assert "rejected the token" in line and "expertbot chat" in line
    assert "123:WRONG" not in bot.log
    assert [c.method for c in tg.calls()] == ["getMe"]


async def test_malformed_token_exits_2(start_bot: StartBot):
    bot = await start_bot(token="not-a-token", ready=False)  # Telegram answers 404
    assert await bot.wait() == 2
    [line] = error_lines(bot.log)
    assert "expertbot chat" in line


async def test_missing_token_exits_2(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot(token=None, ready=False)
    assert await bot.wait() == 2
    [line] = error_lines(bot.log)
    assert "TELEGRAM_BOT_TOKEN" in line and "expertbot chat" in line
    assert tg.calls() == []


async def test_unusable_knowledge_or_database_exits_1(tmp_path, start_bot: StartBot):
    broken = tmp_path / "kb"
    (broken / "topics").mkdir(parents=True)
    (broken / "topics" / "t.yaml").write_text("title: T\nentries: [oops\n")
    bot = await start_bot(knowledge=broken, ready=False)
    assert await bot.wait() == 1
    [line] = error_lines(bot.log)
    assert "kb check" in line

    bot = await start_bot(db=tmp_path, ready=False)  # a folder, not a database file
    assert await bot.wait() == 1
    [line] = error_lines(bot.log)
    assert "database" in line


@pytest.mark.slow  # reliability, real time: real retry backoff at start
async def test_bot_api_failures_at_start_are_retried(tg: FakeTelegram, start_bot: StartBot):
    tg.fail_next("getMe", 502, times=2)
    tg.fail_next("setMyCommands", 500)
    tg.fail_next("getUpdates", "reset")
    await start_bot()
    assert [c.status for c in tg.calls("getMe")] == [502, 502, 200]
    [answer] = await Chat(tg, READER).say(QUESTION)
    assert answer.text.startswith(QUESTION)


@pytest.mark.slow  # reliability, real time: an outage, then a stop
async def test_a_stop_while_telegram_is_unreachable_exits_0(tg: FakeTelegram, start_bot: StartBot):
    tg.fail_next("getMe", 502, times=1000)
    bot = await start_bot(ready=False)
    await tg.wait_for("getMe", count=2, include_failed=True)
    assert await bot.stop() == 0


async def test_python_m_bot_without_a_command_runs_the_bot(tg: FakeTelegram, start_bot: StartBot):
    await start_bot(command=())  # TELEGRAM_BOT_TOKEN is set: the bot, not the console
    [answer] = await Chat(tg, READER).say(QUESTION)
    assert answer.text.startswith(QUESTION)


# --------------------------------------------------------------------------- faults


@pytest.mark.slow  # reliability, real time: waits out a real retry_after
async def test_429_is_waited_out_and_the_reply_arrives(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    tg.fail_next("sendMessage", 429, retry_after=1)
    [answer] = await Chat(tg, READER).say(QUESTION, timeout=15)
    assert answer.text.startswith(QUESTION)
    refused = [c for c in tg.calls("sendMessage") if c.status == 429]
    assert len(refused) == 1
    assert answer.time - refused[0].time >= 1.0  # it did wait retry_after


@pytest.mark.slow  # reliability, real time: real retry backoff while sending
async def test_network_errors_when_sending_are_retried(tg: FakeTelegram, start_bot: StartBot):
    await start_bot()
    tg.fail_next("sendMessage", 502)
    tg.fail_next("sendMessage", "reset")
    [answer] = await Chat(tg, READER).say(QUESTION)
    assert answer.text.startswith(QUESTION)


async def test_a_failing_update_does_not_stop_the_others(tg: FakeTelegram, start_bot: StartBot):
    unknown = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    bot = await start_bot()
    tg.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    first = tg.send_text(READER, unknown)
    [answer] = await Chat(tg, 77).say(QUESTION)
    assert answer.text.startswith(QUESTION)
    assert f"update {first} failed" in bot.log
    assert unknown not in bot.log and QUESTION not in bot.log  # a reader's text is not logged
    # the failed update's question was stored before the reply failed
    assert bot.rows("SELECT text FROM queue WHERE chat_id = ?", (READER,)) == [(unknown,)]


# --------------------------------------------------------------------------- stop / restart


@pytest.mark.slow  # reliability, real time: signals to a running bot, twice
async def test_sigterm_and_sigint_stop_cleanly(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot()
    await Chat(tg, READER).say(QUESTION)
    assert await bot.stop(signal.SIGTERM) == 0
    assert tg.confirmed_offset > 0 and tg.pending_updates == []  # acknowledged at stop
    bot = await start_bot()
    assert await bot.stop(signal.SIGINT) == 0
    assert "Traceback" not in bot.log


async def test_a_redelivered_update_is_not_answered_twice(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot()
    chat = Chat(tg, READER)
    update = tg.make_text_update(READER, "Is an electric cleansing brush worth buying?")
    await chat.send(update)
    assert await bot.stop() == 0
    # Telegram delivers it again (e.g. the acknowledgement was lost): same update_id
    bot = await start_bot()
    tg.send_update(update)
    await chat.say(QUESTION)
    assert len(chat.received()) == 2
    assert bot.rows("SELECT COUNT(*) FROM questions")[0][0] == 2
    assert "already handled" in bot.log


@pytest.mark.slow  # reliability, real time: kill -9 mid-reply, then a restart
async def test_killed_while_replying_then_restarted_nothing_lost(
    tg: FakeTelegram, start_bot: StartBot
):
    unknown = text_with(Outcome.UNMATCHED, UNMATCHED_CANDIDATES)
    bot = await start_bot()
    tg.fail_next("sendMessage", "timeout")  # the reply hangs...
    tg.send_text(READER, unknown)
    await tg.wait_for("sendMessage", include_failed=True)
    assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL  # ...and the bot dies
    assert tg.pending_updates  # never acknowledged

    bot = await start_bot()
    [reply] = await Chat(tg, READER).expect(0)
    assert "passed your question" in reply.text
    assert bot.rows("SELECT COUNT(*) FROM queue")[0][0] == 1  # one queue item all the same


# --------------------------------------------------------------------------- webhook


async def test_webhook_mode_checks_the_secret(tg: FakeTelegram, start_bot: StartBot):
    port = free_port()
    env = {"WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    bot = await start_bot("--webhook", HOOK_URL, env=env, ready="webhook")
    assert tg.webhook is not None
    assert tg.webhook["url"] == HOOK_URL and tg.webhook["secret_token"] == SECRET
    local = f"http://127.0.0.1:{port}/tg/hook"

    update = tg.make_text_update(READER, QUESTION)
    assert await tg.post_webhook(local, update, SECRET) == 200
    # 200 only after the update was handled: the answer is already out, the question stored
    [answer] = tg.sent_to(READER)
    assert answer.text.startswith(QUESTION)
    assert bot.rows("SELECT COUNT(*) FROM questions")[0][0] == 1
    assert await tg.post_webhook(local, update, SECRET) == 200  # a retry: not answered again

    for secret in ("wrong", None):
        other = tg.make_text_update(READER, "Does a jade roller reduce puffiness?")
        assert await tg.post_webhook(local, other, secret) == 403
    assert await tg.post_webhook(f"http://127.0.0.1:{port}/elsewhere", update, SECRET) == 404
    assert len(tg.sent_to(READER)) == 1
    assert bot.rows("SELECT COUNT(*) FROM questions")[0][0] == 1
    assert not [c for c in tg.calls() if c.method == "getUpdates"]
    assert await bot.stop() == 0
    assert SECRET not in bot.log


async def test_webhook_mode_without_a_secret_exits_2(tg: FakeTelegram, start_bot: StartBot):
    bot = await start_bot("--webhook", HOOK_URL, ready=False)
    assert await bot.wait() == 2
    [line] = error_lines(bot.log)
    assert "WEBHOOK_SECRET" in line
    assert tg.calls() == []
