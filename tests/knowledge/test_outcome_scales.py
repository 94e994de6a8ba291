"""The follow-up outcome scales load from the knowledge base, complete and cited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.outcome_model import OutcomeScale

EXPECTED = {
    "mrc_sum_lower_limb",
    "pain_numeric_rating",
    "modified_rankin",
    "onls_legs",
    "ten_metre_walk",
    "timed_up_and_go",
    "walking_aid_level",
}


def test_the_knowledge_base_holds_every_follow_up_scale(kb: KnowledgeBase) -> None:
    assert set(kb.outcome_scales) >= EXPECTED


def test_the_modified_rankin_scale_describes_all_seven_grades_in_plain_words(
    kb: KnowledgeBase,
) -> None:
    mrs = kb.outcome_scales["modified_rankin"]

    assert sorted(mrs.levels) == list(range(7))
    assert mrs.better == "lower"
    assert "van_swieten_1988_mrs" in mrs.sources


def test_the_onls_leg_grades_run_from_unaffected_to_wheelchair_bound(kb: KnowledgeBase) -> None:
    onls = kb.outcome_scales["onls_legs"]

    assert (onls.minimum, onls.maximum) == (0, 5)
    assert "not affected" in onls.levels[0]
    assert "wheelchair" in onls.levels[5]


def test_the_mrc_sum_adds_six_lower_limb_muscles_graded_zero_to_five(kb: KnowledgeBase) -> None:
    mrc = kb.outcome_scales["mrc_sum_lower_limb"]

    assert mrc.kind == "sum"
    assert len(mrc.items) == 6
    assert all((item.minimum, item.maximum) == (0, 5) for item in mrc.items)
    assert mrc.maximum == 30
    assert mrc.better == "higher"


def test_pain_has_the_published_two_point_and_thirty_percent_mcid(kb: KnowledgeBase) -> None:
    pain = kb.outcome_scales["pain_numeric_rating"]

    assert (pain.minimum, pain.maximum, pain.mcid, pain.mcid_relative) == (0, 10, 2, 0.3)
    assert "farrar_2001_pain_nrs_mcid" in pain.sources


def test_timed_up_and_go_carries_the_fall_risk_threshold_with_its_source(
    kb: KnowledgeBase,
) -> None:
    tug = kb.outcome_scales["timed_up_and_go"]

    (threshold,) = tug.thresholds
    assert threshold.value == 13.5
    assert threshold.direction == "at_or_above"
    assert threshold.sources == ("shumway_cook_2000_tug_falls",)
    assert tug.unit == "seconds"
    assert tug.better == "lower"


def test_timed_walks_are_continuous_and_lower_is_better(kb: KnowledgeBase) -> None:
    for scale_id in ("ten_metre_walk", "timed_up_and_go"):
        scale = kb.outcome_scales[scale_id]
        assert scale.kind == "continuous"
        assert scale.better == "lower"


def _scale(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "test_scale",
        "name": "Test scale",
        "kind": "ordinal",
        "minimum": 0,
        "maximum": 2,
        "better": "lower",
        "description": "A scale used only by these tests.",
        "sources": ["farrar_2001_pain_nrs_mcid"],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"maximum": 0}, "greater than minimum"),
        ({"levels": {0: "none", 1: "some"}}, "every level"),
        ({"levels": {0: "a", 1: "b", 2: "c", 3: "d"}}, "outside"),
        ({"kind": "sum"}, "needs its items"),
        ({"mcid": 5}, "MCID"),
        ({"minimum": 0.5}, "whole-number"),
        ({"colour": "blue"}, "Extra inputs"),
    ],
)
def test_an_inconsistent_scale_is_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        OutcomeScale.model_validate(_scale(**changes))


def test_a_scale_citing_an_unknown_reference_fails_the_load_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    scales = root / "outcome_scales.yaml"
    scales.write_text(
        scales.read_text(encoding="utf-8").replace(
            "[van_swieten_1988_mrs]", "[no_such_paper_1999]"
        ),
        encoding="utf-8",
    )

    with pytest.raises(KnowledgeBaseError) as failure:
        load_knowledge_base(root)

    assert failure.value.file.endswith("outcome_scales.yaml")
    assert (failure.value.entry, failure.value.field) == ("modified_rankin", "sources")
    assert "no_such_paper_1999" in failure.value.problem


def test_a_threshold_citing_an_unknown_reference_fails_the_load_naming_its_scale(
    tmp_path: Path,
) -> None:
    """The scale's own sources still resolve: only the threshold's citation is broken."""
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    path = root / "outcome_scales.yaml"
    scales = yaml.safe_load(path.read_text(encoding="utf-8"))
    tug = next(scale for scale in scales if scale["id"] == "timed_up_and_go")
    tug["thresholds"][0]["sources"] = ["no_such_paper_1999"]
    path.write_text(yaml.safe_dump(scales, sort_keys=False), encoding="utf-8")

    with pytest.raises(KnowledgeBaseError) as failure:
        load_knowledge_base(root)

    assert failure.value.file.endswith("outcome_scales.yaml")
    assert failure.value.entry == "timed_up_and_go"
    assert failure.value.field.endswith("sources")
    assert "no_such_paper_1999" in failure.value.problem


def test_a_data_folder_without_outcome_scales_still_loads(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    (root / "outcome_scales.yaml").unlink()

    assert load_knowledge_base(root).outcome_scales == {}
