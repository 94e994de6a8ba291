"""The one red-flag rule set, as the knowledge base describes it.

A patient's self-check and a clinician's structured case are different inputs, but a person
with new saddle numbness is the same emergency in both. So the rules that decide *how soon*
speak neither the questionnaire's language nor the case form's: they speak of **warning
facts** (``bleeding_risk``, ``sudden_pain``, ``leg_weakness``...). The self-check maps each
answer onto facts (in ``triage.yaml``), the engine maps a case onto the same facts, and
``data/red_flags.yaml`` holds the rules over them, each cited. One rule set, two front doors,
the same urgency for the same facts.

A rule fires when every group in ``when`` has at least one fact present and no fact in
``unless`` is present. A fact nobody asked about is *unknown*: it never fires a rule, and it
never suppresses one either, so a missing answer can only make the advice more careful.

The models repeat the knowledge base's base settings rather than importing them, so
`model.KnowledgeBase` can import them without an import cycle.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "RED_FLAG_URGENCY_ORDER",
    "AnticoagulantAdvice",
    "RedFlagFact",
    "RedFlagRule",
    "RedFlagRules",
    "RedFlagUrgency",
    "Whom",
]

FactId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RedFlagUrgency = Literal["emergency", "same_day", "urgent"]
RED_FLAG_URGENCY_ORDER: tuple[RedFlagUrgency, ...] = ("emergency", "same_day", "urgent")
Whom = Literal[  # whom the advice sends the person to, by clinic role
    "emergency_department",
    "neurology",
    "neurosurgery",
    "pain_medicine",
    "rehabilitation",
    "general_practice",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RedFlagFact(_Record):
    """One warning fact, named as a clinician would record it."""

    id: FactId
    name: str = Field(min_length=5)


class RedFlagRule(_Record):
    """Facts that together call for a given urgency, with what to say to each audience.

    ``patient`` is plain words about how soon and where to go, never a diagnosis;
    ``clinician`` says what to do and why; ``concerns`` names the disorders the rule guards
    against, so the work-up for them is ordered at the rule's urgency.
    """

    id: FactId
    urgency: RedFlagUrgency
    when: tuple[tuple[FactId, ...], ...] = Field(min_length=1)
    unless: tuple[FactId, ...] = ()
    see: tuple[Whom, ...] = Field(min_length=1)
    patient: str = Field(min_length=20)
    clinician: str = Field(min_length=20)
    concerns: tuple[FactId, ...] = ()
    names_anticoagulant: bool = False
    """A bleeding rule: the clinician's alert names the drug, its level test and reversal."""
    sources: tuple[FactId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _groups_are_not_empty(self) -> RedFlagRule:
        if any(not group for group in self.when):
            raise ValueError("every group in `when` needs at least one fact")
        return self


class AnticoagulantAdvice(_Record):
    """What a clinician needs about one anticoagulant when bleeding is suspected.

    The INR measures only vitamin-K antagonists; the newer oral anticoagulants need the time
    of the last dose and a drug-specific level, and each has its own reversal.
    """

    id: FactId
    names: tuple[str, ...] = Field(min_length=1)
    drug_class: str = Field(min_length=3)
    level_test: str = Field(min_length=3)
    reversal: str = Field(min_length=3)
    sources: tuple[FactId, ...] = Field(min_length=1)


class RedFlagRules(_Record):
    facts: tuple[RedFlagFact, ...] = ()
    standing_movements: tuple[FactId, ...] = ()
    """Muscles or movements a person stands on; MRC 2 or less in one means they cannot."""
    standing_sources: tuple[FactId, ...] = ()
    rules: tuple[RedFlagRule, ...] = ()
    anticoagulants: tuple[AnticoagulantAdvice, ...] = ()

    @model_validator(mode="after")
    def _rules_use_known_facts(self) -> RedFlagRules:
        known = {fact.id for fact in self.facts}
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule '{rule.id}' is defined twice")
            seen.add(rule.id)
            used = {fact for group in rule.when for fact in group} | set(rule.unless)
            unknown = sorted(used - known)
            if unknown:
                raise ValueError(f"rule '{rule.id}' uses unknown fact '{unknown[0]}'")
        return self

    def fact(self, fact_id: str) -> RedFlagFact | None:
        return next((fact for fact in self.facts if fact.id == fact_id), None)
