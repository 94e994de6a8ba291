from __future__ import annotations

import pytest

from plexcare.engine.case_names import CaseError, check_case_names
from plexcare.engine.localization import localize
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.conftest import CaseBuilder


def test_known_muscles_movements_and_studies_pass(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(
        left={
            "exam": {
                "strength": {"tibialis_anterior": 3, "hip_flexion": 4},
                "reflexes": {"achilles_reflex": "absent"},
                "sensation": {"dorsum_of_foot": "reduced"},
            },
            "ncs": {"sural_snap": {"grade": "normal"}},
            "emg": {"gluteus_medius": {"fibrillations": 0}},
        }
    )
    check_case_names(case, kb)
    # none of the names is silently dropped: each one becomes a scored finding (the reflex two:
    # reduced and brisk; hip flexion at MRC 4 two: weak, and not severe, since issue 10 grades
    # strength), so 1 + 2 + 2 + 1 + 1 + 1
    assert localize(case, kb).findings_used == 8


def test_a_misspelt_muscle_names_the_field_and_the_close_match(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(left={"exam": {"strength": {"tibialis_anterir": 3}}})
    with pytest.raises(CaseError) as caught:
        check_case_names(case, kb)
    assert caught.value.field == "exam.left.strength.tibialis_anterir"
    assert "tibialis_anterior" in caught.value.message


@pytest.mark.parametrize(
    ("side_parts", "field"),
    [
        ({"exam": {"reflexes": {"knee_jerk": "absent"}}}, "exam.right.reflexes.knee_jerk"),
        ({"exam": {"sensation": {"big_toe": "reduced"}}}, "exam.right.sensation.big_toe"),
        ({"ncs": {"sural": {"grade": "absent"}}}, "nerve_conduction.right.sural"),
        ({"emg": {"glute_med": {"fibrillations": 1}}}, "emg.right.glute_med"),
    ],
)
def test_every_kind_of_unknown_name_is_an_error_naming_its_field(
    kb: KnowledgeBase, make_case: CaseBuilder, side_parts: dict[str, object], field: str
) -> None:
    with pytest.raises(CaseError) as caught:
        check_case_names(make_case(right=side_parts), kb)
    assert caught.value.field == field


def test_a_study_without_limits_needs_a_grade(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    case = make_case(left={"ncs": {"femoral_cmap": {"amplitude": 4.0, "unit": "mV"}}})
    with pytest.raises(CaseError, match="give a grade"):
        check_case_names(case, kb)


def test_localize_refuses_a_case_with_an_unknown_name(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    with pytest.raises(CaseError, match="sural_snap"):
        localize(make_case(left={"ncs": {"sural_snp": {"grade": "absent"}}}), kb)
