"""What the import reads: a WordPress export (WXR), a folder of saved HTML pages (or one page),
or a CSV / YAML file of question, answer, link (+ alternates). `read_posts` tells them apart
and returns every post, or raises KbImportError naming the file (and the post) and the reason:
nothing is written from input the import cannot read whole.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.importing.htmltext import Node, parse
from bot.knowledge.importing.post import KbImportError, Post, from_html, make_post, plain_answer
from bot.knowledge.schema import SLUG

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
KINDS = "a WordPress export (WXR .xml), a folder of saved HTML pages, a CSV or a YAML file"
_WP_NS = "http://wordpress.org/export/"
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_LOOKS_HTML = re.compile(r"<(?:p|br|ul|ol|li|div|strong|em|b|i|a|h[1-6]|blockquote)\b", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']""")
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(\S+)", re.I)
_SHORTCODE_BLOCK = re.compile(
    r"\[(caption|product|products|product_page|add_to_cart|shop|gallery|contact-form-7|"
    r"contact-form|ask|ask_box|newsletter|mc4wp_form|embed|video|audio|playlist)\b[^\]]*\]"
    r"(?:.*?\[/\1\])?",
    re.I | re.S,
)
_SHORTCODE = re.compile(r"\[/?[a-z][\w-]*(?:\s+[^\]]*=[^\]]*)?\]", re.I)
TABLE_FIELDS = ("question", "answer", "link", "alternates")


def read_posts(source: Path) -> list[Post]:
    """Every post of `source`, in order."""
    if source.is_dir():
        return _pages(source)
    if not source.is_file():
        raise KbImportError(f"{source}: no such file or folder")
    suffix = source.suffix.lower()
    data = _read_bytes(source)
    if suffix == ".csv":
        return _csv(source, data)
    if suffix in (".yaml", ".yml"):
        return _yaml(source, data)
    if suffix in HTML_SUFFIXES:
        return [_page(source, data)]
    head = data[:4096].lstrip(codecs.BOM_UTF8).lstrip()
    if suffix == ".xml" or head.startswith(b"<?xml") or head.startswith(b"<rss"):
        return _wxr(source, data)
    raise KbImportError(f"{source}: not {KINDS}")


# --- decoding -------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KbImportError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def decode(path: Path | str, data: bytes, declared: str | None = None) -> str:
    """The text of a file: by its byte-order mark, else the encoding it declares, else UTF-8;
    bytes that are not that encoding are an error that says where (a broken encoding loses
    letters silently otherwise)."""
    encoding = declared or "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[3:], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise KbImportError(f"{path}: unknown text encoding '{encoding}'") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise KbImportError(
            f"{path}:{line}: broken text encoding: byte {exc.start} is not {encoding}"
            " (save the file as UTF-8)"
        ) from None


def _declared(data: bytes, pattern: re.Pattern[bytes]) -> str | None:
    found = pattern.search(data[:4096])
    return found.group(1).decode("ascii").lower() if found else None


# --- WordPress export (WXR) -----------------------------------------------------------------


def _wxr(path: Path, data: bytes) -> list[Post]:
    """A WordPress export: its published posts (pages, attachments, menus, drafts and the
    comments are not posts)."""
    text = decode(path, data, _declared(data, _XML_ENCODING))
    if "<!DOCTYPE" in text[:4096] or "<!ENTITY" in text:
        raise KbImportError(f"{path}: a WordPress export has no DOCTYPE or entities: not {KINDS}")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # decoded already: drop its encoding
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise KbImportError(f"{path}: not well-formed XML ({exc})") from None
    if _local(root.tag) != "rss" or not _is_wxr(root):
        raise KbImportError(f"{path}: XML, but not a WordPress export (WXR): not {KINDS}")
    channel = next((c for c in root if _local(c.tag) == "channel"), None)
    posts: list[Post] = []
    for n, item in enumerate(
        c for c in (channel if channel is not None else []) if _local(c.tag) == "item"
    ):
        fields = _item_fields(item)
        if (
            fields.get("post_type", "post") != "post"
            or fields.get("status", "publish") != "publish"
        ):
            continue
        origin = f"{path.name}, item {n + 1}" + (
            f" (post {fields['post_id']})" if fields.get("post_id") else ""
        )
        content = fields.get("encoded", "")
        if not content.strip():
            raise KbImportError(f"{origin}: '{fields.get('title', '')}' has no text")
        body, _ = parse(_shortcodes_out(content))
        link = fields.get("link") or fields.get("guid", "")
        posts.append(from_html(html.unescape(fields.get("title", "")), link.strip(), body, origin))
    if not posts:
        raise KbImportError(f"{path}: the export holds no published posts")
    return posts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_wxr(root: ET.Element) -> bool:
    return any(el.tag.startswith("{" + _WP_NS) for el in root.iter())


