"""What tests cost (`test_costs.yaml`): loaded, cited, and checked against the anatomy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.test_cost_model import PLANNED_TEST_KINDS

COSTS = "test_costs.yaml"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _rewrite(path: Path, change: dict[str, dict[str, object]]) -> None:
    entries = yaml.safe_load(path.read_text())
    for entry in entries:
        entry.update(change.get(entry["id"], {}))
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_every_kind_of_test_has_a_cited_default_cost(kb: KnowledgeBase) -> None:
    costs = kb.test_costs
    for kind in PLANNED_TEST_KINDS:
        default = costs.for_test(kind, "a_target_no_entry_names")
        assert default is not None and not default.targets and default.sources
    assert all(entry.sources for entry in costs.entries)


def test_the_lfcn_snap_is_less_reliable_than_the_sural_and_worse_with_age_and_obesity(
    kb: KnowledgeBase,
) -> None:
    lfcn = kb.test_costs.for_test("nerve_conduction", "lateral_femoral_cutaneous_snap")
    sural = kb.test_costs.for_test("nerve_conduction", "sural_snap")
    assert lfcn is not None and sural is not None
    assert lfcn.reliability_for(40) < sural.reliability_for(40)
    assert lfcn.reliability_for(77) < lfcn.reliability_for(40)
    assert lfcn.reliability_for(40, "obese") < lfcn.reliability_for(40)


def test_the_anal_sphincter_needle_names_its_special_set_up(kb: KnowledgeBase) -> None:
    sphincter = kb.test_costs.for_test("needle_emg", "external_anal_sphincter")
    limb = kb.test_costs.for_test("needle_emg", "tibialis_anterior")
    assert sphincter is not None and limb is not None
    assert sphincter.equipment and not limb.equipment
    assert sphincter.discomfort > limb.discomfort and sphincter.minutes > limb.minutes


def test_a_cost_naming_an_unknown_muscle_names_the_entry_and_field(data_copy: Path) -> None:
    _rewrite(data_copy / COSTS, {"needle_emg_gluteal_muscle": {"targets": ["gluteus_giganteus"]}})
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.entry == "needle_emg_gluteal_muscle"
    assert raised.value.field == "targets"


def test_a_cost_citing_an_unknown_reference_is_an_error(data_copy: Path) -> None:
    _rewrite(data_copy / COSTS, {"bedside_reflex": {"sources": ["nobody_2099"]}})
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.entry == "bedside_reflex"
    assert raised.value.field == "sources"


def test_a_kind_without_a_default_cost_is_an_error(data_copy: Path) -> None:
    _rewrite(data_copy / COSTS, {"bedside_sensation": {"targets": ["lateral_thigh"]}})
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert "default" in raised.value.problem and "sensation" in raised.value.problem


def test_a_reliability_above_one_names_the_field(data_copy: Path) -> None:
    _rewrite(data_copy / COSTS, {"nerve_conduction_sural": {"reliability": 1.5}})
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.entry == "nerve_conduction_sural"
    assert raised.value.field == "reliability"
