"""Importing a doctor's existing Q&A posts as draft entries (`expertbot kb import`).

What the rest may use: `import_source` (posts in, drafts written: importer.py), `read_posts`
(sources.py: WXR, HTML pages, CSV, YAML), `Post`, `KbImportError`, `ImportResult`, and
`report_lines` (terminal.py: what the admin reads). Inside: htmltext.py (HTML to blocks, the
non-post parts dropped), post.py (letter, question, answer of one post), duplicates.py.
"""

from bot.knowledge.importing.importer import ImportResult, Written, import_source
from bot.knowledge.importing.post import KbImportError, Post
from bot.knowledge.importing.sources import read_posts
from bot.knowledge.importing.terminal import report_lines

__all__ = [
    "ImportResult",
    "KbImportError",
    "Post",
    "Written",
    "import_source",
    "read_posts",
    "report_lines",
]
