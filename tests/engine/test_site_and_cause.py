"""Site and cause as one answer: the clinical cases of issue 11, and the joint posterior's laws.

Every probability asserted here is read from `assess` (or the joint model it calls), the way a
clinician reads the report: where the lesion is, what causes it, whether it is a plexopathy.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine import Assessment, assess, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.etiology import feature_matrix
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.findings import observe
from plexcare.engine.site_and_cause import (
    Evidence,
    _cell_weights,
    finding_weights,
    score,
    site_and_cause_model,
)
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase

VIGNETTES = Path(__file__).parent / "vignettes"
HAEMATOMA = "retroperitoneal_haematoma_plexopathy"
ABSCESS = "psoas_abscess_plexopathy"
OBSTETRIC = "obstetric_lumbosacral_trunk_injury"
RADIATION = "radiation_induced_lumbosacral_plexopathy"


def _raw(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((VIGNETTES / name).read_text())
    return loaded


def _assess(raw: dict[str, Any], kb: KnowledgeBase) -> Assessment:
    return assess(Case.model_validate(raw), kb)


def _cause(result: Assessment, disorder: str) -> float:
    return next(c.probability for c in result.etiology if c.disorder == disorder)


def _site(result: Assessment, lesion: str) -> float:
    """A lesion site's probability, its sides summed."""
    return sum(c.probability for c in result.localization.candidates if c.id == lesion)


def _without(raw: dict[str, Any], *path: str) -> dict[str, Any]:
    edited = copy.deepcopy(raw)
    holder = edited
    for key in path[:-1]:
        holder = holder[key]
    holder.pop(path[-1])
    return edited


# --- The haematoma case -----------------------------------------------------------------------


def test_an_iliacus_haematoma_on_warfarin_puts_site_and_cause_together(kb: KnowledgeBase) -> None:
    result = _assess(_raw("iliacus_haematoma_warfarin.yaml"), kb)
    leader = result.localization.leader
    assert (leader.id, leader.side) == ("femoral_in_pelvis", "right")
    assert result.leading_cause == HAEMATOMA
    assert leader.id in kb.disorders[HAEMATOMA].localizations
    # A femoral neuropathy in the pelvis is not a plexopathy, and the report says so from the
    # same table its leading site comes from.
    assert result.localization.plexopathy_probability < 0.1


def test_the_ct_haematoma_moves_both_the_site_and_the_cause(kb: KnowledgeBase) -> None:
    raw = _raw("iliacus_haematoma_warfarin.yaml")
    with_ct = _assess(raw, kb)
    without = _assess(_without(raw, "imaging"), kb)
    assert _cause(with_ct, HAEMATOMA) > _cause(without, HAEMATOMA)
    assert with_ct.localization.probability_of("femoral_in_pelvis@right") > (
        without.localization.probability_of("femoral_in_pelvis@right")
    )


def test_a_psoas_haematoma_makes_it_a_lumbar_plexopathy(kb: KnowledgeBase) -> None:
    """The same anticoagulated picture with femoral and obturator weakness: the CT places the
    blood in psoas, where the plexus forms, so site, cause and plexopathy agree."""
    result = _assess(_raw("psoas_haematoma_apixaban_lumbar_plexus.yaml"), kb)
    assert result.localization.leader.key == "upper_lumbar_plexus@right"
    assert result.leading_cause == HAEMATOMA
    assert result.localization.plexopathy_probability > 0.5


def test_the_same_haematoma_in_psoas_moves_the_site_to_the_lumbar_plexus(
    kb: KnowledgeBase,
) -> None:
    """The femoral nerve runs between psoas and iliacus; the lumbar plexus forms inside psoas."""
    raw = _raw("iliacus_haematoma_warfarin.yaml")
    psoas = copy.deepcopy(raw)
    psoas["imaging"] = [{"kind": "haematoma", "level": "psoas", "side": "right"}]
    in_iliacus, in_psoas = _assess(raw, kb).localization, _assess(psoas, kb).localization
    plexus = "upper_lumbar_plexus@right"
    assert in_psoas.probability_of(plexus) > 10 * in_iliacus.probability_of(plexus)
    assert in_iliacus.probability_of("femoral_in_pelvis@right") > in_psoas.probability_of(
        "femoral_in_pelvis@right"
    )


