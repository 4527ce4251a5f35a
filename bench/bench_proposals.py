"""Does the knowledge loop help? A week of readers through the real services, then every proposal
accepted, and the development sets measured before and after — on a copy of the knowledge.

The week: the covered messages of `tests/data/dev_cases.yaml` (the team's set), one reader each,
asked through `AnswerService.ask` with a real Store (a temporary SQLite file), so each message
is logged and, when nobody answered it, queued — exactly as the bot does. Then what readers and
the doctor would do:

- a *Did you mean…* / *I think you're asking…* reply that offers the expected entry: the reader
  taps it (`AnswerService.press` with the button's own data, the Telegram tap path): their words
  become a proposed alternate (`source: tap`);
- an unmatched (queued) message: the doctor links it to the expected entry
  (`ReviewService.link_to_entry`, what `expertbot queue link` does; `source: link`);
- a suggestion that does not offer the expected entry: the reader presses *None of these — ask
  the doctor* (`Action.ASK_DOCTOR`), then the doctor links it;
- an answer (right or wrong) and an urgent reply: nothing.

Then `ProposalService.list()` (what an admin sees) and `accept` of all of them into the copy. A
batch the knowledge check refuses as a whole (a new warning) is split in halves until the
refused proposals are found, each with its reason. Before and after, the same evaluator as
`expertbot eval` on the development set (the week itself), the holdout set, the hard examples
and the real readers' messages — the last three are not used to make proposals, so they show
whether the accepted alternates help or hurt other readers.

    .venv/bin/python bench/bench_proposals.py            # default install and light mode (~2 min)
    .venv/bin/python bench/bench_proposals.py --mode default
    .venv/bin/python bench/bench_proposals.py --limit 30 --no-write   # a quick look

Writes bench/results_proposals.json (unless --no-write) and prints a markdown table. The repo's
`knowledge/` is only read (its files are hashed before and after to prove it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proposals_loop import (  # noqa: E402
    KNOWLEDGE,
    MODES,
    SETS,
    WEEK,
    a_week,
    accept_all,
    build,
    changes,
    covered,
    diff_lines,
    figures,
    graded,
    semantic_env,
    tree_hash,
)

from bot.knowledge.change import new_problems  # noqa: E402
from bot.knowledge.checks import check  # noqa: E402
from bot.models import Outcome  # noqa: E402
from bot.proposals.service import ProposalService  # noqa: E402
from bot.storage import Store, phrasing  # noqa: E402
from bot.understanding import semantic  # noqa: E402
from bot.understanding.evaluate import load_cases  # noqa: E402
from bot.understanding.text import normalise  # noqa: E402


async def run_loop(
    mode: str,
    *,
    knowledge: Path = KNOWLEDGE,
    week_file: Path = WEEK,
    sets: dict[str, tuple[Path, bool]] | None = None,
    limit: int | None = None,
    unanswered_only: bool = False,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """One mode's whole loop on a temporary copy of `knowledge` (in `workdir` when given, kept);
    the results as plain data. `limit`: only the first N week messages (after `unanswered_only`:
    only those the bot did not answer directly with their entry before)."""
    sets = SETS if sets is None else sets
    meaning = mode == "default"
    if meaning and not semantic.available():
        raise SystemExit("the meaning signal is not installed (make install)")
    started = time.perf_counter()
    with semantic_env(mode), tempfile.TemporaryDirectory(prefix="bench-proposals-") as tmp:
        base = Path(workdir or tmp)
        kb = base / "knowledge"
        shutil.copytree(knowledge, kb)
        before = build(kb, meaning)
        strict_before = [p for p in check(kb)[1] if p.severity != "note"]  # notes never fail
        loaded = {name: load_cases(path, before) for name, (path, _) in sets.items()}
        week_cases = covered(load_cases(week_file, before))
        if unanswered_only:
            grades = graded(before, week_cases)[1]
            week_cases = [c for c, g in zip(week_cases, grades, strict=True) if g != "right"]
        if limit is not None:
            week_cases = week_cases[:limit]
        graded_before = {name: graded(before, cases) for name, cases in loaded.items()}
        week_before, week_grades_before = graded(before, week_cases)

        store = await Store.open(base / "db" / "expertbot.sqlite3")
        try:
            t0 = time.perf_counter()
            actions, _ = await a_week(store, before, week_cases)
            week_s = time.perf_counter() - t0
            proposals = ProposalService(store, lambda: before)
            stored = await store.proposals("pending")
            listed = await proposals.list()
            t0 = time.perf_counter()
            accepted, refused, calls = await accept_all(proposals, [p.id for p in listed], kb)
            accept_s = time.perf_counter() - t0
        finally:
            await store.close()

        after = build(kb, meaning)
        knowledge_after, problems_after = check(kb)
        strict_after = [p for p in problems_after if p.severity != "note"]
        graded_after = {name: graded(after, cases) for name, cases in loaded.items()}
        week_after, week_grades_after = graded(after, week_cases)
        accepted_words = {normalise(p.text) for p in listed if p.id in set(accepted)}
        accepted_grades = [
            g
            for c, g in zip(week_cases, week_grades_after, strict=True)
            if normalise(phrasing(c.text)) in accepted_words
        ]
        # the next reader who asks in the accepted words: answered directly with that entry?
        phrasings_right = 0
        for p in listed:
            if p.id in set(accepted) and p.kind == "alternate":
                decision, _ = after.decide(p.text)
                phrasings_right += bool(
                    decision.outcome is Outcome.ANSWER
                    and decision.entry is not None
                    and decision.entry.id == p.entry_id
                )
        by_source = Counter(p.source for p in listed if p.id in set(accepted))
        reasons = Counter(reason.split(":")[0] for _, reason in refused)
        result = {
            "mode": mode,
            "week": {
                "messages": len(week_cases),
                "actions": dict(actions.most_common()),
                "before": figures(week_before),
                "after": figures(week_after),
                "not_right_before": sum(g != "right" for g in week_grades_before),
                "right_after_of_those": sum(
                    b != "right" and a == "right"
                    for b, a in zip(week_grades_before, week_grades_after, strict=True)
                ),
                "accepted_messages": len(accepted_grades),
                "accepted_then_right": accepted_grades.count("right"),
                "accepted_phrasings_right": phrasings_right,
                "not_right_after": [
                    {"grade": g, "expect": c.expect, "text": " ".join(c.text.split())[:120]}
                    for c, g in zip(week_cases, week_grades_after, strict=True)
                    if g != "right"
                ],
            },
            "proposals": {
                "stored": len(stored),
                "listed": len(listed),
                "not_listed": len(stored) - len(listed),
                "accepted": len(accepted),
                "accepted_by_source": dict(by_source),
                "refused": len(refused),
                "refused_reasons": dict(reasons.most_common()),
                "refusals": [
                    {
                        "id": i,
                        "reason": r,
                        "text": next((p.text[:120] for p in listed if p.id == i), ""),
                    }
                    for i, r in refused
                ],
                "accept_calls": calls,
                "accept_seconds": round(accept_s, 1),
            },
            "knowledge": {
                **diff_lines(knowledge, kb),
                "entries": len(knowledge_after.entries) if knowledge_after else None,
                "check_problems_before": len(strict_before),
                "check_problems_after": len(strict_after),
                # compared without line numbers: the added lines move the ones below
                "check_new_problems": [str(p) for p in new_problems(strict_before, strict_after)],
                "strict_clean": knowledge_after is not None and not strict_after,
            },
            "sets": {
                name: {
                    "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
                    "used_for_proposals": used,
                    "before": figures(graded_before[name][0]),
                    "after": figures(graded_after[name][0]),
                    **changes(loaded[name], graded_before[name][1], graded_after[name][1]),
                }
                for name, (path, used) in sets.items()
            },
            "week_seconds": round(week_s, 1),
            "seconds": round(time.perf_counter() - started, 1),
        }
    return result


# --- output ---------------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def arrow(before: dict[str, Any], after: dict[str, Any], key: str, count: str) -> str:
    b, a = before[key], after[key]
    same = b == a
    text = f"{pct(b)} → {pct(a)}" if not same else f"{pct(b)} (=)"
    return f"{text} ({before[count]}→{after[count]})" if count and not same else text


def table(results: Sequence[dict[str, Any]]) -> str:
    rows = [
        "| set | mode | right | right + assisted | wrong | false answers |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in SETS:
        for result in results:
            if name not in result["sets"]:
                continue
            s = result["sets"][name]
            b, a = s["before"], s["after"]
            label = f"`{Path(s['file']).name}` ({b['covered']} covered / {b['uncovered']} not)"
            if name == "dev":
                label += ", **the week**"
            rows.append(
                f"| {label if result is results[0] else ''} | {result['mode']} "
                f"| {arrow(b, a, 'right_rate', 'right')} "
                f"| {arrow(b, a, 'right_assisted_rate', '')} "
                f"| {arrow(b, a, 'wrong_rate', 'wrong')} "
                f"| {arrow(b, a, 'false_answer_rate', 'false_answers') if b['uncovered'] else '—'} |"
            )
    return "\n".join(rows)


def loop_lines(results: Sequence[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        p, k = r["proposals"], r["knowledge"]
        lines.append(
            f"- {r['mode']}: {r['week']['messages']} messages → {p['stored']} proposals stored, "
            f"{p['listed']} listed, {p['accepted']} accepted ({p['accepted_by_source']}), "
            f"{p['refused']} refused {p['refused_reasons'] or ''}; +{k['lines_added']} / "
            f"-{k['lines_removed']} lines in {len(k['files_changed'])} files; "
            f"check: {k['check_problems_before']} → {k['check_problems_after']} problems "
            f"(strict clean: {k['strict_clean']}); {r['seconds']} s"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": dt.date.today().isoformat(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument("--limit", type=int, default=None, help="only the first N week messages")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the accepted copy and the database here"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results_proposals.json")
    args = parser.parse_args(argv)
    modes = MODES if args.mode == "both" else (args.mode,)
    guard = tree_hash(KNOWLEDGE)
    results = []
    for mode in modes:
        workdir = None
        if args.keep is not None:
            workdir = args.keep / mode
            if workdir.exists():
                raise SystemExit(f"{workdir} exists: --keep wants a new folder")
            workdir.mkdir(parents=True)
        results.append(asyncio.run(run_loop(mode, limit=args.limit, workdir=workdir)))
    if tree_hash(KNOWLEDGE) != guard:
        raise SystemExit("the repo's knowledge/ changed: the bench must only write its copy")
    print(table(results))
    print()
    print(loop_lines(results))
    for r in results:
        for f in r["proposals"]["refusals"]:
            print(f"  {r['mode']} refused #{f['id']} ({f['text'][:60]}): {f['reason']}")
        for c in r["week"]["not_right_after"]:
            print(f"  {r['mode']} week, not right after: {c['grade']} {c['expect']}: {c['text']}")
        for name, s in r["sets"].items():
            print(f"  {r['mode']} {name}: {s['better']} better, {s['worse']} worse")
            for c in s["worse_cases"]:
                print(f"    {c['from']} -> {c['to']} ({c['expect']}): {c['text']}")
    if not args.no_write:
        payload = {"machine": machine(), "limit": args.limit, "results": results}
        args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        print(
            f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
        )


if __name__ == "__main__":
    main()
