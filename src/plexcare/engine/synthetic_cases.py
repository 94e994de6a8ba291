"""Synthetic cases from a richer generative model than the one the engine infers with.

Calibration measured on cases drawn from the inference model itself would only show that the
arithmetic is right. These cases break its assumptions the way real patients do (`Richness`):

- findings travel together: every finding of one muscle, and the muscles of one nerve, share
  a latent draw (a Gaussian copula), where the engine treats them as independent;
- lesions are partial: each side's severity is drawn, so a lesion of both legs is unequal and
  a mild lesion spares findings the engine expects;
- the history is correlated (one latent draw shared by every fact), and some patients present
  atypically (their facts drawn from the referral population, not their cause);
- tests are missing (only some muscles, studies and needle examinations are done), results
  are misread (measurement noise), and imaging shows incidental findings at random places.

The draw takes its randomness as an argument (a seeded `numpy.random.Generator`), so the
module stays a pure function of its inputs; the engine's `assess` never calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import erf, sqrt

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import ImagingFinding
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import Observations
from plexcare.engine.imaging_evidence import NO_FINDING
from plexcare.engine.site_and_cause import Evidence, SiteAndCauseModel
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
EXAM_KINDS = (FindingKind.WEAKNESS, FindingKind.HYPOREFLEXIA, FindingKind.HYPERREFLEXIA)
NEEDLE_KINDS = (
    FindingKind.FIBRILLATIONS,
    FindingKind.NEUROGENIC_UNITS,
    FindingKind.MYOPATHIC_UNITS,
    FindingKind.FASCICULATIONS,
)
STUDY_KINDS = (FindingKind.SNAP_LOW, FindingKind.CMAP_LOW, FindingKind.LATE_RESPONSE)
DAYS = (3.0, 10.0, 17.0, 24.0, 60.0, 180.0, 720.0)
DAY_WEIGHTS = (0.06, 0.07, 0.07, 0.1, 0.3, 0.25, 0.15)


@dataclass(frozen=True)
class Richness:
    """How far the generator departs from the inference model (0 everywhere: it does not)."""

    within_muscle: float = 0.6  # correlation of findings in one end organ
    within_nerve: float = 0.25  # correlation of end organs of one nerve
    history_correlation: float = 0.3
    atypical_history: float = 0.15
    missing_history: float = 0.3
    partial_lesions: bool = True
    measurement_noise: float = 0.03
    imaging_done: float = 0.6
    studies_done: float = 0.75
    needle_done: float = 0.7


@dataclass(frozen=True)
class SyntheticCase:
    site: int  # the true candidate column
    cause: int  # the true disorder row
    evidence: Evidence


def _phi(x: FloatArray) -> FloatArray:
    return np.asarray([0.5 * (1.0 + erf(v / sqrt(2.0))) for v in np.ravel(x)]).reshape(x.shape)


@dataclass(frozen=True)
class _Organs:
    """Finding columns grouped by end organ, and each organ's nerve, built once per draw."""

    exam: dict[str, tuple[tuple[int, ...], ...]]  # side -> organs' exam columns
    needle: dict[str, tuple[tuple[int, ...], ...]]
    studies: dict[str, tuple[tuple[int, ...], ...]]
    areas: dict[str, tuple[tuple[int, ...], ...]]
    nerve_of: dict[int, str]  # column -> nerve group
    legs: tuple[int, int]
    bladder: int


def _organs(model: SiteAndCauseModel, kb: KnowledgeBase) -> _Organs:
    specs = model.localization.findings.specs
    groups: dict[tuple[str, str, str], list[int]] = {}
    nerve_of: dict[int, str] = {}
    bladder = -1
    for column, spec in enumerate(specs):
        organ = spec.organ
        if spec.aged or spec.variant or organ.region != "lumbosacral":
            continue
        if organ.side == "midline":
            if organ.id == "bladder" and spec.kind is FindingKind.SPHINCTER_FAILURE:
                bladder = column
            continue
        muscle = kb.muscles.get(organ.id)
        nerve_of[column] = f"{organ.side}:{muscle.nerves[0] if muscle else organ.key}"
        if organ.type == "muscle" and spec.kind in NEEDLE_KINDS:
            if muscle is not None and muscle.emg_accessible:
                groups.setdefault(("needle", organ.side, organ.key), []).append(column)
        elif organ.type in ("muscle", "reflex") and spec.kind in EXAM_KINDS:
            groups.setdefault(("exam", organ.side, organ.key), []).append(column)
        elif organ.type == "study" and spec.kind in STUDY_KINDS:
            groups.setdefault(("studies", organ.side, organ.key), []).append(column)
        elif organ.type == "area" and spec.kind is FindingKind.SENSORY_LOSS:
            groups.setdefault(("areas", organ.side, organ.key), []).append(column)
    out: dict[str, dict[str, list[tuple[int, ...]]]] = {}
    for (kind, side, _), columns in groups.items():
        out.setdefault(kind, {}).setdefault(side, []).append(tuple(columns))
    legs = model.leg_columns
    return _Organs(
        exam={s: tuple(v) for s, v in out.get("exam", {}).items()},
        needle={s: tuple(v) for s, v in out.get("needle", {}).items()},
        studies={s: tuple(v) for s, v in out.get("studies", {}).items()},
        areas={s: tuple(v) for s, v in out.get("areas", {}).items()},
        nerve_of=nerve_of,
        legs=legs,
        bladder=bladder,
    )


