"""`expertbot kb import` (bot/knowledge/importing/): every fixture post read right — question, link, the
doctor's answer with nothing of the letter, navigation, shop blocks, comments or boxes left —
written as drafts by adding lines only, duplicates skipped (re-import changes nothing), bad input
refused with nothing written, and the whole loop through the CLI: import → check → publish → ask.

The fixtures (tests/data/import/) are written for these tests by make_fixtures.py from posts.py.
"""

from __future__ import annotations

import difflib
import importlib.util
import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge.files import fingerprint, knowledge_files
from bot.knowledge.importing import KbImportError, Post, import_source, read_posts
from bot.knowledge.importing.htmltext import blocks, parse
from bot.knowledge.loading import load_knowledge
from bot.understanding import semantic
from tests.conftest import BUNDLED_KB, DATA, one_line_error

FIXTURES = DATA / "import"
_spec = importlib.util.spec_from_file_location("import_posts", FIXTURES / "posts.py")
assert _spec is not None and _spec.loader is not None
POSTS_MODULE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(POSTS_MODULE)
POSTS: list[dict] = POSTS_MODULE.POSTS
PAGES: list[dict] = POSTS_MODULE.PAGES
ROWS: list[dict] = POSTS_MODULE.ROWS
SITE: str = POSTS_MODULE.SITE
_make = importlib.util.spec_from_file_location("import_make", FIXTURES / "make_fixtures.py")
NOISE = [
    "Shop the post",
    "Gentle Cream Cleanser",
    "£",
    "Barrier Balm",
    "Previous post",
    "Next post",
    "Older post",
    "Ask Dr Vera",
    "Send me your question",
    "Got a question",
    "This helped me so much",
    "same problem",
    "Dear Dr",
    "Dear doctor",
    "Dear Doctor",
    "Warmly",
    "Warm wishes",
    "Take care",
    "Dr Vera",
    "Dr V.",
    "Filed under",
    "Share this",
    "Related questions",
    "Can I mix acids",
    "Subscribe",
    "Leave a reply",
    "Home /",
    "Excerpt that is not the post",
    "product id",
    "contact-form",
    "&",  # every entity decoded ("&amp;" would leave a "&" only where the text has one)
]


def expected_answer(answer: list) -> str:
    parts = ["\n".join("- " + item for item in b) if isinstance(b, list) else b for b in answer]
    return "\n\n".join(parts)


def letter_text(post: dict) -> list[str]:
    """Pieces of the reader's letter that must not be in the answer."""
    return [line for line in (post["letter"] or []) if len(line) > 12]


@pytest.fixture(scope="module")
def wxr_posts() -> list[Post]:
    return read_posts(FIXTURES / "blog.xml")


@pytest.fixture(scope="module")
def page_posts() -> list[Post]:
    return read_posts(FIXTURES / "pages")


def check_post(got: Post, post: dict) -> None:
    assert got.question == post["question"]
    assert got.link == f"{SITE}/{post['slug']}/"
    assert got.answer == expected_answer(post["answer"])
    if post["title"] != post["question"]:
        assert got.alternates[0] == post["title"]  # the reader's own title
    else:
        assert got.alternates == ()
    for noise in NOISE:
        if noise == "&" and "&" in expected_answer(post["answer"]):
            continue
        assert noise not in got.answer, (post["slug"], noise)
    for line in letter_text(post):
        assert line not in got.answer


# --- reading ------------------------------------------------------------------------------------


def test_the_export_has_every_published_post_and_nothing_else(wxr_posts: list[Post]) -> None:
    assert len(POSTS) >= 20
    assert [p.link for p in wxr_posts] == [f"{SITE}/{p['slug']}/" for p in POSTS]


@pytest.mark.parametrize("n", range(len(POSTS)), ids=[p["slug"] for p in POSTS])
def test_each_exported_post(wxr_posts: list[Post], n: int) -> None:
    check_post(wxr_posts[n], POSTS[n])


@pytest.mark.parametrize("n", range(len(PAGES)), ids=[p["slug"] for p in PAGES])
def test_each_saved_page(page_posts: list[Post], n: int) -> None:
    """Canonical link, og:url or the browser's "saved from" note; the whole site frame
    (header, menu, breadcrumbs, sidebar, comments, footer) left out."""
    check_post(page_posts[n], PAGES[n])


