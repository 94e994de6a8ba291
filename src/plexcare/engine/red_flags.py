"""Red flags in the clinician's report: what must not be missed, whatever the ranking says.

A rare cause that needs surgery tonight (cauda equina compression, a haematoma on an
anticoagulant, an abscess) can sit low in a probability ranking; that is exactly why flags do
not depend on it. The case is stated as the shared warning facts and the knowledge base's one
red-flag rule set (`red_flags.yaml`) decides: the same rules the patient's self-check applies,
so a picture is never an emergency for the patient and merely urgent for the clinician.
Each alert shows the findings behind it; a bleeding alert also names the anticoagulant, asks
for the time of its last dose and the level test that drug needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plexcare.engine.case import Case
from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.engine.red_flag_facts import warning_facts_from_case
from plexcare.engine.red_flag_rules import FiredRule, WarningFacts, evaluate_red_flags
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.red_flag_model import AnticoagulantAdvice

Urgency = Literal["emergency", "same_day", "urgent", "routine"]
URGENCY_RANK: dict[str, int] = {"emergency": 0, "same_day": 1, "urgent": 2, "routine": 3}


@dataclass(frozen=True)
class RedFlagAlert:
    feature: str
    """The id of the red-flag rule that fired."""
    urgency: Urgency
    reason: str
    finding: str
    concerns: tuple[str, ...]
    sources: tuple[str, ...]
    patient_reason: str = ""


def anticoagulant_advice(drug: str, kb: KnowledgeBase) -> AnticoagulantAdvice | None:
    """The knowledge base's entry for a drug named as the clinician wrote it."""
    words = drug.lower().replace(",", " ").replace("/", " ").split()
    for entry in kb.red_flags.anticoagulants:
        if any(name in words or name == drug.lower().strip() for name in entry.names):
            return entry
    return None


def _coagulation_note(case: Case, kb: KnowledgeBase) -> tuple[str, tuple[str, ...]]:
    drug = (case.history.anticoagulant or "").strip()
    if drug.lower() in ("", "none", "no"):
        return "", ()
    advice = anticoagulant_advice(drug, kb)
    if advice is None:
        return (
            f" Anticoagulant: {drug}. Record the time of the last dose and ask haematology "
            "which level test and reversal apply to it.",
            (),
        )
    return (
        f" Anticoagulant: {drug} ({advice.drug_class}). Record the time of the last dose; "
        f"measure {advice.level_test}; reversal: {advice.reversal}.",
        advice.sources,
    )


def _alert(fired: FiredRule, facts: WarningFacts, case: Case, kb: KnowledgeBase) -> RedFlagAlert:
    rule = fired.rule
    evidence = [facts.evidence.get(fact, fact.replace("_", " ")) for fact in fired.because]
    reason, sources = " ".join(rule.clinician.split()), rule.sources
    if rule.names_anticoagulant:
        note, drug_sources = _coagulation_note(case, kb)
        reason += note
        sources = (*sources, *(s for s in drug_sources if s not in sources))
    return RedFlagAlert(
        feature=rule.id,
        urgency=rule.urgency,
        reason=reason,
        finding="; ".join(dict.fromkeys(evidence)),
        concerns=rule.concerns,
        sources=sources,
        patient_reason=" ".join(rule.patient.split()),
    )


def raise_red_flags(
    case: Case, kb: KnowledgeBase, found: EtiologyFindings | None = None
) -> tuple[RedFlagAlert, ...]:
    """Every red-flag rule the case fires, most urgent first, each with its findings."""
    facts = warning_facts_from_case(case, kb, found)
    evaluation = evaluate_red_flags(facts, kb, fired_only=True)
    return tuple(_alert(fired, facts, case, kb) for fired in evaluation.fired)
