"""The bundled sample knowledge keeps the shape issue 2 asked for."""

from __future__ import annotations

from bot.knowledge.loading import Knowledge


def test_every_entry_is_served_sourced_and_complete(bundled_knowledge: Knowledge) -> None:
    entries = list(bundled_knowledge.entries.values())
    assert len(entries) == 67
    assert not bundled_knowledge.drafts
    for entry in entries:
        words = len(entry.answer.split())
        assert 80 <= words <= 250, (entry.id, words)
        assert len(entry.alternates) >= 3, entry.id
        assert len(entry.examples) >= 2, entry.id
        assert entry.reviewed is not None, entry.id
        assert entry.link.startswith(("https://", "http://")), entry.id


def test_questions_and_links_are_distinct(bundled_knowledge: Knowledge) -> None:
    entries = list(bundled_knowledge.entries.values())
    assert len({e.question for e in entries}) == len(entries)
    assert len({e.link for e in entries}) == len(entries)


def test_texts_say_it_is_a_sample_and_not_advice(bundled_knowledge: Knowledge) -> None:
    settings = bundled_knowledge.settings
    assert "sample" in settings.text("about")
    assert "not medical advice" in settings.text("disclaimer")
