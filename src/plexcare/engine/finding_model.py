"""How each kind of finding behaves: sensitivity, false-positive rate and time course.

The figures themselves are clinical content and live in the knowledge base
(`data/electrodiagnosis.yaml`, one cited entry per `FindingKind`, plus the age-related absence
of distal responses and the background-polyneuropathy prior; `data/generalized_patterns.yaml`,
how each generalized mimic reaches the end organs and moves each kind of finding). This module
keeps the engine's vocabulary of finding kinds and turns those figures, once per knowledge
base, into the small frozen objects the likelihood tables are compiled from. How time since
onset is binned is engine policy, not a clinical fact, so the bins stay here.

A finding's probability of being abnormal given a lesion candidate is

    false_positive + (sensitivity - false_positive) * g(fraction) * time_factor(days)

where `fraction` is the share of the end organ's fibres that pass through the lesion and
`g(x) = 1 - (1 - x) ** steepness` says how few lost fibres the test notices (needle EMG notices
a handful; strength testing needs many). A generalized pattern cuts no fibres, so its
`generalized_reach` (how far it reaches the end organ, times its effect on that kind of finding)
takes the place of `g(fraction)`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from plexcare.knowledge.engine_parameters_model import (
    AlongLimb,
    Electrodiagnosis,
    GeneralizedPattern,
    OnsetCurve,
)
from plexcare.knowledge.model import GENERALIZED_PATTERNS, KnowledgeBase

TIME_BIN_EDGES_DAYS: tuple[float, ...] = (7.0, 14.0, 21.0, 28.0)
TIME_BIN_DAYS: tuple[float, ...] = (3.5, 10.5, 17.5, 24.5, 60.0)
"""Weeks one to four and later, each scored at its middle day (later: about two months)."""


class FindingKind(StrEnum):
    WEAKNESS = "weakness"
    FIBRILLATIONS = "fibrillations"
    NEUROGENIC_UNITS = "neurogenic_units"
    MYOPATHIC_UNITS = "myopathic_units"
    FASCICULATIONS = "fasciculations"
    MYOKYMIA = "myokymia"
    HYPOREFLEXIA = "hyporeflexia"
    HYPERREFLEXIA = "hyperreflexia"
    SENSORY_LOSS = "sensory_loss"
    SNAP_LOW = "snap_low"
    CMAP_LOW = "cmap_low"
    LATE_RESPONSE = "late_response"
    SLOWING = "slowing"
    LEG_AFFECTED = "leg_affected"
    SEVERE_WEAKNESS = "severe_weakness"
    CONDUCTION_BLOCK = "conduction_block"
    TEMPORAL_DISPERSION = "temporal_dispersion"
    SIDE_DIFFERENCE = "side_difference"
    SPHINCTER_FAILURE = "sphincter_failure"


@dataclass(frozen=True)
class Onset:
    """When a finding can show after an axonal lesion: a logistic curve in days.

    With `distal_midpoint_days` the midpoint moves with the end organ's distality (0 hip
    girdle ... 1 foot): a distal muscle fibrillates later than a proximal one.
    """

    midpoint_days: float
    width_days: float
    distal_midpoint_days: float | None = None

    def midpoint_at(self, distality: float) -> float:
        if self.distal_midpoint_days is None:
            return self.midpoint_days
        return self.midpoint_days + (self.distal_midpoint_days - self.midpoint_days) * distality

    def factor(self, days: float, distality: float = 0.0) -> float:
        if self.width_days <= 0:
            return 1.0
        midpoint = self.midpoint_at(distality)
        return 1.0 / (1.0 + math.exp(-(days - midpoint) / self.width_days))


IMMEDIATE = Onset(0.0, 0.0)


def _onset(curve: OnsetCurve | None) -> Onset:
    if curve is None:
        return IMMEDIATE
    return Onset(curve.midpoint_days, curve.width_days, curve.distal_midpoint_days)


@dataclass(frozen=True)
class KindModel:
    """One finding kind: how often it is abnormal with all fibres cut, and without a lesion."""

    sensitivity: float
    false_positive: float
    steepness: float
    onset: Onset = IMMEDIATE
    paraspinal_onset: Onset | None = None  # where paraspinal muscles differ (fibrillations)
    paraspinal_rates: tuple[float, float] | None = None  # (sensitivity, false positive) there
    focal: bool = True  # whether a cut in the fibre graph produces it at all
    focal_scale: float = 1.0  # share of the sensitivity a focal cut reaches (myokymia is rare)
    bilateral_scale: float = 1.0  # share a lesion of both sides reaches (side differences)

    def g(self, fraction: float) -> float:
        return 1.0 - float((1.0 - fraction) ** self.steepness)

    def rates_in(self, *, paraspinal: bool) -> tuple[float, float]:
        """(sensitivity, false positive) in this kind of muscle: paraspinal rates differ for
        fibrillations (often missed in a root lesion, sometimes present in a healthy back)."""
        if paraspinal and self.paraspinal_rates is not None:
            return self.paraspinal_rates
        return self.sensitivity, self.false_positive

    def onset_in(self, *, paraspinal: bool) -> Onset:
        if paraspinal and self.paraspinal_onset is not None:
            return self.paraspinal_onset
        return self.onset


WHOLE_LIMB_KINDS: frozenset[FindingKind] = frozenset({FindingKind.LEG_AFFECTED})
"""Findings about the limb as a whole: no end organ, so no place along the limb to reach."""
CONDITIONAL_KINDS: dict[FindingKind, FindingKind] = {
    FindingKind.SEVERE_WEAKNESS: FindingKind.WEAKNESS,
}
"""Kinds observed only when another kind on the same end organ is abnormal, so their
probability is conditional on it: severe weakness is scored only in a weak muscle, as
P(severe | weak), and weak-and-severe together multiply to P(severe) without counting the
weakness twice."""


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class PatternModel:
    """One generalized pattern of `generalized_patterns.yaml`, copied to plain floats.

    Plain floats and enum keys because the likelihood compile asks every generalized pattern
    about every finding (a few thousand calls per knowledge base).
    """

    along_limb: AlongLimb
    midpoint_distality: float
    width: float
    paraspinal_reach: float
    effects: Mapping[FindingKind, float]
    paraspinal_effects: Mapping[FindingKind, float]
    regions: Mapping[str, float] = field(default_factory=dict)  # outside the leg
    follows_onset: bool = False  # findings develop after onset, as a focal lesion's (GBS)

    def reach(self, distality: float, *, paraspinal: bool, region: str = "lumbosacral") -> float:
        """How far the process reaches an end organ (0-1): feet first, hips first or alike,
        times its reach in the organ's body region when that is outside the leg."""
        outside = self.regions.get(region, 1.0)
        if paraspinal:
            return self.paraspinal_reach * outside
        if self.along_limb == "distal":
            return _sigmoid((distality - self.midpoint_distality) / self.width) * outside
        if self.along_limb == "proximal":
            return _sigmoid((self.midpoint_distality - distality) / self.width) * outside
        return outside

    def share(
        self,
        kind: FindingKind,
        distality: float,
        *,
        paraspinal: bool,
        region: str = "lumbosacral",
    ) -> float:
        """The share of a finding's full effect this pattern produces at one end organ."""
        if kind in WHOLE_LIMB_KINDS:
            return self.effects[kind]
        effect = self.effects[kind]
        if paraspinal:
            effect = self.paraspinal_effects.get(kind, effect)
        return self.reach(distality, paraspinal=paraspinal, region=region) * effect


