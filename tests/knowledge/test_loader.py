"""The loader turns hand-edited YAML into a checked knowledge base, or says what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, knowledge_base, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, entry_id: str, field: str, value: object) -> None:
    entries = yaml.safe_load(path.read_text())
    for entry in entries:
        if entry.get("id") == entry_id:
            entry[field] = value
            break
    else:
        raise AssertionError(f"{entry_id} not in {path}")
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_the_packaged_knowledge_base_loads_with_the_counts_the_product_needs() -> None:
    kb = knowledge_base()
    assert len(kb.muscles) >= 35
    assert len(kb.disorders) >= 20
    assert len(kb.studies) >= 10
    assert len(kb.treatments) >= 15
    assert len(kb.references) >= 20


def test_the_knowledge_base_is_loaded_once_and_shared() -> None:
    assert knowledge_base() is knowledge_base()


def test_the_version_changes_when_the_data_changes(data_copy: Path) -> None:
    before = load_knowledge_base(data_copy).version
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "notes", "edited")
    assert load_knowledge_base(data_copy).version != before


def test_every_disorder_has_a_code_features_and_sources(kb: KnowledgeBase) -> None:
    for disorder in kb.disorders.values():
        assert disorder.icd10, disorder.id
        assert len(disorder.features) >= 3, disorder.id
        assert disorder.sources, disorder.id
        assert all(feature.sources for feature in disorder.features), disorder.id


def test_a_wrong_value_names_the_file_the_entry_and_the_field(data_copy: Path) -> None:
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "distality", "far")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("anatomy/muscles.yaml")
    assert raised.value.entry == "tibialis_anterior"
    assert raised.value.field == "distality"


def test_an_unknown_key_is_an_error_not_a_silently_dropped_fact(data_copy: Path) -> None:
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "nerv", "deep_fibular_nerve")
    with pytest.raises(KnowledgeBaseError, match="nerv"):
        load_knowledge_base(data_copy)


def test_a_citation_that_does_not_resolve_is_an_error(data_copy: Path) -> None:
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "sources", ["nobody_1999"])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.entry == "tibialis_anterior"
    assert "nobody_1999" in raised.value.problem


def test_a_root_that_cannot_reach_the_muscle_through_the_graph_is_an_error(
    data_copy: Path,
) -> None:
    roots = [{"root": "L2", "share": "major"}]
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "roots", roots)
    with pytest.raises(KnowledgeBaseError, match="does not reach"):
        load_knowledge_base(data_copy)


def test_a_root_listed_twice_is_an_error(data_copy: Path) -> None:
    roots = [{"root": "L5", "share": "major"}, {"root": "L5", "share": "minor"}]
    _edit(data_copy / "anatomy" / "muscles.yaml", "tibialis_anterior", "roots", roots)
    with pytest.raises(KnowledgeBaseError, match="listed twice"):
        load_knowledge_base(data_copy)


def test_broken_yaml_names_the_file_and_line(data_copy: Path) -> None:
    (data_copy / "tests.yaml").write_text("- id: [unclosed\n")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("tests.yaml")
    assert "line" in raised.value.entry


def test_a_cycle_in_the_graph_is_an_error(data_copy: Path) -> None:
    path = data_copy / "anatomy" / "structures.yaml"
    _edit(path, "upper_lumbar_plexus", "parents", ["femoral_in_pelvis"])
    with pytest.raises(KnowledgeBaseError, match="cycle"):
        load_knowledge_base(data_copy)


def test_a_file_that_is_not_utf8_text_is_named_without_a_traceback(data_copy: Path) -> None:
    (data_copy / "anatomy" / "reflexes.yaml").write_bytes(b"\xff\xfe- id: x\n")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("anatomy/reflexes.yaml")
    assert "UTF-8" in raised.value.problem


def test_an_emptied_file_is_an_error_not_a_knowledge_base_without_studies(
    data_copy: Path,
) -> None:
    (data_copy / "anatomy" / "studies.yaml").write_text("# emptied by mistake\n")
    with pytest.raises(KnowledgeBaseError, match="no entries"):
        load_knowledge_base(data_copy)


def test_a_number_question_without_its_range_is_a_located_error(data_copy: Path) -> None:
    path = data_copy / "triage.yaml"
    path.write_text(path.read_text().replace("    maximum: 10\n", "", 1))
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("triage.yaml")
    assert "minimum and maximum" in raised.value.problem
