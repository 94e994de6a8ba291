"""The numbers the engine reasons with, as the knowledge base states them.

Two kinds of clinical numbers used to live in engine code and now live here, cited like every
other fact, so a clinician can review them in a YAML diff:

- ``data/electrodiagnosis.yaml``: how each kind of finding behaves (how often it is abnormal
  when every fibre to its end organ is cut and when nothing is wrong, how few lost fibres it
  notices, and when it appears after an axonal lesion), how often a response is absent in
  healthy older people, and how common a background polyneuropathy is by age and diabetes.
- ``data/clinical_thresholds.yaml``: the cut-offs that turn a measurement into a yes or no
  (HbA1c at or above 6.5 % is diabetes, eGFR below 60 needs renal dosing, ...), each with its
  unit, its comparison and its meaning in words.

The models repeat the knowledge base's base settings (frozen, no unknown keys) rather than
importing them, so `model.KnowledgeBase` can import them without an import cycle, as
`outcome_model` does. How the engine bins time and tempers thin evidence is engine policy, not
clinical content, and stays in the engine.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "AgedAbsence",
    "AlongLimb",
    "BackgroundPolyneuropathy",
    "ClinicalThreshold",
    "ClinicalThresholds",
    "Electrodiagnosis",
    "FindingKindParameters",
    "GeneralizedPattern",
    "OnsetCurve",
    "OutsideRegion",
    "PatternReach",
]

ParameterId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Comparison = Literal["above", "at_or_above", "below", "at_or_below"]


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "above": operator.gt,
    "at_or_above": operator.ge,
    "below": operator.lt,
    "at_or_below": operator.le,
}
"""Each comparison as the operator it means (a lookup, since the engine calls it per case)."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OnsetCurve(_Record):
    """When a finding shows after an axonal lesion: a logistic curve over days since onset.

    ``midpoint_days`` is the day by which half the eventual abnormality is present;
    ``width_days`` how gradually it develops around that day. ``distal_midpoint_days``, where
    given, is the midpoint in the most distal end organs (distality 1, the foot): the midpoint
    moves linearly from ``midpoint_days`` at the hip girdle (distality 0) to it, because
    Wallerian degeneration reaches a distal muscle later than a proximal one.
    """

    midpoint_days: float = Field(ge=0.0, le=120.0)
    width_days: float = Field(gt=0.0, le=30.0)
    distal_midpoint_days: float | None = Field(default=None, ge=0.0, le=120.0)

    def midpoint_at(self, distality: float) -> float:
        """The midpoint at an end organ of this distality (0 hip girdle ... 1 foot)."""
        if self.distal_midpoint_days is None:
            return self.midpoint_days
        return self.midpoint_days + (self.distal_midpoint_days - self.midpoint_days) * distality


