"""The `expertbot` command (design.md §4), run as a real process: exit codes, output formats,
what is written to the database, and one clear line (never a traceback) for bad input."""

from __future__ import annotations

import difflib
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, db_rows, invoke_cli, one_line_error

OUTCOMES = {"answer", "suggest", "unmatched", "urgent", "smalltalk"}
EXFOLIATE = "How often should I use an exfoliating acid toner?"
JADE = "Does a jade roller reduce puffiness?"
UNKNOWN = "What is the capital of Peru?"


def one_json_object(code: int, out: str, err: str) -> dict:
    assert code == 0, err
    assert "Traceback" not in err
    assert out.endswith("\n") and out.count("\n") == 1, out[:500]
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def break_file(kb: Path) -> None:
    path = kb / "topics" / "tools.yaml"
    path.write_text(path.read_text().replace("    answer:", "    anser:", 1))


def make_draft(kb: Path) -> None:
    path = kb / "topics" / "tools.yaml"
    path.write_text(path.read_text().replace("    reviewed: 2026-01-15\n", "", 1))


# --- kb check ---------------------------------------------------------------------------------


def test_kb_check_clean(run_cli, kb_dir: Path) -> None:
    for args in (["kb", "check", str(kb_dir)], ["kb", "check", "--strict", str(kb_dir)]):
        code, out, err = run_cli(*args)
        assert code == 0, out + err
        assert out.strip().endswith("5 entries in 2 topics, 0 drafts; 0 errors, 0 warnings")
        assert "warning:" not in out and "error:" not in out
        assert err == ""


def test_kb_check_uses_expertbot_knowledge(run_cli, kb_dir: Path) -> None:
    code, out, _ = run_cli("kb", "check", env={"EXPERTBOT_KNOWLEDGE": str(kb_dir)})
    assert code == 0
    assert "5 entries in 2 topics" in out


def test_kb_check_errors_exit_1(run_cli, kb_dir: Path) -> None:
    break_file(kb_dir)
    code, out, err = run_cli("kb", "check", str(kb_dir))
    assert code == 1
    assert "kb/topics/tools.yaml:5: error: unknown field 'anser'" in out
    assert "kb/topics/tools.yaml:3: error: missing required field 'answer'" in out
    assert "2 errors, 0 warnings" in err
    assert "Traceback" not in err


def test_kb_check_warnings_exit_0_unless_strict(run_cli, kb_dir: Path) -> None:
    make_draft(kb_dir)
    code, out, err = run_cli("kb", "check", str(kb_dir))
    assert code == 0, err
    assert "kb/topics/tools.yaml:3: warning: entry 'cleansing-brush' has no 'reviewed' date" in out
    assert "4 entries in 2 topics, 1 drafts; 0 errors, 1 warnings" in out

    code, out2, err = run_cli("kb", "check", "--strict", str(kb_dir))
    assert code == 1
    assert out2 == out
    assert "Traceback" not in err


