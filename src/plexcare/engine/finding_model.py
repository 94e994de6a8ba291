"""How each kind of finding behaves: sensitivity, false-positive rate and time course.

These are physiology constants of electrodiagnosis and the bedside exam, kept in one typed place
so a reviewer can read them together. They are rounded, deliberately conservative figures that
follow the standard texts, not fitted values:

- preston_shapiro_2020 and dumitru_2002: fibrillation potentials appear about 2-3 weeks after
  axonal injury in limb muscles and earlier (about 1-2 weeks) in paraspinal muscles; reduced
  recruitment is present from the first day; CMAP amplitudes fall over about 5-9 days and SNAP
  amplitudes over about 7-11 days of Wallerian degeneration; a lesion proximal to the dorsal root
  ganglion spares the SNAP.
- wilbourn_aminoff_1998: needle EMG is the most sensitive electrodiagnostic test of a
  radiculopathy; a normal study early after onset excludes little; paraspinal denervation marks
  a lesion at root level.
- kimura_2013: late responses (H-reflex, F-waves) are abnormal from onset with proximal
  conduction failure; conduction slowing and block mark demyelination.
- chen_reference_values_2016: lower-limit amplitudes; a sural SNAP may be absent in healthy
  people over 60, so its absence is weak evidence at that age.

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

SOURCES: tuple[str, ...] = (
    "preston_shapiro_2020",
    "dumitru_2002",
    "wilbourn_aminoff_1998",
    "kimura_2013",
    "chen_reference_values_2016",
)


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


@dataclass(frozen=True)
class KindModel:
    """One finding kind: how often it is abnormal with all fibres cut, and without a lesion."""

    sensitivity: float
    false_positive: float
    steepness: float
    onset: Onset = IMMEDIATE
    focal: bool = True  # whether a cut in the fibre graph produces it at all
    focal_scale: float = 1.0  # share of the sensitivity a focal cut reaches (myokymia is rare)

    def g(self, fraction: float) -> float:
        return 1.0 - float((1.0 - fraction) ** self.steepness)


@dataclass(frozen=True)
class FindingModel:
    """All kinds together, plus the time bins the engine reasons in and the background prior.

    Time since onset is grouped in bins (first week, second, third, fourth, later) so the
    likelihood tables are compiled once; an unknown time is scored as "four weeks or more"
    (the usual referral) and flagged as uncertain.
    """

    kinds: dict[FindingKind, KindModel]
    paraspinal_fibrillation_onset: Onset
    aged_false_positive: float  # e.g. absent sural SNAP over 60
    time_bin_edges_days: tuple[float, ...]
    time_bin_days: tuple[float, ...]  # the day each bin is scored at
    background_base: float  # P(length-dependent polyneuropathy) before age or diabetes
    background_per_decade_over_50: float
    background_diabetes: float
    background_ceiling: float

    def time_bin(self, days: float | None) -> int:
        if days is None:
            return len(self.time_bin_edges_days)
        return sum(1 for edge in self.time_bin_edges_days if days >= edge)

    def background_prior(self, age: int, diabetic: bool) -> float:
        """P(a background length-dependent polyneuropathy) from age and diabetes.

        Engineering assumptions, rounded: a few percent in younger adults, rising with each
        decade after 50, and roughly a third to a half of people with diabetes; to be replaced by
        a cited figure in the knowledge base.
        """
        by_age = self.background_base + self.background_per_decade_over_50 * max(
            0.0, (age - 50) / 10.0
        )
        by_age = min(by_age, self.background_ceiling)
        if not diabetic:
            return by_age
        return 1.0 - (1.0 - by_age) * (1.0 - self.background_diabetes)


FINDING_MODEL = FindingModel(
    kinds={
        FindingKind.WEAKNESS: KindModel(0.85, 0.05, 1.5),
        FindingKind.FIBRILLATIONS: KindModel(0.9, 0.03, 3.0, Onset(16.0, 2.5)),
        FindingKind.NEUROGENIC_UNITS: KindModel(0.85, 0.05, 2.0, Onset(1.0, 1.0)),
        FindingKind.MYOPATHIC_UNITS: KindModel(0.85, 0.03, 1.0, focal=False),
        FindingKind.FASCICULATIONS: KindModel(0.8, 0.05, 1.0, focal_scale=0.15),
        FindingKind.MYOKYMIA: KindModel(0.6, 0.01, 1.0, focal_scale=0.1),
        FindingKind.HYPOREFLEXIA: KindModel(0.85, 0.08, 2.0),
        FindingKind.HYPERREFLEXIA: KindModel(0.5, 0.03, 1.0, focal=False),
        FindingKind.SENSORY_LOSS: KindModel(0.8, 0.05, 2.0),
        FindingKind.SNAP_LOW: KindModel(0.9, 0.05, 1.5, Onset(8.0, 1.5)),
        FindingKind.CMAP_LOW: KindModel(0.75, 0.05, 1.0, Onset(6.0, 1.5)),
        FindingKind.LATE_RESPONSE: KindModel(0.8, 0.08, 2.0),
        FindingKind.SLOWING: KindModel(0.8, 0.03, 1.0, focal_scale=0.25),
        FindingKind.LEG_AFFECTED: KindModel(0.95, 0.1, 1.0),
    },
    paraspinal_fibrillation_onset=Onset(9.0, 2.0),
    aged_false_positive=0.35,
    time_bin_edges_days=(7.0, 14.0, 21.0, 28.0),
    time_bin_days=(3.5, 10.5, 17.5, 24.5, 60.0),
    background_base=0.03,
    background_per_decade_over_50=0.06,
    background_diabetes=0.4,
    background_ceiling=0.35,
)


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
