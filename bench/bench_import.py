"""How long does `expertbot kb import` take for a big blog? 1,000 generated Q&A posts in a
WordPress export, imported into a copy of the bundled knowledge with the meaning signal on.

The posts are generated with a fixed seed in the shape of tests/data/import/blog.xml: a reader's
letter in a quote, the doctor's answer (paragraphs and a list), a sign-off, a shop block, an
"Ask the doctor" box, navigation, comments. Their questions come from a few templates filled
with products, body areas and situations, so many are close in wording; the ones the meaning
signal takes for the same question are skipped as duplicates (counted in the output).

Each run is the real command in a fresh process (`python -m bot kb import … --topic big-blog`),
timed from start to exit: Python start-up, loading the sentence model, reading the export,
loading the knowledge before and after (the changed folder in a temporary copy), encoding the
knowledge's phrasings and the posts' questions for the duplicate search, and the writing. A fresh
copy of knowledge/ per run. *Cold*: an empty vector cache (XDG_CACHE_HOME), so the knowledge's
phrasings are encoded too; *warm*: the cache a running bot or `kb check` leaves, so only the
posts are encoded. Cold and warm runs alternate; the median of each is reported.

    .venv/bin/python bench/bench_import.py            # 3 cold + 3 warm runs, ~3 minutes
    .venv/bin/python bench/bench_import.py --posts 200 --runs 1

Prints each run's wall time and the CPU time of the process (user + system: about the wall time
on a core of its own, when the machine is shared), and the medians; writes nothing in the
repository.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SITE = "https://bench-blog.example"

PRODUCTS = """retinol, a vitamin C serum, glycolic acid, salicylic acid, azelaic acid, niacinamide,
hyaluronic acid, a clay mask, a sheet mask, a facial oil, micellar water, a cleansing balm, a
tinted moisturiser, a mineral sunscreen, a body scrub, a lip balm, a hand cream, a toner, an eye
gel, a night cream, benzoyl peroxide, tea tree oil, rosehip oil, a peeling pad, a face mist,
a konjac sponge, a jade roller, an LED mask, a derma roller, self-tanner, a brow serum, dry
shampoo, a foot cream, a setting spray, a primer, a concealer, a body lotion, shea butter, aloe
vera gel, a nail oil""".replace("\n", " ").split(", ")
AREAS = """my forehead, my chin, my neck, my chest, my back, my hands, my feet, my lips, my
eyelids, my scalp, my elbows, my knees, my cheeks, my nose, my jawline, my shoulders, my arms,
my legs, my underarms, my ears""".replace("\n", " ").split(", ")
SITUATIONS = """after waxing, after a facial, before a wedding, on holiday in the sun, in a cold
winter, after a long flight, during exam stress, after swimming in a pool, after the gym, when
I have a cold, while wearing a face mask all day, after shaving, after a spray tan, in a humid
climate, after a sauna, when my skin is sunburnt, before a night out, after a hot shower, on
a ski trip, after gardening""".replace("\n", " ").split(", ")
TEMPLATES = [
    "Can I put {product} on {area} {situation}?",
    "How often should I use {product} on {area}?",
    "Why does {product} sting on {area} {situation}?",
    "Is {product} safe for {area} {situation}?",
    "What should I do when {area} gets dry {situation}?",
    "Does {product} help with rough skin on {area}?",
    "Should I skip {product} {situation}?",
    "How long should I wait to use {product} {situation}?",
]
SENTENCES = [
    "Most people can use it a few times a week without trouble.",
    "Start slowly and watch how your skin reacts over the first fortnight.",
    "Skin that is broken, sunburnt or freshly waxed is more easily irritated.",
    "A plain, fragrance-free moisturiser is usually the kindest choice afterwards.",
    "If the stinging lasts more than a few minutes, rinse it off.",
    "Sunscreen in the morning matters more than any other step.",
    "Keep the routine simple when the skin is upset.",
    "See a doctor if a rash spreads or does not settle within a week.",
]


def make_posts(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    posts = []
    while len(posts) < n:
        question = rng.choice(TEMPLATES).format(
            product=rng.choice(PRODUCTS), area=rng.choice(AREAS), situation=rng.choice(SITUATIONS)
        )
        if question in seen:
            continue
        seen.add(question)
        k = len(posts)
        letter = (
            f"Dear Doctor, I have been reading your blog for a year. {question} "
            f"My friend says it is fine but I am not sure. Thanks, Reader {k}"
        )
        answer = rng.sample(SENTENCES, 4)
        posts.append(
            {
                "title": f"Question {k}: {question.rstrip('?').lower()}",
                "slug": f"q-{k}",
                "question": question,
                "letter": letter,
                "answer": answer,
            }
        )
    return posts


def item(post: dict[str, str | list[str]], k: int) -> str:
    answer = post["answer"]
    assert isinstance(answer, list)
    body = (
        f"<p><em>Reader {k} writes:</em></p>\n<blockquote><p>{html.escape(str(post['letter']))}"
        "</p></blockquote>\n"
        f"<p>{answer[0]} {answer[1]}</p>\n<ul><li>{answer[2]}</li><li>{answer[3]}</li></ul>\n"
        "<p>Warmly,<br />\nDr Bench</p>\n"
        '<div class="shop-the-post"><h3>Shop the post</h3><ul><li>Cleanser &ndash; &pound;9</li>'
        "</ul></div>\n"
        '<div class="ask-the-doctor"><p>Have a question? Ask the doctor &raquo;</p></div>\n'
        "<p>&laquo; Previous post | Next post &raquo;</p>"
    )
    return f"""
	<item>
		<title><![CDATA[{post["title"]}]]></title>
		<link>{SITE}/{post["slug"]}/</link>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<wp:post_id>{1000 + k}</wp:post_id>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:comment><wp:comment_content><![CDATA[Thank you!]]></wp:comment_content></wp:comment>
	</item>"""


def wxr(posts: list[dict]) -> str:
    items = "".join(item(p, k) for k, p in enumerate(posts))
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Bench blog</title>
	<wp:wxr_version>1.2</wp:wxr_version>
{items}
</channel>
</rss>
"""


