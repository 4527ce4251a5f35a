"""Start links (bot/conversation/links.py, `AnswerService.start`, `expertbot kb links`): t.me/<bot>?start=<id>
opens the bot with that answer; an unknown payload gets the greeting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import links
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge
from bot.models import Action
from bot.storage import Store
from bot.understanding.snapshot import Snapshot
from tests.conftest import BUNDLED_KB, RunCli, db_rows

READER = 404


def test_an_id_that_fits_is_its_own_payload() -> None:
    assert links.start_payload("how-long-botox-lasts") == "how-long-botox-lasts"
    assert links.start_link("ExpertBot", "how-long-botox-lasts") == (
        "https://t.me/ExpertBot?start=how-long-botox-lasts"
    )


@pytest.mark.parametrize("entry_id", ["x" * 65, "café-au-lait-spots", "h-looks-like-a-digest"])
def test_any_other_id_gets_a_valid_payload_that_finds_it(
    bundled_knowledge: Knowledge, entry_id: str
) -> None:
    payload = links.start_payload(entry_id)
    assert links.PAYLOAD.fullmatch(payload) and payload != entry_id
    entry = next(iter(bundled_knowledge.entries.values()))
    renamed = {entry_id: type(entry)(**{**_fields(entry), "id": entry_id})}
    knowledge = type(bundled_knowledge)(**{**_fields(bundled_knowledge), "entries": renamed})
    found = links.entry_for_payload(knowledge, payload)
    assert found is not None and found.id == entry_id


def _fields(obj: object) -> dict:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}  # type: ignore[attr-defined]


@pytest.mark.parametrize("payload", ["", "no-such-entry", "../../etc", "a" * 65, "h-0000"])
def test_an_unknown_payload_finds_nothing(bundled_knowledge: Knowledge, payload: str) -> None:
    assert links.entry_for_payload(bundled_knowledge, payload) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("@ExpertBot", "ExpertBot"), ("t.me/ExpertBot", "ExpertBot"), ("a b", None), ("ab", None)],
)
def test_usernames(raw: str, clean: str | None) -> None:
    assert links.clean_username(raw) == clean


async def test_start_with_an_entry_shows_it_and_it_becomes_the_context(
    bundled_snapshot: Snapshot, store: Store, db_path: Path
) -> None:
    service = AnswerService(bundled_snapshot, store)
    card = await service.start(READER, "how-long-botox-lasts")
    assert card.entry is not None and card.entry.id == "how-long-botox-lasts"
    assert (Action.SHARE, "how-long-botox-lasts") in [(b.action, b.arg) for b in card.flat_buttons]
    assert db_rows(db_path, "SELECT entry_id FROM conversations") == [("how-long-botox-lasts",)]
    greeting = await service.start(READER, "no-such-entry")
    assert greeting == service.greeting() == await service.start(READER)


def test_kb_links_prints_every_entry_link(run_cli: RunCli, bundled_knowledge: Knowledge) -> None:
    code, out, err = run_cli("kb", "links", "-k", str(BUNDLED_KB), "--bot", "@ExpertBot")
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == list(bundled_knowledge.entries)
    for entry_id, link, question in rows:
        assert link == f"https://t.me/ExpertBot?start={entry_id}"
        assert question == bundled_knowledge.entries[entry_id].question
    code, out, _ = run_cli(
        "kb", "links", "-k", str(BUNDLED_KB), env={"TELEGRAM_BOT_USERNAME": "OtherBot"}
    )
    assert code == 0 and out.splitlines()[0].split("\t")[1].startswith("https://t.me/OtherBot?")


def test_kb_links_needs_a_username(run_cli: RunCli) -> None:
    code, _, err = run_cli("kb", "links", "-k", str(BUNDLED_KB))
    assert code == 1 and "give --bot USERNAME or set TELEGRAM_BOT_USERNAME" in err
    code, _, err = run_cli("kb", "links", "-k", str(BUNDLED_KB), "--bot", "not a name")
    assert code == 1 and "is not a Telegram bot username" in err


async def test_share_in_the_console_says_what_it_does_in_telegram(
    bundled_snapshot: Snapshot,
) -> None:
    service = AnswerService(bundled_snapshot, None)
    reply = await service.press(READER, Action.SHARE, "how-long-botox-lasts")
    assert reply.blocks[0].text == bundled_snapshot.knowledge.settings.text("share_elsewhere")
