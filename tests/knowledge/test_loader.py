"""The loader turns hand-edited YAML into a checked knowledge base, or says what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, knowledge_base, load_knowledge_base


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


def _features_citing(path: Path, entry_id: str, sources: list[str]) -> None:
    """The entry's first feature cites `sources` instead of its own."""
    entries = yaml.safe_load(path.read_text())
    entry = next(entry for entry in entries if entry.get("id") == entry_id)
    entry["features"][0]["sources"] = sources
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_a_disorder_without_sources_names_the_file_the_entry_and_the_field(
    data_copy: Path,
) -> None:
    path = data_copy / "disorders" / "femoral_neuropathy.yaml"
    _edit(path, "femoral_neuropathy", "sources", [])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("disorders/femoral_neuropathy.yaml")
    assert (raised.value.entry, raised.value.field) == ("femoral_neuropathy", "sources")


def test_a_citation_inside_a_disorder_feature_that_does_not_resolve_names_the_feature(
    data_copy: Path,
) -> None:
    path = data_copy / "disorders" / "femoral_neuropathy.yaml"
    _features_citing(path, "femoral_neuropathy", ["nobody_1999"])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("disorders/femoral_neuropathy.yaml")
    assert (raised.value.entry, raised.value.field) == ("femoral_neuropathy", "features.0.sources")
    assert "nobody_1999" in raised.value.problem


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


@pytest.mark.parametrize(
    ("file", "entry_id"),
    [
        ("anatomy/muscles.yaml", "tibialis_anterior"),
        ("anatomy/studies.yaml", "sural_snap"),
        ("anatomy/structures.yaml", "lumbosacral_trunk"),
    ],
)
def test_a_citation_that_does_not_resolve_names_the_file_the_entry_and_the_field(
    data_copy: Path, file: str, entry_id: str
) -> None:
    _edit(data_copy / file, entry_id, "sources", ["nobody_1999"])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(file)
    assert (raised.value.entry, raised.value.field) == (entry_id, "sources")
    assert "nobody_1999" in raised.value.problem


def _reference(path: Path, position: int = 0) -> dict[str, object]:
    entry: dict[str, object] = yaml.safe_load(path.read_text())[position]
    return entry


def _append_reference(path: Path, reference: dict[str, object]) -> None:
    path.write_text(path.read_text() + yaml.safe_dump([reference], sort_keys=False))


def test_a_reference_listed_twice_in_one_file_is_an_error(data_copy: Path) -> None:
    path = data_copy / "references" / "anatomy_review.yaml"
    again = _reference(path)
    _append_reference(path, again)
    with pytest.raises(KnowledgeBaseError, match="duplicate id") as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("references/anatomy_review.yaml")
    assert (raised.value.entry, raised.value.field) == (again["id"], "id")


def test_a_reference_listed_in_two_bibliography_files_is_an_error(data_copy: Path) -> None:
    """A review's new references must be new: one already in the core bibliography is refused
    where it is given the second time."""
    core = _reference(data_copy / "references" / "core.yaml")
    _append_reference(data_copy / "references" / "electrodiagnosis_review.yaml", core)
    with pytest.raises(KnowledgeBaseError, match="duplicate id") as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith("references/electrodiagnosis_review.yaml")
    assert (raised.value.entry, raised.value.field) == (core["id"], "id")


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
