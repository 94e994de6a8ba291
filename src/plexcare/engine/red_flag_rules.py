"""The shared red-flag rules applied to warning facts, whoever stated them.

The patient's self-check and the clinician's report each turn their own input into
`WarningFacts`; this module is the one place that decides which rules those facts fire. A rule
that has not fired but could, if a fact still unknown turned out present, is *open*: the
self-check names the questions behind it instead of reassuring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.red_flag_model import RED_FLAG_URGENCY_ORDER, RedFlagRule

RED_FLAG_RANK: Mapping[str, int] = {
    level: rank for rank, level in enumerate(RED_FLAG_URGENCY_ORDER)
}


@dataclass(frozen=True)
class WarningFacts:
    """Which warning facts are present or absent; the rest are unknown.

    `evidence` says, for each stated fact, what in the input stated it ("saddle numbness",
    "quadriceps MRC 2 (left)") so every fired rule shows the findings behind it.
    """

    present: frozenset[str]
    absent: frozenset[str]
    evidence: Mapping[str, str] = field(default_factory=dict)

    def is_unknown(self, fact: str) -> bool:
        return fact not in self.present and fact not in self.absent


@dataclass(frozen=True)
class FiredRule:
    rule: RedFlagRule
    because: tuple[str, ...]
    """The present facts that satisfied each group, in the order of the rule's groups."""


@dataclass(frozen=True)
class OpenRule:
    rule: RedFlagRule
    unknown: tuple[str, ...]
    """Facts nobody stated that would fire the rule if present."""


@dataclass(frozen=True)
class RedFlagEvaluation:
    fired: tuple[FiredRule, ...]
    open: tuple[OpenRule, ...]

    @property
    def urgency(self) -> str | None:
        """The most urgent level any rule fired at, or None when none fired."""
        if not self.fired:
            return None
        return min((f.rule.urgency for f in self.fired), key=RED_FLAG_RANK.__getitem__)


def _evaluate(
    rule: RedFlagRule, facts: WarningFacts, *, fired_only: bool = False
) -> FiredRule | OpenRule | None:
    """Set operations decide first whether the rule is silenced or, for `fired_only`, cannot
    fire: most rules stay quiet for a case, and the clinician's report asks on every one."""
    if not facts.present.isdisjoint(rule.unless):
        return None
    if fired_only and any(facts.present.isdisjoint(group) for group in rule.when):
        return None
    because: list[str] = []
    unknown: list[str] = []
    for group in rule.when:
        present = [fact for fact in group if fact in facts.present]
        if present:
            because.extend(present)
            continue
        missing = [fact for fact in group if facts.is_unknown(fact)]
        if not missing:
            return None
        unknown.extend(missing)
    if unknown:
        return OpenRule(rule, tuple(unknown))
    return FiredRule(rule, tuple(because))


def evaluate_red_flags(
    facts: WarningFacts, kb: KnowledgeBase, *, fired_only: bool = False
) -> RedFlagEvaluation:
    """Every rule the facts fire (most urgent first), and every rule they leave open; with
    `fired_only` (the clinician's report, which shows no open rules) only the fired ones."""
    fired: list[FiredRule] = []
    still_open: list[OpenRule] = []
    for rule in kb.red_flags.rules:
        outcome = _evaluate(rule, facts, fired_only=fired_only)
        if isinstance(outcome, FiredRule):
            fired.append(outcome)
        elif isinstance(outcome, OpenRule):
            still_open.append(outcome)
    fired.sort(key=lambda f: RED_FLAG_RANK[f.rule.urgency])
    still_open.sort(key=lambda o: RED_FLAG_RANK[o.rule.urgency])
    return RedFlagEvaluation(tuple(fired), tuple(still_open))
