"""The next-test planner as a neurophysiologist would judge it, one clinical case at a time.

Each test states a case in clinic shorthand and checks what the planner proposes (or refuses
to), through the assessment the clinician sees or the planner's own ranking of every test.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from plexcare.engine.assessment import assess
from plexcare.engine.case import Case
from plexcare.engine.etiology import feature_matrix
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import Observations, observe
from plexcare.engine.next_test_ranking import (
    Ranking,
    predicted_answer,
    rank_tests,
    value_columns,
)
from plexcare.engine.planned_tests import catalog_of, done_tests
from plexcare.engine.site_and_cause import Evidence, SiteAndCause, score, site_and_cause_model
from plexcare.engine.study_plan import SEPARATION, plan_study
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.conftest import CaseBuilder

EVERY_COLUMN = 100_000
FOOT_DROP: dict[str, Any] = {
    "exam": {
        "strength": {"tibialis_anterior": 3, "extensor_hallucis_longus": 3, "peroneus_longus": 4},
        "reflexes": {"achilles_reflex": "normal", "patellar_reflex": "normal"},
        "sensation": {"dorsum_of_foot": "reduced"},
    },
}


def _scored(case: Case, kb: KnowledgeBase) -> tuple[Observations, SiteAndCause]:
    model = site_and_cause_model(kb)
    table = model.localization
    observations = observe(case, table.findings, kb, table.finding_model)
    states = feature_matrix(model.etiology, [derive_etiology_findings(case, kb)])[0]
    return observations, score(model, Evidence(observations, states, case.imaging))


def _ranking(case: Case, kb: KnowledgeBase, **options: Any) -> Ranking:
    observations, answer = _scored(case, kb)
    return rank_tests(case, observations, answer, kb, most_valued=EVERY_COLUMN, **options)


def _value(ranking: Ranking, kind: str, side: str, target: str) -> float:
    """The test's value in bits (0 when it cannot tell the candidates in play apart)."""
    number = ranking.catalog.index[(kind, side, target)]
    found = ranking.gain[ranking.numbers == number]
    return float(found[0]) if found.size else 0.0


def _score(ranking: Ranking, kind: str, side: str, target: str) -> float:
    number = ranking.catalog.index[(kind, side, target)]
    found = ranking.score[ranking.numbers == number]
    return float(found[0]) if found.size else 0.0


def _place(ranking: Ranking, kind: str, side: str, target: str) -> int:
    """1 for the best value per cost among the tests not yet done."""
    number = ranking.catalog.index[(kind, side, target)]
    order = ranking.numbers[np.argsort(-ranking.score, kind="stable")]
    found = np.flatnonzero(order == number)
    return int(found[0]) + 1 if found.size else len(ranking.catalog.tests)


# --- 1. The planner plans on the answer the clinician sees ---------------------------------


