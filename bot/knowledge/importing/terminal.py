"""What an admin reads after `kb import` (pure: lines of text)."""

from __future__ import annotations

from bot.knowledge.importing.importer import ImportResult


def report_lines(result: ImportResult) -> list[str]:
    """One line per draft written (file:line, id, question), one per post skipped (what it
    repeats), then a summary and what to do next."""
    verb = "would write" if result.dry_run else "wrote"
    lines = []
    for w in result.written:
        flag = " [answer too long for one Telegram message: shorten it]" if w.too_long else ""
        lines.append(f"{w.file}:{w.line}: draft {w.id}: {w.post.question}{flag}")
    for d in result.skipped:
        lines.append(f"skipped {d.post.origin}: '{d.post.question}': {d.why} (entry {d.of})")
    where = result.file + (" (a new topic file)" if result.new_file and result.written else "")
    lines.append(
        f"{result.posts} posts: {verb} {len(result.written)} drafts to {where}, "
        f"skipped {len(result.skipped)} already in the knowledge"
        + (
            f", {sum(w.too_long for w in result.written)} too long for one message"
            if any(w.too_long for w in result.written)
            else ""
        )
    )
    if result.dry_run:
        lines.append("dry run: nothing was written")
    elif result.written:
        lines.append(
            "next: review each draft against its post, then `expertbot kb publish ID…`;"
            " `expertbot kb check` lists the drafts waiting"
        )
    return lines