def test_kb_check_missing_folder(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    code, out, err = run_cli("kb", "check", str(missing))
    assert code == 1
    assert out == f"{missing}:1: error: knowledge folder not found\n"
    assert "Traceback" not in err


BROKEN_FILES = {
    "a-tab": "title: T\nentries:\n  - id: a\n\tquestion: q\n",
    "b-unclosed": 'title: "unclosed\n',
    "c-date": "title: T\nentries:\n  - id: a\n    reviewed: 2026-13-45\n",  # impossible date
    "d-list": "- just\n- a list\n",
    "e-types": "title: T\nentries:\n  - id: [1, 2]\n    question: {a: b}\n",
    "f-nul": "\x00\x01binary",
    "g-scalar": "just a sentence\n",
    "h-entries": "title: T\nentries: 5\n",
}


def test_kb_check_never_a_traceback(run_cli, kb_dir: Path) -> None:
    for name, text in BROKEN_FILES.items():
        (kb_dir / "topics" / f"{name}.yaml").write_text(text)
    (kb_dir / "bot.yaml").write_text("texts: [1, 2]\n")
    (kb_dir / "synonyms.yaml").write_text("botox: tox\n")
    (kb_dir / "safety.yaml").write_text("red_flags:\n  - id: x\n")
    code, out, err = run_cli("kb", "check", str(kb_dir))
    assert code == 1
    assert "Traceback" not in err + out
    for name in [*BROKEN_FILES, "../bot", "../synonyms", "../safety"]:
        path = f"kb/topics/{name}.yaml".replace("topics/../", "")
        assert any(
            line.startswith(path + ":") and ": error: " in line for line in out.splitlines()
        ), (
            name,
            out,
        )


# --- ask --------------------------------------------------------------------------------------


def test_ask_json_answer(run_cli, kb_dir: Path, db_path: Path) -> None:
    data = one_json_object(*run_cli("ask", "--knowledge", str(kb_dir), "--json", EXFOLIATE))
    assert set(data) == {"outcome", "entry", "score", "suggestions", "reply"}
    assert data["outcome"] == "answer"
    assert data["entry"] == {
        "id": "exfoliate-how-often",
        "question": EXFOLIATE,
        "link": "https://example.org/kb/exfoliate-how-often",
    }
    assert isinstance(data["score"], int | float) and 0 < data["score"] <= 1
    assert data["suggestions"] == []
    reply = data["reply"]
    assert reply.startswith(EXFOLIATE)
    assert "Placeholder answer about exfoliating" in reply
    assert "Read more: https://example.org/kb/exfoliate-how-often" in reply
    assert "<b>" not in reply and "<" not in reply  # plain text
    assert not db_path.exists() and not db_path.parent.exists()


def test_ask_json_unmatched(run_cli, kb_dir: Path, db_path: Path) -> None:
    data = one_json_object(*run_cli("ask", "-k", str(kb_dir), "--json", UNKNOWN))
    assert data["outcome"] == "unmatched"
    assert data["entry"] is None
    assert data["suggestions"] == []
    assert 0 <= data["score"] <= 1
    assert "Dr Example" in data["reply"]
    assert not db_path.parent.exists()


@pytest.mark.parametrize(
    "text",
    [
        JADE,
        "jade roller",
        "how often should I use a toner",
        "cleansing",
        "thanks!",
        "hello",
        UNKNOWN,
        "a\x01b\x7fc\u200b what is a jade roller",  # control and invisible characters
        "😀🙏✨",  # emoji only
        "<b>bold</b> <script>alert('x')</script> **jade** _roller_ [x](http://e.org)",
        "sunscreen " * 2000,  # 20,000 characters
    ],
)
def test_ask_json_shape(kb_dir: Path, db_path: Path, text: str) -> None:
    data = one_json_object(*invoke_cli(db_path, "ask", "-k", str(kb_dir), "--json", text))
    assert set(data) == {"outcome", "entry", "score", "suggestions", "reply"}
    assert data["outcome"] in OUTCOMES
    assert 0 <= data["score"] <= 1
    if data["outcome"] == "answer":
        assert set(data["entry"]) == {"id", "question", "link"}
    else:
        assert data["entry"] is None
    if data["outcome"] == "suggest":
        suggestions = data["suggestions"]
        assert 1 <= len(suggestions) <= 3
        assert all(set(s) == {"id", "question", "link", "score"} for s in suggestions)
        scores = [s["score"] for s in suggestions]
        assert scores == sorted(scores, reverse=True)
        assert len({s["id"] for s in suggestions}) == len(suggestions)
    else:
        assert data["suggestions"] == []
    assert isinstance(data["reply"], str) and data["reply"].strip()
    assert not any(ch in data["reply"] for ch in "\x01\x7f\u200b")
    assert not db_path.parent.exists()


def test_ask_plain(run_cli, kb_dir: Path) -> None:
    code, out, err = run_cli("ask", "-k", str(kb_dir), JADE)
    assert code == 0, err
    assert out.startswith("answer (score ")
    assert "Placeholder answer about jade rollers" in out
    assert "[1] 👍" in out and "[2] 👎" in out


def test_ask_empty_text(run_cli, kb_dir: Path, db_path: Path) -> None:
    line = one_line_error(*run_cli("ask", "-k", str(kb_dir), "--json", ""))
    assert "empty" in line
    for text in ("   ", "\n\t ", "\x01\x02\u200b"):
        line = one_line_error(*invoke_cli(db_path, "ask", "-k", str(kb_dir), "--json", text))
        assert "empty" in line
    assert not db_path.parent.exists()


def test_ask_missing_knowledge(run_cli, tmp_path: Path) -> None:
    line = one_line_error(*run_cli("ask", "-k", str(tmp_path / "nope"), "hello"))
    assert "not found" in line and "nope" in line


def test_ask_broken_knowledge(run_cli, kb_dir: Path) -> None:
    break_file(kb_dir)
    code, out, err = run_cli("ask", "-k", str(kb_dir), JADE)
    assert code == 1
    assert out == ""
    assert "kb/topics/tools.yaml:5: error: unknown field 'anser'" in err
    assert err.strip().splitlines()[-1].startswith("expertbot: ")
    assert "Traceback" not in err


# --- eval -------------------------------------------------------------------------------------

CASES = f"""\
- text: {EXFOLIATE}
  expect: exfoliate-how-often
- text: {JADE}
  expect: https://example.org/kb/jade-roller
- text: {UNKNOWN}
  expect: jade-roller
- text: {UNKNOWN}
  expect: null
"""

REPORT_FIELDS = {
    "cases",
    "covered",
    "uncovered",
    "right",
    "assisted",
    "wrong",
    "missed",
    "false_answers",
    "one_tap",
    "by_style",
    "urgent_expected",
    "urgent_caught",
    "urgent_false",
    "right_rate",
    "assisted_rate",
    "wrong_rate",
    "missed_rate",
    "false_answer_rate",
    "choices_uncovered",
    "reaches_doctor",
    "choices_uncovered_rate",
    "reaches_doctor_rate",
    "failures",
}


def test_eval_prints_counts(run_cli, kb_dir: Path, tmp_path: Path, db_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    code, out, err = run_cli("eval", str(cases), "-k", str(kb_dir))
    assert code == 0, err
    assert out.startswith("cases 4: covered 3, uncovered 1\n")
    assert "right        2  66.7%" in out
    assert "missed       1  33.3%" in out
    assert "false answers    0  0.0% of uncovered" in out
    assert "choices on uncovered    0  0.0% of uncovered" in out
    assert "reaches the doctor      1  100.0% of uncovered" in out
    failures = out.split("failures:")[1].strip().splitlines()
    assert len(failures) == 1
    assert "missed" in failures[0] and "expect=jade-roller" in failures[0]
    assert UNKNOWN in failures[0]
    assert not db_path.parent.exists()


def test_eval_json(run_cli, kb_dir: Path, tmp_path: Path, db_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    data = one_json_object(*run_cli("eval", str(cases), "-k", str(kb_dir), "--json"))
    assert set(data) == REPORT_FIELDS
    assert (data["cases"], data["covered"], data["uncovered"]) == (4, 3, 1)
    assert (data["right"], data["wrong"], data["missed"], data["false_answers"]) == (2, 0, 1, 0)
    assert data["right"] + data["assisted"] + data["wrong"] + data["missed"] == data["covered"]
    assert data["right_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert data["missed_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert data["false_answer_rate"] == 0
    # the uncovered case is unmatched: no list shown, and it reaches the doctor with no tap
    assert (data["choices_uncovered"], data["reaches_doctor"]) == (0, 1)
    assert data["reaches_doctor_rate"] == 1
    for name in REPORT_FIELDS:
        if name.endswith("_rate"):
            assert 0 <= data[name] <= 1
    assert data["failures"] == [
        {
            "text": UNKNOWN,
            "expect": "jade-roller",
            "outcome": "unmatched",
            "entry_id": None,
            "kind": "missed",
        }
    ]
    assert not db_path.parent.exists()


def test_eval_acceptable_style_one_tap_and_triage(run_cli, kb_dir: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        f"""\
- text: {JADE}
  expect: cleansing-brush
  acceptable: [jade-roller]
  style: short
- text: {JADE}
  expect: null
  acceptable: [https://example.org/kb/jade-roller]
  style: short
- text: {JADE}
  expect: cleansing-brush
  style: long
"""
    )
    data = one_json_object(*run_cli("eval", str(cases), "-k", str(kb_dir), "--json"))
    # an answer with an acceptable entry is right on a covered case, no false answer otherwise
    assert (data["covered"], data["right"], data["wrong"], data["false_answers"]) == (2, 1, 1, 0)
    assert data["one_tap"] == pytest.approx(0.5)
    assert data["by_style"]["short"] == {
        "covered": 1,
        "right": 1,
        "assisted": 0,
        "wrong": 0,
        "false_answers": 0,
        "uncovered": 1,
    }
    assert data["by_style"]["long"]["wrong"] == 1
    code, out, _ = run_cli("eval", str(cases), "-k", str(kb_dir))
    assert code == 0 and "one-tap   50.0%" in out


def test_eval_triage(run_cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        f"""\
- text: Since my lip filler an hour ago I can't breathe and my throat is swelling
  expect: null
  outcome: urgent
- text: {UNKNOWN}
  expect: null
  outcome: urgent
- text: {UNKNOWN}
  expect: null
"""
    )
    data = one_json_object(*run_cli("eval", str(cases), "-k", str(ROOT / "knowledge"), "--json"))
    assert (data["urgent_expected"], data["urgent_caught"], data["urgent_false"]) == (2, 1, 0)
    code, out, _ = run_cli("eval", str(cases), "-k", str(ROOT / "knowledge"))
    assert code == 0
    assert "recall 50.0%" in out and "over-triage 0/1" in out


def test_eval_counts_false_answers(run_cli, kb_dir: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(f"- text: {JADE}\n  expect: null\n")
    data = one_json_object(*run_cli("eval", str(cases), "-k", str(kb_dir), "--json"))
    assert (data["covered"], data["uncovered"], data["false_answers"]) == (0, 1, 1)
    assert data["false_answer_rate"] == 1
    assert data["right_rate"] == 0  # no covered cases: 0, not a division by zero
    (failure,) = data["failures"]
    assert failure["kind"] == "false_answer" and failure["entry_id"] == "jade-roller"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"- text: {JADE}\n  expect: no-such-entry\n", "unknown entry id 'no-such-entry'"),
        (f"- text: {JADE}\n  expect: https://example.org/nothing\n", "no entry has the link"),
        ('- text: "never closed\n  expect: null\n', "invalid YAML"),
        ("- text: [unclosed\n", "invalid YAML"),
        ("- text: a\n  text: b\n  expect: null\n", "duplicate key 'text'"),
        ("text: not a list\n", "must be a YAML list"),
        ("- text: no expect\n", "case 1 needs 'text' and 'expect'"),
        (f"- text: {JADE}\n  expect: null\n  outcome: answer\n", "outcome must be"),
        (f"- text: {JADE}\n  expect: null\n  acceptable: [nope]\n", "unknown entry id 'nope'"),
        (f"- text: {JADE}\n  expect: null\n  acceptable: jade-roller\n", "must be a list"),
    ],
)
def test_eval_bad_cases(
    kb_dir: Path, tmp_path: Path, db_path: Path, text: str, expected: str
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(text)
    code, out, err = invoke_cli(db_path, "eval", str(cases), "-k", str(kb_dir), "--json")
    line = one_line_error(code, out, err)
    assert str(cases) in line
    assert expected in line
    assert out == ""


def test_eval_bad_cases_in_a_real_process(run_cli, kb_dir: Path, tmp_path: Path) -> None:
    line = one_line_error(*run_cli("eval", str(tmp_path / "none.yaml"), "-k", str(kb_dir)))
    assert "none.yaml" in line
    cases = tmp_path / "cases.yaml"
    cases.write_text('- text: "never closed\n  expect: null\n')
    line = one_line_error(*run_cli("eval", str(cases), "-k", str(kb_dir)))
    assert (
        line == f"expertbot: {cases}:1: invalid YAML: while scanning a quoted scalar: never closed"
    )


# --- chat -------------------------------------------------------------------------------------


def chat(
    run_cli, kb: Path, *lines: str, env_db: Path | None = None, env: dict | None = None
) -> tuple[int, str, str]:
    """A console session fed from stdin, one line per argument, then end of input."""
    env = {**(env or {}), **({"EXPERTBOT_DB": str(env_db)} if env_db else {})} or None
    stdin = "".join(line + "\n" for line in lines)
    return run_cli("chat", "-k", str(kb), stdin=stdin, env=env)


def test_chat_session_is_stored(run_cli, kb_dir: Path, db_path: Path) -> None:
    code, out, err = chat(
        run_cli, kb_dir, EXFOLIATE, "1", "/topics", "/privacy", UNKNOWN
    )  # "1" taps 👍 under the answer
    assert code == 0, err
    assert "Traceback" not in err
    assert out.startswith("Hello! I answer questions from Dr Example's vetted answers.")
    assert "[1] Browse topics" in out
    turns = out.split("you> ")
    assert len(turns) == 6  # the greeting + 5 inputs
    assert turns[1].startswith(EXFOLIATE + "\n")
    assert "Placeholder answer about exfoliating" in turns[1]
    assert "[1] 👍" in turns[1] and "[3] Related: Do I need a separate day" in turns[1]
    assert turns[2].startswith("1\nThanks for the feedback!")
    assert "Pick a topic:" in turns[3] and "[1] Skincare basics (3)" in turns[3]
    assert "[2] Tools and gadgets (2)" in turns[3]
    assert "What is stored" in turns[4]
    assert "passed your question to Dr Example" in turns[5]

    assert db_path.exists()
    questions = db_rows(
        db_path, "SELECT chat_id, text, outcome, entry_id FROM questions ORDER BY id"
    )
    assert questions == [
        (0, EXFOLIATE, "answer", "exfoliate-how-often"),
        (0, UNKNOWN, "unmatched", None),
    ]
    assert db_rows(db_path, "SELECT chat_id, text, kind, status FROM queue") == [
        (0, UNKNOWN, "unmatched", "pending")
    ]
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [
        (0, "exfoliate-how-often", 1)
    ]


def test_chat_numbers_browse_topics(run_cli, kb_dir: Path, db_path: Path) -> None:
    # [1] Browse topics -> [2] Tools and gadgets -> [2] the jade roller question -> [2] 👎
    code, out, err = chat(run_cli, kb_dir, "1", "2", "2", "2")
    assert code == 0, err
    turns = out.split("you> ")
    assert "Pick a topic:" in turns[1]
    assert turns[2].startswith("2\nTools and gadgets\n")
    assert f"[2] {JADE}" in turns[2]
    assert turns[3].startswith(f"2\n{JADE}\n")
    assert "Placeholder answer about jade rollers" in turns[3]
    assert "Read more: https://example.org/kb/jade-roller" in turns[3]
    assert "Thanks for the feedback!" in turns[4]
    assert db_rows(db_path, "SELECT chat_id, entry_id, value FROM votes") == [
        (0, "jade-roller", -1)
    ]
    assert db_rows(db_path, "SELECT COUNT(*) FROM questions") == [(0,)]  # browsing is not asking


def test_chat_number_without_buttons_is_a_question(run_cli, kb_dir: Path, db_path: Path) -> None:
    code, out, err = chat(run_cli, kb_dir, "/privacy", "7")
    assert code == 0, err
    assert out.split("you> ")[-1].startswith("7\n")
    assert db_rows(db_path, "SELECT text FROM questions") == [("7",)]


def test_chat_forget(run_cli, kb_dir: Path, db_path: Path) -> None:
    code, out, err = chat(run_cli, kb_dir, UNKNOWN, JADE, "1", "/forget", "1")
    assert code == 0, err
    assert "Done: your questions and votes are deleted." in out
    for table in ("questions", "queue", "votes", "alternates"):
        assert db_rows(db_path, f"SELECT COUNT(*) FROM {table}") == [(0,)], table


def test_chat_bad_input(run_cli, kb_dir: Path, db_path: Path) -> None:
    long = "sunscreen " * 2000
    code, out, err = chat(
        run_cli,
        kb_dir,
        "   ",  # whitespace only: skipped
        "\x01\x02zebra\x07 stripes\u200b question",
        "😀🙏✨",
        "<b>bold</b> <script>alert('x')</script> **stars** _under_ [link](http://e.org)",
        long,
        "/quit",
        "never read",
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert out.count("you> ") == 4  # the blank line is skipped, /quit ends the session
    assert "never read" not in out
    stored = [text for (text,) in db_rows(db_path, "SELECT text FROM questions ORDER BY id")]
    assert "zebra stripes question" in stored  # control and invisible characters removed
    assert "<b>bold</b> <script>alert('x')</script> **stars** _under_ [link](http://e.org)" in (
        stored
    )
    longest = max(stored, key=len)
    assert longest.startswith("sunscreen sunscreen")
    assert len(longest) <= 10_000


def test_chat_undecodable_input(run_cli, kb_dir: Path, db_path: Path) -> None:
    # bytes that are not UTF-8 reach input() as lone surrogates; storing them must not crash
    code, out, err = run_cli("chat", "-k", str(kb_dir), stdin=b"zebra \xff\xfe stripes?\nhello\n")
    assert code == 0, err
    assert "Traceback" not in err
    assert "Hello! Ask me a question" in out  # the session went on after it
    ((text,),) = db_rows(db_path, "SELECT text FROM questions")
    assert text.startswith("zebra ") and text.endswith(" stripes?")


def test_chat_missing_knowledge(run_cli, tmp_path: Path, db_path: Path) -> None:
    line = one_line_error(*chat(run_cli, tmp_path / "nope", "hello"))
    assert "not found" in line
    assert not db_path.parent.exists()


def test_chat_unwritable_database(run_cli, kb_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "sub" / "db.sqlite3"
    line = one_line_error(*chat(run_cli, kb_dir, "hello", env_db=db))
    assert "database" in line and str(blocker) in line


def test_chat_database_that_is_not_sqlite(run_cli, kb_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "garbage.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    line = one_line_error(*chat(run_cli, kb_dir, "hello", env_db=db))
    assert "database" in line


def test_no_command_without_token_is_chat(run_cli, kb_dir: Path) -> None:
    code, out, err = run_cli(stdin=f"{JADE}\n", env={"EXPERTBOT_KNOWLEDGE": str(kb_dir)})
    assert code == 0, err
    assert out.startswith("Hello! I answer questions from Dr Example's vetted answers.")
    assert "Placeholder answer about jade rollers" in out


# --- queue list -------------------------------------------------------------------------------


def test_queue_list_json(run_cli, kb_dir: Path, db_path: Path) -> None:
    code, out, err = run_cli("queue", "list", "--json")
    assert (code, out, err) == (0, "[]\n", "")

    chat(run_cli, kb_dir, UNKNOWN, JADE, "Who painted the Mona Lisa?", UNKNOWN)
    code, out, err = run_cli("queue", "list", "--json")
    assert code == 0, err
    assert out.count("\n") == 1
    items = json.loads(out)
    assert [i["text"] for i in items] == [UNKNOWN, "Who painted the Mona Lisa?"]  # one per repeat
    for item in items:
        assert set(item) == {"id", "status", "kind", "chat_id", "text", "created_at"}
        assert item["status"] == "pending"
        assert item["kind"] == "unmatched"
        assert item["chat_id"] == 0
        assert isinstance(item["id"], int)
        assert item["created_at"][:4].isdigit()

    code, out, _ = run_cli("queue", "list")
    assert code == 0
    assert "Who painted the Mona Lisa?" in out and "pending" in out


def test_queue_list_explicit_db(run_cli, tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other" / "q.sqlite3"
    code, out, _ = run_cli("queue", "list", "--db", str(other))
    assert (code, out) == (0, "The queue is empty.\n")
    assert other.exists() and not db_path.exists()


def test_queue_list_unwritable_database(run_cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_line_error(*run_cli("queue", "list", "--json", "--db", str(blocker / "db.sqlite3")))
    assert "database" in line


def test_queue_list_newer_database_is_refused_without_hanging(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    line = one_line_error(*run_cli("queue", "list", "--db", str(db), timeout=20))
    assert "schema version 99" in line


# --- queue show / answer / dismiss / link / export, stats -----------------------------------


def seed(db: Path, *questions: tuple[int, str, str]) -> list[int]:
    """Log (chat id, text, outcome) questions through the Store; returns the queue item ids."""
    import asyncio

    from bot.storage import Store

    async def run() -> list[int]:
        store = await Store.open(db)
        try:
            for chat_id, text, outcome in questions:
                await store.log_question(chat_id, text, outcome, None, 0.0, 1.0)
            return [i.id for i in await store.queue(None)]
        finally:
            await store.close()

    return sorted(asyncio.run(run()))


PURGE = "Does retinol cause purging?"
PURGE_CHATTY = "Hi doctor! does retinol cause purging at first? thanks"


def test_queue_answer_without_a_token(run_cli, db_path: Path) -> None:
    first, chatty, peru = seed(
        db_path, (1, PURGE, "unmatched"), (2, PURGE_CHATTY, "unmatched"), (3, UNKNOWN, "unmatched")
    )
    code, out, err = run_cli("queue", "show", str(first))
    assert code == 0, err
    assert out.startswith(f"#{first} unmatched pending, asked ")
    assert PURGE in out and "Similar pending questions (1):" in out and PURGE_CHATTY in out

    code, out, err = run_cli("queue", "answer", str(first), "Often, yes.\n\nIt passes.", "--group")
    assert code == 0, err
    assert out.splitlines()[0] == f"Answered 2 questions: #{first}, #{chatty}."
    assert "Stored: 2 readers to receive it." in out
    assert db_rows(db_path, "SELECT id, status, answer, delivered FROM queue ORDER BY id") == [
        (first, "answered", "Often, yes.\n\nIt passes.", 0),
        (chatty, "answered", "Often, yes.\n\nIt passes.", 0),
        (peru, "pending", None, None),
    ]

    code, out, err = run_cli("queue", "answer", str(first), "Something else")
    assert code == 0, err
    assert out.startswith(f"#{first} was already answered by terminal at ")
    assert "nothing changed" in out
    assert db_rows(db_path, f"SELECT answer FROM queue WHERE id = {first}") == [
        ("Often, yes.\n\nIt passes.",)
    ]

    data = one_json_object(*run_cli("queue", "show", str(chatty), "--json"))
    assert data["status"] == "answered" and data["answered_by"] == "terminal"
    assert data["delivered"] is False and data["similar"] == []

    code, out, err = run_cli("queue", "dismiss", str(peru), "--by", "dr-b")
    assert (code, out) == (0, f"Dismissed 1 question: #{peru}.\n"), err
    assert db_rows(db_path, f"SELECT status, answered_by FROM queue WHERE id = {peru}") == [
        ("dismissed", "dr-b")
    ]
    code, out, _ = run_cli("queue", "list", "--status", "all", "--json")
    assert {i["status"] for i in json.loads(out)} == {"answered", "dismissed"}


def test_queue_commands_bad_input(run_cli, db_path: Path) -> None:
    (item,) = seed(db_path, (1, PURGE, "unmatched"))
    line = one_line_error(*run_cli("queue", "answer", "999", "text"))
    assert line == "expertbot: no queue item #999"
    line = one_line_error(*run_cli("queue", "show", "999"))
    assert "no queue item #999" in line
    line = one_line_error(*run_cli("queue", "dismiss", "999"))
    assert "no queue item #999" in line
    line = one_line_error(*run_cli("queue", "answer", str(item), "  "))
    assert "empty" in line
    assert db_rows(db_path, "SELECT status FROM queue") == [("pending",)]


def test_queue_link_and_export(run_cli, kb_dir: Path, db_path: Path, tmp_path: Path) -> None:
    first, other, _peru = seed(
        db_path,
        (1, PURGE, "unmatched"),
        (2, "stone face rollers for morning puffiness?", "unmatched"),
        (3, UNKNOWN, "unmatched"),
    )
    line = one_line_error(*run_cli("queue", "link", str(other), "nope", "-k", str(kb_dir)))
    assert "no entry with id 'nope'" in line
    code, out, err = run_cli("queue", "link", str(other), "jade-roller", "-k", str(kb_dir))
    assert code == 0, err
    assert out.startswith(f"Answered 1 question with entry jade-roller: #{other}.")
    code, _, err = run_cli("queue", "answer", str(first), "Often, yes.")
    assert code == 0, err

    code, out, err = run_cli("queue", "export", "-k", str(kb_dir))
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["entries"] == [
        {"id": "does-retinol-cause-purging", "question": PURGE, "answer": "Often, yes."}
    ]
    assert "# jade-roller:\n#   - stone face rollers for morning puffiness?" in out

    target = tmp_path / "drafts.yaml"
    code, out2, err = run_cli("queue", "export", str(target), "-k", str(kb_dir))
    assert code == 0 and out2 == "", err
    assert yaml.safe_load(target.read_text()) == data
    line = one_line_error(*run_cli("queue", "export", str(tmp_path / "no" / "such" / "f.yaml")))
    assert "cannot write" in line


def test_stats(run_cli, kb_dir: Path, db_path: Path) -> None:
    code, out, err = chat(run_cli, kb_dir, EXFOLIATE, "1", UNKNOWN, "thanks!")
    assert code == 0, err
    data = one_json_object(*run_cli("stats", "--json"))
    day = data["24h"]
    assert day["questions"] == 2  # small talk is not stored
    assert day["outcomes"]["answer"] == {"count": 1, "share": 0.5}
    assert day["outcomes"]["unmatched"] == {"count": 1, "share": 0.5}
    assert day["top_entries"] == [{"id": "exfoliate-how-often", "count": 1}]
    assert day["votes"] == [{"id": "exfoliate-how-often", "up": 1, "down": 0}]
    assert day["median_answer_seconds"] is None
    assert [g["text"] for g in data["pending_groups"]] == [UNKNOWN]
    assert data["7d"]["questions"] == 2

    code, out, err = run_cli("stats")
    assert code == 0, err
    assert out.startswith("Last 24 hours: 2 questions\n")
    assert "\n  answer         1   50.0%\n" in out
    assert "exfoliate-how-often" in out and "small talk is not stored" in out
    assert f"asked 1×  {UNKNOWN}" in out


def test_stats_chart_writes_a_png(run_cli, kb_dir: Path, db_path: Path, tmp_path: Path) -> None:
    code, _, err = chat(run_cli, kb_dir, EXFOLIATE, UNKNOWN)
    assert code == 0, err
    target = tmp_path / "out" / "chart.png"
    target.parent.mkdir()
    code, out, err = run_cli("stats", "--chart", str(target), "--knowledge", str(kb_dir))
    assert code == 0, err
    assert out.strip() == (
        f"Wrote {target}: 2 questions over 4 weeks, 1 of the most asked waiting questions."
    )
    png = target.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    code, out, err = run_cli("stats", "--chart", str(target), "--weeks", "1")
    assert code == 0, err
    assert "over 1 weeks" in out


def test_stats_chart_on_an_empty_database_and_bad_options(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "empty.png"
    code, out, err = invoke_cli(db_path, "stats", "--chart", str(target))
    assert code == 0, err
    assert "0 questions over 4 weeks" in out and target.read_bytes().startswith(b"\x89PNG")
    code, _, err = invoke_cli(db_path, "stats", "--chart", str(target), "--weeks", "0")
    assert code == 2 and "--weeks" in err
    code, out, err = invoke_cli(db_path, "stats", "--chart", str(tmp_path / "no" / "dir.png"))
    assert "cannot write" in one_line_error(code, out, err)


def test_stats_chart_without_matplotlib_is_one_line_and_exit_1(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    target = tmp_path / "chart.png"
    code, out, err = invoke_cli(db_path, "stats", "--chart", str(target))
    line = one_line_error(code, out, err)
    assert line == (
        "expertbot: the chart needs matplotlib: pip install 'expertbot[chart]' (or make install)"
    )
    assert not target.exists()


# --- kb proposals / accept / reject -------------------------------------------------------------

WRINKLE = "is it normal my wrinkle shots didnt do anything for 2 days"


@pytest.mark.slow  # end to end: about 12 CLI processes, each loading the meaning model
def test_the_loop_from_a_fresh_clone(run_cli, tmp_path: Path, db_path: Path) -> None:
    """Issue 13's "Done when": a question queued from `chat`, linked with `queue link`, is
    listed by `kb proposals --json`; `kb accept` adds exactly its line; `kb check --strict`
    stays clean; `ask` with the same words now answers with that entry. The default install
    (the meaning signal), on a copy of the bundled knowledge."""
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    meaning = {"EXPERTBOT_SEMANTIC": "auto"}
    probe = one_json_object(*run_cli("ask", "--json", "-k", str(kb), WRINKLE, env=meaning))
    assert probe["outcome"] in ("suggest", "unmatched")
    lines = [WRINKLE]
    if probe["outcome"] == "suggest":  # "None of these — ask the doctor" is the last button
        lines.append(str(len(probe["suggestions"]) + 1))
    code, out, err = chat(run_cli, kb, *lines, env=meaning)  # decided as the probe was
    assert code == 0, err
    (item,) = json.loads(run_cli("queue", "list", "--json")[1])
    assert item["text"] == WRINKLE
    code, out, err = run_cli("queue", "link", str(item["id"]), "botox-onset-time", "-k", str(kb))
    assert code == 0, err

    code, out, err = run_cli("kb", "proposals", "--json", "-k", str(kb), env=meaning)
    assert code == 0, err
    (proposal,) = json.loads(out)
    assert proposal == {
        "id": proposal["id"],
        "kind": "alternate",
        "entry_id": "botox-onset-time",
        "text": WRINKLE,
        "count": 1,
        "source": "link",
        "state": "pending",
    }
    code, out, err = run_cli("kb", "proposals", "-k", str(kb), env=meaning)
    assert out.startswith(
        f"#{proposal['id']} alternate for botox-onset-time (asked 1×, from the doctor's link):"
        f" {WRINKLE}\n"
    )

    before = {p.name: p.read_text() for p in (kb / "topics").glob("*.yaml")}
    code, out, err = run_cli("kb", "accept", str(proposal["id"]), "-k", str(kb), env=meaning)
    assert code == 0, err
    assert "knowledge/topics/botox.yaml" in out
    after = {p.name: p.read_text() for p in (kb / "topics").glob("*.yaml")}
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["botox.yaml"]
    diff = list(difflib.ndiff(before["botox.yaml"].splitlines(), after["botox.yaml"].splitlines()))
    assert [d for d in diff if d[:2] in ("- ", "+ ")] == [f"+       - {WRINKLE}"]

    code, out, err = run_cli("kb", "check", "--strict", str(kb), env=meaning)
    assert code == 0, out + err
    answer = one_json_object(*run_cli("ask", "--json", "-k", str(kb), WRINKLE, env=meaning))
    assert answer["outcome"] == "answer"
    assert answer["entry"]["id"] == "botox-onset-time"
    code, out, err = run_cli("kb", "proposals", "--json", "-k", str(kb), env=meaning)
    assert json.loads(out) == []
    code, out, err = run_cli("kb", "proposals", "--json", "--state", "accepted", "-k", str(kb))
    assert [p["state"] for p in json.loads(out)] == ["accepted"]


def test_kb_accept_reject_and_their_errors(
    kb_dir: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_path, (1, "stone rollers for puffy eyes?", "unmatched"), (2, UNKNOWN, "unmatched"))
    roller, peru = (i["id"] for i in json.loads(invoke_cli(db_path, "queue", "list", "--json")[1]))
    code, _, err = invoke_cli(
        db_path, "queue", "link", str(roller), "jade-roller", "-k", str(kb_dir)
    )
    assert code == 0, err
    code, _, err = invoke_cli(db_path, "queue", "answer", str(peru), "Lima.")
    assert code == 0, err
    code, out, err = invoke_cli(db_path, "kb", "proposals", "--json", "-k", str(kb_dir))
    alternate, entry = json.loads(out)
    assert (alternate["kind"], entry["kind"], entry["entry_id"]) == (
        "alternate",
        "entry",
        "what-is-the-capital-of-peru",
    )
    # a read-only folder (the Docker mount): said plainly, nothing written
    monkeypatch.setattr("bot.proposals.service.writable", lambda path: False)
    line = one_line_error(
        *invoke_cli(db_path, "kb", "accept", str(alternate["id"]), "-k", str(kb_dir))
    )
    assert line == (
        "expertbot: the knowledge folder is read-only here: run `expertbot kb accept` where the"
        " knowledge is kept"
    )
    monkeypatch.undo()
    # a new entry needs a topic: refused with the reason, exit 1, the alternate still goes
    code, out, err = invoke_cli(
        db_path, "kb", "accept", str(alternate["id"]), str(entry["id"]), "-k", str(kb_dir)
    )
    assert code == 1
    assert out.startswith(f"Added #{alternate['id']} to jade-roller in kb/topics/tools.yaml:")
    assert err == (
        f"expertbot: #{entry['id']} not accepted: a new entry needs a topic: --topic one of"
        " basics, tools\n"
    )
    code, out, err = invoke_cli(db_path, "kb", "reject", str(entry["id"]), "999")
    assert code == 1
    assert out == (
        f"Rejected #{entry['id']}: {UNKNOWN}\n#999 not rejected: not a pending proposal\n"
    )
    code, out, err = invoke_cli(db_path, "kb", "proposals", "-k", str(kb_dir))
    assert (code, out) == (0, "No pending proposals.\n")
    line = one_line_error(*invoke_cli(db_path, "kb", "proposals", "--state", "nope"))
    assert "unknown state 'nope'" in line
