"""Hostile input (issue 6, item 5), with hypothesis: arbitrary unicode, 100 KB messages, control,
RTL and zero-width characters, HTML/Markdown injection, SQL metacharacters, forged and replayed
button taps. Never a crash; every reply within Telegram's limits and valid Telegram HTML (checked
with the fake Bot API server's parser); the question stored verbatim (cleaned, capped), so no SQL
is built from strings; callback data always within 64 bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.conversation import render
from bot.conversation.service import AnswerService
from bot.models import Action, Button, Reply
from bot.storage import MAX_STORED_CHARS, Store, storable
from bot.telegram import callbacks
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean
from tests.conftest import db_rows
from tests.e2e.fake_telegram import parse_html

READER = 4242
TABLES = ("questions", "queue", "votes", "alternates", "handled_updates", "heartbeat")
SETTINGS = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- strategies

HOSTILE_SNIPPETS = [
    "'; DROP TABLE questions;--",
    '"; DELETE FROM queue; --',
    "' OR '1'='1",
    "Robert'); DROP TABLE votes;--",
    "%_\\",
    '<a href="https://evil.example/?a=1&b=2">click</a>',
    "</b></i></a>",
    "<b><i>unclosed",
    "<script>alert(1)</script>",
    "&amp; &lt; &gt; &quot; &#0; &#x110000; &bogus; & ;",
    "*bold* _italic_ `code` ```pre``` [link](http://x) ||spoiler|| ~strike~",
    "\u202eevil\u202c \u200f\u200e \u200b\u200c\u200d \u2066\u2069 \ufeff",
    "\x00\x01\x07\x1b[31m\x7f\x85\x9f",
    "\r\n\r\n\t\v\f",
    "👩‍👩‍👧‍👦 🏳️‍🌈 🇺🇦 \U0001f600" * 3,
    "مرحبا שלום 你好 Привет",
    "ﬁ Ⅻ ① ｆｕｌｌ",  # NFKC changes these
    "How long does lip filler last?",
    "botox",
    "my lip went white after the filler and it hurts so much",
]

_chars = st.characters(codec="utf-8")  # everything but lone surrogates
_all_chars = st.one_of(_chars, st.characters(categories=["Cs"]))  # ... and lone surrogates
_piece = st.one_of(
    st.sampled_from(HOSTILE_SNIPPETS),
    st.text(_all_chars, max_size=60),
    st.text(st.sampled_from("<>&;\"'/=:*_`[]()\\\n \x00\u200b\u202e"), max_size=30),
)
_short = st.lists(_piece, max_size=8).map("".join)
# up to ~100 KB: a hostile piece repeated, optionally with a short text around it
_huge = st.builds(
    lambda head, body, times: head + body * times,
    _short,
    st.one_of(_piece, st.just("word "), st.just("a" * 1000)),
    st.integers(100, 3000),
).map(lambda text: text[:100_000])
hostile_text = st.one_of(_short, _short, _huge)

_number = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.just("9" * 25),
    st.just("9" * 5000),  # past Python's int() digit limit
    st.sampled_from(["0", "-1", "00", "", " 1", "1.5", "1e9", "²", "١٢", "Ⅻ", "0x10"]),
)
_ident = st.one_of(
    st.text(_chars, max_size=80),
    st.sampled_from(["", "~", "~0000000000000000", "..", "../etc/passwd", "'; DROP TABLE x;--"]),
)


# --------------------------------------------------------------------------- helpers


class Loop:
    """One event loop and one store for all the examples of a test (hypothesis runs each
    example as a plain call, so an async fixture per example would be far too slow)."""

    def __init__(self, db: Path, snapshot: Snapshot) -> None:
        self.loop = asyncio.new_event_loop()
        self.db = db
        self.store = self.run(Store.open(db))
        self.service = AnswerService(snapshot, self.store)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.store.close())
        self.loop.close()


@pytest.fixture
def env(tmp_path: Path, bundled_snapshot: Snapshot) -> Iterator[Loop]:
    env = Loop(tmp_path / "hostile.sqlite3", bundled_snapshot)
    yield env
    env.close()


def assert_telegram_ok(reply: Reply) -> None:
    """What the fake Bot API server would check of a sendMessage with this reply."""
    assert isinstance(reply, Reply)
    messages = render.telegram_html(reply)
    assert messages
    for message in messages:
        assert len(message) <= render.TELEGRAM_LIMIT, len(message)
        plain, _ = parse_html(message)  # raises HTMLParseError where Telegram would refuse
        assert plain.strip(), repr(message)
        assert len(plain) <= render.TELEGRAM_LIMIT
    for button in reply.flat_buttons:
        assert len(callbacks.encode(button).encode("utf-8")) <= callbacks.LIMIT
        assert button.label.strip()


def assert_tables_intact(db: Path) -> None:
    names = {row[0] for row in db_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) <= names, names
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


# --------------------------------------------------------------------------- ask


@SETTINGS
@given(text=hostile_text)
@example(text="'; DROP TABLE questions;--")
@example(text="x" * 100_000)
@example(text="<b>" * 30_000)
@example(text="&" * 50_000)
@example(text="\u200b" * 50_000)
@example(text="\ud800 lone surrogate \udfff")
def _ask_property(env: Loop, text: str) -> None:
    before = db_rows(env.db, "SELECT COALESCE(MAX(id), 0) FROM questions")[0][0]
    reply = env.run(env.service.ask(READER, text))
    assert_telegram_ok(reply)
    cleaned = clean(text)
    stored = db_rows(env.db, "SELECT text FROM questions WHERE id > ? ORDER BY id", (before,))
    if not cleaned:
        assert stored == []
        return
    # small talk is not stored; anything else is, verbatim after cleaning and capping
    assert len(stored) <= 1
    if stored:
        assert stored[0][0] == storable(cleaned)
        assert len(stored[0][0]) <= MAX_STORED_CHARS
        for snippet in ("'; DROP TABLE questions;--", "' OR '1'='1"):
            if snippet in cleaned[:MAX_STORED_CHARS]:
                assert snippet in stored[0][0]


def test_ask_never_crashes_and_replies_fit_telegram(env: Loop) -> None:
    _ask_property(env)
    assert_tables_intact(env.db)


# --------------------------------------------------------------------------- press


def _press_property(env: Loop) -> Callable[..., None]:
    entry_ids = sorted(env.service.knowledge.entries)
    topic_ids = [t.id for t in env.service.knowledge.topics]
    known = st.sampled_from(entry_ids + topic_ids)
    arg = st.one_of(
        _ident,
        _number,
        st.builds(lambda h, t: f"{h}:{t}", st.one_of(known, _ident, _number), _number),
        st.builds(lambda h, t: f"{h}:{t}", _ident, _ident),
    )

    @SETTINGS
    @given(action=st.sampled_from(list(Action)), arg=arg, repeat=st.integers(1, 3))
    @example(action=Action.ASK_DOCTOR, arg="9" * 25, repeat=1)
    @example(action=Action.TOPICS, arg="²", repeat=1)
    @example(action=Action.TOPICS, arg="9" * 5000, repeat=1)
    @example(action=Action.ENTRY, arg=f"{entry_ids[0]}:{'9' * 25}", repeat=1)
    @example(action=Action.VOTE_UP, arg=entry_ids[0], repeat=3)
    def check(action: Action, arg: str, repeat: int) -> None:
        for _ in range(repeat):  # a replayed tap
            assert_telegram_ok(env.run(env.service.press(READER, action, arg)))

    return check


def test_press_with_forged_args_never_crashes(env: Loop) -> None:
    # a real question first, so that some forged question ids exist
    env.run(env.service.ask(READER, "What is the capital of Peru?"))
    _press_property(env)()
    assert_tables_intact(env.db)


@pytest.mark.parametrize(
    ("action", "arg"),
    [
        (Action.ASK_DOCTOR, "9" * 25),  # beyond SQLite's 64-bit INTEGER
        (Action.ASK_DOCTOR, "²"),  # str.isdigit() but not int()
        (Action.TOPICS, "²"),
        (Action.TOPIC, "x:²"),
        (Action.TOPICS, "9" * 5000),  # beyond int()'s 4300-digit limit
        (Action.ENTRY, "acne-scar-treatments:" + "9" * 25),  # a real entry, forged question id
        (Action.ENTRY, "acne-scar-treatments:²"),
        (Action.ENTRY, "acne-scar-treatments:" + "9" * 5000),
    ],
)
def test_press_known_hostile_args(env: Loop, action: Action, arg: str) -> None:
    assert_telegram_ok(env.run(env.service.press(READER, action, arg)))


@SETTINGS
@given(data=st.one_of(st.text(_chars, max_size=80), st.binary(max_size=64)))
@example(data="q:" + "9" * 25)
@example(data="e:~0000000000000000:1")
@example(data=":")
def _forged_data_property(env: Loop, data: str | bytes) -> None:
    if isinstance(data, bytes):  # what a client could put in 64 bytes
        data = data.decode("utf-8", "replace")
    decoded = callbacks.decode(data, env.service.knowledge)
    if decoded is not None:
        action, arg = decoded
        assert_telegram_ok(env.run(env.service.press(READER, action, arg)))


def test_forged_callback_data_never_crashes(env: Loop) -> None:
    _forged_data_property(env)
    assert_tables_intact(env.db)


# --------------------------------------------------------------------------- callback data


def test_callback_data_fits_and_round_trips(env: Loop) -> None:
    knowledge = env.service.knowledge
    known = sorted(knowledge.entries) + [t.id for t in knowledge.topics]
    changed = knowledge.settings.text("answer_changed")
    head = st.one_of(st.sampled_from(known), st.text(_chars, max_size=100))
    tail = st.one_of(st.just(""), _number.map(lambda n: ":" + n), st.text(_chars).map(":".__add__))

    @SETTINGS
    @given(action=st.sampled_from(list(Action)), head=head, tail=tail, label=st.text(_chars))
    @example(action=Action.ENTRY, head=known[0] + "é" * 40, tail=":12", label="")
    @example(action=Action.TOPIC, head=known[-1], tail=":" + "9" * 80, label="")
    def check(action: Action, head: str, tail: str, label: str) -> None:
        button = Button(label, action, head + tail)
        data = callbacks.encode(button)
        assert len(data.encode("utf-8")) <= callbacks.LIMIT
        decoded = callbacks.decode(data, knowledge)
        assert decoded is not None
        got_action, got_arg = decoded
        assert got_action is action
        got_head, _, got_tail = got_arg.partition(":")
        if data == f"{action.value}:{button.arg}":
            assert got_arg == button.arg  # sent as is (or a digest that happens to be known)
        elif head in known and ":" not in head:
            assert got_head == head  # resolved against the knowledge served now
            assert got_tail in (tail[1:], "")  # the number, unless it could not fit
        else:
            assert got_head.startswith(callbacks.DIGEST_MARK)  # unknown: "this answer changed"
            if action in (Action.ENTRY, Action.VOTE_UP, Action.VOTE_DOWN):
                reply = env.run(env.service.press(READER, action, got_arg))
                assert render.plain(reply) == render.plain(env.service.notice("answer_changed")), (
                    changed
                )

    check()
