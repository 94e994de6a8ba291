"""Red flags: what must not be missed, raised whatever the cause ranking says.

A rare cause that needs surgery tonight (cauda equina compression, a haematoma on an
anticoagulant, an abscess) can sit low in a probability ranking; that is exactly why flags do
not depend on it. Every disorder in the knowledge base lists the features that are red flags
for it; any such feature present in the case raises its flag, once per feature, at the highest
urgency any disorder gives it. Rapidly progressive weakness is the one flag computed from the
examination itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from plexcare.engine.case import Case
from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.knowledge.model import KnowledgeBase

Urgency = Literal["emergency", "urgent", "routine"]
URGENCY_RANK: dict[str, int] = {"emergency": 0, "urgent": 1, "routine": 2}


@dataclass(frozen=True)
class RedFlagAlert:
    feature: str
    urgency: Urgency
    reason: str
    finding: str
    concerns: tuple[str, ...]
    sources: tuple[str, ...]


def _rapid_progression(case: Case, kb: KnowledgeBase) -> RedFlagAlert | None:
    """Weakness still worsening over days to weeks at or below the knowledge base's
    `rapidly_progressive_weakness` grade (MRC 3: no movement against resistance)."""
    if not case.symptoms.progressing or case.tempo not in ("acute", "subacute"):
        return None
    threshold = kb.thresholds.rapidly_progressive_weakness
    weak = sorted(
        (mrc, muscle, side)
        for side, exam in case.exam.items()
        for muscle, mrc in exam.strength.items()
        if threshold.reached(mrc)
    )
    if not weak:
        return None
    mrc, muscle, side = weak[0]
    return RedFlagAlert(
        feature="rapidly_progressive_weakness",
        urgency="urgent",
        reason=(
            "Weakness is still worsening: image the plexus and spine promptly and review "
            "within days, since compressive and inflammatory causes are treatable early."
        ),
        finding=(
            f"{case.tempo} onset, still progressing, {muscle.replace('_', ' ')} MRC {mrc} ({side})"
        ),
        concerns=(),
        sources=threshold.sources,
    )


def raise_red_flags(
    case: Case, findings: EtiologyFindings, kb: KnowledgeBase
) -> tuple[RedFlagAlert, ...]:
    """Every red flag the case raises, most urgent first, one per feature."""
    best: dict[str, RedFlagAlert] = {}
    for key in sorted(kb.disorders):
        disorder = kb.disorders[key]
        for flag in disorder.red_flags:
            if flag.feature not in findings.present:
                continue
            current = best.get(flag.feature)
            if current is None or URGENCY_RANK[flag.urgency] < URGENCY_RANK[current.urgency]:
                concerns = (*current.concerns, key) if current else (key,)
                best[flag.feature] = RedFlagAlert(
                    feature=flag.feature,
                    urgency=flag.urgency,
                    reason=flag.reason,
                    finding=findings.reasons.get(flag.feature, flag.feature.replace("_", " ")),
                    concerns=concerns,
                    sources=flag.sources,
                )
            elif key not in current.concerns:
                best[flag.feature] = replace(current, concerns=(*current.concerns, key))
    alerts = list(best.values())
    progression = _rapid_progression(case, kb)
    if progression is not None:
        alerts.append(progression)
    return tuple(sorted(alerts, key=lambda a: (URGENCY_RANK[a.urgency], a.feature)))
