"""The console (`expertbot chat`) and Telegram give the same answers to the same questions.

Both run as real processes on the bundled knowledge, each with its own database: the reply
text (Telegram's, after HTML parsing) and the buttons must match, modulo whitespace.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.knowledge.loading import load_knowledge

from .conftest import PYTHON, ROOT, Chat, StartBot, bot_env, buttons, outcome
from .fake_telegram import FakeTelegram

BUNDLED = ROOT / "knowledge"
_BUTTON = re.compile(r"^  \[\d+\] (.*)$")


def sample_questions() -> list[str]:
    knowledge, problems = load_knowledge(BUNDLED)
    assert knowledge is not None, problems
    first = next(iter(knowledge.entries.values()))
    return [
        first.question,
        f"hi doctor, quick one: {first.question.lower()} thanks so much!",
        "How long does Botox last?",
        "Can you recommend a good pizza place in Rome?",
        "thanks!",
        "I had lip filler yesterday and now the skin on my lip is turning white",
    ]


def squash(text: str) -> str:
    return " ".join(text.split())


async def console(questions: list[str], db: Path) -> list[tuple[str, list[str]]]:
    """(text, button labels) of each reply in `expertbot chat`, fed on stdin."""
    proc = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        "chat",
        "--knowledge",
        str(BUNDLED),
        cwd=ROOT,
        env=bot_env(EXPERTBOT_DB=str(db)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdin = "".join(q + "\n" for q in questions).encode()
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode == 0, err.decode()
    replies: list[tuple[str, list[str]]] = []
    lines = out.decode().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("you> ")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = lines[start + 1 : end]
        labels = [m[1] for m in map(_BUTTON.match, body) if m]
        text = "\n".join(line for line in body if not _BUTTON.match(line))
        replies.append((squash(text), labels))
    assert len(replies) == len(questions), out.decode()
    return replies


async def test_console_and_telegram_give_the_same_answers(
    tg: FakeTelegram, start_bot: StartBot, tmp_path: Path
):
    questions = sample_questions()
    from_console = asyncio.create_task(console(questions, tmp_path / "console.sqlite3"))
    await start_bot(knowledge=BUNDLED, env={"EXPERTBOT_RATE_LIMIT": "0"})
    chats = [Chat(tg, 1000 + i) for i in range(len(questions))]
    for chat, question in zip(chats, questions, strict=True):
        tg.send_text(chat.chat_id, question)
    await Chat(tg, 999).say("/help")  # updates are handled in order: every reply is out
    expected = await from_console

    for chat, question, (text, labels) in zip(chats, questions, expected, strict=True):
        sent = chat.received()
        assert sent, question
        assert squash("\n\n".join(c.text for c in sent)) == text, question
        shown = [label for c in sent for label, _ in buttons(c)]
        # as multisets: the matcher orders equal scores differently in each process
        assert sorted(shown) == sorted(labels), question
    # the sample covers different kinds of replies (answer, urgent, small talk, ...)
    assert len({outcome(q, BUNDLED) for q in questions}) >= 4
    assert tg.rejected() == []
