"""The headline meaning analyser: per-field accuracy floors on the labelled table, and
the behaviour the model and the alert's "why" rely on."""

from __future__ import annotations

import time

import pytest

from classifiers.meaning import analyse, meaning_tokens, plain_why
from classifiers.text import document_text
from training.meaning_table import TABLE, field_accuracy, load_table

# Measured on training/meaning/headlines.jsonl (201 rows): actor 0.851, target 0.846,
# modality 0.935, main clause 0.900. Floors a little below, so a regression fails.
FLOORS = {"actor": 0.83, "target": 0.82, "modality": 0.91, "main_clause": 0.88}


def test_field_accuracy_on_the_meaning_table_stays_above_its_floors() -> None:
    if not TABLE.is_file():
        pytest.skip("training/meaning/headlines.jsonl is not there")
    rows = load_table()
    assert len(rows) >= 150
    accuracy = field_accuracy(rows)
    for name, floor in FLOORS.items():
        assert accuracy[name] >= floor, f"{name} accuracy {accuracy[name]:.3f} < {floor}"


@pytest.mark.parametrize(
    ("headline", "actor", "target", "modality", "main"),
    [
        ("Montana legislature passes bill to ban TikTok statewide", "legislature", "app",
         "signed", True),
        ("Governor signs first statewide TikTok ban into law", "state", "app", "signed", True),
        ("Brazil supreme court judge orders X blocked nationwide", "court", "app", "ordered",
         True),
        ("Nepal to ban TikTok", "state", "app", "decided", True),
        ("Facebook bans Trump's accounts indefinitely", "platform", "person", "done", True),
        ("Twitter blocks links to rival Mastodon", "platform", "content", "done", True),
        ("Federal judge blocks Montana TikTok ban", "court", "app", "overturned", True),
        ("Users flock to VPNs as Iran blocks WhatsApp", "state", "app", "opinion", False),
        ("TikTok banned in Nepal", "unknown", "app", "done", True),
        ("Pakistan lifts ban on TikTok", "state", "app", "lifted", True),
        ("Regulator says it may fine TikTok", "regulator", "app", "threatened", True),
    ],
)  # fmt: skip
def test_headline_grammar(
    headline: str, actor: str, target: str, modality: str, main: bool
) -> None:
    meaning = analyse(headline)
    assert (meaning.actor, meaning.target, meaning.modality, meaning.main_clause) == (
        actor, target, modality, main,
    )  # fmt: skip


def test_tokens_reach_the_model_document_and_the_why_is_plain_words() -> None:
    doc = document_text("Turkey bans Grok over insults to its president", "")
    assert "mx_atm_auth_app_yes" in doc.split()
    assert meaning_tokens(analyse("Weather is mild")) == "mx_none"
    why = plain_why(analyse("Turkey bans Grok over insults to its president"))
    assert why == ("actor: turkey (government)", "action: bans", "app: Grok", "status: done")
    assert not any("_app_" in w or "<" in w or "mx_" in w for w in why)


def test_analyser_is_fast_enough_for_scoring() -> None:
    headline = "Pakistan's telecom regulator blocks access to TikTok after court order"
    start = time.perf_counter()
    for _ in range(2000):
        analyse(headline)
    assert (time.perf_counter() - start) / 2000 < 0.002  # well under the 0.5 ms budget per item
