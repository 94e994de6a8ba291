"""Deriving the etiology features from a case: present, absent, or honestly unknown."""

from __future__ import annotations

from plexcare.engine.etiology_features import derive_etiology_findings
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()


def test_an_empty_case_states_only_what_age_and_sex_tell() -> None:
    found = derive_etiology_findings(case(age=40), KB)
    assert found.present == frozenset()
    assert found.absent == {"age_over_50", "female"}
    assert found.state("diabetes") == "unknown"


def test_sex_is_recorded_as_the_female_feature_and_other_leaves_it_unknown() -> None:
    assert derive_etiology_findings(case(sex="female"), KB).state("female") == "present"
    assert derive_etiology_findings(case(sex="male"), KB).state("female") == "absent"
    assert derive_etiology_findings(case(sex="other"), KB).state("female") == "unknown"


def test_give_way_weakness_is_present_when_recorded_and_absent_when_strength_was_graded() -> None:
    gave = case(exam={"left": {"strength": {"iliacus": 3}, "give_way": ["iliacus"]}})
    found = derive_etiology_findings(gave, KB)
    assert found.state("give_way_weakness") == "present"
    assert "iliacus (left)" in found.reasons["give_way_weakness"]
    graded = case(exam={"left": {"strength": {"iliacus": 3}}})
    assert derive_etiology_findings(graded, KB).state("give_way_weakness") == "absent"
    assert derive_etiology_findings(case(), KB).state("give_way_weakness") == "unknown"


def test_diabetes_comes_from_history_or_a_diabetic_hba1c() -> None:
    assert derive_etiology_findings(case(history={"diabetes": "type2"}), KB).state("diabetes") == (
        "present"
    )
    by_lab = derive_etiology_findings(case(labs={"hba1c": 7.1}), KB)
    assert by_lab.state("diabetes") == "present"
    assert by_lab.state("hba1c_high") == "present"
    normal = derive_etiology_findings(case(labs={"hba1c": 5.4}), KB)
    assert normal.state("diabetes") == "absent"
    assert normal.state("hba1c_high") == "absent"


def test_tempo_sets_one_onset_feature_and_clears_the_others() -> None:
    found = derive_etiology_findings(case(tempo="subacute"), KB)
    assert found.state("onset_subacute") == "present"
    assert found.state("onset_acute") == "absent"
    assert found.state("onset_chronic") == "absent"


def test_pain_score_sets_severe_or_painless_at_the_named_cut_offs() -> None:
    assert derive_etiology_findings(case(pain={"score": 8}), KB).state("severe_pain") == "present"
    assert derive_etiology_findings(case(pain={"score": 6}), KB).state("severe_pain") == "absent"
    assert derive_etiology_findings(case(pain={"score": 2}), KB).state("painless") == "present"
    assert derive_etiology_findings(case(pain={"score": 3}), KB).state("painless") == "absent"


def test_reduced_anal_tone_alone_counts_as_sphincter_dysfunction() -> None:
    found = derive_etiology_findings(case(anal_tone="reduced"), KB)
    assert found.state("sphincter_dysfunction") == "present"
    assert "anal tone" in found.reasons["sphincter_dysfunction"]


def test_denied_sphincter_symptoms_are_absent_not_unknown() -> None:
    found = derive_etiology_findings(
        case(symptoms={"bladder_bowel": False, "saddle_numbness": False}), KB
    )
    assert found.state("sphincter_dysfunction") == "absent"


def test_myokymia_in_any_needled_muscle_is_present_and_a_clean_study_is_absent() -> None:
    myokymic = case(emg={"left": {"vastus_lateralis": {"myokymia": True}}})
    assert derive_etiology_findings(myokymic, KB).state("emg_myokymia") == "present"
    clean = case(emg={"left": {"vastus_lateralis": {"fibrillations": 2}}})
    assert derive_etiology_findings(clean, KB).state("emg_myokymia") == "absent"


def test_imaging_sets_what_it_shows_and_clears_the_rest() -> None:
    found = derive_etiology_findings(case(imaging=[{"kind": "haematoma", "side": "left"}]), KB)
    assert found.state("imaging_haematoma") == "present"
    assert found.state("imaging_mass") == "absent"
    normal = derive_etiology_findings(case(imaging=[{"kind": "normal"}]), KB)
    assert normal.present == {"age_over_50"}
    assert "imaging_abscess" in normal.absent


def test_imaging_reasons_read_as_words() -> None:
    """The reasons a clinician reads name each kind in words, not its code cut at the
    underscores ("imaging shows no degenerative without compression")."""
    found = derive_etiology_findings(
        case(imaging=[{"kind": "degenerative_without_compression", "level": "L4-L5"}]), KB
    )
    assert found.reasons["imaging_degenerative"].startswith(
        "imaging: degenerative change without compression"
    )
    assert found.reasons["imaging_bakers_cyst"] == "imaging shows no Baker's cyst"
    assert found.reasons["imaging_nerve_enhancement"] == "imaging shows no abnormal nerve signal"


def test_a_mildly_raised_ck_is_left_unknown_and_a_high_one_is_raised() -> None:
    assert derive_etiology_findings(case(labs={"ck": 400}), KB).state("ck_raised") == "unknown"
    assert derive_etiology_findings(case(labs={"ck": 1500}), KB).state("ck_raised") == "present"
    assert derive_etiology_findings(case(labs={"ck": 120}), KB).state("ck_raised") == "absent"


def test_inflammatory_markers_and_csf_protein_use_their_limits() -> None:
    found = derive_etiology_findings(case(labs={"esr": 12, "crp": 25, "csf_protein": 80}), KB)
    assert found.state("raised_inflammatory_markers") == "present"
    assert "CRP 25" in found.reasons["raised_inflammatory_markers"]
    assert found.state("csf_protein_raised") == "present"


def test_brisk_reflex_or_extensor_plantar_are_upper_motor_neuron_signs() -> None:
    brisk = case(exam={"left": {"reflexes": {"knee_jerk": "brisk"}}})
    assert derive_etiology_findings(brisk, KB).state("upper_motor_neuron_signs") == "present"
    flexor = case(exam={"left": {"reflexes": {"knee_jerk": "reduced"}, "plantar": "flexor"}})
    assert derive_etiology_findings(flexor, KB).state("upper_motor_neuron_signs") == "absent"


def test_history_items_use_their_conventions() -> None:
    found = derive_etiology_findings(
        case(
            sex="female",
            history={
                "anticoagulant": "apixaban",
                "recent_surgery": "hip_arthroplasty",
                "delivery_weeks_ago": 20,
                "trauma": "other",
                "cancer": {"site": "colon"},
            },
            labs={"inr": 4.2},
            symptoms={"weight_loss_kg": 6},
        ),
        KB,
    )
    assert {
        "anticoagulated",
        "inr_supratherapeutic",
        "recent_pelvic_or_hip_surgery",
        "cancer_history",
        "recent_weight_loss",
    } <= found.present
    assert {"recent_delivery", "pelvic_trauma"} <= found.absent


def test_both_sides_affected_is_bilateral() -> None:
    assert derive_etiology_findings(case(affected_side="both"), KB).state("bilateral") == "present"
    assert derive_etiology_findings(case(affected_side="left"), KB).state("bilateral") == "absent"
