"""The public education pages show the knowledge base's plain-language content with its sources."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from plexcare.app import create_app
from plexcare.education.views import RESERVED_SECTION_IDS
from plexcare.knowledge.model import KnowledgeBase


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _html(text: str) -> str:
    """Text as Jinja's autoescaping writes it into the page."""
    return str(escape(text))


def _page_urls(kb: KnowledgeBase) -> list[str]:
    sections = [f"/condition/{section.id}" for section in kb.education.sections]
    return ["/", "/condition", "/condition/faq", "/condition/sources", *sections]


def test_home_page_links_to_every_section(client: TestClient, kb: KnowledgeBase) -> None:
    html = client.get("/").text
    for section in kb.education.sections:
        assert f'href="/condition/{section.id}"' in html
        assert _html(section.title) in html


def test_home_page_puts_the_urgent_help_box_before_the_contents(client: TestClient) -> None:
    html = client.get("/").text
    urgent = html.index('class="urgent"')
    assert urgent < html.index('class="contents"')
    assert "saddle" in html[urgent:].lower()


def test_each_section_page_shows_its_paragraphs_and_its_sources_citations(
    client: TestClient, kb: KnowledgeBase
) -> None:
    for section in kb.education.sections:
        response = client.get(f"/condition/{section.id}")
        assert response.status_code == 200
        html = response.text
        assert f"<h1>{_html(section.title)}</h1>" in html
        for paragraph in section.paragraphs:
            assert _html(paragraph) in html
        for source in section.sources:
            assert _html(kb.references[source].citation) in html


@pytest.mark.parametrize("topic", ["symptoms", "causes", "diagnosis", "treatment", "risk_factors"])
def test_faq_answers_questions_on_each_core_topic(
    client: TestClient, kb: KnowledgeBase, topic: str
) -> None:
    html = client.get("/condition/faq").text
    entries = [entry for entry in kb.education.faq if entry.topic == topic]
    assert entries, f"no FAQ entry on {topic}"
    assert f'id="topic-{topic}"' in html
    for entry in entries:
        assert _html(entry.question) in html
        assert _html(entry.answer) in html
        for source in entry.sources:
            assert _html(kb.references[source].citation) in html


def test_urgent_care_advice_names_saddle_numbness_and_bladder_trouble(client: TestClient) -> None:
    text = client.get("/condition/urgent_care").text.lower()
    assert "saddle" in text
    assert "bladder" in text
    assert "emergency" in text


def test_an_unknown_section_is_a_clear_404_page(client: TestClient) -> None:
    response = client.get("/condition/not_a_real_section")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no page called" in response.text
    assert "not_a_real_section" in response.text
    assert 'href="/condition/what_it_is"' in response.text
    assert "Traceback" not in response.text


@settings(max_examples=40, deadline=None)
@given(section_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1))
def test_any_address_that_is_not_a_section_gets_the_404_page(
    client: TestClient, kb: KnowledgeBase, section_id: str
) -> None:
    known = {section.id for section in kb.education.sections} | RESERVED_SECTION_IDS
    response = client.get(f"/condition/{section_id}")
    if section_id in known:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Page not found" in response.text


def test_every_page_declares_its_language_and_has_a_title(
    client: TestClient, kb: KnowledgeBase
) -> None:
    for url in _page_urls(kb):
        html = client.get(url).text
        assert re.search(r'<html lang="en">', html), url
        title = re.search(r"<title>([^<]+)</title>", html)
        assert title is not None and title.group(1).strip(), url


def test_every_page_carries_the_clinician_disclaimer(client: TestClient, kb: KnowledgeBase) -> None:
    for url in [*_page_urls(kb), "/condition/unknown"]:
        assert "supports, but does not replace, your clinician" in client.get(url).text, url


def test_every_citation_marker_points_at_a_footnote_on_the_same_page(
    client: TestClient, kb: KnowledgeBase
) -> None:
    for url in _page_urls(kb):
        html = client.get(url).text
        markers = set(re.findall(r'href="#fn-(\d+)"', html))
        footnotes = set(re.findall(r'<li id="fn-(\d+)"', html))
        assert markers <= footnotes, url
        assert footnotes, f"{url} cites no sources"


def test_sources_page_lists_every_reference_the_education_content_cites(
    client: TestClient, kb: KnowledgeBase
) -> None:
    cited = {s for record in (*kb.education.sections, *kb.education.faq) for s in record.sources}
    html = client.get("/condition/sources").text
    assert len(re.findall(r'<li id="fn-\d+"', html)) == len(cited)
    for source in cited:
        assert _html(kb.references[source].citation) in html


def test_pages_use_only_the_local_stylesheet_and_no_scripts(client: TestClient) -> None:
    html = client.get("/").text
    assert '<link rel="stylesheet" href="/static/css/plexcare.css">' in html
    assert "<script" not in html
    stylesheet = client.get("/static/css/plexcare.css")
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert "@import" not in stylesheet.text and "url(" not in stylesheet.text


def test_education_pages_stay_out_of_the_api_description(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(path == "/" or path.startswith("/condition") for path in paths)