def run_once(export: Path, work: Path, cache: Path) -> tuple[float, float, str]:
    """One import in a fresh process into a fresh copy of knowledge/, with `cache` as the
    vector cache folder: (wall seconds, CPU seconds of the process, its summary line)."""
    kb = work / "knowledge"
    if kb.exists():
        shutil.rmtree(kb)
    shutil.copytree(ROOT / "knowledge", kb)
    env = {**os.environ, "EXPERTBOT_SEMANTIC": "auto", "XDG_CACHE_HOME": str(cache)}
    python = str(PYTHON if PYTHON.exists() else sys.executable)
    cmd = [python, "-m", "bot", "kb", "import", str(export), "--topic", "big-blog"]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "--knowledge", str(kb)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr.strip()}")
    return elapsed, cpu, proc.stdout.strip().splitlines()[-2]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def warm_cache(work: Path, cache: Path) -> None:
    """What a running bot (or `kb check`) leaves: the knowledge's phrasings encoded on disk."""
    env = {**os.environ, "EXPERTBOT_SEMANTIC": "auto", "XDG_CACHE_HOME": str(cache)}
    python = str(PYTHON if PYTHON.exists() else sys.executable)
    subprocess.run(
        [python, "-m", "bot", "kb", "check", str(ROOT / "knowledge")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bot.understanding import semantic

    if not semantic.available():
        raise SystemExit("the meaning signal is not installed (make install)")
    results: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    summary = ""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        export = work / "big-blog.xml"
        export.write_text(wxr(make_posts(args.posts)), encoding="utf-8")
        warm = work / "cache-warm"
        warm_cache(work, warm)
        for n in range(args.runs):  # cold and warm runs alternate: a busy spell hits both
            for kind in ("cold", "warm"):
                cache = work / f"cache-cold-{n}" if kind == "cold" else warm
                elapsed, cpu, summary = run_once(export, work, cache)
                results[kind].append((elapsed, cpu))
                print(f"run {n + 1} {kind}: {elapsed:.1f} s ({cpu:.1f} s CPU)", flush=True)
    print(summary)
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    for kind, runs in results.items():
        wall = [w for w, _ in runs]
        cpu = [c for _, c in runs]
        print(
            f"{args.posts} posts, meaning signal on, {kind} vector cache: median "
            f"{statistics.median(wall):.1f} s (min {min(wall):.1f}, max {max(wall):.1f}); "
            f"CPU median {statistics.median(cpu):.1f} s; {args.runs} runs; target < 30 s"
        )


if __name__ == "__main__":
    main()
