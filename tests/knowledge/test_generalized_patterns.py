"""The generalized mimics of a plexopathy live in the knowledge base, complete, cited and sane."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.finding_model import FindingKind, build_finding_model, finding_model_for
from plexcare.engine.likelihood import compile_model
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, knowledge_base, load_knowledge_base
from plexcare.knowledge.model import GENERALIZED_PATTERNS, KnowledgeBase

PATTERNS = "generalized_patterns.yaml"
DISTALITY = st.floats(min_value=0.0, max_value=1.0)
LDPN = "length_dependent_polyneuropathy"
CIDP = "polyradiculoneuropathy"
MND = "motor_neuron_disease"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit_pattern(root: Path, pattern: str, path: tuple[str, ...], value: Any) -> None:
    """Set `path` (e.g. ("effects", "slowing")) of one pattern's entry; `...` deletes it."""
    file = root / PATTERNS
    entries = yaml.safe_load(file.read_text())
    target = next(entry for entry in entries if entry["id"] == pattern)
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    file.write_text(yaml.safe_dump(entries, sort_keys=False))


def _load_error(root: Path) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(root)
    assert raised.value.file.endswith(PATTERNS)
    return raised.value


def test_the_file_holds_exactly_the_patterns_the_engine_ranks(kb: KnowledgeBase) -> None:
    assert set(kb.generalized_patterns) == set(GENERALIZED_PATTERNS)


@pytest.mark.parametrize("pattern", GENERALIZED_PATTERNS)
def test_every_pattern_states_an_effect_for_every_finding_kind(
    kb: KnowledgeBase, pattern: str
) -> None:
    assert set(kb.generalized_patterns[pattern].effects) == {kind.value for kind in FindingKind}


def test_motor_neuron_disease_spares_sensation_and_snaps(kb: KnowledgeBase) -> None:
    effects = kb.generalized_patterns[MND].effects
    assert effects["sensory_loss"] == 0.0
    assert effects["snap_low"] == 0.0
    assert effects["fasciculations"] > 0.5
    assert effects["hyperreflexia"] > 0.5


def test_myopathy_spares_sensation_and_snaps_and_alone_gives_myopathic_units(
    kb: KnowledgeBase,
) -> None:
    patterns = kb.generalized_patterns
    assert patterns["myopathy"].effects["snap_low"] == 0.0
    assert patterns["myopathy"].effects["sensory_loss"] == 0.0
    assert patterns["myopathy"].effects["myopathic_units"] > 0.5
    others = [p for key, p in patterns.items() if key != "myopathy"]
    assert all(p.effects["myopathic_units"] == 0.0 for p in others)


def test_cidp_has_the_strongest_effect_on_conduction_slowing(kb: KnowledgeBase) -> None:
    slowing = {key: p.effects["slowing"] for key, p in kb.generalized_patterns.items()}
    assert max(slowing, key=slowing.__getitem__) == CIDP
    assert all(value < slowing[CIDP] for key, value in slowing.items() if key != CIDP)


def test_no_neuromuscular_lesion_moves_no_finding(kb: KnowledgeBase) -> None:
    assert set(kb.generalized_patterns["no_neuromuscular_lesion"].effects.values()) == {0.0}


def test_the_shape_of_each_pattern_along_the_limb(kb: KnowledgeBase) -> None:
    patterns = kb.generalized_patterns
    assert patterns[LDPN].reach.along_limb == "distal"
    assert patterns[LDPN].reach.paraspinal == 0.0
    assert patterns["myopathy"].reach.along_limb == "proximal"
    assert patterns[CIDP].reach.along_limb == "uniform"
    assert patterns[MND].reach.along_limb == "uniform"


@given(nearer=DISTALITY, farther=DISTALITY)
def test_a_length_dependent_polyneuropathy_reaches_further_down_the_limb_more(
    nearer: float, farther: float
) -> None:
    model = finding_model_for(knowledge_base())
    nearer, farther = sorted((nearer, farther))
    for kind in (FindingKind.SENSORY_LOSS, FindingKind.SNAP_LOW, FindingKind.WEAKNESS):
        near = model.generalized_reach(LDPN, kind, nearer, False)
        far = model.generalized_reach(LDPN, kind, farther, False)
        assert near <= far


def test_a_length_dependent_polyneuropathy_reaches_the_foot_not_the_hip() -> None:
    model = finding_model_for(knowledge_base())
    sensory = FindingKind.SENSORY_LOSS
    assert model.generalized_reach(LDPN, sensory, 1.0, False) > 0.9
    assert model.generalized_reach(LDPN, sensory, 0.1, False) < 0.01
    assert model.generalized_reach(LDPN, FindingKind.FIBRILLATIONS, 0.0, True) == 0.0


def test_a_myopathy_reaches_the_hip_more_than_the_foot() -> None:
    model = finding_model_for(knowledge_base())
    weakness = FindingKind.WEAKNESS
    assert model.generalized_reach("myopathy", weakness, 0.1, False) > 0.9
    assert model.generalized_reach("myopathy", weakness, 1.0, False) < 0.01