def test_the_lfcn_snap_in_a_77_year_old_is_not_planned_as_if_healthy_people_always_had_one(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # Numb anterolateral thigh at 77, hip flexion slightly weak: meralgia paresthetica against
    # an upper lumbar root or the lumbar plexus. The LFCN response is often absent in healthy
    # people, so the answer scores its absence in the age-adjusted column; the planner values
    # the study on that same column, which is worth less than the ordinary one would promise.
    case = make_case(
        age=77,
        right={
            "exam": {
                "sensation": {"lateral_thigh": "reduced"},
                "strength": {"iliopsoas": 4} if "iliopsoas" in kb.muscles else {"hip_flexion": 4},
            }
        },
        affected_side="right",
    )
    ranking = _ranking(case, kb)
    catalog = ranking.catalog
    lfcn = catalog.index[("nerve_conduction", "right", "lateral_femoral_cutaneous_snap")]
    place = int(np.flatnonzero(ranking.numbers == lfcn)[0])
    spec = site_and_cause_model(kb).localization.findings.specs
    chosen = spec[catalog.columns[ranking.rows[place]]]
    assert chosen.aged or chosen.kind is FindingKind.SIDE_DIFFERENCE  # never the ordinary rate
    observations, _ = _scored(case, kb)
    lfcn_rows = np.flatnonzero(catalog.column_test == lfcn)
    ordinary_rows = [
        row
        for row in lfcn_rows
        if spec[catalog.columns[row]].kind is FindingKind.SNAP_LOW
        and not spec[catalog.columns[row]].aged
    ]
    aged_rows = [row for row in lfcn_rows if spec[catalog.columns[row]].aged]
    _, ordinary = value_columns(  # what the ordinary (young adult) rate would promise
        catalog,
        np.asarray(ordinary_rows),
        ranking.belief,
        observations,
        observations.time_bin,
        kb,
        EVERY_COLUMN,
    )
    _, aged = value_columns(
        catalog,
        np.asarray(aged_rows),
        ranking.belief,
        observations,
        observations.time_bin,
        kb,
        EVERY_COLUMN,
    )
    assert float(aged.gain[0]) < 0.6 * float(ordinary.gain[0])


def test_an_absent_sural_response_is_weighed_by_age_when_the_study_is_planned(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # The same S1-versus-sciatic question at 70 and at 78: from 75 an absent sural SNAP may be
    # normal (Tavee 2014), so the study promises less in the older patient.
    calf = {
        "exam": {"strength": {"gastrocnemius_medial_head": 3, "abductor_hallucis": 4}},
        "emg": {"gastrocnemius_medial_head": {"fibrillations": 2}},
    }
    younger = _ranking(make_case(age=70, left=calf, affected_side="left"), kb)
    older = _ranking(make_case(age=78, left=calf, affected_side="left"), kb)
    sural = ("nerve_conduction", "left", "sural_snap")
    assert _value(older, *sural) < _value(younger, *sural)


def test_a_first_week_case_is_planned_on_the_tempered_answer_it_shows(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # Day four of a foot drop: the answer is blended towards the prior and says so. The
    # planner reads that same shown answer, not the untempered one behind it.
    case = make_case(weeks=4 / 7, left=FOOT_DROP, affected_side="left")
    assessment = assess(case, kb)
    ranking = _ranking(case, kb)
    belief = ranking.belief
    candidates = site_and_cause_model(kb).candidates
    shown = {candidates[k].key: p for k, p in zip(belief.kept, belief.shown, strict=True)}
    for candidate in assessment.localization.candidates[:5]:
        assert shown[candidate.key] == pytest.approx(candidate.probability)


def test_the_expected_answer_after_a_result_is_the_answer_the_assessment_then_shows(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # A foot drop with a fibrillating tibialis anterior at six weeks. The planner's picture
    # of the answer after an absent sural SNAP is what the assessment shows once that result
    # is recorded: the same likelihoods, tempering and joint site and cause.
    left = {**FOOT_DROP, "emg": {"tibialis_anterior": {"fibrillations": 2}}}
    case = make_case(left=left, affected_side="left")
    observations, answer = _scored(case, kb)
    test = ("nerve_conduction", "left", "sural_snap")
    expected = predicted_answer(case, observations, answer, kb, test, abnormal=True)
    studied = {**left, "ncs": {"sural_snap": {"amplitude": 0, "unit": "uV"}}}
    after = assess(make_case(left=studied, affected_side="left"), kb).localization
    candidates = site_and_cause_model(kb).candidates
    shown = np.array([after.probability_of(candidate.key) for candidate in candidates])
    assert np.abs(expected - shown).max() < 1e-6


def test_a_snap_often_absent_in_health_is_planned_as_a_side_to_side_comparison(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # A 66-year-old with a weak left quadriceps: the saphenous SNAP is often absent in health,
    # so an absent response says little; a clear side-to-side difference tells more. With the
    # right side not yet recorded the comparison is valued as a pair of studies at twice the
    # cost; once the right side is recorded, the left alone makes the comparison, at the cost
    # of one.
    quadriceps = {
        "exam": {"strength": {"vastus_medialis": 3}, "reflexes": {"patellar_reflex": "reduced"}}
    }
    alone = _ranking(make_case(age=66, left=quadriceps, affected_side="left"), kb)
    compared = _ranking(
        make_case(
            age=66,
            left=quadriceps,
            right={"ncs": {"saphenous_snap": {"amplitude": 6, "unit": "uV"}}},
            affected_side="left",
        ),
        kb,
    )
    saphenous = ("nerve_conduction", "left", "saphenous_snap")
    catalog = alone.catalog
    number = catalog.index[saphenous]
    rows = np.flatnonzero(catalog.column_test == number)
    observations, _ = _scored(make_case(age=66, left=quadriceps, affected_side="left"), kb)
    telling, values = value_columns(
        catalog, rows, alone.belief, observations, observations.time_bin, kb, EVERY_COLUMN
    )
    gain = {catalog.column_kind[row]: g for row, g in zip(rows[telling], values.gain, strict=True)}
    aged_gain = max(
        g
        for row, g in zip(rows[telling], values.gain, strict=True)
        if catalog.column_roles[row] == 1
    )
    assert gain[FindingKind.SIDE_DIFFERENCE] > aged_gain  # the comparison tells more
    place = np.flatnonzero(compared.numbers == number)[0]
    assert compared.catalog.column_kind[compared.rows[place]] is FindingKind.SIDE_DIFFERENCE
    assert not compared.both_sides[place]
    assert _score(compared, *saphenous) > _score(alone, *saphenous)
    pair = next(p for p in range(len(alone.numbers)) if alone.both_sides[p])
    assert alone.catalog.column_kind[alone.rows[pair]] is FindingKind.SIDE_DIFFERENCE


# --- 2. Value per cost, with feasibility from the knowledge base ---------------------------


def test_the_external_anal_sphincter_is_not_the_first_choice_for_a_sacral_question(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # Buttock pain and a weak calf and hamstrings: sacral plexus or S1-S2 roots. A sural SNAP
    # or a gluteal muscle answers this more simply than the sphincter, which needs a separate
    # set-up and is poorly tolerated.
    case = make_case(
        left={
            "exam": {
                "strength": {"gastrocnemius_medial_head": 3, "biceps_femoris_long_head": 4},
                "reflexes": {"achilles_reflex": "absent"},
            },
            "emg": {"gastrocnemius_medial_head": {"fibrillations": 2}},
        },
        affected_side="left",
    )
    plan = assess(case, kb).study_plan
    assert plan is not None and plan.tests
    assert plan.tests[0].target != "external_anal_sphincter"
    ranking = _ranking(case, kb)
    sphincter = ("needle_emg", "left", "external_anal_sphincter")
    assert _place(ranking, *sphincter) > _place(ranking, "nerve_conduction", "left", "sural_snap")
    sphincters = [t for t in plan.tests if t.target == "external_anal_sphincter"]
    assert all("concentric needle" in t.reason for t in sphincters)


def test_the_saphenous_snap_ranks_above_the_lfcn_snap(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # A weak quadriceps with a reduced knee jerk: lumbar plexus or L3-L4 root. Both SNAPs are
    # post-ganglionic and would tell them apart, but the LFCN response is the less reliable
    # and the more uncomfortable, so the saphenous comes first.
    case = make_case(
        left={
            "exam": {
                "strength": {"vastus_medialis": 3, "adductor_longus": 4},
                "reflexes": {"patellar_reflex": "reduced"},
            },
            "emg": {"vastus_medialis": {"fibrillations": 2}},
        },
        affected_side="left",
    )
    ranking = _ranking(case, kb)
    saphenous = _place(ranking, "nerve_conduction", "left", "saphenous_snap")
    lfcn = _place(ranking, "nerve_conduction", "left", "lateral_femoral_cutaneous_snap")
    assert saphenous < lfcn


def test_obesity_makes_a_deep_study_worth_less(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    # The femoral motor study and iliacus are hard to reach through a thick abdominal wall.
    case = make_case(
        left={"exam": {"strength": {"vastus_medialis": 3}}}, affected_side="left", age=55
    )
    average = _ranking(case, kb)
    obese = _ranking(case, kb, habitus="obese")
    femoral = ("nerve_conduction", "left", "femoral_cmap")
    assert _value(obese, *femoral) < _value(average, *femoral)


def test_each_proposed_test_carries_its_cost_and_a_reason_in_clinical_names(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(left=FOOT_DROP, affected_side="left")
    plan = assess(case, kb).study_plan
    assert plan is not None and plan.tests
    titles = {c.title for c in site_and_cause_model(kb).candidates}
    for test in plan.tests:
        assert test.cost > 0 and test.value_per_cost == pytest.approx(
            test.information_gain / test.cost, rel=1e-2
        )
        named = re.match(r"separates (.+) from (.+) \(", test.reason)
        if named:
            assert named.group(1) in titles


# --- 3. Nothing recorded is proposed again -------------------------------------------------


def test_a_graded_movement_counts_as_its_muscles_tested(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # Tibialis anterior graded is ankle dorsiflexion graded; hip abduction graded by name
    # covers gluteus medius and tensor fasciae latae; a Trendelenburg sign is hip abduction.
    case = make_case(
        left={
            "exam": {"strength": {"tibialis_anterior": 2, "hip_abduction": 4}},
            "emg": {"tibialis_anterior": {"fibrillations": 2}},
            "ncs": {"sural_snap": {"velocity": 45}},
        },
        right={"exam": {"trendelenburg": False, "reflexes": {"achilles_reflex": "normal"}}},
        affected_side="left",
    )
    catalog = catalog_of(kb)
    done = done_tests(case, catalog, kb)
    offered = {
        (t.kind, t.side, t.target) for t, gone in zip(catalog.tests, done, strict=True) if not gone
    }
    proposed = {(t.test, t.side, t.target) for t in assess(case, kb).next_tests}
    assert proposed <= offered
    for recorded in (
        ("strength", "left", "ankle_dorsiflexion"),
        ("strength", "left", "hip_abduction"),
        ("strength", "right", "hip_abduction"),
        ("needle_emg", "left", "tibialis_anterior"),
        ("nerve_conduction", "left", "sural_snap"),  # recorded, though only its velocity
        ("reflex", "right", "achilles_reflex"),
    ):
        assert recorded not in offered
    assert ("strength", "left", "ankle_eversion") in offered
    assert not [t for t in offered if t[0] == "strength" and t[2] in kb.muscles]


# --- 4. Honest when nothing helps, and when it is early -----------------------------------


def test_a_settled_case_gets_no_list_of_noise(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    # A left L5 radiculopathy with the study done: fibrillations in L5 muscles inside and
    # outside the fibular nerve and in the L5 paraspinals, normal SNAPs (the medial plantar
    # too, against a foraminal lesion). Nothing left to ask: no list of near-zero tests.
    case = make_case(
        left={
            **FOOT_DROP,
            "emg": {
                muscle: {"fibrillations": 2, "motor_units": "neurogenic"}
                for muscle in (
                    "tibialis_anterior",
                    "tibialis_posterior",
                    "gluteus_medius",
                    "lumbar_paraspinal_l5",
                    "peroneus_longus",
                )
            }
            | {"gastrocnemius_medial_head": {"fibrillations": 0, "motor_units": "normal"}},
            "ncs": {
                "superficial_fibular_snap": {"amplitude": 14, "unit": "uV"},
                "sural_snap": {"amplitude": 15, "unit": "uV"},
                "medial_plantar_snap": {"amplitude": 6, "unit": "uV"},
            },
        },
        affected_side="left",
    )
    assessment = assess(case, kb)
    plan = assessment.study_plan
    assert assessment.localization.leader.key == "root_l5@left"
    assert plan is not None and plan.enough
    assert plan.tests == () and assessment.next_tests == () and plan.sequence == ()
    assert plan.note.startswith("No further test is likely to change the answer meaningfully")
    assert "L5 radiculopathy" in plan.note


def test_reasons_never_name_a_separation_too_small_to_matter(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    for case in (
        make_case(left=FOOT_DROP, affected_side="left"),
        make_case(left={"exam": {"strength": {"vastus_medialis": 3}}}, affected_side="left"),
        make_case(right={"exam": {"sensation": {"lateral_thigh": "reduced"}}}),
    ):
        plan = assess(case, kb).study_plan
        assert plan is not None
        for test in plan.tests:
            rates = re.search(r"expected (\d+)% vs (\d+)%", test.reason)
            if rates:
                high, low = (int(v) / 100 for v in rates.groups())
                assert high - low >= SEPARATION - 0.01, test.reason


def test_an_early_study_says_when_the_needle_will_tell_more(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # Five days after a painless foot drop, with no fibrillations yet: the plan says when a
    # needle study will show denervation, with the date from onset.
    case = Case.model_validate(
        {
            "age": 52,
            "sex": "male",
            "evaluated_on": "2026-03-09",
            "onset_on": "2026-03-04",
            "affected_side": "right",
            "exam": {"right": FOOT_DROP["exam"]},
            "emg": {"right": {"tibialis_anterior": {"fibrillations": 0}}},
        }
    )
    plan = assess(case, kb).study_plan
    assert plan is not None
    assert "on or after 2026-03-25 (3 weeks from onset)" in plan.repeat
    assert plan.repeat in plan.note


# --- 5. A planned study the EMG laboratory can follow ----------------------------------------


def test_a_foot_drop_gets_a_short_study_in_laboratory_order(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(left=FOOT_DROP, affected_side="left")
    plan = assess(case, kb).study_plan
    assert plan is not None and plan.sequence
    stages = [step.stage for step in plan.sequence]
    order = ["bedside", "nerve_conduction", "needle_emg"]
    assert stages == sorted(stages, key=order.index)
    laboratory = [t for s in plan.sequence if s.stage != "bedside" for t in s.tests]
    assert 1 <= len(laboratory) <= 6
    assert plan.summary.split(": ")[0] in ("at the bedside", "nerve conduction", "needle")
    assert all(step.text in plan.summary for step in plan.sequence)


def test_the_study_does_not_needle_two_muscles_that_ask_the_same_question(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    # A weak quadriceps with a reduced knee jerk and numb medial leg at 77: an L2-L4 root
    # lesion against the femoral nerve. Gracilis and the adductors all ask whether the
    # obturator's L2-L4 fibres are involved: one of them is enough in the planned study.
    case = make_case(
        age=77,
        left={
            "exam": {
                "strength": {"vastus_medialis": 3},
                "reflexes": {"patellar_reflex": "reduced"},
                "sensation": {"medial_leg": "reduced"},
            }
        },
        affected_side="left",
    )
    plan = assess(case, kb).study_plan
    assert plan is not None and plan.sequence
    needled = [t for s in plan.sequence if s.stage == "needle_emg" for _, t in s.tests]
    obturator = {"gracilis", "adductor_longus", "adductor_brevis"}
    assert len(obturator & set(needled)) <= 1, needled


def test_the_study_is_replanned_as_results_come_in(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(left=FOOT_DROP, affected_side="left")
    first = assess(case, kb).study_plan
    assert first is not None and first.tests
    needle = next(t for t in first.tests if t.test == "needle_emg")
    left = {**FOOT_DROP, "emg": {needle.target: {"fibrillations": 2}}}
    second = assess(make_case(left=left, affected_side="left"), kb).study_plan
    assert second is not None
    assert all(t.target != needle.target or t.test != "needle_emg" for t in second.tests)
    assert (needle.side, needle.target) not in [t for s in second.sequence for t in s.tests]


def test_the_plan_is_in_the_assessment_output(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    output = assess(make_case(left=FOOT_DROP, affected_side="left"), kb).to_dict()
    plan = output["study_plan"]
    assert plan["summary"] and plan["sequence"] and plan["enough"] is False
    assert output["next_tests"] == plan["tests"]
    observations, answer = _scored(make_case(left=FOOT_DROP, affected_side="left"), kb)
    direct = plan_study(make_case(left=FOOT_DROP, affected_side="left"), observations, answer, kb)
    assert direct.summary == plan["summary"]
