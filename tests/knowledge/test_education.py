"""The patient education content is complete, cited and addressable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import get_args

import pytest
import yaml

from plexcare.education.views import RESERVED_SECTION_IDS, URGENT_SECTION_ID
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import FaqEntry, KnowledgeBase


def test_every_faq_topic_has_at_least_one_question(kb: KnowledgeBase) -> None:
    topics = set(get_args(FaqEntry.model_fields["topic"].annotation))
    covered = {entry.topic for entry in kb.education.faq}
    assert topics - covered == set()
    assert len(kb.education.faq) >= 10


@pytest.mark.parametrize("part", ["sections", "faq"])
def test_education_citing_an_unknown_reference_fails_the_load_naming_the_entry(
    tmp_path: Path, part: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "education.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = content[part][-1]
    entry["sources"] = ["nobody_1999"]
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data)
    assert raised.value.file == "data/education.yaml"
    assert (raised.value.entry, raised.value.field) == (entry["id"], "sources")
    assert "nobody_1999" in raised.value.problem


def test_section_ids_are_unique_and_free_of_the_reserved_page_addresses(kb: KnowledgeBase) -> None:
    ids = [section.id for section in kb.education.sections]
    assert len(ids) == len(set(ids))
    assert not set(ids) & RESERVED_SECTION_IDS
    assert URGENT_SECTION_ID in ids
    faq_ids = [entry.id for entry in kb.education.faq]
    assert len(faq_ids) == len(set(faq_ids))


def test_the_condition_pages_cover_what_a_patient_needs_to_know(kb: KnowledgeBase) -> None:
    ids = {section.id for section in kb.education.sections}
    assert {
        "what_it_is",
        "causes",
        "symptoms",
        "risk_factors",
        "diagnosis",
        "treatment",
        "recovery",
        "living_with_it",
        "urgent_care",
    } <= ids


def test_the_causes_page_names_every_kind_of_cause_a_patient_reads_about(
    kb: KnowledgeBase,
) -> None:
    """Trauma, tumours, inflammatory and autoimmune disease including diabetic amyotrophy,
    ischaemia and haemorrhage, plus radiation, childbirth, surgery and infection."""
    causes = next(section for section in kb.education.sections if section.id == "causes")
    text = " ".join(causes.paragraphs).lower()
    for words in (
        ("injury",),
        ("tumour", "cancer"),
        ("diabetic amyotrophy",),
        ("immune",),
        ("blood supply",),
        ("bleeding",),
        ("radiotherapy",),
        ("childbirth",),
        ("surgery",),
        ("abscess",),
    ):
        assert any(word in text for word in words), words


def test_sentences_stay_short_enough_for_plain_language(kb: KnowledgeBase) -> None:
    """About 12-14 years of reading age means short sentences; averages above 20 words fail."""
    texts = [p for s in kb.education.sections for p in s.paragraphs]
    texts += [entry.answer for entry in kb.education.faq]
    for text in texts:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        words = len(text.split())
        assert words / len(sentences) <= 20, text
