"""The urgent-help advice names every emergency in plain words and says: go now.

Issue 8, item 4. Each emergency must be stated where a patient reads it, the urgent-help
section and the urgent FAQ, with emergency wording (an emergency department now, or the
emergency number), not "urgent care the same day". Hidden bleeding must not wait for a bruise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from plexcare.app import create_app
from plexcare.education.views import URGENT_SECTION_ID
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import EducationSection, FaqEntry, KnowledgeBase

EMERGENCIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "bladder_bowel_sex_saddle": (
        ("trouble passing urine",),
        ("leaking urine", "stool"),
        ("saddle",),
        ("back passage",),
        ("sex",),
    ),
    "worsening_or_both_legs_weakness": (
        ("weakness", "hours or days"),
        ("weakness in both legs",),
        ("walking", "quickly"),
    ),
    "cancer_with_new_leg_symptoms": (("cancer", "weakness", "shooting", "numbness"),),
    "infection_risk_with_pain": (
        ("fever", "back", "groin", "hip"),
        ("inject drugs", "weakness", "numbness"),
        ("immune", "steroid", "transplant", "chemotherapy"),
        ("chemotherapy", "fever", "on its own"),
    ),
    "bleeding_risk_with_sudden_pain": (
        ("blood thinner", "bleeding disorder", "groin", "side", "back", "thigh", "weakness"),
    ),
    "cold_pale_pulseless_leg": (("cold", "pale", "pulse"),),
    "after_a_spinal_procedure": (
        ("epidural", "spinal anaesthetic", "injection", "surgery", "weakness", "numbness"),
    ),
    "breathing_or_swallowing_with_weakness": (("breathing", "swallowing", "weakness"),),
}
"""For each of the 8 emergencies, groups of words that must appear together in one text."""

DIAGNOSIS_LABELS = (
    "cauda equina",
    "syndrome",
    "sepsis",
    "abscess",
    "haematoma",
    "ischaemia",
    "metasta",
    "guillain",
)
"""Names a patient could wrongly apply to themselves: the advice speaks of signs instead."""

URGENT_SOURCES = {
    "girft_2023_cauda_equina_pathway",
    "nice_ng234_spinal_metastases_mscc",
    "nice_ng51_sepsis",
    "nice_cg151_neutropenic_sepsis",
    "darouiche_2006_spinal_epidural_abscess",
    "parmer_2006_retroperitoneal_haemorrhage_femoral",
    "bjorck_2020_esvs_acute_limb_ischaemia",
    "horlocker_2018_asra_antithrombotic",
    "van_doorn_2023_ean_pns_guillain_barre",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _urgent(kb: KnowledgeBase) -> EducationSection:
    return next(s for s in kb.education.sections if s.id == URGENT_SECTION_ID)


def _faq(kb: KnowledgeBase, entry_id: str) -> FaqEntry:
    return next(entry for entry in kb.education.faq if entry.id == entry_id)


def _says_go_now(text: str) -> bool:
    """Emergency wording: an emergency department now, or the emergency number."""
    lowered = text.lower()
    go_now = "emergency department now" in lowered or "call 999" in lowered
    return go_now and "999" in lowered and "112" in lowered


def _texts_with(texts: list[str], words: tuple[str, ...]) -> list[str]:
    return [text for text in texts if all(word in text.lower() for word in words)]


def _patient_texts(kb: KnowledgeBase) -> list[str]:
    texts = [p for section in kb.education.sections for p in section.paragraphs]
    texts += [text for entry in kb.education.faq for text in (entry.question, entry.answer)]
    return texts


@pytest.mark.parametrize("emergency", sorted(EMERGENCIES))
def test_the_urgent_section_tells_the_patient_to_go_now_for_each_emergency(
    kb: KnowledgeBase, emergency: str
) -> None:
    paragraphs = list(_urgent(kb).paragraphs)
    for words in EMERGENCIES[emergency]:
        matching = _texts_with(paragraphs, words)
        assert matching, f"{emergency}: no urgent-care paragraph mentions {words}"
        assert all(_says_go_now(p) for p in matching), f"{emergency}: {words} lacks 'go now'"


@pytest.mark.parametrize("emergency", sorted(EMERGENCIES))
def test_the_emergency_faq_answer_names_each_emergency(kb: KnowledgeBase, emergency: str) -> None:
    answer = _faq(kb, "emergency_signs").answer
    assert _says_go_now(answer)
    for words in EMERGENCIES[emergency]:
        assert _texts_with([answer], words), f"{emergency}: the FAQ answer lacks {words}"


def test_the_urgent_section_gives_the_emergency_numbers_up_front(kb: KnowledgeBase) -> None:
    first = _urgent(kb).paragraphs[0].lower()
    assert "emergency department now" in first
    assert "999" in first and "112" in first


def test_cancer_with_new_back_pain_alone_is_seen_within_24_hours(kb: KnowledgeBase) -> None:
    texts = [*_urgent(kb).paragraphs, _faq(kb, "emergency_signs").answer]
    assert len(_texts_with(texts, ("cancer", "24 hours", "back"))) == 2


def test_no_patient_text_sends_both_legs_weakness_to_same_day_care(kb: KnowledgeBase) -> None:
    for text in _patient_texts(kb):
        lowered = " ".join(text.lower().split())
        assert "urgent care the same day" not in lowered, text
        if "both legs" in lowered:
            assert "same day" not in lowered, text
    assert _says_go_now(_faq(kb, "both_legs").answer)


def test_hidden_bleeding_is_an_emergency_without_visible_swelling_or_bruising(
    kb: KnowledgeBase,
) -> None:
    bleeding = _texts_with(list(_urgent(kb).paragraphs), ("blood thinner", "sudden pain"))
    faq = _faq(kb, "blood_thinner_pain").answer
    assert bleeding
    for text in [*bleeding, faq]:
        lowered = " ".join(text.lower().split())
        assert _says_go_now(text)
        assert "with swelling or bruising" not in lowered
        assert "especially if there is swelling" not in lowered
        assert re.search(r"even (if you see no|without any) (bruis|swelling)", lowered), text
        assert "do not stop your blood thinner on your own" in lowered


def test_the_urgent_section_speaks_of_signs_not_diagnosis_labels(kb: KnowledgeBase) -> None:
    texts = [*_urgent(kb).paragraphs, _faq(kb, "emergency_signs").answer]
    for text in texts:
        for label in DIAGNOSIS_LABELS:
            assert label not in text.lower(), (label, text)


def test_the_urgent_advice_cites_a_source_for_each_emergency(kb: KnowledgeBase) -> None:
    for record in (_urgent(kb), _faq(kb, "emergency_signs")):
        assert set(record.sources) >= URGENT_SOURCES, URGENT_SOURCES - set(record.sources)
        for source in record.sources:
            assert source in kb.references, source


def test_the_urgent_page_shows_the_emergency_advice_with_its_sources(
    client: TestClient, kb: KnowledgeBase
) -> None:
    response = client.get(f"/condition/{URGENT_SECTION_ID}")
    assert response.status_code == 200
    html = response.text
    for paragraph in _urgent(kb).paragraphs:
        assert str(escape(paragraph)) in html
    text = html.lower()
    for words in ("emergency department now", "999", "112", "no bruising", "epidural"):
        assert words in text, words
    for source in URGENT_SOURCES:
        assert str(escape(kb.references[source].citation)) in html, source


def test_the_faq_page_says_go_now_for_both_legs_and_hidden_bleeding(
    client: TestClient, kb: KnowledgeBase
) -> None:
    html = client.get("/condition/faq").text
    for entry_id in ("both_legs", "emergency_signs", "blood_thinner_pain"):
        assert str(escape(_faq(kb, entry_id).answer)) in html, entry_id
    assert "urgent care the same day" not in " ".join(html.lower().split())


def test_the_home_page_urgent_box_gives_the_emergency_numbers(client: TestClient) -> None:
    html = client.get("/").text
    start = html.index('class="urgent"')
    box = html[start : html.index("</aside>", start)]
    assert "emergency department now" in box
    assert "999" in box and "112" in box
