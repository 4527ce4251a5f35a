"""Many readers asking many questions, for the load, crash and fault-storm tests.

Why a workload module: those tests must check that *every* question got its reply, exactly
once, and that every unknown question reached the doctor's queue once. So each question
carries what the bot will do with it (decided in-process by the same matcher, nothing stored)
and the exact texts of the Telegram messages its reply takes (a long answer is split in two),
and the checks compare the fake server's record and the bot's database against that.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.conversation import render, replies
from bot.models import Entry, Outcome
from bot.understanding import followup

from .conftest import ROOT, SUGGEST_CANDIDATES, BotProcess, snapshot
from .fake_telegram import FakeTelegram, parse_html

# The bot for these tests: no per-chat rate limit (one reader asks ten questions at once), a
# JSON log line per update (its "ms"), and the lexical matcher — the one `snapshot()` uses in
# this process to know what the bot will answer (bot_env drops the EXPERTBOT_SEMANTIC=off
# that tests/conftest.py sets, so with the `semantic` extra installed the bot would differ).
ENV = {"EXPERTBOT_RATE_LIMIT": "0", "LOG_FORMAT": "json", "EXPERTBOT_SEMANTIC": "off"}
FIRST_READER = 1_000
SENTINEL = 999  # a reader who asks last (see ask_last)
RESULTS = ROOT / "bench" / "results_load.json"
# One reader's ten questions: half answered, some suggestions, some unknown — every path
# through the bot at volume. Never the same outcome twice in a row (see `deliveries`).
MIX = (
    Outcome.ANSWER,
    Outcome.UNMATCHED,
    Outcome.ANSWER,
    Outcome.SUGGEST,
    Outcome.ANSWER,
    Outcome.UNMATCHED,
    Outcome.ANSWER,
    Outcome.SUGGEST,
    Outcome.ANSWER,
    Outcome.UNMATCHED,
)
# Unknown questions, made unique per reader and question (the queue keeps one pending item
# per chat and normalised text, so "one pending row per unknown question" needs unique texts).
UNMATCHED_TEMPLATES = (
    "Who won the football match in town {reader} round {n}?",
    "What is the capital of country number {reader} in list {n}?",
    "zxqv wplk trovm {reader} {n}",
)


@dataclass(frozen=True, slots=True)
class Question:
    chat_id: int
    text: str
    outcome: Outcome
    replies: tuple[str, ...]  # the delivered (plain) text of each message of its reply

    @property
    def messages(self) -> int:
        """sendMessage calls its reply takes (a long answer is split)."""
        return len(self.replies)


@cache
def _entry_questions() -> tuple[str, ...]:
    """Entry questions the matcher answers directly (every entry of the e2e knowledge)."""
    texts = [entry.question for entry in snapshot().knowledge.entries.values()]
    return tuple(t for t in texts if _outcome(t) is Outcome.ANSWER)


@cache
def _suggest_texts() -> tuple[str, ...]:
    texts = tuple(t for t in SUGGEST_CANDIDATES if _outcome(t) is Outcome.SUGGEST)
    assert texts, f"none of {SUGGEST_CANDIDATES} gives a suggestion any more: add one"
    return texts


@cache
def _outcome(text: str) -> Outcome:
    return snapshot().decide(text)[0].outcome


@cache
def _in_context(
    text: str, last: tuple[str, str] | None
) -> tuple[Outcome, tuple[str, ...], Entry | None, str]:
    """What the bot does with `text` after the reader's last answer (its question and entry;
    a short message is read with it, bot/understanding/followup.py): the outcome, the messages as Telegram
    shows them, the entry answered, and the text it read."""
    snap = snapshot()
    turn = None if last is None else followup.Turn(last[0], snap.knowledge.entries[last[1]])
    reading = followup.read_in_context(snap, text, turn)
    decision = reading.decision
    queued = decision.outcome in (Outcome.UNMATCHED, Outcome.URGENT)
    held = decision.outcome is Outcome.SUGGEST  # shown choices: held for the doctor
    reply = replies.for_decision(
        snap.knowledge, decision, question_id=None, queued=queued, red_flag=reading.flag, held=held
    )
    html = render.telegram_html(reply)
    shown = tuple(parse_html(message)[0] for message in html)
    return decision.outcome, shown, decision.entry, reading.text


def _unmatched_text(reader: int, n: int) -> str:
    for template in UNMATCHED_TEMPLATES:
        text = template.format(reader=reader, n=n)
        if _outcome(text) is Outcome.UNMATCHED:
            return text
    raise AssertionError(f"no unknown question for reader {reader}, n {n}: add a template")


def questions_for(chat_id: int, count: int = 10) -> list[Question]:
    """`count` questions of one reader, in the order they are asked (MIX, repeated), each
    with what the bot does with it in this conversation (a short one right after an answer
    is read with it)."""
    answered, suggest = _entry_questions(), _suggest_texts()
    out = []
    last: tuple[str, str] | None = None
    for n in range(count):
        wanted = MIX[n % len(MIX)]
        if wanted is Outcome.ANSWER:
            text = answered[(chat_id + n) % len(answered)]
        elif wanted is Outcome.SUGGEST:
            text = suggest[(chat_id + n) % len(suggest)]
        else:
            text = _unmatched_text(chat_id, n)
        outcome, shown, entry, read = _in_context(text, last)
        if outcome is Outcome.ANSWER and entry is not None:
            last = (read, entry.id)
        out.append(Question(chat_id, text, outcome, shown))
    return out


def workload(readers: int, per_reader: int = 10, first: int = FIRST_READER) -> list[Question]:
    """Every reader's questions, interleaved: reader after reader, question after question
    (like real traffic, not one reader's burst after another's)."""
    by_reader = [questions_for(first + r, per_reader) for r in range(readers)]
    return [by_reader[r][n] for n in range(per_reader) for r in range(readers)]


def inject(tg: FakeTelegram, questions: Iterable[Question]) -> list[int]:
    """Put every question into the fake server at once; returns their update ids."""
    return [tg.send_text(q.chat_id, q.text) for q in questions]


async def ask_last(tg: FakeTelegram, timeout: float) -> None:
    """Ask one more question and wait for its reply: the bot handles updates one at a time,
    in order (also when Telegram delivers them again after a restart), so by then every
    update injected earlier was handled."""
    tg.send_text(SENTINEL, "/help")
    await tg.wait_for("sendMessage", lambda c: c.params.get("chat_id") == SENTINEL, timeout=timeout)


def expected_messages(questions: Iterable[Question]) -> int:
    return sum(q.messages for q in questions)


def by_chat(questions: Iterable[Question]) -> dict[int, list[Question]]:
    chats: dict[int, list[Question]] = {}
    for q in questions:
        chats.setdefault(q.chat_id, []).append(q)
    return chats


# --------------------------------------------------------------------------- checks


@dataclass
class Delivery:
    """How each question of a run was answered, from the messages the chats received."""

    times: dict[tuple[int, int], int]  # (chat_id, question index in that chat) -> full replies
    extra_messages: int  # messages beyond one reply per question (duplicates, partial ones)
    problems: list[str]  # unanswered questions, messages that answer nothing

    @property
    def duplicated_questions(self) -> int:
        return sum(1 for n in self.times.values() if n > 1)


def deliveries(
    tg: FakeTelegram, questions: list[Question], *, ignore_lost: bool = False
) -> Delivery:
    """Match every chat's messages to its questions, in order.

    The bot handles updates one at a time, in order, so in each chat the reply to question k
    comes before the reply to question k + 1. An update handled again after a crash (at least
    once) shows up as its reply repeated right after the first one; a reply cut short by a
    kill -9 (the first message of a long answer only) as a prefix followed by the full reply.
    No two consecutive questions of a reader get the same reply (MIX), so this is unambiguous.
    `ignore_lost`: leave out messages delivered although their answer was lost (the fake's
    "lost" fault): the bot could not know, and sent them again.
    """
    times: dict[tuple[int, int], int] = {}
    extra, problems = 0, []
    for chat_id, asked in by_chat(questions).items():
        texts = [c.text or "" for c in tg.sent_to(chat_id) if not (ignore_lost and c.response_lost)]
        position = 0
        for index, q in enumerate(asked):
            full = 0
            while position < len(texts) and texts[position] == q.replies[0]:
                window = tuple(texts[position : position + q.messages])
                if window == q.replies:
                    full += 1
                    position += q.messages
                else:  # a partial reply: its first message(s) only
                    prefix = 1
                    while prefix < len(window) and window[prefix] == q.replies[prefix]:
                        prefix += 1
                    extra += prefix
                    position += prefix
            times[(chat_id, index)] = full
            extra += max(full - 1, 0) * q.messages
            if not full:
                got = texts[position][:60] if position < len(texts) else "nothing"
                problems.append(f"chat {chat_id}: no reply to {q.text!r} (got {got!r})")
        if position < len(texts):
            extra += len(texts) - position
            problems.append(f"chat {chat_id}: {len(texts) - position} messages answer nothing")
    return Delivery(times, extra, problems)


def check_replies_exactly_once(
    tg: FakeTelegram, questions: list[Question], *, ignore_lost: bool = False
) -> None:
    """Every question got its reply (the exact texts), once, in order."""
    delivery = deliveries(tg, questions, ignore_lost=ignore_lost)
    assert not delivery.problems, f"{len(delivery.problems)} problems, e.g.:\n" + "\n".join(
        delivery.problems[:10]
    )
    twice = [key for key, n in delivery.times.items() if n != 1]
    assert not twice and not delivery.extra_messages, (
        f"{len(twice)} questions answered more than once ({delivery.extra_messages} extra "
        f"messages), e.g. {twice[:10]}"
    )


def check_store(bot: BotProcess, questions: list[Question]) -> None:
    """One `questions` row per question, one pending queue row per unknown question."""
    stored = Counter(bot.rows("SELECT chat_id, text FROM questions"))
    asked = Counter((q.chat_id, q.text) for q in questions)
    missing = asked - stored
    extra = stored - asked
    assert not missing, f"{sum(missing.values())} questions not stored, e.g. {list(missing)[:5]}"
    assert not extra, f"{sum(extra.values())} stored more than once, e.g. {list(extra)[:5]}"
    check_queue(bot, questions)


def check_queue(bot: BotProcess, questions: list[Question]) -> None:
    pending = Counter(bot.rows("SELECT chat_id, text FROM queue WHERE status = 'pending'"))
    unknown = Counter((q.chat_id, q.text) for q in questions if q.outcome is Outcome.UNMATCHED)
    assert pending == unknown, (
        f"queue: {sum((unknown - pending).values())} unknown questions missing, "
        f"{sum((pending - unknown).values())} extra pending rows"
    )


# --------------------------------------------------------------------------- measuring


def record(section: str, numbers: dict[str, Any]) -> None:
    """Print one test's numbers and merge them into bench/results_load.json."""
    print(f"\n{section}: {json.dumps(numbers)}")
    try:
        results = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        results = {}
    results[section] = numbers | {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def update_lines(log: str) -> list[dict[str, Any]]:
    """The one-per-update log lines (LOG_FORMAT=json) of a bot process."""
    lines = []
    for raw in log.splitlines():
        if not raw.startswith("{"):
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if "update_id" in data and "ms" in data:
            lines.append(data)
    return lines


def percentile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


def error_lines(log: str) -> list[str]:
    """ERROR/CRITICAL log lines and tracebacks (text or JSON format)."""
    bad = []
    for raw in log.splitlines():
        if "Traceback" in raw:
            bad.append(raw)
            continue
        if raw.startswith("{"):
            try:
                level = json.loads(raw).get("level")
            except ValueError:
                level = None
            if level in ("ERROR", "CRITICAL"):
                bad.append(raw)
        elif " ERROR " in raw or " CRITICAL " in raw:
            bad.append(raw)
    return bad


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (/proc/<pid>/stat, Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    # after "pid (comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
