"""Writes the import fixtures from posts.py: blog.xml (a WordPress export of the 22 posts, in
four layouts real Q&A blogs use, with comments, shop blocks, "Ask the doctor" boxes, navigation
and HTML entities), pages/*.html (saved post pages with the whole site frame around them) and
posts.csv. Run it after editing posts.py: `python tests/data/import/make_fixtures.py`."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from posts import PAGES, POSTS, ROWS, SITE  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
ENTITIES = {"’": "&#8217;", "“": "&#8220;", "”": "&#8221;", "—": "&mdash;", "–": "&ndash;"}

# what must never reach an answer: the tests look for each of these in every imported answer
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
    "Dear Dr",
    "Dear doctor",
    "Dear Doctor",
    "Warmly",
    "Filed under",
    "Share this",
    "Related questions",
    "Subscribe",
    "Leave a reply",
    "Home /",
]


def ent(text: str) -> str:
    """The text as WordPress stores it: & < > escaped, curly quotes and dashes as entities."""
    text = html.escape(text, quote=False)
    for char, entity in ENTITIES.items():
        text = text.replace(char, entity)
    return text


def answer_html(answer: list, style: int) -> str:
    parts = []
    for block in answer:
        if isinstance(block, list):
            tag = "ol" if style == 3 else "ul"
            items = "".join(f"<li>{ent(i)}</li>" for i in block)
            if style == 0:
                parts.append(
                    f'<!-- wp:list -->\n<{tag} class="wp-block-list">{items}</{tag}>\n<!-- /wp:list -->'
                )
            else:
                parts.append(f"<{tag}>\n{items}\n</{tag}>")
        elif style == 1:  # classic editor: paragraphs are blank-line separated text
            parts.append(ent(block))
        else:
            wrap = (
                "<!-- wp:paragraph -->\n<p>{}</p>\n<!-- /wp:paragraph -->"
                if style == 0
                else "<p>{}</p>"
            )
            parts.append(wrap.format(ent(block)))
    return "\n\n".join(parts)


def letter_html(post: dict, style: int, n: int) -> str:
    letter = post["letter"]
    if not letter:
        return ""
    name = letter[-1].split()[-1] if len(letter) > 1 else "A reader"
    if style == 0:
        paras = "".join(f"<p>{ent(p)}</p>" for p in letter)
        return (
            f"<!-- wp:paragraph -->\n<p><em>{ent(name)} writes:</em></p>\n<!-- /wp:paragraph -->\n\n"
            f'<!-- wp:quote -->\n<blockquote class="wp-block-quote">{paras}</blockquote>\n'
            "<!-- /wp:quote -->\n\n"
        )
    if style == 1:
        body = ent(" ".join(letter[:-1]) if len(letter) > 1 else letter[0])
        sig = ent(letter[-1]) if len(letter) > 1 else ""
        return f"<strong>Q:</strong> {body}\n{sig}\n\n<strong>A:</strong> "
    if style == 2:
        paras = "".join(f"<p>{ent(p)}</p>" for p in letter)
        return f'<div class="reader-letter">{paras}</div>\n<p>Dr Vera answers:</p>\n'
    return "<blockquote>" + "<br />\n".join(ent(p) for p in letter) + "</blockquote>\n"


def noise_html(style: int, n: int) -> str:
    """The parts of a real post body that are not the answer."""
    if style == 0:
        return (
            '\n\n<!-- wp:group -->\n<div class="wp-block-group shop-the-post"><h3>Shop the post</h3>'
            '<ul><li><a href="https://shop.example/cleanser">Gentle Cream Cleanser</a> &ndash; &pound;14</li>'
            "<li>Barrier Balm &ndash; &pound;18</li></ul></div>\n<!-- /wp:group -->\n\n"
            '<div class="ask-the-doctor"><p>Have a question? <a href="/ask">Ask Dr Vera</a> &raquo;</p></div>\n\n'
            '<p class="post-nav">&laquo; <a href="/prev">Previous post</a> | <a href="/next">Next post</a> &raquo;</p>'
        )
    if style == 1:
        return (
            '\n\n[product id="4417"]\n\n'
            "Shop the post:\n<ul>\n<li>Gentle Cream Cleanser, &pound;14</li>\n<li>Barrier Balm, &pound;18</li>\n</ul>\n\n"
            "Got a question? Send me your question at ask@drvera-skin-notes.example\n\n"
            "&larr; Older post"
        )
    if style == 2:
        return (
            "\n<h4>Shop the post</h4>\n<p>Gentle Cream Cleanser &ndash; &pound;14<br />Barrier Balm &ndash; &pound;18</p>\n"
            '<h4>Related questions</h4>\n<ul><li><a href="/q/1">Can I mix acids?</a></li></ul>\n'
            '<aside class="widget ask-box"><p>Send me your question &mdash; I answer one every week.</p></aside>\n'
            '<p>Filed under: <a href="/c/skin">Skin</a> | <a href="/share">Share this</a></p>'
        )
    return (
        '\n<div class="sharedaddy"><h3>Share this:</h3><a href="#">Facebook</a></div>\n'
        '[contact-form-7 id="12" title="Ask Dr Vera"]\n'
        "<p>Subscribe to get every answer by email.</p>\n"
        '<p><a href="/next">Next post &rarr;</a></p>'
    )


def sign_html(sign: str, style: int) -> str:
    if style == 1:
        return "\n\n" + ent(sign)
    return "\n<p>" + "<br />\n".join(ent(s) for s in sign.split("\n")) + "</p>"


COMMENTS = [
    "This helped me so much, thank you!",
    "I had the same problem &#8211; great answer.",
]


def item(post: dict, n: int) -> str:
    style = n % 4
    link = f"{SITE}/{post['slug']}/"
    body = letter_html(post, style, n) + answer_html(post["answer"], style)
    body += sign_html(post["sign"], style) + noise_html(style, n)
    comments = "".join(
        f"""
		<wp:comment>
			<wp:comment_id>{n * 10 + i}</wp:comment_id>
			<wp:comment_author><![CDATA[Reader {i}]]></wp:comment_author>
			<wp:comment_content><![CDATA[{text}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
		</wp:comment>"""
        for i, text in enumerate(COMMENTS[: n % 3])
    )
    title = post["title"].replace("’", "&#8217;")
    return f"""
	<item>
		<title><![CDATA[{title}]]></title>
		<link>{link}</link>
		<pubDate>Mon, {n + 1:02d} Sep 2025 08:00:00 +0000</pubDate>
		<dc:creator><![CDATA[drvera]]></dc:creator>
		<guid isPermaLink="false">{SITE}/?p={100 + n}</guid>
		<description></description>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<excerpt:encoded><![CDATA[Excerpt that is not the post.]]></excerpt:encoded>
		<wp:post_id>{100 + n}</wp:post_id>
		<wp:post_date><![CDATA[2025-09-{n + 1:02d} 08:00:00]]></wp:post_date>
		<wp:post_name><![CDATA[{post["slug"]}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<category domain="category" nicename="skin"><![CDATA[Skin]]></category>{comments}
	</item>"""


EXTRA_ITEMS = f"""
	<item>
		<title><![CDATA[About me]]></title>
		<link>{SITE}/about/</link>
		<content:encoded><![CDATA[<p>I am a dermatologist. This page is not a post.</p>]]></content:encoded>
		<wp:post_id>2</wp:post_id>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[page]]></wp:post_type>
	</item>
	<item>
		<title><![CDATA[Half-written answer]]></title>
		<link>{SITE}/?p=999</link>
		<content:encoded><![CDATA[<p>Not finished.</p>]]></content:encoded>
		<wp:post_id>999</wp:post_id>
		<wp:status><![CDATA[draft]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
	</item>
	<item>
		<title><![CDATA[cleanser-photo]]></title>
		<link>{SITE}/cleanser-photo/</link>
		<wp:post_id>3</wp:post_id>
		<wp:status><![CDATA[inherit]]></wp:status>
		<wp:post_type><![CDATA[attachment]]></wp:post_type>
		<wp:attachment_url><![CDATA[{SITE}/wp-content/uploads/cleanser.jpg]]></wp:attachment_url>
	</item>"""


def wxr() -> str:
    items = "".join(item(post, n) for n, post in enumerate(POSTS))
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Dr Vera&#039;s Skin Notes</title>
	<link>{SITE}</link>
	<description>Readers ask, a dermatologist answers</description>
	<language>en-GB</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{SITE}</wp:base_site_url>
	<wp:author><wp:author_login><![CDATA[drvera]]></wp:author_login></wp:author>
	<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[skin]]></wp:category_nicename></wp:category>
{EXTRA_ITEMS}{items}
</channel>
</rss>
"""


def page(post: dict, n: int) -> str:
    link = f"{SITE}/{post['slug']}/"
    head_link = {
        0: f'<link rel="canonical" href="{link}" />',
        1: f'<meta property="og:url" content="{link}" />',
        2: "",
    }[n % 3]
    saved = f"<!-- saved from url=({len(link):04d}){link} -->\n" if n % 3 == 2 else ""
    letter = ""
    if post["letter"]:
        letter = (
            "<blockquote>" + "".join(f"<p>{ent(p)}</p>" for p in post["letter"]) + "</blockquote>\n"
        )
    return f"""<!DOCTYPE html>
{saved}<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{ent(post["title"])} | Dr Vera&#039;s Skin Notes</title>
{head_link}
<meta property="og:title" content="{ent(post["title"])}" />
<script>window.dataLayer = [];</script>
<style>.entry-content p {{ margin: 0 }}</style>
</head>
<body class="post-template-default single single-post has-sidebar">
<a class="skip-link" href="#content">Skip to content</a>
<header id="masthead" class="site-header"><p class="site-title">Dr Vera&#039;s Skin Notes</p>
<nav class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/ask">Ask a question</a></li><li><a href="/shop">Shop</a></li></ul></nav>
</header>
<main id="content">
<div class="breadcrumbs">Home / Questions / {ent(post["title"])}</div>
<article id="post-{200 + n}" class="post-{200 + n} post type-post status-publish hentry category-skin tag-routine">
<header class="entry-header"><h1 class="entry-title">{ent(post["title"])}</h1>
<div class="entry-meta">Posted on 2 October 2025 by Dr Vera</div></header>
<div class="entry-content">
{letter}{answer_html(post["answer"], 2)}
{sign_html(post["sign"], 2)}
<div class="shop-the-post"><h3>Shop the post</h3><p>Gentle Cream Cleanser &ndash; &pound;14</p></div>
</div>
<footer class="entry-footer"><span class="cat-links">Filed under Skin</span></footer>
</article>
<nav class="navigation post-navigation"><a href="/p">&laquo; Previous post</a> <a href="/n">Next post &raquo;</a></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on &ldquo;{ent(post["title"])}&rdquo;</h2>
<ol class="comment-list"><li class="comment"><p>This helped me so much, thank you!</p></li></ol>
<div id="respond"><h3>Leave a reply</h3><form><textarea></textarea></form></div></div>
</main>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Ask Dr Vera</h2><p>Send me your question.</p></section>
<section class="widget"><h2>Subscribe</h2></section></aside>
<footer class="site-footer"><p>&copy; Dr Vera. Got a question? Write to me.</p></footer>
</body>
</html>
"""


def main() -> None:
    (HERE / "blog.xml").write_text(wxr(), encoding="utf-8")
    pages = HERE / "pages"
    pages.mkdir(exist_ok=True)
    for n, post in enumerate(PAGES):
        (pages / f"{post['slug']}.html").write_text(page(post, n), encoding="utf-8")
    with open(HERE / "posts.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["question", "answer", "link", "alternates"])
        writer.writeheader()
        writer.writerows(ROWS)


if __name__ == "__main__":
    main()
