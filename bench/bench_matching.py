"""How fast is `Matcher.decide` as the knowledge grows, next to a naive fuzzy scan?

Builds knowledge bases of 67 (the real one), 1,000 and 10,000 entries. The extra entries are
synthetic: they recombine the real questions, alternates and answers (same words, same shapes),
so the vocabulary stays the real one. Every dev case's text is asked of each, timed with
`time.perf_counter_ns` per call: a warm-up pass, then timed passes (a question's fastest pass
counts), for our matcher and, alternating, for the naive baseline
`rapidfuzz.process.extractOne(query, all questions and alternates, scorer=WRatio)`.

    .venv/bin/python bench/bench_matching.py            # full run (a few minutes)
    .venv/bin/python bench/bench_matching.py --quick    # every 4th query, one timed pass
    .venv/bin/python bench/bench_matching.py --profile  # also cProfile decide() at the largest size

Writes bench/results.json and bench/matching.png, prints a markdown table.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import Machine, MatcherVersion, load_average, machine, matcher_version  # noqa: E402
from synthetic import SEED, knowledge_bases  # noqa: E402

from bot.knowledge.loading import Knowledge, load_knowledge  # noqa: E402
from bot.models import Entry  # noqa: E402
from bot.understanding.matching import Matcher  # noqa: E402

BENCH = ROOT / "bench"
SIZES = (67, 1_000, 10_000)
TARGET_P99_MS = 5.0
TARGET_SIZE = 10_000


# --- timing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    p50_ms: float
    p99_ms: float
    mean_ms: float
    samples: int


def stats(ms: Sequence[float]) -> Stats:
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1 else ms[0]
    return Stats(statistics.median(ms), p99, statistics.fmean(ms), len(ms))


def time_each(fn: Callable[[str], object], queries: Sequence[str]) -> list[int]:
    gc.collect()
    out = []
    for q in queries:
        start = time.perf_counter_ns()
        fn(q)
        out.append(time.perf_counter_ns() - start)
    return out


def naive_scanner(entries: Sequence[Entry]) -> Callable[[str], object]:
    choices = [text for e in entries for text in (e.question, *e.alternates)]

    def scan(query: str) -> object:
        return process.extractOne(query, choices, scorer=fuzz.WRatio)

    return scan


def build_ms(entries: Sequence[Entry], knowledge: Knowledge, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        Matcher(entries, knowledge.synonyms, knowledge.settings.matching)
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


@dataclass(frozen=True, slots=True)
class SizeResult:
    entries: int
    texts: int  # questions + alternates: what the naive scan compares against
    build_ms: float
    ours: Stats
    naive: Stats
    ours_first_pass: Stats  # the warm-up pass: includes filling the matcher's caches
    ours_slowest: tuple[tuple[float, str], ...]  # (ms, start of the question)

    @property
    def ratio_p50(self) -> float:
        return self.naive.p50_ms / self.ours.p50_ms

    @property
    def ratio_mean(self) -> float:
        return self.naive.mean_ms / self.ours.mean_ms


def bench_size(
    entries: Sequence[Entry], knowledge: Knowledge, queries: Sequence[str], passes: int
) -> SizeResult:
    build = build_ms(entries, knowledge, repeats=3 if len(entries) <= 1_000 else 1)
    matcher = Matcher(entries, knowledge.synonyms, knowledge.settings.matching)
    naive = naive_scanner(entries)
    first = per_query_ms([time_each(matcher.decide, queries)])
    time_each(naive, queries)
    ours: list[list[int]] = []
    theirs: list[list[int]] = []
    for _ in range(passes):  # alternate, so that a noisy spell hits both alike
        ours.append(time_each(matcher.decide, queries))
        theirs.append(time_each(naive, queries))
    ours_ms = per_query_ms(ours)
    return SizeResult(
        entries=len(entries),
        texts=sum(1 + len(e.alternates) for e in entries),
        build_ms=build,
        ours=stats(ours_ms),
        naive=stats(per_query_ms(theirs)),
        ours_first_pass=stats(first),
        ours_slowest=slowest_queries(ours_ms, queries),
    )


def per_query_ms(passes: Sequence[Sequence[int]]) -> list[float]:
    """Each question's fastest time over the passes: its cost with the CPU to itself.

    A call that another process interrupted measures the machine, not the matcher; the tail
    (p99) is then made of the questions that are slow every time.
    """
    return [min(times) / 1e6 for times in zip(*passes, strict=True)]


def slowest_queries(
    ms: Sequence[float], queries: Sequence[str], top: int = 5
) -> tuple[tuple[float, str], ...]:
    """The questions that make the tail, slowest first."""
    ranked = sorted(zip(ms, queries, strict=True), reverse=True)[:top]
    return tuple((round(t, 3), q[:80]) for t, q in ranked)


def profile_decide(matcher: Matcher, queries: Sequence[str], top: int = 15) -> str:
    for q in queries:  # warm, as in the timed passes
        matcher.decide(q)
    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        matcher.decide(q)
    profiler.disable()
    out = io.StringIO()
    stream = pstats.Stats(profiler, stream=out).strip_dirs()
    stream.sort_stats("tottime").print_stats(top)
    stream.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- output -------------------------------------------------------------------------


def table(results: Sequence[SizeResult]) -> str:
    rows = [
        "| entries | texts | build (ms) | ours p50 | ours p99 | ours mean "
        "| naive p50 | naive p99 | naive mean | naive/ours (p50) | naive/ours (mean) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r.entries:,} | {r.texts:,} | {r.build_ms:,.0f} "
            f"| {r.ours.p50_ms:.3f} | {r.ours.p99_ms:.3f} | {r.ours.mean_ms:.3f} "
            f"| {r.naive.p50_ms:.3f} | {r.naive.p99_ms:.3f} | {r.naive.mean_ms:.3f} "
            f"| {r.ratio_p50:.1f}× | {r.ratio_mean:.1f}× |"
        )
    return "\n".join(rows) + "\n\nTimes per question in ms."


def verdict(results: Sequence[SizeResult]) -> dict[str, object]:
    at = next((r for r in results if r.entries == TARGET_SIZE), None)
    if at is None:
        return {"size": TARGET_SIZE, "measured": False}
    return {
        "size": TARGET_SIZE,
        "measured": True,
        "p99_ms": round(at.ours.p99_ms, 3),
        "p99_target_ms": TARGET_P99_MS,
        "p99_met": at.ours.p99_ms <= TARGET_P99_MS,
        "faster_than_naive": at.ours.mean_ms < at.naive.mean_ms
        and at.ours.p50_ms < at.naive.p50_ms,
    }


def plot(results: Sequence[SizeResult], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r.entries for r in results]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    series = [
        ("ours p50", [r.ours.p50_ms for r in results], "tab:blue", "-", "o"),
        ("ours p99", [r.ours.p99_ms for r in results], "tab:blue", "--", "^"),
        ("naive WRatio p50", [r.naive.p50_ms for r in results], "tab:orange", "-", "o"),
        ("naive WRatio p99", [r.naive.p99_ms for r in results], "tab:orange", "--", "^"),
    ]
    for label, y, color, style, marker in series:
        ax.plot(x, y, label=label, color=color, linestyle=style, marker=marker)
    ax.axhline(TARGET_P99_MS, color="grey", linewidth=0.8, linestyle=":")
    ax.annotate(
        f"target p99 ≤ {TARGET_P99_MS:g} ms",
        (x[0], TARGET_P99_MS),
        fontsize=8,
        xytext=(2, 3),
        textcoords="offset points",
        color="grey",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{n:,}" for n in x])
    ax.set_xlabel("entries in the knowledge (log)")
    ax.set_ylabel("ms per question (log)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- main ---------------------------------------------------------------------------------------


def load_queries(path: Path, every: int) -> list[str]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(c["text"]) for c in cases][::every]


def load_inputs(args: argparse.Namespace) -> tuple[Knowledge, list[str], int] | None:
    """From the options `knowledge`, `cases`, `quick` and `passes`: the knowledge, the dev-case
    texts (every 4th with --quick) and the timed passes (one with --quick); None when the
    knowledge does not load (its problems printed). bench_bot.py uses it too."""
    knowledge, problems = load_knowledge(args.knowledge)
    if knowledge is None:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return None
    queries = load_queries(args.cases, every=4 if args.quick else 1)
    return knowledge, queries, 1 if args.quick else args.passes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every 4th query, one timed pass")
    parser.add_argument("--passes", type=int, default=3, help="timed passes (default 3)")
    parser.add_argument("--profile", action="store_true", help="cProfile decide() at the end")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "data" / "dev_cases.yaml")
    return parser.parse_args(argv)


@dataclass(frozen=True, slots=True)
class Run:
    machine: Machine
    matcher: MatcherVersion
    knowledge_version: str
    seed: int
    queries: int
    timed_passes: int
    quick: bool
    results: tuple[SizeResult, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": "bench/bench_matching.py" + (" --quick" if self.quick else ""),
            "machine": asdict(self.machine),
            "matcher": asdict(self.matcher),
            "knowledge_version": self.knowledge_version,
            "seed": self.seed,
            "queries": self.queries,
            "timed_passes": self.timed_passes,
            "sizes": [
                {**asdict(r), "ratio_p50": r.ratio_p50, "ratio_mean": r.ratio_mean}
                for r in self.results
            ],
            "target": verdict(self.results),
        }

    def title(self) -> str:
        m = self.machine
        return (
            f"Matcher.decide vs naive extractOne(WRatio): {self.queries} dev questions "
            f"× {self.timed_passes}\n{m.cpu}, Python {m.python}, rapidfuzz {m.rapidfuzz}, "
            f"matcher {self.matcher.commit}"
        )

    def summary(self) -> str:
        m, v = self.machine, self.matcher
        return (
            f"Machine: {m.cpu}, {m.cores} cores, Python {m.python}, rapidfuzz {m.rapidfuzz}, "
            f"load average {m.load_before} before, {m.load_after} after\n"
            f"Matcher: {v.commit} (bot/**/*.py sha256 {v.bot_sha256}), "
            f"knowledge {self.knowledge_version}\n"
            f"Queries: {self.queries} dev cases, each timed {self.timed_passes}× after a warm-up "
            f"pass; its fastest counts\n\n"
            f"{table(self.results)}\n\n"
            f"Target at {TARGET_SIZE:,} entries: {json.dumps(verdict(self.results))}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    version = matcher_version()  # the code imported above, before anyone edits it mid-run
    load_before = load_average()
    loaded = load_inputs(args)
    if loaded is None:
        return 1
    knowledge, queries, passes = loaded
    real = list(knowledge.entries.values())
    sizes = sorted({len(real), *(s for s in SIZES if s > len(real))})
    bases = knowledge_bases(real, sizes, args.seed)

    results = []
    for size in sizes:
        print(f"{size:,} entries…", file=sys.stderr, flush=True)
        results.append(bench_size(bases[size], knowledge, queries, passes))
    if matcher_version().bot_sha256 != version.bot_sha256:
        print("warning: bot/ changed during the run; measured: the code at start", file=sys.stderr)

    run = Run(
        machine=machine(load_before),
        matcher=version,
        knowledge_version=knowledge.version,
        seed=args.seed,
        queries=len(queries),
        timed_passes=passes,
        quick=args.quick,
        results=tuple(results),
    )
    (BENCH / "results.json").write_text(json.dumps(run.to_json(), indent=2) + "\n", "utf-8")
    plot(results, BENCH / "matching.png", run.title())
    print(run.summary())

    if args.profile:
        matcher = Matcher(bases[sizes[-1]], knowledge.synonyms, knowledge.settings.matching)
        print(f"\ncProfile of decide() at {sizes[-1]:,} entries:\n")
        print(profile_decide(matcher, queries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
