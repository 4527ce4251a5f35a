"""The console chat (`expertbot chat`) gives a reader exactly what the service decides, the same
as `expertbot ask --json` (design.md §4): same outcome, same entry, same reply text. A number
typed after a reply picks that reply's button."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot import cli
from bot.knowledge.loading import Knowledge
from bot.models import Outcome
from bot.understanding import semantic
from bot.understanding.followup import looks_like_followup
from bot.understanding.snapshot import Snapshot
from bot.understanding.text import clean
from tests.conftest import BUNDLED_KB, DATA, RunCli, db_rows

SAMPLE_SIZE = 15
CONSOLE_CHAT_ID = 0
SUGGEST_CANDIDATES = (
    "botox",
    "filler",
    "retinol",
    "botox side effects",
    "which laser is best for redness",
    "retinol and vitamin c together",
)


def sample_cases() -> list[str]:
    """15 dev cases spread over the file (covered, near-misses, off-topic), plus its first
    urgent and first small-talk case. One console line each, so single-line texts only; none
    that would read as a follow-up of the one before (bot/understanding/followup.py: the console reads it
    in context, while `ask` is one message alone)."""
    cases = yaml.safe_load((DATA / "dev_cases.yaml").read_text(encoding="utf-8"))
    usable = [
        c["text"]
        for c in cases
        if "\n" not in c["text"]
        and not c["text"].startswith("/")
        and not c["text"].isdigit()
        and not looks_like_followup(c["text"])
    ]
    step = len(usable) / (SAMPLE_SIZE - 2)
    picked = [usable[int(i * step)] for i in range(SAMPLE_SIZE - 2)]
    for outcome in ("urgent", "smalltalk"):
        picked.append(next(c["text"] for c in cases if c.get("outcome") == outcome))
    assert len(set(picked)) == SAMPLE_SIZE
    return picked


def console_turns(out: str, lines: list[str]) -> list[str]:
    """The reply printed after each input line (piped stdin echoes `you> LINE`)."""
    turns = out.split("you> ")[1:]
    assert len(turns) == len(lines), out
    replies = []
    for line, turn in zip(lines, turns, strict=True):
        assert turn.startswith(line + "\n"), (line, turn[:200])
        assert turn.endswith("\n\n")
        replies.append(turn[len(line) + 1 : -2])
    return replies


@pytest.fixture
def ask_json(monkeypatch: pytest.MonkeyPatch, bundled_snapshot: Snapshot, tmp_path: Path):
    """`expertbot ask --json -k knowledge TEXT` in this process: the same command, with the
    bundled knowledge loaded once instead of per call (loading is tested elsewhere)."""
    real = cli.snapshot
    monkeypatch.setattr(cli, "snapshot", lambda d: bundled_snapshot if d == BUNDLED_KB else real(d))
    db = tmp_path / "ask.sqlite3"

    def ask(text: str) -> dict:
        result = CliRunner().invoke(
            cli.app, ["ask", "--json", "-k", str(BUNDLED_KB), text], env={"EXPERTBOT_DB": str(db)}
        )
        assert result.exit_code == 0, (result.stderr, result.exception)
        return json.loads(result.stdout)

    yield ask
    assert not db.exists()  # ask is a probe: it never opens the database


def test_console_matches_ask(run_cli: RunCli, db_path: Path, ask_json) -> None:
    texts = sample_cases()
    stdin = "".join(t + "\n" for t in texts)
    kb = str(BUNDLED_KB)
    with ThreadPoolExecutor(max_workers=2) as pool:  # the real processes run while we probe
        chat = pool.submit(run_cli, "chat", "-k", kb, stdin=stdin)
        real_ask = pool.submit(run_cli, "ask", "--json", "-k", kb, texts[0])
        decided = [ask_json(t) for t in texts]
        code, out, err = chat.result()
        a_code, a_out, a_err = real_ask.result()
    assert code == 0, err
    assert "Traceback" not in err
    assert a_code == 0, a_err
    assert json.loads(a_out) == decided[0]  # the real process agrees with the in-process probe

    outcomes = {d["outcome"] for d in decided}
    assert {"answer", "urgent", "smalltalk"} <= outcomes and len(outcomes) >= 4, outcomes

    for text, ask, shown in zip(texts, decided, console_turns(out, texts), strict=True):
        body, _, buttons = shown.partition("\n\n  [1] ")
        assert body == ask["reply"], text
        labels = [line.split("] ", 1)[1] for line in ("  [1] " + buttons).splitlines()]
        if ask["outcome"] == "answer":
            assert body.split("\n")[0] == ask["entry"]["question"]
            also = [label for label in labels if label.startswith("You also asked")]
            assert labels[len(also) : len(also) + 2] == ["👍", "👎"]
            assert f"Read more: {ask['entry']['link']}" in body
        elif ask["outcome"] == "suggest" and body.startswith("I think you're asking:"):
            [suggestion] = ask["suggestions"]
            held = "If this isn't it, I'll pass your question to the doctor."
            assert body == f"I think you're asking:\n\n{suggestion['question']}\n\n{held}"
            assert labels == ["Show the answer", "Not quite — ask the doctor"]
        elif ask["outcome"] == "suggest":
            assert labels[:-1] == [s["question"] for s in ask["suggestions"]]
            last = "None of these" if len(ask["suggestions"]) > 1 else "Not quite"
            assert labels[-1].startswith(last)
        else:
            assert buttons == "", text  # urgent, unmatched and small talk have no buttons

    # what the console stored is what ask decided (small talk is not stored)
    stored = db_rows(db_path, "SELECT chat_id, text, outcome, entry_id FROM questions ORDER BY id")
    expected = [
        (CONSOLE_CHAT_ID, clean(t), d["outcome"], d["entry"]["id"] if d["entry"] else None)
        for t, d in zip(texts, decided, strict=True)
        if d["outcome"] != "smalltalk"
    ]
    assert stored == expected
    queued = db_rows(db_path, "SELECT text, kind FROM queue ORDER BY id")
    at_once = [
        (clean(t), d["outcome"])
        for t, d in zip(texts, decided, strict=True)
        if d["outcome"] in ("unmatched", "urgent")
    ]
    # questions shown choices were held, and went to the doctor when the chat ended
    held = [
        (clean(t), "held") for t, d in zip(texts, decided, strict=True) if d["outcome"] == "suggest"
    ]
    assert held and queued == at_once + held
    assert db_rows(db_path, "SELECT COUNT(*) FROM held") == [(0,)]


@pytest.fixture(scope="module")
def suggest_text(bundled_snapshot: Snapshot) -> str:
    for text in SUGGEST_CANDIDATES:
        if bundled_snapshot.decide(text)[0].outcome is Outcome.SUGGEST:
            return text
    pytest.fail(f"none of {SUGGEST_CANDIDATES} gets a suggest reply any more")


def test_number_after_suggest_picks_that_button(
    run_cli: RunCli,
    db_path: Path,
    bundled_snapshot: Snapshot,
    bundled_knowledge: Knowledge,
    suggest_text: str,
) -> None:
    decision, _ = bundled_snapshot.decide(suggest_text)
    suggestions = [s.entry for s in decision.suggestions]
    assert len(suggestions) >= 2
    second = suggestions[1]
    last = str(len(suggestions) + 1)  # "None of these — ask the doctor"
    lines = [suggest_text, "2", suggest_text, last, last]
    code, out, err = run_cli("chat", "-k", str(BUNDLED_KB), stdin="".join(f"{x}\n" for x in lines))
    assert code == 0, err
    turns = console_turns(out, lines)
    settings = bundled_knowledge.settings

    assert turns[0].startswith(settings.text("suggest_intro"))
    assert f"  [2] {second.question}" in turns[0]
    # "2" opened the second suggestion's card
    assert turns[1].split("\n")[0] == second.question
    assert f"Read more: {second.link}" in turns[1]
    assert "[1] 👍" in turns[1]
    # the last number queued the question; the reply after it has no buttons, so a second
    # number is a question of its own, not a second tap
    assert turns[3] == settings.text("queued_from_suggest")
    assert db_rows(db_path, "SELECT chat_id, entry_id, text FROM alternates") == [
        (CONSOLE_CHAT_ID, second.id, suggest_text)
    ]
    assert db_rows(
        db_path, "SELECT chat_id, text, kind, status FROM queue WHERE kind = 'asked'"
    ) == [(CONSOLE_CHAT_ID, suggest_text, "asked", "pending")]
    outcomes = [o for (o,) in db_rows(db_path, "SELECT outcome FROM questions ORDER BY id")]
    assert outcomes[:2] == ["suggest", "suggest"]
    assert db_rows(db_path, "SELECT text FROM questions ORDER BY id")[2:] == [(last,)]


@pytest.mark.skipif(not semantic.available(), reason="needs the default install")
def test_the_seed_letter_is_answered_directly(run_cli: RunCli, db_path: Path) -> None:
    """The seed page's reader question, piped into the console of the default install (what
    `make run` serves without a token): the entry's answer and link, no "did you mean"."""
    letter = (DATA / "real_seed_message.txt").read_text()
    code, out, err = run_cli("chat", stdin=letter, env={"EXPERTBOT_SEMANTIC": "auto"}, timeout=90)
    assert code == 0, err
    reply = out.split("you> ", 1)[1]
    assert "Does long-term Botox or Dysport make facial muscles sag or waste away?" in reply
    assert (
        "Read more: https://www.skintour.com/q-and-a/botox-dysport-cause-muscle-sagging/" in reply
    )
    assert "Did you mean" not in reply and "I think you're asking" not in reply
    assert db_rows(db_path, "SELECT outcome, entry_id FROM questions") == [
        ("answer", "botox-dysport-cause-muscle-sagging")
    ]