class _Draw:
    """One synthetic case being drawn (keeps the many small steps readable)."""

    def __init__(
        self,
        model: SiteAndCauseModel,
        kb: KnowledgeBase,
        organs: _Organs,
        rng: np.random.Generator,
        richness: Richness,
    ) -> None:
        self.model, self.kb, self.organs, self.rng, self.richness = (
            model,
            kb,
            organs,
            rng,
            richness,
        )

    def history(self, cause: int, female: bool, old: bool) -> FloatArray:
        etiology, rng, richness = self.model.etiology, self.rng, self.richness
        index = etiology.feature_index
        typical = rng.random() >= richness.atypical_history
        p = etiology.frequency[cause] if typical else etiology.base
        shared = rng.standard_normal()
        rho = richness.history_correlation
        u = _phi(sqrt(rho) * shared + sqrt(1 - rho) * rng.standard_normal(len(p)))
        states = np.where(u < p, 1.0, -1.0)
        for _, members, exhaustive in etiology.groups:
            weights = np.array([p[m] for m in members])
            if not exhaustive:
                weights = np.append(weights, max(1.0 - weights.sum(), 0.0))
            choice = rng.choice(len(weights), p=weights / weights.sum())
            for offset, member in enumerate(members):
                states[member] = 1.0 if offset == choice else -1.0
        for child, parent in etiology.nested:
            given = min(p[child] / max(p[parent], 1e-9), 1.0)
            states[child] = -1.0 if states[parent] < 0 else (1.0 if rng.random() < given else -1.0)
        for row, column, _ in etiology.requirements:
            if row == cause:
                states[column] = 1.0
        hidden = rng.random(len(states)) < richness.missing_history
        for _, members, _ in etiology.groups:
            hidden[list(members)] = hidden[members[0]]
        for row, column, unrecorded in etiology.requirements:
            if row == cause:
                hidden[column] = rng.random() < unrecorded
        states[hidden] = 0.0
        for feature, value in (("female", female), ("age_over_50", old)):
            if feature in index:
                states[index[feature]] = 1.0 if value else -1.0
        for borne in self.kb.site_and_cause.site_borne_features:
            if borne.feature in index:
                states[index[borne.feature]] = 0.0
        return states

    def imaging(self, cause: int, site: int) -> tuple[ImagingFinding, ...]:
        rng, imaging = self.rng, self.model.imaging
        if rng.random() >= self.richness.imaging_done:
            return ()
        candidate = self.model.candidates[site]
        found: list[ImagingFinding] = []
        for kind, entry in imaging.kinds.items():
            if rng.random() >= np.exp(imaging.log_frequency[cause, entry.feature]):
                continue
            at_lesion = rng.random() < entry.at_lesion[cause]
            places = [p for p in imaging.places if not p.kinds or kind in p.kinds]
            fitting = [p for p in places if p.sites[site]] if at_lesion else []
            place = fitting[rng.integers(len(fitting))] if fitting else None
            if place is None and rng.random() < 0.7:
                place = places[rng.integers(len(places))]
            side = candidate.side if at_lesion else ("left", "right", "both")[rng.integers(3)]
            level = place.words[0] if place is not None else None
            found.append(
                ImagingFinding.model_validate({"kind": kind, "level": level, "side": side})
            )
        return tuple(found) or (ImagingFinding.model_validate({"kind": NO_FINDING}),)

    def observations(self, site: int, old: bool, diabetic: bool) -> Observations:
        model, organs, rng, richness = self.model, self.organs, self.rng, self.richness
        table = model.localization
        finding_model = table.finding_model
        days: float | None = float(rng.choice(DAYS, p=DAY_WEIGHTS))
        if rng.random() < 0.15:
            days = None
        time_bin = finding_model.time_bin(days)
        background_prior = finding_model.background_prior(70 if old else 40, diabetic)
        background = int(rng.random() < background_prior)
        candidate = model.candidates[site]
        symptomatic = candidate.side if candidate.side in ("left", "right") else None
        if symptomatic is None and candidate.id == "no_neuromuscular_lesion":
            symptomatic = ("left", "right")[rng.integers(2)]
        other = {"left": "right", "right": "left"}.get(symptomatic or "", "")
        severity = {
            side: (rng.beta(2.0, 1.2) if richness.partial_lesions else 1.0)
            for side in ("left", "right")
        }
        chosen: list[int] = []
        for side in ("left", "right"):
            weight = 1.0 if side != other else 0.4
            chosen += self._pick(organs.exam.get(side, ()), round(8 * weight))
            chosen += self._pick(organs.areas.get(side, ()), round(4 * weight))
            if rng.random() < richness.studies_done:
                chosen += self._pick(organs.studies.get(side, ()), round(5 * weight))
            if rng.random() < richness.needle_done * weight:
                chosen += self._pick(organs.needle.get(side, ()), round(6 * weight))
        if organs.bladder >= 0 and rng.random() < 0.5:
            chosen.append(organs.bladder)
        none = model.none_column
        p_none = table.abnormal[time_bin, chosen, none, background]
        p_site = table.abnormal[time_bin, chosen, site, background]
        sides = [table.findings.specs[c].organ.side for c in chosen]
        scale = np.array([severity.get(side, max(severity.values())) for side in sides])
        p = p_none + (p_site - p_none) * scale
        abnormal = self._correlated(chosen, p)
        abnormal ^= rng.random(len(chosen)) < richness.measurement_noise
        result = dict(zip(chosen, abnormal.tolist(), strict=True))
        result.update(self._legs(candidate.id, candidate.side, symptomatic, time_bin, site))
        return Observations(
            abnormal=tuple(sorted(c for c, v in result.items() if v)),
            normal=tuple(sorted(c for c, v in result.items() if not v)),
            time_bin=time_bin,
            days_since_onset=days,
            background_prior=background_prior,
        )

    def _pick(self, organs: Sequence[tuple[int, ...]], count: int) -> list[int]:
        if not organs or count <= 0:
            return []
        rows = self.rng.choice(len(organs), size=min(count, len(organs)), replace=False)
        return [column for row in rows for column in organs[int(row)]]

    def _correlated(self, columns: list[int], p: FloatArray) -> npt.NDArray[np.bool_]:
        rng, richness = self.rng, self.richness
        specs = self.model.localization.findings.specs
        organ_draw: dict[str, float] = {}
        nerve_draw: dict[str, float] = {}
        a, b = richness.within_muscle, richness.within_nerve
        z = np.empty(len(columns))
        for i, column in enumerate(columns):
            organ = specs[column].organ.key
            nerve = self.organs.nerve_of.get(column, organ)
            shared_organ = organ_draw.setdefault(organ, float(rng.standard_normal()))
            shared_nerve = nerve_draw.setdefault(nerve, float(rng.standard_normal()))
            z[i] = (
                sqrt(b) * shared_nerve
                + sqrt(max(a - b, 0.0)) * shared_organ
                + sqrt(max(1 - a, 0.0)) * rng.standard_normal()
            )
        result: npt.NDArray[np.bool_] = _phi(z) < p
        return result

    def _legs(
        self, site_id: str, side: str | None, symptomatic: str | None, time_bin: int, site: int
    ) -> dict[int, bool]:
        left, right = self.organs.legs
        if left < 0 or right < 0:
            return {}
        rng = self.rng
        table = self.model.localization.abnormal
        if site_id == "no_neuromuscular_lesion":
            both = rng.random() < 0.25
            return {
                left: symptomatic == "left" or both,
                right: symptomatic == "right" or both,
            }
        return {
            left: bool(rng.random() < table[time_bin, left, site, 0]),
            right: bool(rng.random() < table[time_bin, right, site, 0]),
        }


