"""The readability-lxml second opinion: when it is taken, what counts as plausible, and
that hostile pages neither raise nor come back as text.

``second_opinion`` and the worker task ``run_extraction`` are plain functions: they run
here in the test process on real readability-lxml and trafilatura (the Extractor's
worker processes and deadline are tested in test_extract.py).
"""

from __future__ import annotations

import pytest

from monitor.ingest import readable
from monitor.ingest.readable import better, plausible, second_opinion
from monitor.ingest.workers import run_extraction, run_trafilatura
from tests.support.pages import FILLER, MENU, REGULATOR_STORY, aside_story, menu_page

STORY = REGULATOR_STORY[:3]
ASIDE = aside_story("Regulator orders Telegram block", STORY).decode()
# Headline links with a few words each: readability keeps them, they are no article.
LINK_LIST = (
    "<html><body><div class='content'>"
    + "".join(
        f"<p><a href='/s/{n}'>Headline of story {n} in the {MENU[n % 7]} section, with a "
        f"long enough title to read</a> ({n} comments)</p>"
        for n in range(40)
    )
    + "</div></body></html>"
)


# -- plausible and better (pure) ---------------------------------------------------------


def test_a_paragraph_of_prose_with_few_links_is_plausible() -> None:
    text = "\n".join(STORY)
    assert plausible(text, link_chars=20)


def test_short_text_is_not_plausible() -> None:
    assert not plausible(STORY[0][:150], link_chars=0)


def test_many_short_lines_are_not_plausible() -> None:
    menu = "\n".join(f"{m} news and analysis" for m in MENU * 3)  # 300+ chars, no paragraph
    assert len(menu) > readable.MIN_CHARS
    assert not plausible(menu, link_chars=0)


def test_text_that_is_mostly_not_letters_is_not_plausible() -> None:
    assert plausible("\n".join(STORY).replace(" ", " 1234 "), link_chars=0)  # half digits
    assert not plausible("\ufffd<<<>>>&&&;;1234" * 40, link_chars=0)  # binary read as text
    assert plausible("国家网信办周一宣布即日起在全国范围内下架该应用程序" * 10, link_chars=0)


def test_mostly_link_text_is_not_plausible() -> None:
    text = "\n".join(STORY)
    solid = len("".join(text.split()))
    assert plausible(text, link_chars=int(solid * 0.3))
    assert not plausible(text, link_chars=int(solid * 0.5))


def test_the_second_opinion_wins_only_when_clearly_longer() -> None:
    short, longer = "x " * 100, "y " * 300
    assert better(short, longer) == longer
    assert better("", longer) == longer
    assert better(short, "y " * 110) == short  # a near tie keeps trafilatura's text
    assert better(longer, short) == longer
    assert better(short, "") == short


# -- second_opinion on real pages -----------------------------------------------------


def test_readability_recovers_a_story_that_trafilatura_drops() -> None:
    assert run_trafilatura(ASIDE, "https://ledger.example/a") is None  # the premise
    text = second_opinion(ASIDE)
    assert all(paragraph in text for paragraph in STORY)
    for boilerplate in ("cookies", "Most read", "Related story", "Technology", "©"):
        assert boilerplate not in text


def test_the_worker_task_keeps_trafilatura_when_it_found_enough() -> None:
    page = aside_story("Council budget", STORY + FILLER).decode().replace("aside", "article")
    result = run_extraction(page, "https://ledger.example/b")
    alone = run_trafilatura(page, "https://ledger.example/b")
    assert result is not None and alone is not None
    assert len(alone[1]) >= readable.TRY_BELOW and result == alone


def test_the_worker_task_returns_the_rescued_text_when_trafilatura_found_nothing() -> None:
    result = run_extraction(ASIDE, "https://ledger.example/a")
    assert result is not None
    title, text, day, sitename, language = result
    assert STORY[0] in text and "Most read" not in text
    assert (title, day, sitename, language) == ("", None, "", None)


def test_a_list_of_headline_links_is_refused() -> None:
    assert second_opinion(LINK_LIST) == ""


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        menu_page().decode(),
        "<html><body><div id='root'></div><script>" + "var a=1;" * 50_000 + "</script></body>",
        "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>",
        "<html><body>" + "<table><tr><td>" * 20_000 + "cell" + "</td></tr></table>" * 20_000,
        "<html><body><p>" + "<b>" * 200_000 + "x</p></body></html>",
        "\x00\x01\x02<<<>>>&&&;;" * 10_000,
        "<?xml version='1.0' encoding='utf-8'?><rss><channel></channel></rss>",
    ],
    ids=["empty", "blank", "menu", "script-only", "deep-divs", "deep-tables", "deep-inline",
         "binary", "xml-declaration"],
)  # fmt: skip
def test_hostile_pages_give_no_text_and_do_not_raise(html: str) -> None:
    assert second_opinion(html) == ""
