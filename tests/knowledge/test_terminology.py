"""The standard codes for our ids are checked on load: a mistyped digit or a code for a disorder
we do not know fails the knowledge base, naming the entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.terminology_model import code_problem


def _edited(tmp_path: Path, change: dict[str, object], entry_id: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "terminology.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["id"] == entry_id:
            entry.update(change)
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    return data


def test_every_disorder_in_the_knowledge_base_has_an_icd10cm_code(kb: KnowledgeBase) -> None:
    missing = [
        disorder
        for disorder in kb.disorders
        if (entry := kb.terminology.get(f"disorder.{disorder}")) is None
        or entry.code_in("icd10cm") is None
    ]
    assert missing == []


def test_lab_codes_carry_a_ucum_unit(kb: KnowledgeBase) -> None:
    labs = {key: e for key, e in kb.terminology.entries.items() if key.startswith("lab.")}
    assert set(labs) >= {"lab.hba1c", "lab.crp", "lab.egfr"}
    assert all(entry.unit for entry in labs.values())
    assert all(entry.code_in("loinc") is not None for entry in labs.values())


@pytest.mark.parametrize(
    ("system", "code", "ok"),
    [
        ("loinc", "4548-4", True),
        ("loinc", "4548-5", False),
        ("snomed", "7771000", True),
        ("snomed", "7771001", False),
        ("snomed", "24028007", True),
        ("icd10cm", "G54.1", True),
        ("icd10cm", "U54.1", False),
        ("icd10cm", "G5", False),
    ],
)
def test_check_digits_and_shapes_are_verified(system: str, code: str, ok: bool) -> None:
    assert (code_problem(system, code) is None) is ok  # type: ignore[arg-type]


def test_a_mistyped_loinc_check_digit_fails_the_load(tmp_path: Path) -> None:
    data = _edited(
        tmp_path,
        {"codes": [{"system": "loinc", "code": "4548-5", "display": "Hemoglobin A1c"}]},
        "lab.hba1c",
    )
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data)
    assert raised.value.entry == "lab.hba1c"
    assert "check digit" in raised.value.problem


def test_codes_for_an_unknown_disorder_fail_the_load(tmp_path: Path) -> None:
    data = _edited(tmp_path, {"id": "disorder.no_such_disorder"}, "disorder.myopathy")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data)
    assert raised.value.entry == "disorder.no_such_disorder"
    assert "unknown disorder" in raised.value.problem


def test_an_entry_citing_an_unknown_reference_fails_the_load(tmp_path: Path) -> None:
    data = _edited(tmp_path, {"sources": ["nobody_1999"]}, "laterality.left")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data)
    assert (raised.value.entry, raised.value.field) == ("laterality.left", "sources")