def test_the_level_of_a_disc_informs_which_root(kb: KnowledgeBase) -> None:
    """A right paracentral disc compresses the root traversing it: L4-L5 the L5 root, L5-S1
    the S1 root (Kreiner 2014); the same S1 picture with the disc a level higher moves
    probability to L5."""
    raw = _raw("s1_radiculopathy_acute_sciatica_mri.yaml")
    higher = copy.deepcopy(raw)
    higher["imaging"] = [{"kind": "disc_herniation", "level": "L4-L5", "side": "right"}]
    at_s1, at_l5 = _assess(raw, kb).localization, _assess(higher, kb).localization
    assert at_l5.probability_of("root_l5@right") > 10 * at_s1.probability_of("root_l5@right")
    assert at_s1.probability_of("root_s1@right") > at_l5.probability_of("root_s1@right")


def test_a_haematoma_on_the_other_side_informs_the_cause_less(kb: KnowledgeBase) -> None:
    raw = _raw("iliacus_haematoma_warfarin.yaml")
    other = copy.deepcopy(raw)
    other["imaging"] = [{"kind": "haematoma", "level": "iliacus", "side": "left"}]
    assert _cause(_assess(other, kb), HAEMATOMA) < _cause(_assess(raw, kb), HAEMATOMA)


# --- The abscess case -------------------------------------------------------------------------


