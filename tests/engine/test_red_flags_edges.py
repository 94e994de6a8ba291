"""What a red-flag alert says about the anticoagulant, which `make mutate` found no test
pinning: the note only for a drug actually taken, after the rule's own reason, with the drug's
sources added once; and the findings and patient words exactly as the rule set gives them."""

from __future__ import annotations

from typing import Any

import pytest

from plexcare.engine.case import Case
from plexcare.engine.red_flags import RedFlagAlert, anticoagulant_advice, raise_red_flags
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.red_flag_model import RedFlagRule

KB = knowledge_base()
RULES = {rule.id: rule for rule in KB.red_flags.rules}
BLEED = "bleeding_risk_with_sudden_pain"
WEAK_ON_THINNER = "bleeding_risk_with_weakness"


def _flags(anticoagulant: str | None, **history: Any) -> dict[str, RedFlagAlert]:
    case = Case.model_validate(
        {
            "age": 70,
            "sex": "female",
            "tempo": "acute",
            "history": {"anticoagulant": anticoagulant, **history},
            "pain": {"score": 8, "sites": ["right groin"]},
            "exam": {"right": {"strength": {"knee_extension": 2}}},
        }
    )
    return {alert.feature: alert for alert in raise_red_flags(case, KB)}


def _words(text: str) -> str:
    return " ".join(text.split())


def _rule(rule_id: str) -> RedFlagRule:
    return RULES[rule_id]


@pytest.mark.parametrize("written", [None, "", "none", "None", "NONE", "no", "No"])
def test_no_anticoagulant_however_written_adds_no_drug_note(written: str | None) -> None:
    alert = _flags(written, bleeding_disorder=True)[BLEED]
    assert alert.reason == _words(_rule(BLEED).clinician)
    assert "Anticoagulant" not in alert.reason
    assert alert.sources == _rule(BLEED).sources


def test_the_drug_note_follows_the_rules_own_reason() -> None:
    alert = _flags("apixaban")[BLEED]
    advice = anticoagulant_advice("apixaban", KB)
    assert advice is not None
    assert alert.reason == (
        f"{_words(_rule(BLEED).clinician)} Anticoagulant: apixaban ({advice.drug_class}). "
        f"Record the time of the last dose; measure {advice.level_test}; "
        f"reversal: {advice.reversal}."
    )


def test_an_unknown_drug_is_named_and_haematology_asked_after_the_rules_reason() -> None:
    alert = _flags("newdrugamab")[BLEED]
    assert alert.reason == (
        f"{_words(_rule(BLEED).clinician)} Anticoagulant: newdrugamab. Record the time of the "
        "last dose and ask haematology which level test and reversal apply to it."
    )


def test_the_drugs_sources_are_added_once_after_the_rules_own() -> None:
    advice = anticoagulant_advice("apixaban", KB)
    assert advice is not None
    for rule_id in (BLEED, WEAK_ON_THINNER):
        rule_sources = _rule(rule_id).sources
        expected = (*rule_sources, *(s for s in advice.sources if s not in rule_sources))
        assert _flags("apixaban")[rule_id].sources == expected
    assert set(advice.sources) - set(_rule(WEAK_ON_THINNER).sources)


@pytest.mark.parametrize(
    ("written", "drug_class"),
    [
        ("aspirin,apixaban", "oral factor-Xa inhibitor"),
        ("aspirin/dabigatran", "oral direct thrombin inhibitor"),
        ("Warfarin", "vitamin-K antagonist"),
    ],
)
def test_a_drug_list_written_with_commas_or_slashes_still_finds_the_anticoagulant(
    written: str, drug_class: str
) -> None:
    advice = anticoagulant_advice(written, KB)
    assert advice is not None
    assert advice.drug_class == drug_class


def test_an_alert_lists_each_finding_once_and_speaks_to_the_patient_in_the_rules_words() -> None:
    alert = _flags("apixaban")[BLEED]
    assert alert.finding == "anticoagulant: apixaban; acute onset, pain: right groin"
    assert alert.patient_reason == _words(_rule(BLEED).patient)
