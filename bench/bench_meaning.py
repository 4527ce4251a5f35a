"""What does the meaning signal cost per message? Lexical and lexical + meaning, side by side.

One whole decision, as the bot makes it: `Snapshot.decide(text)` (safety, small talk, lexical
ranking, and with meaning: encoding the message and comparing it with every phrasing). Only
`Snapshot.build(...)` and `snapshot.decide(...)` are called, so the matcher's internals may
change freely underneath.

- Modes: `Snapshot.build(knowledge, meaning=False)` (EXPERTBOT_SEMANTIC=off) and
  `meaning=True`.
- Knowledge: the real one (67 entries) and 10,000 entries (the real ones plus the synthetic
  entries of bench/synthetic.py, same seed).
- Messages: the texts of tests/data/dev_cases.yaml; real readers' messages (the lead's
  tests/data/real_dev.yaml when present, else ../shared/real-readers/dev.yaml, read at run
  time, never copied); and long messages (up to 2,000 characters, the matcher's limit) made by
  joining development cases.
- Timing: `time.perf_counter_ns()` around each call. After one warm-up pass (its first call is
  reported as "cold"), each timed pass asks every message of both modes in turn, lexical then
  meaning, so that a busy spell on the machine hits both alike. Reported: p50 / p99 / mean /
  max over every timed call ("all": what a reader would have waited on this machine at the
  time), over each message's fastest pass ("best"), and over each message's median thread CPU
  time ("cpu": its cost with a core to itself, as BLAS runs on the calling thread; on a shared
  machine the best estimate of a dedicated one).

    .venv/bin/python bench/bench_meaning.py            # 3 timed passes at 67 and 10,000
    .venv/bin/python bench/bench_meaning.py --quick    # every 4th message, one timed pass
    .venv/bin/python bench/bench_meaning.py --sizes 67 # only the real knowledge

The first run at 10,000 entries encodes ~55,000 phrasings (minutes; cached on disk after, as
in the bot: ~/.cache/expertbot). Writes bench/results_meaning.json and prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import cpu_model, load_average, matcher_version  # noqa: E402
from synthetic import SEED, knowledge_bases  # noqa: E402

from bot.knowledge.loading import Knowledge, load_knowledge  # noqa: E402
from bot.understanding import semantic  # noqa: E402
from bot.understanding.snapshot import Snapshot  # noqa: E402

BENCH = ROOT / "bench"
SIZES = (67, 10_000)
TARGETS_MS = {67: {"p50": 30.0, "p99": 100.0}, 10_000: {"p99": 150.0}}
REAL_DEV = (
    ROOT / "tests" / "data" / "real_dev.yaml",
    ROOT.parent / "shared" / "real-readers" / "dev.yaml",
)
LONG_MESSAGES = 12
MAX_CHARS = 2000


def _texts(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("cases", [])
    return [str(c["text"]) for c in data]


def long_messages(texts: Sequence[str], count: int) -> list[str]:
    """Several development cases joined into one message of up to 2,000 characters."""
    out = []
    for k in range(count):
        parts: list[str] = []
        size = 0
        target = MAX_CHARS * (k + 1) // count
        for text in texts[k * 7 :] + texts[: k * 7]:
            if size + len(text) + 1 > target:
                break
            parts.append(text)
            size += len(text) + 1
        out.append(" ".join(parts))
    return out


def messages(every: int) -> tuple[list[str], dict[str, Any]]:
    dev = _texts(ROOT / "tests" / "data" / "dev_cases.yaml")
    real_path = next((p for p in REAL_DEV if p.exists()), None)
    real = _texts(real_path) if real_path else []
    long = long_messages(dev, LONG_MESSAGES)
    texts = (dev + real + long)[::every]
    lengths = sorted(len(t) for t in texts)
    source = {
        "dev_cases": len(dev),
        "real_readers": len(real),
        "real_readers_file": str(real_path.relative_to(ROOT.parent)) if real_path else None,
        "long_joined": len(long),
        "every": every,
        "messages": len(texts),
        "chars_p50": lengths[len(lengths) // 2],
        "chars_max": lengths[-1],
    }
    return texts, source


def summary(ms: Sequence[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(q[98], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "max_ms": round(max(ms), 3),
        "samples": len(ms),
    }


def timed(snapshot: Snapshot, text: str) -> tuple[float, float]:
    """(wall ms, CPU ms of this thread): with BLAS on one thread (bot/understanding/semantic.py), the CPU
    time is the wall time the call would take with a core to itself."""
    cpu = time.thread_time_ns()
    start = time.perf_counter_ns()
    snapshot.decide(text)
    wall = time.perf_counter_ns() - start
    return wall / 1e6, (time.thread_time_ns() - cpu) / 1e6


def with_entries(knowledge: Knowledge, entries: Sequence[Any]) -> Knowledge:
    return dataclasses.replace(knowledge, entries={e.id: e for e in entries})


def bench_size(knowledge: Knowledge, texts: Sequence[str], passes: int) -> dict[str, Any]:
    out: dict[str, Any] = {"entries": len(knowledge.entries)}
    snapshots = {}
    for mode, meaning in (("lexical", False), ("meaning", True)):
        gc.collect()
        start = time.perf_counter()
        snapshots[mode] = Snapshot.build(knowledge, meaning=meaning)
        out[f"build_{mode}_s"] = round(time.perf_counter() - start, 2)
        out[f"cold_first_call_{mode}_ms"] = round(timed(snapshots[mode], texts[0])[0], 3)
    for text in texts:  # warm-up
        for snapshot in snapshots.values():
            snapshot.decide(text)
    calls: dict[str, list[list[tuple[float, float]]]] = {mode: [] for mode in snapshots}
    gc.collect()
    for _ in range(passes):
        this: dict[str, list[tuple[float, float]]] = {mode: [] for mode in snapshots}
        for text in texts:
            for mode, snapshot in snapshots.items():
                this[mode].append(timed(snapshot, text))
        for mode in snapshots:
            calls[mode].append(this[mode])
    for mode, runs in calls.items():
        every_call = [wall for run in runs for wall, _ in run]
        best = [min(wall for wall, _ in ts) for ts in zip(*runs, strict=True)]
        cpu = [statistics.median(c for _, c in ts) for ts in zip(*runs, strict=True)]
        out[mode] = {"all": summary(every_call), "best": summary(best), "cpu": summary(cpu)}
        ranked = sorted(zip(best, texts, strict=True), reverse=True)[:3]
        out[mode]["slowest"] = [(round(t, 2), len(q), q[:60]) for t, q in ranked]
    for kind in ("all", "best", "cpu"):
        lex, mean = out["lexical"][kind], out["meaning"][kind]
        out[f"ratio_{kind}"] = {
            "p50": round(mean["p50_ms"] / lex["p50_ms"], 1),
            "p99": round(mean["p99_ms"] / lex["p99_ms"], 1),
        }
    targets = TARGETS_MS.get(out["entries"], {})
    out["targets"] = {
        f"meaning_{stat}_le_{limit:g}ms": {
            kind: out["meaning"][kind][f"{stat}_ms"] <= limit for kind in ("all", "best", "cpu")
        }
        for stat, limit in targets.items()
    }
    return out


def blas() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed: BLAS kernel and threads unknown"}]
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [
        {k: lib.get(k) for k in keep} for lib in threadpool_info() if lib.get("user_api") == "blas"
    ]


def machine(load_before: float | None) -> dict[str, Any]:
    import numpy

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": blas(),
        "blas_env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_"))},
        "platform": platform.platform(),
        "load_before": load_before,
        "load_after": load_average(),
    }


def table(results: Sequence[dict[str, Any]]) -> str:
    rows = [
        "| entries | mode | p50 ms | p99 ms | mean ms | max ms | best p50 | best p99 "
        "| CPU p50 | CPU p99 | cold first call ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for mode in ("lexical", "meaning"):
            a, b, c = r[mode]["all"], r[mode]["best"], r[mode]["cpu"]
            rows.append(
                f"| {r['entries']:,} | {mode} | {a['p50_ms']:.2f} | {a['p99_ms']:.2f} "
                f"| {a['mean_ms']:.2f} | {a['max_ms']:.1f} | {b['p50_ms']:.2f} | {b['p99_ms']:.2f} "
                f"| {c['p50_ms']:.2f} | {c['p99_ms']:.2f} "
                f"| {r[f'cold_first_call_{mode}_ms']:.1f} |"
            )
        ra, rb, rc = r["ratio_all"], r["ratio_best"], r["ratio_cpu"]
        rows.append(
            f"| {r['entries']:,} | meaning ÷ lexical | {ra['p50']}× | {ra['p99']}× | | "
            f"| {rb['p50']}× | {rb['p99']}× | {rc['p50']}× | {rc['p99']}× | |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every 4th message, one pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--out", type=Path, default=BENCH / "results_meaning.json")
    args = parser.parse_args(argv)
    if not semantic.available():
        print("the meaning signal is not installed: make semantic", file=sys.stderr)
        return 1
    version = matcher_version()
    load_before = load_average()
    knowledge, problems = load_knowledge(ROOT / "knowledge")
    if knowledge is None:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 1
    texts, source = messages(every=4 if args.quick else 1)
    passes = 1 if args.quick else args.passes
    real = list(knowledge.entries.values())
    sizes = sorted({max(s, len(real)) for s in args.sizes})
    bases = knowledge_bases(real, sizes, SEED)
    results = []
    for size in sizes:
        print(f"{size:,} entries…", file=sys.stderr, flush=True)
        results.append(bench_size(with_entries(knowledge, bases[size]), texts, passes))
    run = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/bench_meaning.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine(load_before),
        "matcher": dataclasses.asdict(version),
        "knowledge_version": knowledge.version,
        "seed": SEED,
        "queries": source,
        "timed_passes": passes,
        "sizes": results,
    }
    args.out.write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n", "utf-8")
    m = run["machine"]
    print(
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy {m['numpy']}, "
        f"BLAS {m['blas']}, load average {m['load_before']} before, {m['load_after']} after\n"
        f"Matcher: {version.commit}; messages: {source}; {passes} timed passes\n\n"
        f"{table(results)}\n\nTargets: " + json.dumps({r["entries"]: r["targets"] for r in results})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