def test_a_psoas_abscess_puts_the_lumbar_plexus_and_the_abscess_together(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("psoas_abscess_injection_drug_use.yaml")
    result = _assess(raw, kb)
    assert result.localization.leader.key == "upper_lumbar_plexus@left"
    assert result.leading_cause == ABSCESS
    assert result.localization.plexopathy_probability > 0.5
    assert {"abscess_on_imaging", "fever_with_new_weakness"} <= {
        f.feature for f in result.red_flags
    }
    without = _assess(_without(raw, "imaging"), kb)
    assert _cause(result, ABSCESS) > _cause(without, ABSCESS)
    psoas = ("upper_lumbar_plexus", "femoral_in_pelvis")
    assert sum(_site(result, s) for s in psoas) > sum(_site(without, s) for s in psoas)


# --- The normal-study case --------------------------------------------------------------------


def test_hip_pain_with_a_normal_examination_and_studies_is_no_neuromuscular_lesion(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("hip_osteoarthritis_normal_studies.yaml")
    result = _assess(raw, kb)
    assert result.localization.leader.id == "no_neuromuscular_lesion"
    assert result.leading_cause == "hip_joint_disease"
    assert result.localization.plexopathy_probability < 0.05
    # Without the X-ray the normal examination and studies still say no nerve lesion: the
    # probability does not spread over nerves no test reached.
    without = _assess(_without(raw, "imaging"), kb)
    assert without.localization.leader.id == "no_neuromuscular_lesion"
    assert without.localization.leader.probability > 0.5


def test_hip_pain_with_a_normal_bedside_examination_alone_is_no_neuromuscular_lesion(
    kb: KnowledgeBase,
) -> None:
    """Symptoms in one leg are what brought a person with hip disease to the clinic: with
    normal strength, reflexes and sensation and no studies or imaging yet, the answer is still
    no lesion, not a nerve the examination cannot reach."""
    raw = _raw("hip_osteoarthritis_normal_studies.yaml")
    for part in ("nerve_conduction", "emg", "imaging"):
        raw = _without(raw, part)
    result = _assess(raw, kb)
    assert result.localization.leader.id == "no_neuromuscular_lesion"
    assert result.localization.leader.probability > 0.5
    assert result.leading_cause == "hip_joint_disease"


def test_normal_studies_with_give_way_weakness_point_to_functional_weakness(
    kb: KnowledgeBase,
) -> None:
    result = _assess(_raw("functional_leg_weakness_give_way.yaml"), kb)
    assert result.localization.leader.id == "no_neuromuscular_lesion"
    assert result.leading_cause == "functional_leg_weakness"


# --- The man / obstetric case -----------------------------------------------------------------


def test_no_obstetric_cause_is_offered_for_a_man(kb: KnowledgeBase) -> None:
    raw = _raw("obstetric_lumbosacral_trunk_forceps_week_four.yaml")
    woman = _assess(raw, kb)
    assert woman.leading_cause == OBSTETRIC
    man = _without(raw, "history", "delivery_weeks_ago")
    man["sex"] = "male"
    result = _assess(man, kb)
    assert _cause(result, OBSTETRIC) < 1e-6
    assert OBSTETRIC not in {c.disorder for c in result.etiology[:5]}


def test_an_unrecorded_delivery_lowers_the_obstetric_cause_and_a_past_one_excludes_it(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("obstetric_lumbosacral_trunk_forceps_week_four.yaml")
    recorded = _cause(_assess(raw, kb), OBSTETRIC)
    unrecorded = _cause(_assess(_without(raw, "history", "delivery_weeks_ago"), kb), OBSTETRIC)
    long_ago = copy.deepcopy(raw)
    long_ago["history"]["delivery_weeks_ago"] = 40
    past = _cause(_assess(long_ago, kb), OBSTETRIC)
    assert past < 1e-6 < unrecorded < recorded


# --- The no-radiotherapy case -----------------------------------------------------------------


def test_without_radiotherapy_a_radiation_plexopathy_is_near_zero(kb: KnowledgeBase) -> None:
    """The painless myokymic plexopathy after cervical cancer: with the radiotherapy recorded
    it is radiation plexopathy; with a cancer history that records no radiotherapy, radiation
    plexopathy is all but excluded, whatever the myokymia says."""
    raw = _raw("radiation_plexopathy_late_painless.yaml")
    assert _assess(raw, kb).leading_cause == RADIATION
    result = _assess(_without(raw, "history", "pelvic_radiotherapy_years_ago"), kb)
    assert _cause(result, RADIATION) < 1e-6
    assert result.leading_cause != RADIATION


def test_unknown_radiotherapy_is_not_the_same_as_none(kb: KnowledgeBase) -> None:
    """With no cancer recorded radiotherapy is unknown: a tenth of the odds, not zero."""
    model = site_and_cause_model(kb)
    case = Case.model_validate(_raw("radiation_plexopathy_late_painless.yaml"))
    table = model.localization
    observations = observe(case, table.findings, kb, table.finding_model)
    found = derive_etiology_findings(case, kb)
    states = feature_matrix(model.etiology, [found])[0]
    column = model.etiology.feature_index["pelvic_radiotherapy"]
    row = model.etiology.disorder_index[RADIATION]
    by_state = {}
    for state in (1.0, 0.0, -1.0):
        changed = states.copy()
        changed[column] = state
        by_state[state] = score(model, Evidence(observations, changed, case.imaging)).cause[row]
    assert by_state[-1.0] < 1e-6 < by_state[0.0] < by_state[1.0]


# --- The joint posterior's laws ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in VIGNETTES.glob("*.yaml")))
def test_site_and_cause_marginals_come_from_one_joint_table(name: str, kb: KnowledgeBase) -> None:
    result = _assess(_raw(name), kb)
    answer = result.site_and_cause
    assert answer is not None
    assert np.isclose(answer.joint.sum(), 1.0)
    assert np.allclose(answer.site, answer.joint.sum(axis=1))
    assert np.allclose(answer.cause, answer.joint.sum(axis=0))
    model = site_and_cause_model(kb)
    by_key = {c.key: c.probability for c in result.localization.candidates}
    assert np.allclose([by_key[c.key] for c in model.candidates], answer.site)
    by_cause = {c.disorder: c.probability for c in result.etiology}
    assert np.allclose([by_cause[d] for d in model.etiology.disorders], answer.cause)
    assert np.isclose(result.localization.plexopathy_probability, answer.site[model.plexus].sum())


STATE = st.sampled_from([-1.0, 0.0, 1.0])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_evidence_gives_a_joint_posterior_that_sums_to_one(
    data: st.DataObject, kb: KnowledgeBase
) -> None:
    model = site_and_cause_model(kb)
    findings = len(model.localization.findings.specs)
    columns = data.draw(st.lists(st.integers(0, findings - 1), max_size=40, unique=True))
    abnormal = data.draw(st.lists(st.booleans(), min_size=len(columns), max_size=len(columns)))
    states = np.array(
        data.draw(
            st.lists(
                STATE, min_size=len(model.etiology.features), max_size=len(model.etiology.features)
            )
        )
    )
    imaging = data.draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(
                        ["haematoma", "abscess", "disc_herniation", "mass", "normal"]
                    ),
                    "level": st.sampled_from(
                        [None, "psoas", "iliacus", "L4-L5", "L5-S1 foraminal"]
                    ),
                    "side": st.sampled_from([None, "left", "right", "both"]),
                }
            ),
            max_size=3,
        )
    )
    case = Case.model_validate({"age": 60, "sex": "female", "imaging": imaging})
    observations = observe(case, model.localization.findings, kb)
    observations = type(observations)(
        abnormal=tuple(sorted(c for c, a in zip(columns, abnormal, strict=True) if a)),
        normal=tuple(sorted(c for c, a in zip(columns, abnormal, strict=True) if not a)),
        time_bin=data.draw(st.integers(0, 4)),
        days_since_onset=None,
        background_prior=data.draw(st.floats(0.01, 0.9)),
    )
    answer = score(model, Evidence(observations, states, case.imaging))
    assert np.isclose(answer.joint.sum(), 1.0)
    assert (answer.joint >= 0).all()
    assert np.allclose(answer.site, answer.joint.sum(axis=1))
    assert np.allclose(answer.cause, answer.joint.sum(axis=0))
    assert np.isclose(answer.plexopathy_probability, answer.joint[model.plexus].sum())