def draw_cases(
    model: SiteAndCauseModel,
    kb: KnowledgeBase,
    rng: np.random.Generator,
    count: int,
    richness: Richness | None = None,
) -> tuple[SyntheticCase, ...]:
    """`count` cases: cause from the priors, site from P(site | cause), then everything else."""
    richness = richness or Richness()
    organs = _organs(model, kb)
    draw = _Draw(model, kb, organs, rng, richness)
    etiology = model.etiology
    prior = np.exp(etiology.log_prior)
    prior /= prior.sum()
    index = etiology.feature_index
    requires_female = {
        row for row, column, _ in etiology.requirements if etiology.features[column] == "female"
    }
    cases: list[SyntheticCase] = []
    for _ in range(count):
        cause = int(rng.choice(len(prior), p=prior))
        site = int(rng.choice(len(model.candidates), p=model.site_given_cause[cause]))
        female_share = etiology.frequency[cause, index["female"]] if "female" in index else 0.5
        female = cause in requires_female or rng.random() < female_share
        old_share = (
            etiology.frequency[cause, index["age_over_50"]] if "age_over_50" in index else 0.5
        )
        old = bool(rng.random() < old_share)
        states = draw.history(cause, female, old)
        diabetic = "diabetes" in index and states[index["diabetes"]] > 0
        evidence = Evidence(
            observations=draw.observations(site, old, diabetic),
            states=states,
            imaging=draw.imaging(cause, site),
        )
        cases.append(SyntheticCase(site=site, cause=cause, evidence=evidence))
    return tuple(cases)