@given(
    pattern=st.sampled_from(GENERALIZED_PATTERNS),
    kind=st.sampled_from(list(FindingKind)),
    distality=DISTALITY,
    paraspinal=st.booleans(),
)
def test_every_generalized_reach_is_a_share_and_never_exceeds_the_stated_effect(
    pattern: str, kind: FindingKind, distality: float, paraspinal: bool
) -> None:
    kb = knowledge_base()
    entry = kb.generalized_patterns[pattern]
    stated = entry.effects[kind.value]
    if paraspinal:
        stated = entry.paraspinal_effects.get(kind.value, stated)
    share = finding_model_for(kb).generalized_reach(pattern, kind, distality, paraspinal)
    assert 0.0 <= share <= stated <= 1.0


@given(distality=DISTALITY, paraspinal=st.booleans())
def test_symptoms_in_the_leg_do_not_depend_on_where_along_the_limb(
    distality: float, paraspinal: bool
) -> None:
    kb = knowledge_base()
    model = finding_model_for(kb)
    for pattern, entry in kb.generalized_patterns.items():
        share = model.generalized_reach(pattern, FindingKind.LEG_AFFECTED, distality, paraspinal)
        assert share == entry.effects["leg_affected"]


def test_the_engine_scores_the_generalized_patterns_as_the_data_file_states(
    data_copy: Path,
) -> None:
    _edit_pattern(data_copy, MND, ("effects", "snap_low"), 0.9)
    edited = compile_model(load_knowledge_base(data_copy))
    packaged = compile_model(knowledge_base())
    column = packaged.findings.index["left:study:sural_snap:snap_low"]
    mnd = [c.id for c in packaged.arrays.candidates].index(MND)
    false_positive = knowledge_base().electrodiagnosis.finding_kinds["snap_low"].false_positive
    assert packaged.abnormal[-1, column, mnd, 0] == pytest.approx(false_positive)
    assert edited.abnormal[-1, column, mnd, 0] > 0.5


def test_a_missing_pattern_is_a_knowledge_base_error_naming_it(data_copy: Path) -> None:
    file = data_copy / PATTERNS
    entries = [e for e in yaml.safe_load(file.read_text()) if e["id"] != "myopathy"]
    file.write_text(yaml.safe_dump(entries, sort_keys=False))
    error = _load_error(data_copy)
    assert (error.entry, error.field) == ("myopathy", "id")


def test_a_pattern_the_engine_does_not_rank_is_an_error(data_copy: Path) -> None:
    _edit_pattern(data_copy, "myopathy", ("id",), "myasthenia")
    error = _load_error(data_copy)
    assert (error.entry, error.field) == ("myasthenia", "id")


def test_an_effect_on_an_unknown_finding_kind_names_the_pattern_and_kind(data_copy: Path) -> None:
    _edit_pattern(data_copy, CIDP, ("effects", "vibration_loss"), 0.5)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (CIDP, "effects.vibration_loss")


def test_a_paraspinal_effect_on_an_unknown_finding_kind_is_an_error(data_copy: Path) -> None:
    _edit_pattern(data_copy, CIDP, ("paraspinal_effects", "tremor"), 0.5)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (CIDP, "paraspinal_effects.tremor")


def test_a_finding_kind_left_unstated_names_the_pattern_and_kind(data_copy: Path) -> None:
    _edit_pattern(data_copy, MND, ("effects", "snap_low"), ...)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (MND, "effects.snap_low")


def test_an_effect_above_one_names_the_field(data_copy: Path) -> None:
    _edit_pattern(data_copy, LDPN, ("effects", "sensory_loss"), 1.5)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (LDPN, "effects.sensory_loss")


def test_a_uniform_reach_with_a_curve_is_an_error(data_copy: Path) -> None:
    _edit_pattern(data_copy, MND, ("reach", "midpoint_distality"), 0.5)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (MND, "reach")
    assert "uniform" in error.problem


def test_a_distal_reach_without_its_curve_is_an_error(data_copy: Path) -> None:
    _edit_pattern(data_copy, LDPN, ("reach", "width"), ...)
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (LDPN, "reach")


def test_an_unknown_way_of_reaching_the_limb_names_the_field(data_copy: Path) -> None:
    _edit_pattern(data_copy, LDPN, ("reach", "along_limb"), "patchy")
    error = _load_error(data_copy)
    assert (error.entry, error.field) == (LDPN, "reach.along_limb")


def test_an_unresolved_citation_names_the_pattern(data_copy: Path) -> None:
    _edit_pattern(data_copy, "myopathy", ("sources",), ["nobody_1999"])
    error = _load_error(data_copy)
    assert (error.entry, error.field) == ("myopathy", "sources")
    assert "nobody_1999" in error.problem


def test_the_engine_refuses_a_knowledge_base_without_its_generalized_patterns(
    kb: KnowledgeBase,
) -> None:
    partial = {key: p for key, p in kb.generalized_patterns.items() if key != "myopathy"}
    with pytest.raises(ValueError, match="myopathy"):
        build_finding_model(kb.electrodiagnosis, partial)


def test_the_generalized_patterns_file_is_required(data_copy: Path) -> None:
    (data_copy / PATTERNS).unlink()
    with pytest.raises(KnowledgeBaseError, match="no data file"):
        load_knowledge_base(data_copy)