def _item_fields(item: ET.Element) -> dict[str, str]:
    """An item's fields by local name; `encoded` is content:encoded (not excerpt:encoded)."""
    fields: dict[str, str] = {}
    for child in item:
        name = _local(child.tag)
        if name == "comment":
            continue
        if name == "encoded" and not child.tag.startswith("{" + _CONTENT_NS):
            continue
        fields.setdefault(name, child.text or "")
    return fields


def _shortcodes_out(content: str) -> str:
    """WordPress shortcodes removed: product, gallery and form blocks with what they hold."""
    return _SHORTCODE.sub("", _SHORTCODE_BLOCK.sub("", content))


# --- saved HTML pages -----------------------------------------------------------------------


def _pages(folder: Path) -> list[Post]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
    if not files:
        raise KbImportError(f"{folder}: a folder with no HTML pages (*.html): not {KINDS}")
    return [_page(path, _read_bytes(path)) for path in files]


def _page(path: Path, data: bytes) -> Post:
    """One saved post page: its title (the post's heading), link (canonical, og:url or the
    browser's "saved from" note) and article."""
    text = decode(path, data, _declared(data, _META_CHARSET))
    if "<" not in text or not re.search(r"<(?:html|body|p|div|article|h1)\b", text, re.I):
        raise KbImportError(f"{path}: not an HTML page")
    root, comments = parse(text)
    heading = (
        root.find(lambda n: n.tag in _TITLE_TAGS and bool(n.names() & _TITLE_CLASSES))
        or _in_article(root, "h1")
        or root.find(lambda n: n.tag == "h1")
    )
    title = heading.text() if heading is not None else _meta(root, "og:title") or _title(root)
    article = (
        root.find(
            lambda n: bool(
                n.names()
                & {"entry-content", "post-content", "article-content", "post-body", "entry-body"}
            )
        )
        or root.find(lambda n: n.tag == "article")
        or root.find(lambda n: n.tag == "main")
        or root.find(lambda n: n.tag == "body")
        or root
    )
    if heading is not None:  # the title is not part of the answer
        article = _without(article, heading)
    return from_html(title, _link(root, comments), article, str(path.name))


_TITLE_TAGS = frozenset({"h1", "h2", "h3"})
_TITLE_CLASSES = frozenset({"entry-title", "post-title", "article-title", "blogitem-title"})


def _in_article(root: Node, tag: str) -> Node | None:
    """The first `tag` inside an <article> (a page's first <h1> may be the site's name)."""
    article = root.find(lambda n: n.tag == "article")
    return article.find(lambda n: n.tag == tag) if article is not None else None


def _without(node: Node, gone: Node) -> Node:
    kept = [c if isinstance(c, str) else _without(c, gone) for c in node.children if c is not gone]
    return Node(node.tag, dict(node.attrs), kept)


def _meta(root: Node, prop: str) -> str:
    node = root.find(
        lambda n: n.tag == "meta" and prop in (n.attrs.get("property"), n.attrs.get("name"))
    )
    return " ".join(node.attrs.get("content", "").split()) if node is not None else ""


