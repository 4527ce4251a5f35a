"""Every word a reader sees from the bot itself comes from bot.yaml's `texts` (another expert, in
another language, replaces knowledge/ and the bot is theirs); a bot.yaml written before a text
existed still loads, with the built-in default."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import replies
from bot.conversation.service import AnswerService
from bot.knowledge.loading import Knowledge, load_knowledge
from bot.models import Action
from bot.storage import Store
from bot.understanding.snapshot import Snapshot

FRENCH = {
    "browse_button": "Parcourir les thèmes",
    "how_to_ask_button": "Comment poser une question",
    "back_button": "‹ Retour",
    "more_button": "Suite ›",
    "all_topics_button": "Tous les thèmes",
    "page_of": "page {page} sur {pages}",
    "forget_failed": "Désolé, cela n'a pas marché. Réessayez /forget plus tard.",
}


def knowledge_with(kb_dir: Path, texts: dict[str, str], entries: int = 0) -> Knowledge:
    lines = "".join(f'  {k}: "{v}"\n' for k, v in texts.items())
    (kb_dir / "bot.yaml").write_text(f"texts:\n{lines}" if texts else "", encoding="utf-8")
    if entries:  # one topic long enough for two pages
        body = "".join(
            f"  - id: extra-{i}\n    question: Extra question number {i}?\n"
            f"    answer: An answer.\n    link: https://example.org/{i}\n"
            "    reviewed: 2026-01-15\n"
            for i in range(entries)
        )
        (kb_dir / "topics" / "zz-long.yaml").write_text(f"title: Long\nentries:\n{body}")
    knowledge, problems = load_knowledge(kb_dir)
    assert knowledge is not None, problems
    return knowledge


def labels(reply) -> list[str]:
    return [b.label for b in reply.flat_buttons]


def test_an_older_bot_yaml_without_the_new_texts_loads_with_the_defaults(kb_dir: Path) -> None:
    knowledge = knowledge_with(kb_dir, {})
    assert labels(replies.start(knowledge)) == ["Browse topics", "How to ask"]


def test_buttons_and_pages_speak_the_knowledge_language(kb_dir: Path) -> None:
    knowledge = knowledge_with(kb_dir, FRENCH, entries=8)
    assert labels(replies.start(knowledge)) == [
        FRENCH["browse_button"],
        FRENCH["how_to_ask_button"],
    ]
    first = replies.topic(knowledge, "zz-long", 0)
    second = replies.topic(knowledge, "zz-long", 1)
    assert first is not None and second is not None
    assert labels(first)[-2:] == [FRENCH["more_button"], FRENCH["all_topics_button"]]
    assert labels(second)[-2:] == [FRENCH["back_button"], FRENCH["all_topics_button"]]
    assert first.blocks[0].text == "Long — page 1 sur 2"
    nav = [b for b in second.flat_buttons if b.action is Action.TOPIC]
    assert [b.arg for b in nav] == ["zz-long:0"]


async def test_the_forget_failure_speaks_it_too(kb_dir: Path, store: Store) -> None:
    service = AnswerService(Snapshot.build(knowledge_with(kb_dir, FRENCH)), store)
    await store.close()  # every write now fails
    reply = await service.forget(5)
    assert reply.blocks[0].text == FRENCH["forget_failed"]
