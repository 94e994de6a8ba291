"""Field-by-field comparison of two case versions (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from plexcare.cases.comparison import changed_fields, compare_versions, flatten

leaves = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
documents = st.recursive(
    st.dictionaries(st.text("abc", min_size=1, max_size=2), leaves, max_size=3),
    lambda inner: st.dictionaries(st.text("abc", min_size=1, max_size=2), inner, max_size=3),
    max_leaves=10,
)


@given(documents)
def test_a_version_compared_with_itself_has_no_changes(document: dict[str, Any]) -> None:
    assert changed_fields(document, document) == ()


@given(documents, documents)
def test_comparison_is_symmetric_in_the_fields_it_names(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    forward = {change.field for change in changed_fields(first, second)}
    backward = {change.field for change in changed_fields(second, first)}
    assert forward == backward


def test_nested_fields_are_named_by_their_dotted_path() -> None:
    assert flatten(
        {"exam": {"right": {"strength": {"iliacus": 3}}}, "imaging": [{"kind": "mass"}]}
    ) == {
        "exam.right.strength.iliacus": 3,
        "imaging.0.kind": "mass",
    }


def test_a_new_leading_cause_is_reported_with_both_probabilities() -> None:
    found = compare_versions(
        case_before={},
        case_after={},
        assessment_before={"etiology": [{"disorder": "a", "probability": 0.6}]},
        assessment_after={"etiology": [{"disorder": "b", "probability": 0.7}]},
    )
    assert found.leading_cause.changed
    assert (found.leading_cause.before, found.leading_cause.after) == ("a", "b")
    assert found.leading_cause.probability_after == 0.7
    assert not found.leading_localization.changed


def test_a_muscle_dropped_from_the_emg_lists_only_what_was_recorded() -> None:
    before = {"emg": {"left": {"tibialis_posterior": {"fibrillations": 0, "myokymia": None}}}}
    after: dict[str, Any] = {"emg": {"left": {}}}
    fields = {change.field for change in changed_fields(before, after)}
    assert "emg.left.tibialis_posterior.fibrillations" in fields
    assert "emg.left.tibialis_posterior.myokymia" not in fields