def test_the_csv_rows() -> None:
    got = read_posts(FIXTURES / "posts.csv")
    assert [p.question for p in got] == [r["question"] for r in ROWS]
    assert [p.link for p in got] == [r["link"] for r in ROWS]
    assert got[0].answer == (
        "No: every day is too often and can make the skin thicken back faster.\n\n"
        "Once a week on dry skin is enough:\n\n- soak your feet first\n- file gently\n"
        "- moisturise afterwards"
    )
    assert got[0].alternates == ("foot file how often", "Is filing my heels daily bad?")
    assert got[1].answer == (  # an HTML answer, its entity decoded
        "Peeling nails are usually dry nails: frequent hand washing & cleaning products strip "
        "them.\n\nWear gloves for chores and rub a hand cream into your nails at night."
    )


def test_a_yaml_file_of_posts(tmp_path: Path) -> None:
    source = tmp_path / "posts.yaml"
    source.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "brow-gel",
                    "question": "Does brow gel damage eyebrow hairs?",
                    "answer": "No.\n\nWash it off at night.",
                    "link": "https://example.org/brow-gel",
                    "alternates": ["is brow gel bad"],
                }
            ]
        )
    )
    (post,) = read_posts(source)
    assert (post.id, post.question, post.answer, post.alternates) == (
        "brow-gel",
        "Does brow gel damage eyebrow hairs?",
        "No.\n\nWash it off at night.",
        ("is brow gel bad",),
    )


def test_sloppy_html_still_gives_paragraphs_and_bullets() -> None:
    root, _ = parse(
        "<div>First &amp; only<br>line two<p>Second para<ul><li>one<li>two</ul>"
        "Third, after a blank line\n\nFourth &nbsp;here</div>"
    )
    got = [(b.kind, b.text) for b in blocks(root)]
    assert got == [
        ("p", "First & only\nline two"),
        ("p", "Second para"),
        ("li", "one"),
        ("li", "two"),
        ("p", "Third, after a blank line"),
        ("p", "Fourth here"),
    ]


def test_a_wordpress_article_is_not_dropped_for_its_tag_and_category_classes(
    tmp_path: Path,
) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        '<html><head><link rel="canonical" href="https://example.org/q"></head>'
        '<body class="has-sidebar"><article class="post tag-acne category-skin">'
        "<h1>Does toothpaste dry out spots?</h1><p>It irritates the skin; use a spot gel.</p>"
        "</article></body></html>"
    )
    (post,) = read_posts(page)
    assert post.question == "Does toothpaste dry out spots?"
    assert post.answer == "It irritates the skin; use a spot gel."


# --- bad input: a clear error, nothing written ----------------------------------------------


def _wxr_with(content: str, title: str = "A title") -> str:
    text = (FIXTURES / "blog.xml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\t<item>")
    return (
        head + f"\t<item><title><![CDATA[{title}]]></title><link>https://example.org/x</link>"
        "<content:encoded><![CDATA[" + content + "]]></content:encoded>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\n"
        "</channel>\n</rss>\n"
    )