def test_a_batch_gives_every_case_the_same_site_and_cause_as_alone(kb: KnowledgeBase) -> None:
    names = sorted(p.name for p in VIGNETTES.glob("*.yaml"))
    cases = [Case.model_validate(_raw(name)) for name in names]
    batch = assess_batch(cases, kb)
    for row, case in enumerate(cases):
        single = assess(case, kb)
        sites = {c.key: c.probability for c in single.localization.candidates}
        causes = {c.disorder: c.probability for c in single.etiology}
        assert np.allclose(batch.localization[row], [sites[k] for k in batch.candidate_keys])
        assert np.allclose(batch.etiology[row], [causes[d] for d in batch.disorders], atol=1e-9)


# --- Findings that travel together ------------------------------------------------------------


def test_findings_of_one_muscle_count_less_than_the_same_number_from_different_muscles(
    kb: KnowledgeBase,
) -> None:
    """Fibrillations and neurogenic units in one tibialis anterior share one latent draw; in
    two muscles of different nerves they are nearer independent (the design effect)."""
    model = site_and_cause_model(kb)
    index = model.localization.findings.index
    same = np.array(
        [
            index["left:muscle:tibialis_anterior:fibrillations"],
            index["left:muscle:tibialis_anterior:neurogenic_units"],
        ]
    )
    apart = np.array(
        [
            index["left:muscle:tibialis_anterior:fibrillations"],
            index["left:muscle:gluteus_maximus:neurogenic_units"],
        ]
    )
    alone = finding_weights(model, same[:1], model.tempering)
    assert np.allclose(alone, 1.0)
    together = finding_weights(model, same, model.tempering)
    assert np.allclose(together, 1.0 / (1.0 + model.tempering.within_end_organ))
    assert together.sum() < finding_weights(model, apart, model.tempering).sum() <= 2.0


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells_of_cases=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=40),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    cases_a_chunk=st.integers(min_value=1, max_value=12),
)
def test_findings_weigh_the_same_counted_a_chunk_of_cases_at_a_time(
    kb: KnowledgeBase, cells_of_cases: list[int], seed: int, cases_a_chunk: int
) -> None:
    """Each case's weights depend on its own cells alone, so counting the cases in chunks
    gives exactly the weights of counting them all at once (cases with no cell included)."""
    model = site_and_cause_model(kb)
    findings = len(model.localization.findings.specs)
    draw = np.random.default_rng(seed)
    # Cells of a few muscles and nerves, so that organs and nerves are often shared.
    crowded = draw.choice(findings, size=min(findings, 40), replace=False)
    columns_of = [
        np.sort(draw.choice(crowded, size=count, replace=False)) for count in cells_of_cases
    ]
    rows = np.repeat(np.arange(len(cells_of_cases)), cells_of_cases).astype(np.int64)
    columns = np.concatenate(columns_of).astype(np.int64)
    at_once = _cell_weights(model, rows, columns, cases_a_chunk=10**9)
    chunked = _cell_weights(model, rows, columns, cases_a_chunk=cases_a_chunk)
    assert np.array_equal(chunked, at_once)
    for row, case_columns in enumerate(columns_of):
        alone = finding_weights(model, case_columns, model.tempering)
        assert np.array_equal(chunked[rows == row], alone)


