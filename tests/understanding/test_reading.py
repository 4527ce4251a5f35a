"""Reading a real message before matching it: title, questions, chatter, photo, language."""

from __future__ import annotations

import pytest

from bot.understanding.reading import read, refers_back


def test_a_site_title_then_a_body() -> None:
    reading = read(
        "Droopy eyelid after Botox?\n\nI had my first Botox five days ago and my left lid is "
        "lower than the right. Will it go back to normal? How long does it take?"
    )
    assert reading.title == "Droopy eyelid after Botox?"
    assert reading.questions == (
        "Droopy eyelid after Botox?",
        "Will it go back to normal?",
        "How long does it take?",
    )
    assert reading.text.startswith("Droopy eyelid after Botox?\nI had my first Botox")


def test_greeting_praise_thanks_and_signature_are_not_the_question() -> None:
    reading = read(
        "Hi Dr. Smith! I've been following your blog for years. I'm 34 and I use a retinol "
        "serum every night. Can I keep using it now that I'm pregnant? Thanks so much!\nAnna"
    )
    assert reading.title is None
    assert reading.questions == ("Can I keep using it now that I'm pregnant?",)
    assert "Hi Dr" not in reading.text and "following your blog" not in reading.text
    assert "Thanks" not in reading.text and "Anna" not in reading.text
    assert "retinol serum" in reading.text


@pytest.mark.parametrize("opening", ["Q: ", "Question: ", "Dear Doctor, ", "Hello doctor, "])
def test_openings_are_dropped(opening: str) -> None:
    reading = read(f"{opening}Is it safe to get Botox while breastfeeding?")
    assert reading.text == "Is it safe to get Botox while breastfeeding?"
    assert reading.focus == reading.text


def test_a_name_after_the_thanks_is_a_signature_but_a_short_question_is_not() -> None:
    reading = read("Hi Dr. Jones! I use retinol. Can I? Thanks again for your help! Jessica")
    assert reading.text == "I use retinol.\nCan I?"
    assert reading.questions == ("Can I?",)


def test_a_buried_question_is_found_and_a_story_without_one_is_kept_whole() -> None:
    story = (
        "I have had acne since I was 14. I tried everything from the pharmacy. Now I am 30 and "
        "I would like to know what a dermatologist can offer me."
    )
    reading = read(story)
    assert reading.questions == ()
    assert reading.focus == reading.text


@pytest.mark.parametrize(
    ("text", "photo"),
    [
        ("Swollen lip after filler (photo)\n\nIs this normal after two days of healing?", True),
        ("Bump on my nose, photos attached. What is it?", True),
        ("Please see the pictures. Is this a cyst?", True),
        ("I photograph weddings for a living; does sunscreen ruin make-up?", False),
    ],
)
def test_photo_mentions(text: str, photo: bool) -> None:
    assert read(text).photo is photo


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuánto dura el efecto del bótox en la frente?",
        "Можно ли использовать ретинол во время беременности?",
        "Wie lange hält Lippenfiller normalerweise, und tut die Behandlung weh?",
        "Jak często mogę robić peeling kwasem glikolowym?",
    ],
)
def test_other_languages(text: str) -> None:
    assert read(text).foreign


@pytest.mark.parametrize(
    "text",
    [
        "laser hair removal dark skin safe?",
        "botox vs dysport vs xeomin",
        "Does long-term Botox make facial muscles sag? " + "blah " * 500,
        "Is Botox safe while breastfeeding?",
    ],
)
def test_english_keywords_are_english(text: str) -> None:
    assert not read(text).foreign


@pytest.mark.parametrize(
    "text", ["is it true?", "Is that normal?", "what about the other one?", "Is this safe?"]
)
def test_a_question_that_refers_back_is_not_one_of_its_own(text: str) -> None:
    assert refers_back(text)
    told = "I read that Latisse can darken the skin of the eyelids for good."
    reading = read(f"{told} {text}")
    assert reading.questions == (f"{told} {text}",)  # one question, with what it points at


@pytest.mark.parametrize(
    "text", ["Is it safe to use retinol while pregnant?", "Does it hurt?", "How long does it last?"]
)
def test_a_short_question_with_its_own_subject_stands_alone(text: str) -> None:
    assert not refers_back(text)
    assert read(f"I had Botox last week. {text}").questions == (text,)
