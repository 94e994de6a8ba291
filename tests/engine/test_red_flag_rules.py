"""The shared red-flag rules applied to warning facts: each fires on its own facts, an
`unless` fact silences it, and an unknown fact can only make the advice more careful."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.red_flag_rules import RED_FLAG_RANK, WarningFacts, evaluate_red_flags
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.red_flag_model import RedFlagRule

KB = knowledge_base()
RULES = KB.red_flags.rules
FACT_IDS = sorted(fact.id for fact in KB.red_flags.facts)


def _facts(present: set[str], absent: set[str] | None = None) -> WarningFacts:
    return WarningFacts(frozenset(present), frozenset((absent or set()) - present))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_red_flag_rule_fires_from_its_own_facts(rule: RedFlagRule) -> None:
    own = {group[0] for group in rule.when}
    fired = {f.rule.id: f for f in evaluate_red_flags(_facts(own), KB).fired}
    assert rule.id in fired
    assert set(fired[rule.id].because) == own


@pytest.mark.parametrize("rule", [r for r in RULES if r.unless], ids=lambda r: r.id)
def test_an_unless_fact_silences_its_rule(rule: RedFlagRule) -> None:
    own = {group[0] for group in rule.when}
    for silencer in rule.unless:
        fired = {f.rule.id for f in evaluate_red_flags(_facts(own | {silencer}), KB).fired}
        assert rule.id not in fired


@pytest.mark.parametrize("rule", [r for r in RULES if len(r.when) > 1], ids=lambda r: r.id)
def test_a_rule_missing_one_group_is_open_when_unknown_and_closed_when_absent(
    rule: RedFlagRule,
) -> None:
    partial = {group[0] for group in rule.when[1:]}
    unknown = evaluate_red_flags(_facts(partial), KB)
    assert rule.id in {o.rule.id for o in unknown.open}
    assert rule.id not in {f.rule.id for f in unknown.fired}
    denied = evaluate_red_flags(_facts(partial, set(rule.when[0])), KB)
    assert rule.id not in {o.rule.id for o in denied.open}


@given(st.sets(st.sampled_from(FACT_IDS)), st.sets(st.sampled_from(FACT_IDS)))
def test_the_fired_rules_alone_are_the_fired_of_the_whole_evaluation(
    present: set[str], absent: set[str]
) -> None:
    """`fired_only` (the clinician's report) fires what the whole evaluation fires, and
    leaves out the open rules."""
    whole = evaluate_red_flags(_facts(present, absent), KB)
    fired = evaluate_red_flags(_facts(present, absent), KB, fired_only=True)
    assert fired.fired == whole.fired
    assert fired.open == ()


def test_no_facts_fire_no_rule() -> None:
    evaluation = evaluate_red_flags(_facts(set()), KB)
    assert evaluation.fired == ()
    assert evaluation.urgency is None


@given(
    st.sets(st.sampled_from(FACT_IDS)),
    st.sets(st.sampled_from(FACT_IDS)),
    st.sets(st.sampled_from(FACT_IDS)),
)
def test_learning_that_an_unknown_fact_is_absent_never_adds_a_red_flag(
    present: set[str], absent: set[str], newly_absent: set[str]
) -> None:
    """A blank answer can only make the advice more careful: answering it no never raises."""
    before = evaluate_red_flags(_facts(present, absent), KB)
    after = evaluate_red_flags(_facts(present, absent | newly_absent), KB)
    assert {f.rule.id for f in after.fired} <= {f.rule.id for f in before.fired}


@given(st.sets(st.sampled_from(FACT_IDS)), st.sets(st.sampled_from(FACT_IDS)))
def test_fired_rules_come_most_urgent_first_and_set_the_urgency(
    present: set[str], absent: set[str]
) -> None:
    evaluation = evaluate_red_flags(_facts(present, absent), KB)
    ranks = [RED_FLAG_RANK[f.rule.urgency] for f in evaluation.fired]
    assert ranks == sorted(ranks)
    if evaluation.fired:
        assert evaluation.urgency == evaluation.fired[0].rule.urgency


def test_the_rule_set_covers_every_emergency_the_guidance_names() -> None:
    """The issue's minimum: these situations each have an emergency rule."""
    emergency_facts = {
        fact
        for rule in RULES
        if rule.urgency == "emergency"
        for group in rule.when
        for fact in group
    }
    for fact in (
        "saddle_numbness",
        "new_bladder_bowel_or_sexual_dysfunction",
        "weakness_worsening_day_to_day",
        "both_legs_affected",
        "cancer_history",
        "fever",
        "infection_risk",
        "bleeding_risk",
        "sudden_pain",
        "cold_pale_or_pulseless_leg",
        "recent_spinal_procedure",
        "breathing_or_swallowing_weakness",
        "tense_swollen_buttock_or_thigh",
        "aortic_or_iliac_aneurysm",
    ):
        assert fact in emergency_facts, fact


def test_every_rule_speaks_to_the_patient_without_naming_a_diagnosis() -> None:
    for rule in RULES:
        text = rule.patient.lower()
        for word in ("plexopathy", "radiculopathy", "cauda equina", "guillain", "metasta"):
            assert word not in text, (rule.id, word)
