"""The numbers the engine reasons with live in the knowledge base, cited, complete and sane."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.case import Case
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.finding_model import FindingKind, finding_model_for
from plexcare.knowledge.engine_parameters_model import ClinicalThreshold
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, knowledge_base, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase

ELECTRODIAGNOSIS = "electrodiagnosis.yaml"
THRESHOLDS = "clinical_thresholds.yaml"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit_kind(root: Path, kind: str, field: str, value: Any) -> None:
    path = root / ELECTRODIAGNOSIS
    content = yaml.safe_load(path.read_text())
    entry = next(k for k in content["finding_kinds"] if k["id"] == kind)
    entry[field] = value
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def _edit_threshold(root: Path, threshold: str, field: str, value: Any) -> None:
    path = root / THRESHOLDS
    entries = yaml.safe_load(path.read_text())
    next(e for e in entries if e["id"] == threshold)[field] = value
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def _case(**fields: Any) -> Case:
    return Case.model_validate({"age": 60, "sex": "female", **fields})


@pytest.mark.parametrize("kind", list(FindingKind))
def test_every_finding_kind_is_abnormal_more_often_with_a_lesion_than_without(
    kb: KnowledgeBase, kind: FindingKind
) -> None:
    entry = kb.electrodiagnosis.finding_kinds[kind.value]
    assert 0.0 < entry.false_positive < entry.sensitivity < 1.0
    assert entry.false_positive <= 0.1


def test_the_file_holds_no_kind_the_engine_does_not_use(kb: KnowledgeBase) -> None:
    assert set(kb.electrodiagnosis.finding_kinds) == {kind.value for kind in FindingKind}


def test_fibrillations_appear_later_than_reduced_recruitment(kb: KnowledgeBase) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    fibrillations, recruitment = kinds["fibrillations"].onset, kinds["neurogenic_units"].onset
    assert fibrillations is not None and recruitment is not None
    assert fibrillations.midpoint_days > recruitment.midpoint_days + 7
    assert 14 <= fibrillations.midpoint_days <= 21


def test_paraspinal_fibrillations_appear_earlier_than_limb_fibrillations(
    kb: KnowledgeBase,
) -> None:
    fibrillations = kb.electrodiagnosis.finding_kinds["fibrillations"]
    assert fibrillations.onset is not None and fibrillations.paraspinal_onset is not None
    assert fibrillations.paraspinal_onset.midpoint_days < fibrillations.onset.midpoint_days
    assert 7 <= fibrillations.paraspinal_onset.midpoint_days <= 14


def test_snap_amplitudes_fall_after_about_a_week_and_a_half_after_cmaps(
    kb: KnowledgeBase,
) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    snap, cmap = kinds["snap_low"].onset, kinds["cmap_low"].onset
    assert snap is not None and cmap is not None
    assert 7 <= snap.midpoint_days <= 11
    assert 5 <= cmap.midpoint_days <= 9
    assert cmap.midpoint_days < snap.midpoint_days


def test_bedside_signs_and_late_responses_show_from_the_first_day(kb: KnowledgeBase) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    for kind in ("weakness", "hyporeflexia", "sensory_loss", "late_response"):
        assert kinds[kind].onset is None, kind


def test_no_cut_in_the_nerve_pathway_gives_myopathic_units_or_brisk_reflexes(
    kb: KnowledgeBase,
) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    assert not kinds["myopathic_units"].focal
    assert not kinds["hyperreflexia"].focal
    assert all(k.focal for k in kinds.values() if k.id not in ("myopathic_units", "hyperreflexia"))


def test_needle_emg_notices_fewer_lost_fibres_than_strength_testing(kb: KnowledgeBase) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    assert kinds["fibrillations"].steepness > kinds["weakness"].steepness


def test_an_absent_response_in_old_age_is_weaker_evidence_than_a_low_snap(
    kb: KnowledgeBase,
) -> None:
    aged = kb.electrodiagnosis.aged_absence
    assert aged.false_positive > kb.electrodiagnosis.finding_kinds["snap_low"].false_positive


def test_the_background_polyneuropathy_prior_cites_prevalence_studies(kb: KnowledgeBase) -> None:
    background = kb.electrodiagnosis.background_polyneuropathy
    assert "hanewinckel_2016_polyneuropathy_prevalence" in background.sources


@given(age=st.integers(min_value=18, max_value=110), older=st.integers(min_value=0, max_value=40))
def test_the_background_prior_grows_with_age_and_diabetes_and_stays_a_probability(
    age: int, older: int
) -> None:
    background = knowledge_base().electrodiagnosis.background_polyneuropathy
    prior = finding_model_for(knowledge_base()).background_prior
    young, old = prior(age, False), prior(age + older, False)
    assert background.base <= young <= old <= background.ceiling
    assert prior(age, True) > young
    assert 0.0 < prior(age + older, True) < 1.0


def test_the_engine_builds_its_finding_model_from_the_knowledge_base(kb: KnowledgeBase) -> None:
    model = finding_model_for(kb)
    assert set(model.kinds) == set(FindingKind)
    fibrillations = model.kinds[FindingKind.FIBRILLATIONS]
    assert fibrillations.onset_in(paraspinal=True).factor(12) > fibrillations.onset.factor(12)
    assert model.background_prior(75, True) > model.background_prior(40, False)


@pytest.mark.parametrize(
    ("name", "reached", "not_reached"),
    [
        ("hba1c_diabetes", 6.5, 6.4),
        ("inr_supratherapeutic", 3.6, 3.5),
        ("renal_impairment", 59, 60),
        ("severe_renal_impairment", 29, 30),
        ("older_adult", 65, 64),
        ("severe_pain", 7, 6),
        ("little_or_no_pain", 2, 3),
        ("falls_risk_weakness", 3, 4),
        ("ck_raised", 601, 600),
        ("ck_normal", 200, 201),
        ("csf_protein_raised", 46, 45),
        ("needle_emg_denervation", 21, 20),
    ],
)
def test_each_threshold_reads_as_the_clinic_does(
    kb: KnowledgeBase, name: str, reached: float, not_reached: float
) -> None:
    threshold: ClinicalThreshold = getattr(kb.thresholds, name)
    assert threshold.reached(reached)
    assert not threshold.reached(not_reached)


def test_the_diabetic_hba1c_threshold_cites_the_ada_standards(kb: KnowledgeBase) -> None:
    hba1c = kb.thresholds.hba1c_diabetes
    assert (hba1c.value, hba1c.unit) == (6.5, "%")
    assert "ada_2024_standards_diagnosis_classification" in hba1c.sources


def test_the_egfr_cut_offs_are_the_kdigo_categories(kb: KnowledgeBase) -> None:
    for threshold in (kb.thresholds.renal_impairment, kb.thresholds.severe_renal_impairment):
        assert "kdigo_2012_ckd_guideline" in threshold.sources
    assert kb.thresholds.severe_renal_impairment.value < kb.thresholds.renal_impairment.value


def test_ck_is_only_raised_well_above_the_upper_limit_of_normal(kb: KnowledgeBase) -> None:
    assert kb.thresholds.ck_raised.value >= 2 * kb.thresholds.ck_normal.value


@given(value=st.floats(-1e6, 1e6, allow_nan=False), measured=st.floats(-1e6, 1e6))
def test_a_threshold_and_its_opposite_comparison_never_both_hold(
    value: float, measured: float
) -> None:
    def make(comparison: str) -> ClinicalThreshold:
        return ClinicalThreshold.model_validate(
            {
                "id": "x",
                "value": value,
                "unit": "u",
                "comparison": comparison,
                "meaning": "a test threshold",
                "sources": ["stewart_focal_2010"],
            }
        )

    assert make("at_or_above").reached(measured) != make("below").reached(measured)
    assert make("above").reached(measured) != make("at_or_below").reached(measured)


def test_the_engine_applies_a_threshold_as_the_data_file_states_it(data_copy: Path) -> None:
    _edit_threshold(data_copy, "hba1c_diabetes", "value", 7.5)
    edited = load_knowledge_base(data_copy)
    case = _case(labs={"hba1c": 7.1})
    assert derive_etiology_findings(case, edited).state("hba1c_high") == "absent"
    assert derive_etiology_findings(case, knowledge_base()).state("hba1c_high") == "present"


def test_the_engine_times_findings_as_the_data_file_states(data_copy: Path) -> None:
    _edit_kind(data_copy, "snap_low", "onset", {"midpoint_days": 30.0, "width_days": 1.5})
    edited = finding_model_for(load_knowledge_base(data_copy))
    packaged = finding_model_for(knowledge_base())
    day = 14.0
    assert edited.kinds[FindingKind.SNAP_LOW].onset.factor(day) < 0.01
    assert packaged.kinds[FindingKind.SNAP_LOW].onset.factor(day) > 0.9


def test_a_missing_finding_kind_is_a_knowledge_base_error_naming_it(data_copy: Path) -> None:
    path = data_copy / ELECTRODIAGNOSIS
    content = yaml.safe_load(path.read_text())
    content["finding_kinds"] = [k for k in content["finding_kinds"] if k["id"] != "myokymia"]
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(ELECTRODIAGNOSIS)
    assert (raised.value.entry, raised.value.field) == ("myokymia", "id")


def test_a_kind_the_engine_does_not_know_is_an_error(data_copy: Path) -> None:
    _edit_kind(data_copy, "myokymia", "id", "myotonia")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert (raised.value.entry, raised.value.field) == ("myotonia", "id")


def test_a_false_positive_rate_above_the_sensitivity_names_the_entry(data_copy: Path) -> None:
    _edit_kind(data_copy, "weakness", "false_positive", 0.9)
    with pytest.raises(KnowledgeBaseError, match="false_positive") as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(ELECTRODIAGNOSIS)
    assert raised.value.entry == "weakness"


def test_a_wrong_value_in_a_finding_kind_names_the_field(data_copy: Path) -> None:
    _edit_kind(data_copy, "snap_low", "steepness", "steep")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert (raised.value.entry, raised.value.field) == ("snap_low", "steepness")


def test_an_unresolved_citation_in_the_electrodiagnosis_file_names_the_entry(
    data_copy: Path,
) -> None:
    _edit_kind(data_copy, "cmap_low", "sources", ["nobody_1999"])
    with pytest.raises(KnowledgeBaseError, match="nobody_1999") as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(ELECTRODIAGNOSIS)
    assert (raised.value.entry, raised.value.field) == ("cmap_low", "sources")


def test_a_missing_threshold_is_a_knowledge_base_error_naming_it(data_copy: Path) -> None:
    path = data_copy / THRESHOLDS
    entries = [e for e in yaml.safe_load(path.read_text()) if e["id"] != "older_adult"]
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(THRESHOLDS)
    assert (raised.value.entry, raised.value.field) == ("older_adult", "id")


def test_a_threshold_with_an_unknown_comparison_names_the_field(data_copy: Path) -> None:
    _edit_threshold(data_copy, "crp_raised", "comparison", "roughly")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert (raised.value.entry, raised.value.field) == ("crp_raised", "comparison")


@pytest.mark.parametrize("section", ["aged_absence", "background_polyneuropathy"])
def test_an_unresolved_citation_in_an_electrodiagnosis_section_names_the_section(
    data_copy: Path, section: str
) -> None:
    path = data_copy / ELECTRODIAGNOSIS
    content = yaml.safe_load(path.read_text())
    content[section]["sources"] = ["nobody_1999"]
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    with pytest.raises(KnowledgeBaseError, match="nobody_1999") as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(ELECTRODIAGNOSIS)
    assert (raised.value.entry, raised.value.field) == (section, "sources")


def test_a_threshold_without_a_source_names_the_entry(data_copy: Path) -> None:
    _edit_threshold(data_copy, "esr_raised", "sources", [])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(THRESHOLDS)
    assert (raised.value.entry, raised.value.field) == ("esr_raised", "sources")


def test_an_unresolved_citation_in_a_threshold_names_the_entry(data_copy: Path) -> None:
    _edit_threshold(data_copy, "esr_raised", "sources", ["nobody_1999"])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(data_copy)
    assert raised.value.file.endswith(THRESHOLDS)
    assert (raised.value.entry, raised.value.field) == ("esr_raised", "sources")


def test_the_engine_parameter_files_are_required(data_copy: Path) -> None:
    (data_copy / THRESHOLDS).unlink()
    with pytest.raises(KnowledgeBaseError, match="no data file"):
        load_knowledge_base(data_copy)