def build_pattern_model(pattern: GeneralizedPattern) -> PatternModel:
    """The engine's view of one entry (the loader guarantees an effect for every kind).

    A uniform reach states no curve; its midpoint and width are never read.
    """
    reach = pattern.reach
    return PatternModel(
        along_limb=reach.along_limb,
        midpoint_distality=0.0 if reach.midpoint_distality is None else reach.midpoint_distality,
        width=1.0 if reach.width is None else reach.width,
        paraspinal_reach=reach.paraspinal,
        effects={kind: pattern.effects[kind.value] for kind in FindingKind},
        paraspinal_effects={
            FindingKind(kind): effect for kind, effect in pattern.paraspinal_effects.items()
        },
        regions={str(region): share for region, share in reach.regions.items()},
        follows_onset=pattern.follows_onset,
    )


@dataclass(frozen=True)
class FindingModel:
    """All kinds together, plus the time bins the engine reasons in and the background prior.

    Time since onset is grouped in bins (first week, second, third, fourth, later) so the
    likelihood tables are compiled once; an unknown time is scored as "four weeks or more"
    (the usual referral) and flagged as uncertain.
    """

    kinds: dict[FindingKind, KindModel]
    aged_false_positive: float  # e.g. absent sural SNAP over 60
    background_base: float  # P(length-dependent polyneuropathy) before age or diabetes
    background_rising_from_age: int
    background_per_decade: float
    background_diabetes: float
    background_ceiling: float
    patterns: Mapping[str, PatternModel]  # generalized pattern id -> how it reaches findings
    time_bin_edges_days: tuple[float, ...] = TIME_BIN_EDGES_DAYS
    time_bin_days: tuple[float, ...] = TIME_BIN_DAYS  # the day each bin is scored at

    def time_bin(self, days: float | None) -> int:
        if days is None:
            return len(self.time_bin_edges_days)
        return sum(1 for edge in self.time_bin_edges_days if days >= edge)

    def background_prior(self, age: int, diabetic: bool) -> float:
        """P(a background length-dependent polyneuropathy) from age and diabetes.

        The figures are the knowledge base's `background_polyneuropathy`, copied to plain floats
        at build time because this runs once per case in a batch.
        """
        decades = max(0.0, (age - self.background_rising_from_age) / 10.0)
        by_age = min(
            self.background_base + self.background_per_decade * decades, self.background_ceiling
        )
        if not diabetic:
            return by_age
        return 1.0 - (1.0 - by_age) * (1.0 - self.background_diabetes)

    def generalized_reach(
        self,
        pattern: str,
        kind: FindingKind,
        distality: float,
        paraspinal: bool,
        region: str = "lumbosacral",
    ) -> float:
        """The share of a finding's full effect that a generalized pattern produces (0-1).

        Each pattern's shape (distal and sensory first for a length-dependent polyneuropathy,
        diffuse with slowing for CIDP, motor only for motor neuron disease, proximal and
        myopathic for a myopathy) is the knowledge base's `generalized_patterns.yaml`.
        """
        return self.patterns[pattern].share(kind, distality, paraspinal=paraspinal, region=region)