# --- The knowledge base's file ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "sources: [kutsy_2000_pelvic_trauma_plexopathy, stewart_focal_2010]",
            "sources: [no_such_paper]",
            "unknown reference 'no_such_paper'",
        ),
        ("feature: imaging_abscess", "feature: imaging_abcess", "unknown feature 'imaging_abcess'"),
        (
            "sites: [femoral_in_pelvis, lateral_femoral_cutaneous_nerve]",
            "sites: [femoral_in_pelvic]",
            "unknown lesion 'femoral_in_pelvic'",
        ),
        (
            "disorder: radiation_induced_lumbosacral_plexopathy",
            "disorder: radiation_plexopathy",
            "unknown disorder 'radiation_plexopathy'",
        ),
    ],
)
def test_the_joint_models_file_names_only_what_the_knowledge_base_knows(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "site_and_cause.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeBaseError, match=r"site_and_cause\.yaml") as caught:
        load_knowledge_base(data)
    assert problem in str(caught.value)


# --- Brisk reflexes count once ----------------------------------------------------------------


def test_a_brisk_reflex_moves_the_answer_only_as_the_causes_upper_motor_neuron_figure(
    kb: KnowledgeBase,
) -> None:
    """Leg-onset motor neuron disease: turning the brisk knee jerks to normal changes the odds
    of motor neuron disease against polyneuropathy by exactly the cause model's factor for
    upper motor neuron signs; the site model's hyperreflexia column adds nothing more."""
    raw = _raw("mnd_leg_onset_fasciculations.yaml")
    raw.get("exam", {}).get("left", {}).pop("plantar", None)
    raw.get("exam", {}).get("right", {}).pop("plantar", None)
    normal = copy.deepcopy(raw)
    for side in ("left", "right"):
        normal["exam"][side]["reflexes"]["patellar_reflex"] = "normal"
    brisk_result, normal_result = _assess(raw, kb), _assess(normal, kb)
    model = site_and_cause_model(kb)
    etiology = model.etiology
    mnd, other = (etiology.disorder_index[d] for d in ("motor_neuron_disease", "myopathy"))
    weights = {
        (fact.feature, fact.present, fact.group): etiology.weights[row]
        for row, fact in enumerate(etiology.facts)
    }
    present = weights[("upper_motor_neuron_signs", True, "")]
    absent = weights[("upper_motor_neuron_signs", False, "")]
    expected = model.tempering.history * ((present - absent)[mnd] - (present - absent)[other])

    def log_odds(result: Assessment) -> float:
        return float(
            np.log(_cause(result, "motor_neuron_disease")) - np.log(_cause(result, "myopathy"))
        )

    assert log_odds(brisk_result) - log_odds(normal_result) == pytest.approx(expected, rel=1e-6)
