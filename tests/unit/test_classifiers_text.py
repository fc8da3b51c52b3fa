"""document_text: one input format for training and serving, bounded and headline-weighted."""

from __future__ import annotations

import re

from classifiers.text import LEAD_CHARS, TITLE_REPEAT, document_text
from classifiers.vocab import _alternation, mark_entities


def test_headline_counts_more_than_body() -> None:
    doc = document_text("Regulator acts", "Details follow here.")
    assert doc.count("Regulator acts") == TITLE_REPEAT
    assert doc.count("Details follow here.") == 1


def test_long_articles_are_cut_to_the_lead() -> None:
    body = "Opening paragraph names the ban. " + "Background filler words. " * 2000
    doc = document_text("Headline", body)
    assert len(doc) <= LEAD_CHARS + TITLE_REPEAT * (len("Headline") + 1) + 1
    assert "Opening paragraph names the ban." in doc
    assert not doc.endswith("Backgro")  # cut at a word boundary


def test_headline_only_and_summary_only_items_give_the_same_document() -> None:
    sentence = "Nauru bans Facebook to protect young people."
    assert document_text(sentence, "") == document_text("", sentence)


def test_first_sentence_of_text_stands_in_for_a_missing_title() -> None:
    doc = document_text("", "Iran blocks Signal. Users move to other apps.")
    assert doc.count("Iran _place_ blocks _app_ Signal.") == TITLE_REPEAT
    assert doc.count("Users move") == 1


def test_summary_repeating_the_title_is_not_counted_three_times() -> None:
    doc = document_text("Kenya suspends Telegram", "Kenya suspends Telegram - during exams.")
    assert doc.count("suspends") == TITLE_REPEAT
    assert "during exams." in doc


def test_whitespace_is_collapsed_and_empty_input_is_empty() -> None:
    assert document_text("  A \n\t b  ", "") == "A b\nA b\nmx_none"
    assert document_text("", "   ") == ""


def test_entities_get_type_marks_but_keep_their_names() -> None:
    assert mark_entities("Turkey bans YouTube") == "Turkey _place_ bans _app_ YouTube"
    assert mark_entities("A Turkish court blocks PUBG Mobile") == (
        "A Turkish _place_ court blocks _app_ PUBG Mobile"
    )
    # Ambiguous names only in their exact spelling: "x" and "signal" stay plain words.
    assert mark_entities("a signal to x") == "a signal to x"


def test_name_trie_matches_like_a_longest_first_list() -> None:
    names = ["PUBG", "PUBG Mobile", "Pokémon Go", "Korea", "South Korea", "Line", "Lin"]
    trie = re.compile(rf"(?<!\w)({_alternation(names)})(?!\w)")
    flat = re.compile(
        rf"(?<!\w)({'|'.join(re.escape(n) for n in sorted(names, key=len, reverse=True))})(?!\w)"
    )
    text = "PUBG Mobile, PUBG, PUBG Mobiles, Pokémon Go, South Korea, Korea, Line, Lin, Lines"
    assert trie.findall(text) == flat.findall(text)
    assert trie.findall(text) == [
        "PUBG Mobile", "PUBG", "PUBG", "Pokémon Go", "South Korea", "Korea", "Line", "Lin",
    ]  # fmt: skip
    folded = re.compile(rf"\b({_alternation(names, fold=True)})\b", re.IGNORECASE)
    assert folded.findall("pubg mobile and SOUTH KOREA") == ["pubg mobile", "SOUTH KOREA"]