def build_finding_model(
    electrodiagnosis: Electrodiagnosis, generalized_patterns: Mapping[str, GeneralizedPattern]
) -> FindingModel:
    """The engine's view of `electrodiagnosis.yaml` and `generalized_patterns.yaml`.

    The loader guarantees every kind and every generalized pattern is there; a knowledge base
    assembled by hand without the patterns is refused here, by name, rather than mid-compile.
    """
    missing = [key for key in GENERALIZED_PATTERNS if key not in generalized_patterns]
    if missing:
        raise ValueError(f"no entry in generalized_patterns for {', '.join(missing)}")
    kinds = {
        kind: KindModel(
            sensitivity=entry.sensitivity,
            false_positive=entry.false_positive,
            steepness=entry.steepness,
            onset=_onset(entry.onset),
            paraspinal_onset=None
            if entry.paraspinal_onset is None
            else _onset(entry.paraspinal_onset),
            paraspinal_rates=None
            if entry.paraspinal_sensitivity is None or entry.paraspinal_false_positive is None
            else (entry.paraspinal_sensitivity, entry.paraspinal_false_positive),
            focal=entry.focal,
            focal_scale=entry.focal_scale,
            bilateral_scale=entry.bilateral_scale,
        )
        for kind in FindingKind
        for entry in (electrodiagnosis.finding_kinds[kind.value],)
    }
    background = electrodiagnosis.background_polyneuropathy
    return FindingModel(
        kinds=kinds,
        aged_false_positive=electrodiagnosis.aged_absence.false_positive,
        background_base=background.base,
        background_rising_from_age=background.rising_from_age,
        background_per_decade=background.per_decade,
        background_diabetes=background.diabetes,
        background_ceiling=background.ceiling,
        patterns={key: build_pattern_model(entry) for key, entry in generalized_patterns.items()},
    )


def _finding_model_of(kb: KnowledgeBase) -> FindingModel:
    return build_finding_model(kb.electrodiagnosis, kb.generalized_patterns)


def finding_model_for(kb: KnowledgeBase) -> FindingModel:
    """The finding model of this knowledge base (built on first use, then reused)."""
    return kb.derived("finding_model", _finding_model_of)