class FindingKindParameters(_Record):
    """One kind of finding (weakness, fibrillations, a low SNAP, ...) as a test of a lesion.

    ``sensitivity``: how often it is abnormal when every fibre to its end organ is cut, once
    fully developed. ``false_positive``: how often it is abnormal with no lesion. ``steepness``:
    how few lost fibres the test notices (needle EMG notices a handful, strength testing needs
    many); the share of the full effect is ``1 - (1 - fraction) ** steepness``. ``onset``: when
    it appears after the lesion (absent: present from the first day); ``paraspinal_onset`` the
    same in paraspinal muscles where it differs, and ``paraspinal_sensitivity`` and
    ``paraspinal_false_positive`` the rates there where they differ (paraspinal fibrillations
    are missed in many root lesions and found in some healthy backs). ``focal``: whether a cut
    in the fibre graph produces it at all (brisk reflexes do not); ``focal_scale`` the share of
    the sensitivity a focal cut reaches (myokymia goes with only some focal lesions).
    ``bilateral_scale``: for a finding judged against the other side (a side difference), the
    share of the full effect a lesion of both sides produces on each side: the model's
    bilateral lesions cut both sides alike, while real ones are seldom symmetric.
    """

    id: ParameterId
    meaning: str = Field(min_length=10)
    sensitivity: Share
    false_positive: Share
    steepness: float = Field(gt=0.0, le=10.0)
    onset: OnsetCurve | None = None
    paraspinal_onset: OnsetCurve | None = None
    paraspinal_sensitivity: Share | None = None
    paraspinal_false_positive: Share | None = None
    focal: bool = True
    focal_scale: float = Field(default=1.0, gt=0.0, le=1.0)
    bilateral_scale: float = Field(default=1.0, gt=0.0, le=1.0)
    sources: tuple[ParameterId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_test_tells_disease_from_health(self) -> FindingKindParameters:
        if self.false_positive >= self.sensitivity:
            raise ValueError("false_positive must be below sensitivity, or the test tells nothing")
        if self.paraspinal_onset is not None and self.onset is None:
            raise ValueError("paraspinal_onset needs an onset for the limb muscles")
        if (self.paraspinal_sensitivity is None) != (self.paraspinal_false_positive is None):
            raise ValueError("give paraspinal_sensitivity and paraspinal_false_positive together")
        if (
            self.paraspinal_sensitivity is not None
            and self.paraspinal_false_positive is not None
            and self.paraspinal_false_positive >= self.paraspinal_sensitivity
        ):
            raise ValueError("paraspinal_false_positive must be below paraspinal_sensitivity")
        return self


class AgedAbsence(_Record):
    """How often a response that may be absent in healthy older people is absent without disease.

    Applies to the studies whose `age_limits` say `may_be_absent` (sural SNAP from 75, medial
    plantar SNAP and H-reflex over 60): their absence at that age is scored with this
    false-positive rate.
    """

    false_positive: Share
    meaning: str = Field(min_length=10)
    sources: tuple[ParameterId, ...] = Field(min_length=1)


class BackgroundPolyneuropathy(_Record):
    """P(a background length-dependent polyneuropathy) from age and diabetes.

    ``base`` below ``rising_from_age``; ``per_decade`` added for each decade after it, up to
    ``ceiling``; diabetes adds its own share independently: ``1 - (1 - by_age) * (1 - diabetes)``
    (computed by the engine's `FindingModel.background_prior`).
    """

    base: Share
    rising_from_age: int = Field(ge=18, le=100)
    per_decade: Share
    ceiling: Share
    diabetes: Share
    meaning: str = Field(min_length=10)
    sources: tuple[ParameterId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ceiling_above_base(self) -> BackgroundPolyneuropathy:
        if self.ceiling < self.base:
            raise ValueError("ceiling must not be below base")
        return self


class Electrodiagnosis(_Record):
    """Everything `electrodiagnosis.yaml` says: one entry per finding kind, plus the priors."""

    finding_kinds: dict[ParameterId, FindingKindParameters] = Field(min_length=1)
    aged_absence: AgedAbsence
    background_polyneuropathy: BackgroundPolyneuropathy

    @property
    def all_sources(self) -> tuple[tuple[str, str, str], ...]:
        """(entry, field, reference id) for every citation in the file."""
        cited: list[tuple[str, str, str]] = []
        for key, kind in self.finding_kinds.items():
            cited.extend((key, "sources", source) for source in kind.sources)
        for name in ("aged_absence", "background_polyneuropathy"):
            section: AgedAbsence | BackgroundPolyneuropathy = getattr(self, name)
            cited.extend((name, "sources", source) for source in section.sources)
        return tuple(cited)


class ClinicalThreshold(_Record):
    """A cut-off that turns a measurement into yes or no, stated with its comparison.

    ``reached(x)`` is the one place the comparison is applied, so the engine does exactly what
    the data file says (``at_or_above 6.5`` is ``x >= 6.5``).
    """

    id: ParameterId
    value: float
    unit: str = Field(min_length=1)
    comparison: Comparison
    meaning: str = Field(min_length=10)
    sources: tuple[ParameterId, ...] = Field(min_length=1)

    def reached(self, measured: float) -> bool:
        return _COMPARE[self.comparison](measured, self.value)


class ClinicalThresholds(_Record):
    """Every threshold the engine reads, by name; the loader fills it from the data file.

    A field per threshold (not a free dictionary) so a missing one is a knowledge-base error at
    load time and the engine's use of each is checked by the type checker.
    """

    hba1c_diabetes: ClinicalThreshold
    significant_weight_loss: ClinicalThreshold
    inr_supratherapeutic: ClinicalThreshold
    recent_delivery: ClinicalThreshold
    severe_pain: ClinicalThreshold
    little_or_no_pain: ClinicalThreshold
    age_over_50: ClinicalThreshold
    esr_raised: ClinicalThreshold
    crp_raised: ClinicalThreshold
    leucocytosis: ClinicalThreshold
    obesity: ClinicalThreshold
    csf_protein_raised: ClinicalThreshold
    ck_raised: ClinicalThreshold
    ck_normal: ClinicalThreshold
    renal_impairment: ClinicalThreshold
    severe_renal_impairment: ClinicalThreshold
    older_adult: ClinicalThreshold
    falls_risk_weakness: ClinicalThreshold
    rapidly_progressive_weakness: ClinicalThreshold
    needle_emg_denervation: ClinicalThreshold
    demyelinating_slowing: ClinicalThreshold
    demyelinating_distal_latency: ClinicalThreshold
    demyelinating_f_wave: ClinicalThreshold
    demyelinating_f_wave_low_cmap: ClinicalThreshold
    f_wave_low_cmap: ClinicalThreshold
    conduction_block: ClinicalThreshold
    no_conduction_block: ClinicalThreshold
    block_distal_cmap_minimum: ClinicalThreshold
    focal_slowing: ClinicalThreshold
    h_reflex_side_difference: ClinicalThreshold
    side_ratio_borderline: ClinicalThreshold
    borderline_amplitude: ClinicalThreshold
    severe_weakness: ClinicalThreshold
    mild_weakness: ClinicalThreshold

    @model_validator(mode="after")
    def _each_entry_sits_under_its_own_name(self) -> ClinicalThresholds:
        for name in type(self).model_fields:
            entry: ClinicalThreshold = getattr(self, name)
            if entry.id != name:
                raise ValueError(f"threshold '{entry.id}' is filed under '{name}'")
        return self

    def entries(self) -> tuple[ClinicalThreshold, ...]:
        return tuple(getattr(self, name) for name in type(self).model_fields)


AlongLimb = Literal["distal", "proximal", "uniform"]
OutsideRegion = Literal["thoracic", "arm", "bulbar"]
"""Body regions outside the leg where end organs are tested for generalized disorders."""


class PatternReach(_Record):
    """How far a generalized process reaches an end organ, by where it sits along the limb.

    ``along_limb``: ``distal`` (feet first, a length-dependent process), ``proximal`` (hip and
    thigh first, a myopathy) or ``uniform`` (everywhere alike). A distal or proximal reach is a
    logistic curve over the end organ's distality (0 hip girdle ... 1 intrinsic foot) that is
    half-way at ``midpoint_distality`` and rises over about ``width``; a uniform reach is 1 and
    states no curve. ``paraspinal``: the reach in the paraspinal muscles, which lie on no limb.
    ``regions``: how far the process reaches end organs outside the leg (thoracic, arm,
    bulbar), multiplying the reach above (an arm muscle's distality sits on the same
    axon-length scale); a region not named is reached as the leg is (1).
    """

    along_limb: AlongLimb
    midpoint_distality: float | None = Field(default=None, ge=0.0, le=1.0)
    width: float | None = Field(default=None, gt=0.0, le=1.0)
    paraspinal: Share
    regions: dict[OutsideRegion, Share] = {}

    @model_validator(mode="after")
    def _a_curve_exactly_where_the_reach_varies(self) -> PatternReach:
        curve = (self.midpoint_distality, self.width)
        if self.along_limb == "uniform" and curve != (None, None):
            raise ValueError("a uniform reach states no midpoint_distality or width")
        if self.along_limb != "uniform" and None in curve:
            raise ValueError(f"a {self.along_limb} reach needs midpoint_distality and width")
        return self


class GeneralizedPattern(_Record):
    """A generalized disorder that mimics a plexopathy, as the localization engine models it.

    ``effects``: for every finding kind (the ids of ``electrodiagnosis.yaml``), the share of
    that finding's full effect the disorder produces where it fully reaches (0 = none; the
    loader requires every kind). ``paraspinal_effects``: kinds whose share differs in the
    paraspinal muscles. The share at one end organ is ``reach * effect``, except for
    ``leg_affected``, which concerns the limb as a whole and takes the effect as it stands.
    ``follows_onset``: the disorder can begin with the complaint (an acute polyradiculoneuropathy,
    Guillain-Barre syndrome), so its findings develop over the days after onset as a focal
    lesion's do (amplitudes fall after Wallerian degeneration, fibrillations come later);
    otherwise they are taken as already present when the patient is seen.
    """

    id: ParameterId
    name: str = Field(min_length=3)
    meaning: str = Field(min_length=10)
    reach: PatternReach
    effects: dict[ParameterId, Share] = Field(min_length=1)
    paraspinal_effects: dict[ParameterId, Share] = {}
    follows_onset: bool = False
    sources: tuple[ParameterId, ...] = Field(min_length=1)
