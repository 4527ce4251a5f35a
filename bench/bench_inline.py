"""How fast does inline mode answer? (issue 22: p99 ≤ 50 ms at the 67 bundled entries)

What is timed: `AnswerService.inline(query)`, the whole of the bot's work for one inline query
short of the HTTP call: counting it in SQLite (a temporary database), the red-flag check, the
ranking (bot/conversation/inline.py: the matcher's lexical ranking plus word beginnings) and the up to 10
cards rendered as Telegram HTML. Queries are what a reader types: every prefix, word by word,
of the first 120 single-line texts of tests/data/dev_cases.yaml (Telegram sends a query as the
typing pauses), cut at 256 characters, plus the empty query. One warm-up pass, then ROUNDS
timed passes in a shuffled order; a query's time is its median over the rounds; p50 / p99 /
max over queries, wall time, single thread.

    .venv/bin/python bench/bench_inline.py
    .venv/bin/python bench/bench_inline.py --json bench/results_inline.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation.service import AnswerService  # noqa: E402
from bot.runtime.reload import load_snapshot  # noqa: E402
from bot.storage import Store  # noqa: E402

TARGET_P99_MS = 50.0
ROUNDS = 5
SEED = 20261207
TEXTS = 120


def queries() -> list[str]:
    cases = yaml.safe_load((ROOT / "tests" / "data" / "dev_cases.yaml").read_text("utf-8"))
    texts = [c["text"] for c in cases if "\n" not in c["text"]][:TEXTS]
    found = {""}
    for text in texts:
        words = text.split()
        for n in range(1, len(words) + 1):
            found.add(" ".join(words[:n])[:256])
    return sorted(found)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(rounds: int) -> dict[str, object]:
    snapshot = load_snapshot(ROOT / "knowledge")
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite3")
        try:
            service = AnswerService(snapshot, store)
            found = queries()
            for query in found:  # warm-up (typo-correction cache, SQLite pages)
                await service.inline(query)
            times: dict[str, list[float]] = {q: [] for q in found}
            rng = random.Random(SEED)
            for _ in range(rounds):
                order = list(found)
                rng.shuffle(order)
                for query in order:
                    started = time.perf_counter_ns()
                    await service.inline(query)
                    times[query].append((time.perf_counter_ns() - started) / 1e6)
        finally:
            await store.close()
    per_query = [statistics.median(t) for t in times.values()]
    return {
        "entries": len(snapshot.knowledge.entries),
        "queries": len(found),
        "rounds": rounds,
        "p50_ms": round(percentile(per_query, 50), 3),
        "p99_ms": round(percentile(per_query, 99), 3),
        "max_ms": round(max(per_query), 3),
        "target_p99_ms": TARGET_P99_MS,
        "machine": platform.platform(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    result = asyncio.run(run(args.rounds))
    verdict = "met" if result["p99_ms"] <= TARGET_P99_MS else "NOT met"  # type: ignore[operator]
    print(
        f"inline mode, {result['entries']} entries, {result['queries']} queries x "
        f"{result['rounds']} rounds: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms (target p99 <= {TARGET_P99_MS:.0f} ms: {verdict})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