def _title(root: Node) -> str:
    node = root.find(lambda n: n.tag == "title")
    if node is None:
        return ""
    # "Can I … ? | Dr Vera's skin blog": the site's name after the last separator goes
    return re.split(r"\s+[|–—-]\s+(?=[^|–—-]*$)", node.text())[0]


def _link(root: Node, comments: list[str]) -> str:
    canonical = root.find(
        lambda n: n.tag == "link" and "canonical" in n.attrs.get("rel", "").lower().split()
    )
    if canonical is not None and canonical.attrs.get("href", "").strip():
        return canonical.attrs["href"].strip()
    if found := _meta(root, "og:url"):
        return found
    for comment in comments:
        if saved := _SAVED_FROM.search(comment):
            return saved.group(1)
    return ""


# --- CSV and YAML ---------------------------------------------------------------------------


def _csv(path: Path, data: bytes) -> list[Post]:
    text = decode(path, data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise KbImportError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise KbImportError(f"{path}: empty")
    header = [h.strip().lower() for h in rows[0]]
    _check_fields(path, header, "column")
    posts = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise KbImportError(f"{path}, row {n}: more cells than columns")
        record = dict(zip(header, row, strict=False))
        posts.append(_record(record, f"{path.name}, row {n}"))
    if not posts:
        raise KbImportError(f"{path}: no rows")
    return posts


def _yaml(path: Path, data: bytes) -> list[Post]:
    text = decode(path, data)
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KbImportError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if isinstance(loaded, dict) and "entries" in loaded:
        loaded = loaded["entries"]
    if not isinstance(loaded, list) or not loaded:
        raise KbImportError(
            f"{path}: expected a list of posts, each with question, answer and link"
        )
    posts = []
    for n, item in enumerate(loaded, start=1):
        origin = f"{path.name}, item {n}"
        if not isinstance(item, dict):
            raise KbImportError(f"{origin}: expected question, answer and link")
        _check_fields(path, [str(k) for k in item], "field", origin)
        alternates = item.get("alternates") or []
        if isinstance(alternates, str):
            alternates = [alternates]
        if not isinstance(alternates, list):
            raise KbImportError(f"{origin}: 'alternates' must be a list")
        record = {
            k: v if isinstance(v, str) else "" if v is None else str(v) for k, v in item.items()
        }
        record["alternates"] = "\n".join(str(a) for a in alternates)
        posts.append(_record(record, origin))
    return posts


def _check_fields(path: Path, names: list[str], what: str, origin: str = "") -> None:
    where = origin or str(path)
    unknown = [n for n in names if n not in TABLE_FIELDS and n != "id"]
    if unknown:
        raise KbImportError(
            f"{where}: unknown {what} '{unknown[0]}' (expected {', '.join(TABLE_FIELDS)})"
        )
    missing = [n for n in ("question", "answer", "link") if n not in names]
    if missing:
        raise KbImportError(f"{where}: no '{missing[0]}' {what} (needs question, answer, link)")


def _record(record: dict[str, Any], origin: str) -> Post:
    question = html.unescape(" ".join(str(record.get("question") or "").split()))
    raw = str(record.get("answer") or "").strip()
    if not question:
        raise KbImportError(f"{origin}: no question")
    if not raw:
        raise KbImportError(f"{origin}: '{question}' has no answer")
    if _LOOKS_HTML.search(raw):
        node, _ = parse(raw)
        answer = from_html(question, str(record.get("link") or ""), node, origin).answer
    else:
        answer = plain_answer(raw)
    extra = tuple(
        a.strip() for a in re.split(r"\n|\|", str(record.get("alternates") or "")) if a.strip()
    )
    link = str(record.get("link") or "").strip()
    post = make_post(question, question, answer, link, origin, extra)
    entry_id = str(record.get("id") or "").strip()
    if entry_id and not SLUG.match(entry_id):
        raise KbImportError(f"{origin}: id '{entry_id}' is not a lowercase slug like my-question")
    return replace(post, id=entry_id)
