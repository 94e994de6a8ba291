"""How each kind of finding behaves: sensitivity, false-positive rate and time course.

The figures themselves are clinical content and live in the knowledge base
(`data/electrodiagnosis.yaml`, one cited entry per `FindingKind`, plus the age-related absence
of distal responses and the background-polyneuropathy prior). This module keeps the engine's
vocabulary of finding kinds and turns those figures, once per knowledge base, into the small
frozen objects the likelihood tables are compiled from. How time since onset is binned is
engine policy, not a clinical fact, so the bins stay here.

A finding's probability of being abnormal given a lesion candidate is

    false_positive + (sensitivity - false_positive) * g(fraction) * time_factor(days)

where `fraction` is the share of the end organ's fibres that pass through the lesion and
`g(x) = 1 - (1 - x) ** steepness` says how few lost fibres the test notices (needle EMG notices
a handful; strength testing needs many).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from plexcare.knowledge.engine_parameters_model import Electrodiagnosis, OnsetCurve
from plexcare.knowledge.model import KnowledgeBase

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


@dataclass(frozen=True)
class Onset:
    """When a finding can show after an axonal lesion: a logistic curve in days."""

    midpoint_days: float
    width_days: float

    def factor(self, days: float) -> float:
        if self.width_days <= 0:
            return 1.0
        return 1.0 / (1.0 + math.exp(-(days - self.midpoint_days) / self.width_days))


IMMEDIATE = Onset(0.0, 0.0)


def _onset(curve: OnsetCurve | None) -> Onset:
    return IMMEDIATE if curve is None else Onset(curve.midpoint_days, curve.width_days)


@dataclass(frozen=True)
class KindModel:
    """One finding kind: how often it is abnormal with all fibres cut, and without a lesion."""

    sensitivity: float
    false_positive: float
    steepness: float
    onset: Onset = IMMEDIATE
    paraspinal_onset: Onset | None = None  # where paraspinal muscles differ (fibrillations)
    focal: bool = True  # whether a cut in the fibre graph produces it at all
    focal_scale: float = 1.0  # share of the sensitivity a focal cut reaches (myokymia is rare)

    def g(self, fraction: float) -> float:
        return 1.0 - float((1.0 - fraction) ** self.steepness)

    def onset_in(self, *, paraspinal: bool) -> Onset:
        if paraspinal and self.paraspinal_onset is not None:
            return self.paraspinal_onset
        return self.onset


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


def build_finding_model(electrodiagnosis: Electrodiagnosis) -> FindingModel:
    """The engine's view of `electrodiagnosis.yaml` (the loader guarantees every kind is there)."""
    kinds = {
        kind: KindModel(
            sensitivity=entry.sensitivity,
            false_positive=entry.false_positive,
            steepness=entry.steepness,
            onset=_onset(entry.onset),
            paraspinal_onset=None
            if entry.paraspinal_onset is None
            else _onset(entry.paraspinal_onset),
            focal=entry.focal,
            focal_scale=entry.focal_scale,
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
    )


_CACHE_SIZE = 4
_built: dict[int, tuple[KnowledgeBase, FindingModel]] = {}


def finding_model_for(kb: KnowledgeBase) -> FindingModel:
    """The finding model of this knowledge base (built on first use, then reused)."""
    entry = _built.get(id(kb))
    if entry is not None and entry[0] is kb:
        return entry[1]
    model = build_finding_model(kb.electrodiagnosis)
    if len(_built) >= _CACHE_SIZE:
        _built.pop(next(iter(_built)))
    _built[id(kb)] = (kb, model)
    return model


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def length_dependence(distality: float) -> float:
    """How strongly a length-dependent process reaches an end organ (feet first)."""
    return _sigmoid((distality - 0.65) / 0.08)


def proximality(distality: float) -> float:
    """How strongly a myopathy reaches a muscle (hip and thigh first)."""
    return _sigmoid((0.45 - distality) / 0.1)


def generalized_reach(pattern: str, kind: FindingKind, distality: float, paraspinal: bool) -> float:
    """The share of a finding's full effect that a generalized pattern produces (0-1).

    These encode the textbook shape of each mimic (preston_shapiro_2020): length-dependent
    polyneuropathy is distal, sensory first and bilateral; CIDP is diffuse, proximal as well as
    distal, with lost reflexes, slowing and conduction block; motor neuron disease is motor only
    with fasciculations and normal sensation and SNAPs; myopathy is proximal weakness with
    myopathic units and normal sensation, reflexes and SNAPs.
    """
    if kind is FindingKind.LEG_AFFECTED:
        return 0.0 if pattern == "no_neuromuscular_lesion" else 0.85
    if pattern == "length_dependent_polyneuropathy":
        reach = 0.0 if paraspinal else length_dependence(distality)
        scale = {
            FindingKind.WEAKNESS: 0.6,
            FindingKind.FIBRILLATIONS: 0.8,
            FindingKind.NEUROGENIC_UNITS: 0.8,
            FindingKind.SENSORY_LOSS: 1.0,
            FindingKind.SNAP_LOW: 1.0,
            FindingKind.CMAP_LOW: 0.8,
            FindingKind.HYPOREFLEXIA: 1.0,
            FindingKind.LATE_RESPONSE: 0.6,
            FindingKind.SLOWING: 0.1,
            FindingKind.FASCICULATIONS: 0.05,
        }.get(kind, 0.0)
        return reach * scale
    if pattern == "polyradiculoneuropathy":
        return {
            FindingKind.WEAKNESS: 0.75,
            FindingKind.FIBRILLATIONS: 0.3 if paraspinal else 0.5,
            FindingKind.NEUROGENIC_UNITS: 0.6,
            FindingKind.SENSORY_LOSS: 0.6,
            FindingKind.SNAP_LOW: 0.5,
            FindingKind.CMAP_LOW: 0.6,
            FindingKind.HYPOREFLEXIA: 0.95,
            FindingKind.LATE_RESPONSE: 0.9,
            FindingKind.SLOWING: 0.85,
            FindingKind.FASCICULATIONS: 0.05,
        }.get(kind, 0.0)
    if pattern == "motor_neuron_disease":
        return {
            FindingKind.WEAKNESS: 0.6,
            FindingKind.FIBRILLATIONS: 0.8,
            FindingKind.NEUROGENIC_UNITS: 0.85,
            FindingKind.FASCICULATIONS: 0.85,
            FindingKind.CMAP_LOW: 0.5,
            FindingKind.HYPOREFLEXIA: 0.25,
            FindingKind.HYPERREFLEXIA: 1.0,
            FindingKind.LATE_RESPONSE: 0.3,
        }.get(kind, 0.0)
    if pattern == "myopathy":
        reach = 0.7 if paraspinal else proximality(distality)
        scale = {
            FindingKind.WEAKNESS: 0.95,
            FindingKind.MYOPATHIC_UNITS: 1.0,
            FindingKind.FIBRILLATIONS: 0.3,
            FindingKind.CMAP_LOW: 0.15,
            FindingKind.HYPOREFLEXIA: 0.1,
        }.get(kind, 0.0)
        return reach * scale
    return 0.0
