"""Knowledge proposals (bot/proposals/service.py, bot/knowledge/writing.py, bot/storage/proposals.py): where they
come from, grouping and counting, what is not listed, accepting into the YAML by adding lines
only, rejecting, /forget, a read-only folder, a refused change, and the measured effect: a
phrasing that got "did you mean" is answered directly once its proposal is accepted."""

from __future__ import annotations

import difflib
import errno
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot.conversation.service import AnswerService
from bot.knowledge import writing as kbwrite
from bot.knowledge.checks import check
from bot.knowledge.loading import load_knowledge
from bot.models import Outcome
from bot.proposals.listing import READ_ONLY, ProposalError, ReadOnlyKnowledge
from bot.proposals.service import ProposalService
from bot.review.service import ReviewService
from bot.storage import Store
from bot.storage.proposals import phrasing
from bot.understanding import semantic
from bot.understanding.snapshot import Snapshot
from tests.conftest import BUNDLED_KB, db_rows

ROLLER = "stone rollers for puffy eyes?"
PURGE = "Does retinol cause purging?"


def snap(kb: Path) -> Snapshot:
    knowledge, problems = load_knowledge(kb)
    assert knowledge is not None, [str(p) for p in problems]
    return Snapshot.build(knowledge)


def service(store: Store, kb: Path) -> ProposalService:
    snapshot = snap(kb)
    return ProposalService(store, lambda: snapshot)