BAD = {
    "notes.txt": (b"just some notes", "not a WordPress export"),
    "feed.xml": (
        b'<?xml version="1.0"?><rss><channel><item><title>x</title></item></channel></rss>',
        "not a WordPress export (WXR)",
    ),
    "broken.xml": (b'<?xml version="1.0"?><rss><channel>', "not well-formed XML"),
    "no-title.xml": (_wxr_with("<p>An answer.</p>", title="").encode(), "has no title"),
    "no-text.xml": (_wxr_with("").encode(), "has no text"),
    "only-noise.xml": (
        _wxr_with(
            "<blockquote><p>Is this ok?</p></blockquote><h3>Shop the post</h3><p>x</p>"
        ).encode(),
        "has no answer text left",
    ),
    "latin1.xml": (
        _wxr_with("<p>Caf\u00e9 au lait spots</p>").encode("utf-8").replace(b"\xc3\xa9", b"\xe9"),
        "broken text encoding",
    ),
    "bomb.xml": (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss>&a;</rss>',
        "no DOCTYPE or entities",
    ),
    "columns.csv": (b"question,answr,link\nq?,a,https://example.org\n", "unknown column 'answr'"),
    "nolink.csv": (b"question,answer\nWhy?,Because.\n", "no 'link' column"),
    "empty-answer.csv": (
        b"question,answer,link\nIs it ok to nap?,,https://example.org/nap\n",
        "has no answer",
    ),
    "badlink.csv": (b"question,answer,link\nIs it ok to nap?,Yes.,not a link\n", "no web address"),
    "list.yaml": (b"title: not a list\n", "expected a list of posts"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_and_nothing_is_written(
    name: str, tmp_path: Path, kb_dir: Path
) -> None:
    data, message = BAD[name]
    source = tmp_path / name
    source.write_bytes(data)
    before = fingerprint(knowledge_files(kb_dir))
    with pytest.raises(KbImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_source(source, kb_dir, "my-blog", meaning=False)
    assert fingerprint(knowledge_files(kb_dir)) == before
    assert not (kb_dir / "topics" / "my-blog.yaml").exists()


def test_a_folder_without_pages_and_a_bad_page_in_a_folder(tmp_path: Path, kb_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KbImportError, match="no HTML pages"):
        import_source(empty, kb_dir, "blog", meaning=False)
    pages = tmp_path / "pages"
    shutil.copytree(FIXTURES / "pages", pages)
    (pages / "zz-untitled.html").write_text(
        '<html><head><link rel="canonical" href="https://example.org/u"></head>'
        "<body><article><p>Text without a title anywhere.</p></article></body></html>"
    )
    with pytest.raises(KbImportError, match=r"zz-untitled\.html: the post has no title"):
        import_source(pages, kb_dir, "blog", meaning=False)
    assert not (kb_dir / "topics" / "blog.yaml").exists()


def test_a_topic_that_is_not_a_file_name(kb_dir: Path) -> None:
    with pytest.raises(KbImportError, match=r"topic '\.\./x'"):
        import_source(FIXTURES / "posts.csv", kb_dir, "../x", meaning=False)


# --- writing ------------------------------------------------------------------------------------


def test_import_writes_drafts_and_a_second_run_changes_nothing(kb_dir: Path) -> None:
    before = {p: p.read_bytes() for p in knowledge_files(kb_dir)}
    dry = import_source(FIXTURES / "blog.xml", kb_dir, "my-blog", dry_run=True, meaning=False)
    assert len(dry.written) == len(POSTS) and dry.dry_run
    assert {p: p.read_bytes() for p in knowledge_files(kb_dir)} == before

    result = import_source(FIXTURES / "blog.xml", kb_dir, "my-blog", meaning=False)
    assert result.new_file and not result.skipped
    assert [w.post.question for w in result.written] == [p["question"] for p in POSTS]
    assert {p: p.read_bytes() for p in knowledge_files(kb_dir) if p in before} == before
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None and problems == []
    assert len(knowledge.drafts) == len(POSTS) and len(knowledge.entries) == 5
    ids = [w.id for w in result.written]
    assert len(set(ids)) == len(ids)
    for written, post in zip(result.written, POSTS, strict=True):
        draft = knowledge.drafts[written.id]
        assert draft.draft and draft.reviewed is None
        assert draft.question == post["question"]
        assert draft.answer == expected_answer(post["answer"])
        assert draft.link == f"{SITE}/{post['slug']}/"
        assert knowledge.where(written.id) == (written.file, written.line)
    assert ids[0] == "flying-after-filler"  # from the title

    written = (kb_dir / "topics" / "my-blog.yaml").read_bytes()
    again = import_source(FIXTURES / "blog.xml", kb_dir, "my-blog", meaning=False)
    assert again.written == [] and len(again.skipped) == len(POSTS)
    assert (kb_dir / "topics" / "my-blog.yaml").read_bytes() == written


def test_import_into_an_existing_topic_only_adds_lines(kb_dir: Path) -> None:
    path = kb_dir / "topics" / "basics.yaml"
    old = path.read_text()
    result = import_source(FIXTURES / "posts.csv", kb_dir, "basics", meaning=False)
    assert len(result.written) == len(ROWS) and not result.new_file
    new = path.read_text()
    ops = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines()).get_opcodes()
    assert {tag for tag, *_ in ops} == {"equal", "insert"}
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is not None
    assert knowledge.drafts["can-i-use-a-foot-file-on-hard"].alternates == (
        "foot file how often",
        "Is filing my heels daily bad?",
    )


def test_duplicates_by_words_are_skipped_and_reported(tmp_path: Path, kb_dir: Path) -> None:
    source = tmp_path / "dupes.csv"
    source.write_text(
        "question,answer,link\n"
        '"how often should I use an exfoliating acid toner",Twice a week.,https://example.org/a\n'
        "Can I nap after a facial?,Yes.,https://example.org/b\n"
        "Can I nap after a facial ?,Yes indeed.,https://example.org/c\n"
        "Is jade a stone?,Yes.,https://example.org/kb/jade-roller\n"
    )
    result = import_source(source, kb_dir, "blog", meaning=False)
    assert [w.post.link for w in result.written] == ["https://example.org/b"]
    skipped = {d.post.link: (d.of, d.why) for d in result.skipped}
    assert skipped["https://example.org/a"][0] == "exfoliate-how-often"
    assert "the same question" in skipped["https://example.org/a"][1]
    assert skipped["https://example.org/c"][0] == result.written[0].id  # earlier in the import
    assert skipped["https://example.org/kb/jade-roller"] == (
        "jade-roller",
        "the same link https://example.org/kb/jade-roller",
    )


@pytest.mark.skipif(not semantic.available(), reason="needs the meaning signal")
def test_duplicates_by_meaning_on_the_bundled_knowledge(tmp_path: Path) -> None:
    """With the meaning signal, a post asking what an entry already answers is skipped even
    in other words: the morning face-wash post repeats a bundled alternate; a reworded post of
    the same import repeats an earlier one. The other 21 posts are new."""
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    source = tmp_path / "blog.xml"
    extra = _wxr_with(
        "<p>Keep the cabin-pressure worry aside: a day or two is fine.</p>",
        title="How long after getting dermal filler can I take a flight?",
    )
    text = (FIXTURES / "blog.xml").read_text(encoding="utf-8")
    item = extra[extra.index("\t<item><title><![CDATA[How long") :].split("</channel>")[0]
    source.write_text(text.replace("</channel>", item + "</channel>"), encoding="utf-8")
    result = import_source(source, kb, "my-blog", meaning=True)
    skipped = {d.post.question: d for d in result.skipped}
    assert set(skipped) == {
        "Should I wash my face in the morning as well, or is water enough?",
        "How long after getting dermal filler can I take a flight?",
    }
    assert skipped["How long after getting dermal filler can I take a flight?"].of == (
        "flying-after-filler"
    )
    assert "the same meaning" in skipped[next(iter(skipped))].why
    assert len(result.written) == len(POSTS) - 1


def test_a_long_answer_is_kept_whole_and_flagged(tmp_path: Path, kb_dir: Path, run_cli) -> None:
    answer = "\n\n".join(f"Paragraph {n}:" + " keep the skin moisturised." * 20 for n in range(9))
    source = tmp_path / "long.yaml"
    source.write_text(
        yaml.safe_dump(
            [
                {
                    "question": "How do I care for very dry skin?",
                    "answer": answer,
                    "link": "https://example.org/long",
                }
            ]
        )
    )
    result = import_source(source, kb_dir, "blog", meaning=False)
    (written,) = result.written
    assert written.too_long
    knowledge, _ = load_knowledge(kb_dir)
    assert knowledge is not None
    assert knowledge.drafts[written.id].answer == answer  # not cut
    code, out, _ = run_cli("kb", "check", str(kb_dir))
    assert code == 0
    assert f"draft: '{written.id}' waits for review; shorten its answer" in out
    code, _, err = run_cli("kb", "publish", written.id, "--knowledge", str(kb_dir))
    assert code == 1 and "too long for one Telegram message" in err


# --- the whole loop through the CLI -------------------------------------------------------------


def test_import_check_publish_ask(run_cli, kb_dir: Path) -> None:
    code, out, err = run_cli(
        "kb", "import", str(FIXTURES / "blog.xml"), "--topic", "my-blog", "--knowledge", str(kb_dir)
    )
    assert code == 0, err
    assert f"{len(POSTS)} posts: wrote {len(POSTS)} drafts" in out

    code, out, _ = run_cli("kb", "check", str(kb_dir))
    assert code == 0
    assert f"{len(POSTS)} drafts wait for review" in out
    lines = [line for line in out.splitlines() if ": draft: " in line]
    assert len(lines) == len(POSTS)
    assert lines[0].startswith("kb/topics/my-blog.yaml:4: draft: 'flying-after-filler'")
    ids = [line.split("'")[1] for line in lines]

    code, out, _ = run_cli("ask", "--knowledge", str(kb_dir), "--json", POSTS[0]["question"])
    assert '"flying-after-filler"' not in out  # a draft is never served

    code, out, err = run_cli("kb", "publish", *ids, "--knowledge", str(kb_dir))
    assert code == 0, err
    assert out.count(": published ") == len(POSTS)
    code, out, err = run_cli("kb", "check", "--strict", str(kb_dir))
    assert code == 0, out + err
    assert out.strip().endswith(
        f"{5 + len(POSTS)} entries in 3 topics, 0 drafts; 0 errors, 0 warnings"
    )

    code, out, err = run_cli("ask", "--knowledge", str(kb_dir), "--json", POSTS[0]["question"])
    assert code == 0, err
    assert '"outcome": "answer"' in out and '"id": "flying-after-filler"' in out

    code, out, _ = run_cli(
        "kb", "import", str(FIXTURES / "blog.xml"), "--topic", "my-blog", "--knowledge", str(kb_dir)
    )
    assert code == 0 and "wrote 0 drafts" in out and f"skipped {len(POSTS)}" in out


def test_cli_bad_input_is_one_line(run_cli, tmp_path: Path, kb_dir: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    line = one_line_error(
        *run_cli("kb", "import", str(source), "--topic", "blog", "--knowledge", str(kb_dir))
    )
    assert "not a WordPress export (WXR .xml), a folder of saved HTML pages" in line


def test_a_letter_written_as_paragraphs_between_lead_ins(tmp_path: Path) -> None:
    """No quote and no "Q:": "Anna writes: …" up to "Dr Vera answers:" is the letter."""
    source = tmp_path / "export.xml"
    source.write_text(
        _wxr_with(
            "<p>Nadia from Bristol writes: Hello doctor, I swim every morning.</p>\n"
            "<p>Does pool chlorine dry out my face, and what can I do about it? Nadia</p>\n"
            "<p>Dr Vera answers:</p>\n"
            "<p>Chlorine can leave skin dry. Rinse and moisturise after every swim.</p>\n"
            "<p>Warmly,<br />\nDr Vera</p>",
            title="Chlorine and my face",
        ),
        encoding="utf-8",
    )
    (post,) = read_posts(source)
    assert post.question == "Does pool chlorine dry out my face, and what can I do about it?"
    assert post.alternates == ("Chlorine and my face",)
    assert post.answer == "Chlorine can leave skin dry. Rinse and moisturise after every swim."


HELD = yaml.safe_load((FIXTURES / "heldout" / "expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", HELD, ids=[c["file"] for c in HELD])
def test_pages_in_other_platforms_shapes(case: dict) -> None:
    """Blogger, Squarespace, Medium, a "Q:"/"A:" heading page, a clinic page with a P.S., a
    call-to-action box and a disclaimer. Written after the parser, as a held-aside check: its
    first run read 3 of 5 questions, 5 of 5 links and 0 of 5 answers exactly (README); the
    parser was then fixed on them, so they are now regression cases, not a result."""
    (post,) = read_posts(FIXTURES / "heldout" / case["file"])
    assert (post.question, post.link, post.answer) == (
        case["question"],
        case["link"],
        case["answer"],
    )


def test_a_skipped_post_takes_no_id_from_a_written_one(tmp_path: Path, kb_dir: Path) -> None:
    """Two posts titled "Puffiness": the first asks what the knowledge has (skipped), the
    second is new and gets the plain id."""
    first = _wxr_with(
        "<blockquote><p>Does a jade roller reduce puffiness?</p></blockquote><p>Yes, a bit.</p>",
        title="Puffiness",
    )
    second = _wxr_with(
        "<blockquote><p>Why are my ankles puffy after a long flight?</p></blockquote>"
        "<p>Sitting still lets fluid pool.</p>",
        title="Puffiness",
    ).replace("https://example.org/x", "https://example.org/y")
    item = second[second.index("\t<item>") : second.index("</channel>")]
    source = tmp_path / "export.xml"
    source.write_text(first.replace("</channel>", item + "</channel>"), encoding="utf-8")
    result = import_source(source, kb_dir, "blog", meaning=False)
    assert [d.of for d in result.skipped] == ["jade-roller"]
    assert [w.id for w in result.written] == ["puffiness"]
