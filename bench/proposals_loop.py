"""The knowledge loop's parts for bench_proposals.py: a week of readers through the real
services (taps, the doctor's links), every proposal accepted into a copy of the knowledge (a
refused batch split until each refusal is found), and the grading of the development sets
before and after. No sibling imports, so a test can load it by path."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation.service import AnswerService  # noqa: E402
from bot.knowledge.files import knowledge_files  # noqa: E402
from bot.knowledge.loading import load_knowledge  # noqa: E402
from bot.models import Action, Outcome, Reply  # noqa: E402
from bot.proposals.listing import Accepted, ProposalError  # noqa: E402
from bot.proposals.service import ProposalService  # noqa: E402
from bot.review.service import ReviewService  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.understanding.evaluate import Case, Report, evaluate  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402

DATA = ROOT / "tests" / "data"
KNOWLEDGE = ROOT / "knowledge"
WEEK = DATA / "dev_cases.yaml"
# name -> (file, used to make proposals)
SETS: dict[str, tuple[Path, bool]] = {
    "dev": (DATA / "dev_cases.yaml", True),
    "holdout": (DATA / "holdout_cases.yaml", False),
    "hard": (DATA / "hard_examples.yaml", False),
    "real": (DATA / "real_dev.yaml", False),
}
MODES = ("default", "light")


# --- the week -------------------------------------------------------------------------------------


def covered(cases: Sequence[Case]) -> list[Case]:
    """The messages an entry answers (what a reader could tap or the doctor link)."""
    return [c for c in cases if c.expect is not None and c.outcome is None]


def entry_button(reply: Reply, entry_id: str) -> str | None:
    """The data of the reply's button that opens `entry_id` from this question, if offered."""
    for button in reply.flat_buttons:
        if button.action is Action.ENTRY and button.arg.partition(":")[0] == entry_id:
            return button.arg
    return None


def doctor_button(reply: Reply) -> str | None:
    for button in reply.flat_buttons:
        if button.action is Action.ASK_DOCTOR:
            return button.arg
    return None


async def linked(store: Store, review: ReviewService, question_id: int, entry_id: str) -> bool:
    """The doctor answers the queued question with the entry (`expertbot queue link`)."""
    items = [i for i in await store.queue("pending", limit=5000) if i.question_id == question_id]
    if not items:
        return False
    await review.link_to_entry(items[0].id, entry_id, "doctor")
    return True