def only_added(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails when any line of `before` changed."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "\n".join(diff)
    return [d[2:] for d in diff if d.startswith("+ ")]


async def doctor_answers(store: Store, chat_id: int, text: str, answer: str) -> int:
    question_id, _ = await store.log_question(chat_id, text, "unmatched", None, 0.0, 1.0)
    (item,) = [i for i in await store.queue("pending") if i.question_id == question_id]
    await ReviewService(store).answer(item.id, answer, "dr")
    return item.id


# --- where they come from, grouping, counting -------------------------------------------------


async def test_same_words_are_one_proposal_counted_in_readers(store: Store, kb_dir: Path) -> None:
    proposals = service(store, kb_dir)
    await store.add_alternate(1, "jade-roller", ROLLER)
    await store.add_alternate(2, "jade-roller", "Stone rollers, for puffy eyes!!")
    await store.add_alternate(2, "jade-roller", "STONE ROLLERS FOR PUFFY EYES")  # same reader
    await store.add_alternate(3, "jade-roller", "  stone   rollers for puffy eyes ")
    await store.add_alternate(4, "cleansing-brush", "are face brushes worth the money")
    (roller, brush) = await proposals.list()
    assert roller.as_dict() == {
        "id": roller.id,
        "kind": "alternate",
        "entry_id": "jade-roller",
        "text": ROLLER,  # the first reader's words
        "count": 3,  # readers, not taps
        "source": "tap",
        "state": "pending",
    }
    assert roller.question == "Does a jade roller reduce puffiness?"
    assert roller.file == "kb/topics/tools.yaml"
    assert (brush.entry_id, brush.count) == ("cleansing-brush", 1)

    # the doctor links a reader's question with the same words: one more reader, from a link
    await store.log_question(5, "Stone rollers for puffy eyes?", "unmatched", None, 0, 1)
    (item,) = await store.queue("pending")
    await ReviewService(store, lambda: snap(kb_dir)).link_to_entry(item.id, "jade-roller", "dr")
    (roller2, _) = await proposals.list()
    assert (roller2.id, roller2.count, roller2.source) == (roller.id, 4, "link")  # a stable id


async def test_the_doctors_answer_proposes_a_new_entry(store: Store, kb_dir: Path) -> None:
    proposals = service(store, kb_dir)
    first = await doctor_answers(store, 1, PURGE, "Often, yes.\n\n- it passes")
    await store.log_question(2, "does retinol cause purging at first??", "unmatched", None, 0, 1)
    await store.log_question(3, "Retinol purging, is it real?", "unmatched", None, 0, 1)
    items = [i.id for i in await store.queue("pending")]
    await ReviewService(store).answer(items[0], "Same answer.", "dr")  # answered separately
    (entry, other) = await proposals.list()
    assert entry.as_dict() == {
        "id": entry.id,
        "kind": "entry",
        "entry_id": "does-retinol-cause-purging",
        "text": PURGE,
        "count": 1,
        "source": "answer",
        "state": "pending",
    }
    assert entry.answer == "Often, yes.\n\n- it passes"
    assert other.text == "does retinol cause purging at first??"
    assert first


async def test_a_group_answered_at_once_is_one_entry_with_alternates(
    store: Store, kb_dir: Path
) -> None:
    await store.log_question(1, PURGE, "unmatched", None, 0, 1)
    await store.log_question(
        2, "Hi! does retinol cause purging at first? thanks", "unmatched", None, 0, 1
    )
    (lead, _) = await store.queue("pending")
    await ReviewService(store).answer(lead.id, "Often, yes.", "dr", group=True)
    (entry,) = await service(store, kb_dir).list()
    assert entry.count == 2
    assert entry.alternates == ("does retinol cause purging at first?",)


@pytest.mark.parametrize(
    ("message", "proposed"),
    [
        ("Hi! does retinol cause purging at first? thanks", "does retinol cause purging at first?"),
        (
            "Dear Doctor, I'm 34, just found out I'm pregnant and I use a retinol serum every"
            " night. Should I stop?\nThanks so much,\nLinda",
            "I'm 34, just found out I'm pregnant and I use a retinol serum every night. Should"
            " I stop?",
        ),
        (
            "Hello! I have been reading your blog for years and I love it. Last spring my"
            " sister talked me into trying a jade roller because her friend swore it made her"
            " skin glow, and now I use it every morning before work. Does a jade roller"
            " actually reduce puffiness or is it a myth? Thank you, Kate",
            "Does a jade roller actually reduce puffiness or is it a myth?",
        ),
    ],
)
def test_a_proposal_is_the_asking_part_never_a_signature(message: str, proposed: str) -> None:
    assert phrasing(message) == proposed


# --- what is not listed -----------------------------------------------------------------------


async def test_words_already_in_the_entry_are_not_listed(store: Store, kb_dir: Path) -> None:
    await store.add_alternate(1, "exfoliate-how-often", "how many times a week can i use a scrub")
    await store.add_alternate(2, "jade-roller", "does a jade roller reduce puffiness")
    await store.add_alternate(3, "no-such-entry", ROLLER)  # its entry is gone
    assert await service(store, kb_dir).list() == []


async def test_what_the_matcher_already_answers_with_that_entry_is_not_listed(
    store: Store, kb_dir: Path
) -> None:
    snapshot = snap(kb_dir)
    answered = "how often should I use an exfoliating toner with acid"
    decision, _ = snapshot.decide(answered)
    assert decision.outcome is Outcome.ANSWER and decision.entry.id == "exfoliate-how-often"
    await store.add_alternate(1, "exfoliate-how-often", answered)
    assert await service(store, kb_dir).list() == []
    # the same words proposed for another entry are listed: the matcher gives another answer
    await store.add_alternate(2, "jade-roller", answered)
    (listed,) = await service(store, kb_dir).list()
    assert listed.entry_id == "jade-roller"


# --- accepting: only added lines ------------------------------------------------------------


async def test_accept_an_alternate_adds_exactly_its_lines(store: Store, kb_dir: Path) -> None:
    tools = kb_dir / "topics" / "tools.yaml"
    basics = kb_dir / "topics" / "basics.yaml"
    before_tools, before_basics = tools.read_text(), basics.read_text()
    await store.add_alternate(1, "jade-roller", ROLLER)
    await store.add_alternate(2, "exfoliate-how-often", "Scrub: daily or weekly? #skincare")
    proposals = service(store, kb_dir)
    ids = [p.id for p in await proposals.list()]
    result = await proposals.accept(ids, kb_dir)
    assert result.refused == []
    assert sorted(result.files) == ["kb/topics/basics.yaml", "kb/topics/tools.yaml"]
    assert [p.state for p in result.written] == ["accepted", "accepted"]
    assert only_added(before_tools, tools.read_text()) == [
        "    alternates:",
        "      - stone rollers for puffy eyes?",
    ]
    assert only_added(before_basics, basics.read_text()) == [
        "      - 'Scrub: daily or weekly? #skincare'",  # quoted: a colon and a '#'
    ]
    knowledge, problems = check(kb_dir)
    assert knowledge is not None and problems == []
    assert knowledge.get("exfoliate-how-often").alternates[-1] == (
        "Scrub: daily or weekly? #skincare"
    )
    assert await proposals.list() == []
    assert [p.state for p in await proposals.list("accepted")] == ["accepted", "accepted"]
    assert not list((kb_dir / "topics").glob(".*"))  # no temporary file left


TOPIC = """\
# A topic file with comments, quoting and blank lines that must stay as they are.
title: "Tools, and gadgets"   # quoted on purpose

entries:
  # the first entry
  - id: cleansing-brush
    question: 'Is an electric cleansing brush worth buying?'
    alternates:
      - "Are face brushes worth it?"   # a comment after an item

      - sonic brush, yes or no   # a blank line above
    # a comment between keys
    answer: >-
      Placeholder answer about cleansing brushes,
      for tests only.


    link: https://example.org/kb/cleansing-brush
    related: [jade-roller]
    reviewed: 2026-01-15


  - id: jade-roller
    question: Does a jade roller
      reduce puffiness?
    answer: |
      Placeholder answer about jade rollers.

      - for tests only
    link: https://example.org/kb/jade-roller
    reviewed: 2026-01-15
# the end
"""


async def test_comments_quoting_and_blank_lines_are_kept(store: Store, kb_dir: Path) -> None:
    tools = kb_dir / "topics" / "tools.yaml"
    tools.write_text(TOPIC)
    await store.add_alternate(1, "cleansing-brush", "is a brush better than hands? yes: no")
    await store.add_alternate(2, "jade-roller", "'cold' rollers - do they work?")
    proposals = service(store, kb_dir)
    result = await proposals.accept([p.id for p in await proposals.list()], kb_dir)
    assert result.refused == []
    after = tools.read_text()
    assert only_added(TOPIC, after) == [
        "      - 'is a brush better than hands? yes: no'",
        "    alternates:",
        "      - '''cold'' rollers - do they work?'",
    ]
    assert after.index("sonic brush, yes or no   # a blank line above\n      - 'is a brush") > 0
    assert "reduce puffiness?\n    alternates:\n" in after
    data = yaml.safe_load(after)
    assert data["entries"][1]["alternates"] == ["'cold' rollers - do they work?"]


async def test_a_new_entry_is_appended_as_a_draft(store: Store, kb_dir: Path) -> None:
    await store.log_question(1, PURGE, "unmatched", None, 0, 1)
    await store.log_question(2, "purging from retinol??", "unmatched", None, 0, 1)
    (lead, _) = await store.queue("pending")
    await ReviewService(store).answer(lead.id, "Often, yes.\n\n- it passes", "dr", group=True)
    proposals = service(store, kb_dir)
    (entry,) = await proposals.list()
    result = await proposals.accept([entry.id], kb_dir)
    assert result.written == []
    assert result.refused == [(entry.id, "a new entry needs a topic: --topic one of basics, tools")]
    result = await proposals.accept([entry.id], kb_dir, topic="nope")
    assert "no topic 'nope'" in result.refused[0][1]

    basics = kb_dir / "topics" / "basics.yaml"
    before = basics.read_text()
    result = await proposals.accept([entry.id], kb_dir, topic="basics")
    assert result.refused == []
    assert only_added(before, basics.read_text()) == [
        "",
        f"  # Draft from the doctor's answer (proposal #{entry.id}): add `link` and `reviewed`,"
        " then delete `draft: true`.",
        "  - id: does-retinol-cause-purging",
        "    question: Does retinol cause purging?",
        "    alternates:",
        "      - purging from retinol??",
        "    answer: |",
        "      Often, yes.",
        "",
        "      - it passes",
        "    draft: true",
    ]
    # a draft on purpose: not served, no warning, kb check --strict stays clean
    knowledge, problems = check(kb_dir)
    assert problems == []
    assert "does-retinol-cause-purging" in knowledge.drafts
    assert knowledge.get("does-retinol-cause-purging") is None
    assert await proposals.list() == []
    # the admin completes it: served
    text = basics.read_text().replace(
        "    draft: true\n",
        "    link: https://example.org/purging\n    reviewed: 2026-12-01\n",
    )
    basics.write_text(text)
    knowledge, problems = check(kb_dir)
    assert knowledge.get("does-retinol-cause-purging") is not None, problems


def test_kb_check_on_drafts(kb_dir: Path) -> None:
    tools = kb_dir / "topics" / "tools.yaml"
    text = tools.read_text()
    # draft: true without link: fine; with a reviewed date too: a warning (it is not served)
    marked = text.replace(
        "    link: https://example.org/kb/jade-roller\n    reviewed: 2026-01-15\n",
        "    draft: true\n",
    )
    tools.write_text(marked)
    knowledge, problems = check(kb_dir)
    assert problems == [] and "jade-roller" in knowledge.drafts
    tools.write_text(
        marked.replace("    draft: true\n", "    draft: true\n    reviewed: 2026-01-15\n")
    )
    knowledge, problems = check(kb_dir)
    assert [p.message for p in problems] == [
        "entry 'jade-roller' is marked 'draft: true': it is not served until the mark is deleted"
    ]
    # without the mark, the link is required again
    tools.write_text(marked.replace("    draft: true\n", "    reviewed: 2026-01-15\n"))
    knowledge, problems = check(kb_dir)
    assert knowledge is None
    assert any("missing required field 'link'" in p.message for p in problems)


# --- rejecting, /forget -------------------------------------------------------------------------


async def test_reject_sticks(store: Store, kb_dir: Path) -> None:
    proposals = service(store, kb_dir)
    await store.add_alternate(1, "jade-roller", ROLLER)
    (p,) = await proposals.list()
    (rejected,) = await proposals.reject([p.id, 999])
    assert (rejected.id, rejected.state) == (p.id, "rejected")
    assert await proposals.reject([p.id]) == []  # not pending any more
    await store.add_alternate(2, "jade-roller", ROLLER.upper())  # the same words again
    assert await proposals.list() == []
    (still,) = await proposals.list("rejected")
    assert (still.id, still.count) == (p.id, 2)
    result = await proposals.accept([p.id, 999], kb_dir)
    assert result.refused == [(p.id, "already rejected"), (999, "no such proposal")]


async def test_forget_takes_the_readers_proposals(
    store: Store, kb_dir: Path, db_path: Path
) -> None:
    proposals = service(store, kb_dir)
    await store.add_alternate(1, "jade-roller", ROLLER)
    await store.add_alternate(1, "cleansing-brush", "are face brushes worth the money")
    await store.add_alternate(2, "cleansing-brush", "Are face brushes worth the money?")
    await doctor_answers(store, 1, PURGE, "Often, yes.")
    roller, brush, entry = await proposals.list()
    await proposals.accept([roller.id], kb_dir)

    await store.forget(1)
    (left,) = await proposals.list()
    assert (left.id, left.count, left.text) == (brush.id, 1, "Are face brushes worth the money?")
    rows = db_rows(db_path, "SELECT id, state, text FROM proposals ORDER BY id")
    assert rows == [
        (roller.id, "accepted", ROLLER),  # it lives in the knowledge now
        (brush.id, "pending", "Are face brushes worth the money?"),  # the other reader's words
    ]
    assert entry.id not in [r[0] for r in rows]


async def test_retention_takes_old_proposals(store: Store, kb_dir: Path, db_path: Path) -> None:
    import datetime as dt

    await store.add_alternate(1, "jade-roller", ROLLER)
    assert len(await service(store, kb_dir).list()) == 1
    await store.prune_old(1, at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    assert db_rows(db_path, "SELECT COUNT(*) FROM proposals") == [(0,)]


# --- refusals -----------------------------------------------------------------------------------


async def test_a_read_only_folder_is_said_plainly(
    store: Store, kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposals = service(store, kb_dir)
    await store.add_alternate(1, "jade-roller", ROLLER)
    (p,) = await proposals.list()
    tools = kb_dir / "topics" / "tools.yaml"
    before = tools.read_text()
    monkeypatch.setattr("bot.proposals.service.writable", lambda path: False)
    with pytest.raises(ReadOnlyKnowledge) as caught:
        await proposals.accept([p.id], kb_dir)
    assert (
        str(caught.value)
        == READ_ONLY
        == (
            "the knowledge folder is read-only here: run `expertbot kb accept` where the knowledge "
            "is kept"
        )
    )
    monkeypatch.undo()

    def read_only_fs(*args: object) -> None:  # what a read-only mount does to os.replace
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("bot.knowledge.writing.os.replace", read_only_fs)
    with pytest.raises(ReadOnlyKnowledge):
        await proposals.accept([p.id], kb_dir)
    assert tools.read_text() == before
    assert [x.state for x in await proposals.list()] == ["pending"]
    assert not list((kb_dir / "topics").glob(".*"))


async def test_a_change_the_checks_would_not_pass_is_refused(store: Store, kb_dir: Path) -> None:
    # the example of exfoliate-how-often, proposed as an alternate of jade-roller: accepted,
    # the example would stop matching its entry (a new warning)
    await store.add_alternate(1, "jade-roller", "how often should i use an exfoliating acid toner")
    proposals = service(store, kb_dir)
    (p,) = await proposals.list()
    tools = kb_dir / "topics" / "tools.yaml"
    before = tools.read_text()
    with pytest.raises(ProposalError) as caught:
        await proposals.accept([p.id], kb_dir)
    assert str(caught.value).startswith("not written: the change would give kb/topics/basics.yaml:")
    assert "example of 'exfoliate-how-often' does not match it" in str(caught.value)
    assert tools.read_text() == before
    assert [x.state for x in await proposals.list()] == ["pending"]


async def test_knowledge_with_errors_is_not_touched(store: Store, kb_dir: Path) -> None:
    await store.add_alternate(1, "jade-roller", ROLLER)
    proposals = service(store, kb_dir)
    (p,) = await proposals.list()
    basics = kb_dir / "topics" / "basics.yaml"
    basics.write_text(basics.read_text().replace("    answer:", "    anser:", 1))
    with pytest.raises(ProposalError, match="has errors; fix them first"):
        await proposals.accept([p.id], kb_dir)


def test_kbwrite_refuses_what_it_cannot_add_by_lines() -> None:
    flow = "title: T\nentries:\n  - id: a\n    question: q?\n    alternates: [x, y]\n"
    with pytest.raises(kbwrite.KbWriteError, match="one per line"):
        kbwrite.add_alternate(flow, "a", "z")
    with pytest.raises(kbwrite.KbWriteError, match="no entry 'b'"):
        kbwrite.add_alternate(flow, "b", "z")
    with pytest.raises(kbwrite.KbWriteError, match="entries: \\[\\]"):
        kbwrite.append_entry("title: T\nentries: []\n", {"id": "b", "question": "q", "answer": "a"})
    with pytest.raises(kbwrite.KbWriteError):
        kbwrite.one_line_scalar("two\nlines")


def test_kbwrite_keeps_crlf_and_a_missing_last_newline() -> None:
    crlf = "title: T\r\nentries:\r\n  - id: a\r\n    question: q?\r\n    answer: x\r\n"
    out = kbwrite.add_alternate(crlf, "a", "z")
    assert out == crlf.replace("q?\r\n", "q?\r\n    alternates:\r\n      - z\r\n")
    bare = "title: T\nentries:\n  - id: a\n    question: q?"
    assert kbwrite.add_alternate(bare, "a", "z") == bare + "\n    alternates:\n      - z"


def test_kbwrite_on_every_bundled_entry() -> None:
    """Every entry of the bundled knowledge takes an awkward alternate by added lines only, and
    every topic file a new entry. (Each result is parsed with libyaml, the same YAML 1.1 as
    yaml.safe_load at a tenth of the time: some 400 parses of a whole topic file.)"""
    awkward = ["yes", "- a dash", "it's 50: 50 #odd", "2026-01-01", '"quoted"', "ünïcode ✓"]
    for path in sorted((BUNDLED_KB / "topics").glob("*.yaml")):
        text = path.read_text()
        data = _parse(text)
        for entry in data["entries"]:
            for alternate in awkward:
                out = kbwrite.add_alternate(text, entry["id"], alternate)
                only_added(text, out)
                (got,) = [e for e in _parse(out)["entries"] if e["id"] == entry["id"]]
                assert got["alternates"] == [*entry.get("alternates", []), alternate]
        new = {"id": "x-new", "question": "Q: new?", "answer": "A.\n\n- b\n", "draft": True}
        out = kbwrite.append_entry(text, new, comment="a draft")
        only_added(text, out)
        assert _parse(out)["entries"] == [*data["entries"], new]


def _parse(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


# --- the measured effect ------------------------------------------------------------------------

# Readers' phrasings, written for this test (not from real readers), that the bundled knowledge
# answers with "did you mean" today, with the entry they meant and how it reaches the doctor
# or the admins: a tap on the suggestion, or the doctor's "It's entry…" after "ask the doctor".
LOOP = [
    ("my tox is gone after 7 weeks, is that too soon?", "how-long-botox-lasts", "tap"),
    ("what spf should i wear in winter", "sunscreen-indoors-cloudy", "tap"),
    ("how long do lip fillers last on average", "lip-filler-duration-swelling", "tap"),
    ("when will I see results from my botox, it's been 3 days", "botox-onset-time", "tap"),
    ("is it safe to use retinol when breastfeeding", "retinoids-in-pregnancy", "link"),
    ("my forehead botox wore off, why so quick", "how-long-botox-lasts", "link"),
    ("is it normal my wrinkle shots didnt do anything for 2 days", "botox-onset-time", "link"),
]


async def test_the_loop_answers_the_next_reader_directly(store: Store, tmp_path: Path) -> None:
    kb = tmp_path / "knowledge"
    shutil.copytree(BUNDLED_KB, kb)
    before = snap(kb)
    answers = AnswerService(before, store)
    review = ReviewService(store, lambda: before)
    for reader, (text, entry_id, via) in enumerate(LOOP, start=1):
        reply = await answers.ask(reader, text)
        # (under the calibrated offer floor a vague one goes to the doctor with no list)
        assert reply.outcome in (Outcome.SUGGEST, Outcome.UNMATCHED), (text, reply.outcome)
        if via == "tap" and any(s.entry.id == entry_id for s in reply.suggestions):
            await answers.show_entry(reader, entry_id, reply.question_id)
        else:  # "None of these — ask the doctor" (or queued at once), then her "It's entry…"
            if reply.outcome is Outcome.SUGGEST:
                await answers.ask_doctor(reader, reply.question_id)
            (item,) = [i for i in await store.queue("pending") if i.chat_id == reader]
            await review.link_to_entry(item.id, entry_id, "dr")

    proposals = ProposalService(store, lambda: before)
    listed = await proposals.list()
    assert sorted((p.text, p.entry_id) for p in listed) == sorted((t, e) for t, e, _ in LOOP)
    result = await proposals.accept([p.id for p in listed], kb)
    # The guard may refuse one whose alternate would push another entry's example under its
    # threshold (with the calibration of issue 20, the last one moves an example's confidence
    # by 0.0008, across "I think you're asking"): it is refused with that reason, the rest written.
    assert len(result.refused) <= 1
    assert all("warning: example of" in why for _, why in result.refused), result.refused
    assert len(result.written) + len(result.refused) == len(LOOP)
    refused = {p.text for p in listed if p.id in {pid for pid, _ in result.refused}}

    after = snap(kb)
    direct_before = direct_after = 0
    for text, entry_id, _ in (loop for loop in LOOP if loop[0] not in refused):
        for shown in (text, text.upper() + "!"):  # the next reader, with the same words
            d_before, _ = before.decide(shown)
            d_after, _ = after.decide(shown)
            direct_before += d_before.outcome is Outcome.ANSWER
            assert d_after.outcome is Outcome.ANSWER and d_after.entry.id == entry_id, shown
            direct_after += 1
    print(f"answered directly: {direct_before} before, {direct_after} after")
    assert direct_before == 0 and direct_after >= 2 * (len(LOOP) - 1)
    assert [p.text for p in await ProposalService(store, lambda: after).list()] == sorted(refused)


async def test_migration_6_marks_the_doctors_links(db_path: Path) -> None:
    """Alternates stored before migration 6 are taps, except those a queue item was answered
    with by the doctor's link, in the same words."""
    import sqlite3

    from bot.storage import MIGRATIONS

    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    at = "2026-11-01T00:00:00+00:00"
    conn.executescript(
        f"""
        INSERT INTO queue (chat_id, text, norm, kind, status, created_at, entry_id, answered_via)
            VALUES (1, '{ROLLER}', 'x', 'unmatched', 'answered', '{at}', 'jade-roller', 'entry');
        INSERT INTO alternates (chat_id, entry_id, text, created_at)
            VALUES (1, 'jade-roller', '{ROLLER}', '{at}'), (2, 'jade-roller', 'tapped', '{at}');
        """
    )
    conn.close()
    store = await Store.open(db_path)
    await store.close()
    assert db_rows(db_path, "SELECT chat_id, source FROM alternates ORDER BY chat_id") == [
        (1, "link"),
        (2, "tap"),
    ]


def _bench_proposals(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BUNDLED_KB.parent / "bench"))  # as `python bench/…` has it
    path = BUNDLED_KB.parent / "bench" / "bench_proposals.py"
    spec = importlib.util.spec_from_file_location("bench_proposals", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_week_of_readers_through_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/bench_proposals.py on a slice: ten team-written messages the bundled knowledge did
    not answer directly (light mode), each tapped or linked as readers and the doctor would,
    every proposal accepted into a copy: their words are answered directly after, the copy gains
    lines only, and the knowledge check finds nothing new (and, where the meaning signal is
    installed, `kb check --strict` of the default install stays clean)."""
    bench = _bench_proposals(monkeypatch)
    before_hash = bench.tree_hash(BUNDLED_KB)
    result = await bench.run_loop(
        "light", limit=10, unanswered_only=True, sets={}, workdir=tmp_path
    )
    week, proposals, knowledge = result["week"], result["proposals"], result["knowledge"]
    assert week["messages"] == 10 and week["before"]["right"] == 0
    assert sum(week["actions"].values()) == 10
    assert proposals["listed"] == 10
    assert proposals["accepted"] + proposals["refused"] == 10
    assert proposals["accepted"] >= 8, proposals["refusals"]
    # the next reader who asks in the accepted words is answered directly with that entry; a
    # proposal is the asking part of a letter (no story, no signature), so the whole letter
    # again is not always answered directly, but the week as a whole gets better
    assert week["accepted_phrasings_right"] == proposals["accepted"]
    assert week["accepted_messages"] == proposals["accepted"]
    assert week["accepted_then_right"] >= proposals["accepted"] // 2
    assert week["after"]["wrong"] == 0
    assert knowledge["lines_added"] == proposals["accepted"] and knowledge["lines_removed"] == 0
    assert knowledge["check_new_problems"] == []
    assert bench.tree_hash(BUNDLED_KB) == before_hash  # only the copy was written
    if semantic.available():
        monkeypatch.setenv("EXPERTBOT_SEMANTIC", "auto")
        accepted, problems = check(tmp_path / "knowledge")
        strict = [p for p in problems if p.severity != "note"]  # notes never fail --strict
        assert accepted is not None and strict == [], [str(p) for p in strict]
