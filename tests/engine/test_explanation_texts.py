"""Red-flag and explanation texts say what the case holds (issue 11, item 6).

Each alert and each cause's reasons are read as the clinician reads the report. A text is
built from the facts that fired, so it never names a picture the case does not have: a psoas
abscess is never "cauda equina", a painless case without weight loss never mentions weight
loss, and every fact an alert cites is one the case records.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.red_flag_facts import warning_facts_from_case
from plexcare.knowledge.model import KnowledgeBase

VIGNETTES = Path(__file__).parent / "vignettes"
ALL_CASES = sorted(p.name for p in VIGNETTES.glob("*.yaml"))


def _raw(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((VIGNETTES / name).read_text())
    return loaded


def _texts(result: Assessment) -> list[str]:
    """Everything the report says about urgency and causes, lowercased."""
    texts = [f"{a.reason} {a.finding}" for a in result.red_flags]
    texts += [cause.explanation() for cause in result.etiology[:5]]
    return [text.lower() for text in texts]


def test_a_psoas_abscess_alert_cites_fever_and_the_groin_never_cauda_equina(
    kb: KnowledgeBase,
) -> None:
    result = assess(Case.model_validate(_raw("psoas_abscess_injection_drug_use.yaml")), kb)
    fever = {a.feature: a for a in result.red_flags}["fever_with_back_or_groin_pain"]
    assert "fever" in fever.finding
    assert "groin" in fever.finding or "flank" in fever.finding
    assert not any("cauda equina" in text for text in _texts(result))
    assert "cauda_equina_warning" not in {a.feature for a in result.red_flags}


def test_a_painless_case_without_weight_loss_never_mentions_weight_loss(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("radiation_plexopathy_late_painless.yaml")
    raw.setdefault("symptoms", {})["weight_loss_kg"] = 0
    result = assess(Case.model_validate(raw), kb)
    assert "weight_loss_with_pain" not in {a.feature for a in result.red_flags}
    for alert in result.red_flags:
        assert "weight loss" not in f"{alert.reason} {alert.finding}".lower()
    for cause in result.etiology[:5]:
        assert all("weight" not in w.reason for w in cause.supporting)


def test_weight_loss_with_pain_is_raised_with_the_kilograms_the_case_records(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    raw.setdefault("symptoms", {})["weight_loss_kg"] = 7
    alerts = {a.feature: a for a in assess(Case.model_validate(raw), kb).red_flags}
    assert "weight loss 7 kg" in alerts["weight_loss_with_pain"].finding


def test_a_retroperitoneal_haematoma_alert_names_the_drug_and_the_iliacus(
    kb: KnowledgeBase,
) -> None:
    result = assess(Case.model_validate(_raw("iliacus_haematoma_warfarin.yaml")), kb)
    alerts = {a.feature: a for a in result.red_flags}
    assert "iliacus" in alerts["haematoma_on_imaging"].finding.lower()
    assert "warfarin" in alerts["haematoma_on_imaging"].reason.lower()
    assert not any("cauda equina" in text for text in _texts(result))


def test_guillain_barre_after_diarrhoea_is_not_flagged_as_an_infection_risk(
    kb: KnowledgeBase,
) -> None:
    """A recent infection before GBS is not injection drug use or a weak immune system."""
    result = assess(Case.model_validate(_raw("guillain_barre_after_diarrhoea.yaml")), kb)
    fired = {a.feature for a in result.red_flags}
    assert not {f for f in fired if f.startswith("infection_risk")}
    assert "new_weakness_both_legs" in fired


@pytest.mark.parametrize("name", ALL_CASES)
def test_every_fact_an_alert_cites_is_one_the_case_records(name: str, kb: KnowledgeBase) -> None:
    case = Case.model_validate(_raw(name))
    result = assess(case, kb)
    present = warning_facts_from_case(case, kb).present
    for alert in result.red_flags:
        rule = next(r for r in kb.red_flags.rules if r.id == alert.feature)
        for group in rule.when:
            assert present & set(group), (alert.feature, group)
        assert alert.finding, alert.feature


@pytest.mark.parametrize("name", ALL_CASES)
def test_a_cause_names_each_fact_once_and_only_facts_the_case_states(
    name: str, kb: KnowledgeBase
) -> None:
    case = Case.model_validate(_raw(name))
    result = assess(case, kb)
    for cause in result.etiology[:5]:
        named = [w.feature for w in (*cause.supporting, *cause.against)]
        assert len(named) == len(set(named)), (cause.disorder, named)
        for weight in cause.supporting:
            state = result.features.state(weight.feature)
            recorded = state != "unknown" or weight.feature in {
                "tempo",
                "pain",
            }
            assert recorded or weight.reason.startswith("not recorded"), (
                cause.disorder,
                weight.feature,
            )


def test_a_man_is_never_told_of_an_obstetric_cause(kb: KnowledgeBase) -> None:
    raw = copy.deepcopy(_raw("obstetric_lumbosacral_trunk_forceps_week_four.yaml"))
    raw["history"].pop("delivery_weeks_ago")
    raw["sex"] = "male"
    result = assess(Case.model_validate(raw), kb)
    assert "obstetric_lumbosacral_trunk_injury" not in {c.disorder for c in result.etiology[:5]}
    assert not any("obstetric" in text or "delivery" in text for text in _texts(result))