async def a_week(
    store: Store, snapshot: Snapshot, cases: Sequence[Case]
) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Each covered message from its own reader, and what the reader and the doctor did."""
    answers = AnswerService(snapshot, store)
    review = ReviewService(store, lambda: snapshot)
    actions: Counter[str] = Counter()
    week = []
    for chat_id, case in enumerate(cases, start=1):
        assert case.expect is not None
        reply = await answers.ask(chat_id, case.text)
        outcome = reply.outcome.value if reply.outcome else "none"
        tap = entry_button(reply, case.expect) if reply.outcome is Outcome.SUGGEST else None
        if reply.outcome is Outcome.ANSWER:
            right = reply.entry is not None and reply.entry.id == case.expect
            action = "answered right" if right else "answered wrong (nothing proposed)"
        elif tap is not None:
            await answers.press(chat_id, Action.ENTRY, tap)
            action = "tapped the suggestion"
        elif reply.outcome is Outcome.SUGGEST:
            arg = doctor_button(reply)
            if arg is not None:
                await answers.press(chat_id, Action.ASK_DOCTOR, arg)
            done = reply.question_id and await linked(store, review, reply.question_id, case.expect)
            action = "asked the doctor, linked" if done else "not offered, not queued"
        elif reply.outcome is Outcome.UNMATCHED and reply.question_id:
            done = await linked(store, review, reply.question_id, case.expect)
            action = "queued, linked by the doctor" if done else "unmatched, not queued"
        else:
            action = f"{outcome} (nothing proposed)"
        actions[action] += 1
        week.append({"text": case.text, "expect": case.expect, "outcome": outcome})
    return actions, week


# --- accepting ------------------------------------------------------------------------------------


async def accept_all(
    proposals: ProposalService, ids: Sequence[int], kb: Path
) -> tuple[list[int], list[tuple[int, str]], int]:
    """Accept `ids`; a batch the check refuses as a whole is halved until each refusal is found.
    Returns (accepted ids, [(id, reason)], accept calls)."""
    accepted: list[int] = []
    refused: list[tuple[int, str]] = []
    calls = 0

    async def go(batch: Sequence[int]) -> None:
        nonlocal calls
        if not batch:
            return
        calls += 1
        try:
            result: Accepted = await proposals.accept(batch, kb, by="bench")
        except ProposalError as exc:
            if len(batch) == 1:
                refused.append((batch[0], str(exc)))
                return
            half = len(batch) // 2
            await go(batch[:half])
            await go(batch[half:])
            return
        accepted.extend(p.id for p in result.written)
        refused.extend(result.refused)

    await go(list(ids))
    return accepted, refused, calls


def diff_lines(original: Path, copy: Path) -> dict[str, Any]:
    """Lines added and removed per knowledge file, copy against the original."""
    added = removed = 0
    files = []
    for path in knowledge_files(original):
        rel = path.relative_to(original)
        before = path.read_text(encoding="utf-8").splitlines()
        after = (copy / rel).read_text(encoding="utf-8").splitlines()
        plus = minus = 0
        for line in difflib.ndiff(before, after):
            plus += line.startswith("+ ")
            minus += line.startswith("- ")
        if plus or minus:
            files.append(str(rel))
        added += plus
        removed += minus
    return {"lines_added": added, "lines_removed": removed, "files_changed": files}


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- measuring ------------------------------------------------------------------------------------


def figures(report: Report) -> dict[str, Any]:
    return {
        "cases": report.cases,
        "covered": report.covered,
        "uncovered": report.uncovered,
        "right": report.right,
        "assisted": report.assisted,
        "wrong": report.wrong,
        "missed": report.missed,
        "false_answers": report.false_answers,
        "right_rate": report.right_rate,
        "right_assisted_rate": round(report.right_rate + report.assisted_rate, 4),
        "wrong_rate": report.wrong_rate,
        "false_answer_rate": report.false_answer_rate,
        "one_tap": report.one_tap,
    }


GRADES = {"right": 3, "assisted": 2, "missed": 1, "wrong": 0, "ok": 1, "false_answer": 0}


def graded(snapshot: Snapshot, cases: Sequence[Case]) -> tuple[Report, list[str]]:
    """`evaluate`'s report, and each case's grade by the same rules (one decision per case):
    covered right / assisted / missed / wrong, uncovered ok / false_answer."""
    decisions = [snapshot.decide(case.text)[0] for case in cases]
    it = iter(decisions)
    report = evaluate(snapshot, list(cases), decide=lambda _: next(it))
    grades = []
    for case, decision in zip(cases, decisions, strict=True):
        one = evaluate(snapshot, [case], decide=lambda _, d=decision: d)
        if one.covered:
            grade = (
                "right"
                if one.right
                else "assisted"
                if one.assisted
                else "wrong"
                if one.wrong
                else "missed"
            )
        else:
            grade = "false_answer" if one.false_answers else "ok"
        grades.append(grade)
    return report, grades


def changes(cases: Sequence[Case], before: list[str], after: list[str]) -> dict[str, Any]:
    """Which cases got better or worse, and the worse ones (a wrong or false answer is a new
    mistake; right → assisted or assisted → missed a lost direct answer or suggestion)."""
    better = worse = 0
    worse_cases = []
    for case, b, a in zip(cases, before, after, strict=True):
        if GRADES[a] > GRADES[b]:
            better += 1
        elif GRADES[a] < GRADES[b]:
            worse += 1
            worse_cases.append(
                {
                    "from": b,
                    "to": a,
                    "expect": case.expect,
                    "text": " ".join(case.text.split())[:120],
                }
            )
    return {"better": better, "worse": worse, "worse_cases": worse_cases}


@contextlib.contextmanager
def semantic_env(mode: str) -> Iterator[None]:
    """EXPERTBOT_SEMANTIC for the mode: the knowledge check (and so `accept`) builds its
    snapshot from it."""
    saved = os.environ.get("EXPERTBOT_SEMANTIC")
    os.environ["EXPERTBOT_SEMANTIC"] = "off" if mode == "light" else "auto"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("EXPERTBOT_SEMANTIC", None)
        else:
            os.environ["EXPERTBOT_SEMANTIC"] = saved


def build(kb: Path, meaning: bool) -> Snapshot:
    knowledge, problems = load_knowledge(kb)
    if knowledge is None:
        raise SystemExit(f"{kb}: " + "; ".join(str(p) for p in problems))
    return Snapshot.build(knowledge, meaning=meaning)
