"""Imaging as evidence about site and cause together: P(imaging findings | site, cause).

An imaging finding says two things at once. Its kind speaks of the cause (a haematoma, an
abscess, a disc), and its place speaks of the site (a haematoma in the iliacus compresses the
femoral nerve; a disc at L4-L5 on the right, the right L5 root). So the likelihood of a
recorded finding j of kind t under site k and cause c is

    P(j | k, c) ∝ P(t | c) · (a_c · LR_j(k) + 1 − a_c)

where P(t | c) is the cause's frequency for the finding's feature (its base rate when the cause
gives none), a_c is the share of such findings that lie at the lesion under a cause that makes
them (`imaging_kinds.at_lesion`; 0 for a cause under which the finding is incidental), and
LR_j(k) is how much likelier the finding's place and side are at a lesion of site k than by
chance (`location_likelihood`, with the places of `imaging_locations`). Several findings of one
kind count the kind once; one of them lies at the lesion. A kind not seen on a study that was
done counts as 1 − P(t | c), whatever the site, but only where the study looked: with every
finding's region given, only the kinds those regions can show (`imaging_regions`; a normal
lumbar MRI says nothing of a pelvic mass).

`site_and_cause.yaml` holds every figure; this module only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import ImagingFinding
from plexcare.engine.etiology import EtiologyModel
from plexcare.engine.lesion_candidates import LesionCandidate
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
NO_FINDING = "normal"


@dataclass(frozen=True)
class _Kind:
    feature: int  # column of the etiology model's features
    at_lesion: FloatArray  # (D,) share at the lesion under each cause (0: incidental)


@dataclass(frozen=True)
class _Place:
    id: str
    words: tuple[str, ...]
    qualifiers: tuple[str, ...]
    kinds: frozenset[str]
    sites: npt.NDArray[np.bool_]  # (K,) candidates a finding here can produce


@dataclass(frozen=True)
class ImagingModel:
    """The imaging likelihood compiled against one knowledge base's candidates and causes."""

    kinds: Mapping[str, _Kind]
    places: tuple[_Place, ...]
    sides: tuple[str | None, ...]  # (K,) each candidate's side
    on_side: Mapping[str, npt.NDArray[np.bool_]]  # "left"/"right" -> (K,) candidates there
    log_frequency: FloatArray  # (D, F) log P(feature | cause), the etiology model's
    log_absent: FloatArray  # (D, F)
    log_base: FloatArray  # (F,)
    log_base_absent: FloatArray  # (F,)
    match: float
    mismatch: float
    side_match: float
    side_mismatch: float
    regions: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def kind_terms(self) -> Mapping[str, tuple[FloatArray, FloatArray]]:
        """Per kind, the (D,) log-likelihood ratios of it seen and of it not seen, against
        the base rates: worked out once, since every case with imaging adds them up."""
        return {
            kind: (
                self.log_frequency[:, entry.feature] - self.log_base[entry.feature],
                self.log_absent[:, entry.feature] - self.log_base_absent[entry.feature],
            )
            for kind, entry in self.kinds.items()
        }

    def kinds_shown(self, findings: Sequence[ImagingFinding]) -> frozenset[str] | None:
        """The kinds the studies behind these findings could show; None: every kind."""
        shown: set[str] = set()
        for finding in findings:
            if finding.region is None or finding.region not in self.regions:
                return None
            shown |= self.regions[finding.region]
        return frozenset(shown)


def _normal_words(text: str) -> str:
    return "-".join(text.lower().replace("/", " ").replace("–", "-").split())


def compile_imaging(
    kb: KnowledgeBase, etiology: EtiologyModel, candidates: Sequence[LesionCandidate]
) -> ImagingModel:
    joint = kb.site_and_cause
    index = etiology.feature_index
    rows = etiology.disorder_index
    kinds: dict[str, _Kind] = {}
    for entry in joint.imaging_kinds:
        if entry.feature not in index:
            continue
        at_lesion = np.zeros(len(etiology.disorders))
        for cause in entry.causes:
            if cause in rows:
                at_lesion[rows[cause]] = entry.at_lesion
        kinds[entry.kind] = _Kind(index[entry.feature], at_lesion)
    ids = [candidate.id for candidate in candidates]
    places = tuple(
        _Place(
            id=place.id,
            words=tuple(_normal_words(word) for word in place.words),
            qualifiers=tuple(_normal_words(word) for word in place.qualifiers),
            kinds=frozenset(place.kinds),
            sites=np.array([site in place.sites for site in ids], dtype=bool),
        )
        for place in joint.imaging_locations
    )
    odds = joint.location_likelihood
    frequency = etiology.frequency
    return ImagingModel(
        kinds=kinds,
        places=places,
        sides=tuple(candidate.side for candidate in candidates),
        on_side={
            side: np.array([candidate.side == side for candidate in candidates])
            for side in ("left", "right")
        },
        log_frequency=np.log(frequency),
        log_absent=np.log1p(-frequency),
        log_base=np.log(etiology.base),
        log_base_absent=np.log1p(-etiology.base),
        match=odds.match,
        mismatch=odds.mismatch,
        side_match=odds.side_match,
        side_mismatch=odds.side_mismatch,
        regions={entry.region: frozenset(entry.kinds) for entry in joint.imaging_regions},
    )


def place_of(model: ImagingModel, finding: ImagingFinding) -> _Place | None:
    """The first place whose words (and qualifiers and kinds, if any) fit the finding."""
    if not finding.level:
        return None
    text = _normal_words(finding.level)
    for place in model.places:
        if (
            any(word in text for word in place.words)
            and (not place.qualifiers or any(word in text for word in place.qualifiers))
            and (not place.kinds or finding.kind in place.kinds)
        ):
            return place
    return None


def location_ratio(model: ImagingModel, finding: ImagingFinding) -> FloatArray:
    """(K,) how much likelier this finding's place and side are at each candidate's lesion
    than by chance."""
    place = place_of(model, finding)
    ratio = np.ones(len(model.sides))
    if place is not None:
        ratio = np.where(place.sites, model.match, model.mismatch)
    if finding.side in ("left", "right"):
        other = "right" if finding.side == "left" else "left"
        ratio = ratio * np.where(
            model.on_side[finding.side],
            model.side_match,
            np.where(model.on_side[other], model.side_mismatch, 1.0),
        )
    return ratio


@dataclass(frozen=True)
class ImagingFactors:
    """One case's imaging likelihood in factored form: exp(cause_term(c)) for every cause,
    times exp(site_terms(k, j)) for the few causes `causes[j]` under which a finding lies at
    the lesion (1 for every other cause). Against the base rates."""

    cause_term: FloatArray  # (D,)
    causes: npt.NDArray[np.int64]  # (S,)
    site_terms: FloatArray  # (K, S)

    def log_likelihood(self) -> FloatArray:
        """The dense (K, D) log-likelihood."""
        total = np.tile(self.cause_term, (self.site_terms.shape[0], 1))
        total[:, self.causes] += self.site_terms
        return total


@dataclass(frozen=True)
class ImagingEvidence:
    """One case's imaging, scored: the K × D log-likelihood and what each kind contributed."""

    factors: ImagingFactors
    log_likelihood: FloatArray  # (K, D), against the base rates
    seen: tuple[tuple[str, int, FloatArray], ...]  # (kind, feature column, (K, D) term)
    unseen: tuple[tuple[str, int, FloatArray], ...]  # (kind, feature column, (D,) term)


def _by_kind(
    model: ImagingModel, findings: Sequence[ImagingFinding]
) -> dict[str, list[ImagingFinding]]:
    by_kind: dict[str, list[ImagingFinding]] = {}
    for finding in findings:
        if finding.kind != NO_FINDING and finding.kind in model.kinds:
            by_kind.setdefault(finding.kind, []).append(finding)
    return by_kind


def _scored(
    model: ImagingModel, findings: Sequence[ImagingFinding]
) -> tuple[ImagingFactors, list[tuple[str, int, FloatArray]], list[tuple[str, int, FloatArray]]]:
    """The factored likelihood, and each kind seen (with its K-vector of place and side
    ratios) or not seen (with its D-vector), each place worked out once."""
    by_kind = _by_kind(model, findings)
    shown = model.kinds_shown(findings)
    d = model.log_frequency.shape[0]
    cause_term = np.zeros(d)
    at_lesion: dict[int, FloatArray] = {}
    seen: list[tuple[str, int, FloatArray]] = []
    unseen: list[tuple[str, int, FloatArray]] = []
    terms = model.kind_terms
    for kind, entry in model.kinds.items():
        column = entry.feature
        present, absent = terms[kind]
        if kind not in by_kind:
            if shown is not None and kind not in shown:
                continue
            cause_term += absent
            unseen.append((kind, column, absent))
            continue
        cause_term += present
        ratio = np.mean([location_ratio(model, f) for f in by_kind[kind]], axis=0)
        seen.append((kind, column, ratio))
        for cause in np.flatnonzero(entry.at_lesion):
            a = entry.at_lesion[cause]
            term = np.log(a * ratio + (1.0 - a))
            at_lesion[int(cause)] = at_lesion.get(int(cause), 0.0) + term
    causes = np.array(sorted(at_lesion), dtype=np.int64)
    site_terms = (
        np.stack([at_lesion[int(c)] for c in causes], axis=1)
        if len(causes)
        else np.zeros((len(model.sides), 0))
    )
    factors = ImagingFactors(cause_term=cause_term, causes=causes, site_terms=site_terms)
    return factors, seen, unseen


def imaging_factors(
    model: ImagingModel, findings: Sequence[ImagingFinding]
) -> ImagingFactors | None:
    """The factored imaging likelihood of one case, or None when no imaging was recorded."""
    if not findings:
        return None
    return _scored(model, findings)[0]


def imaging_evidence(
    model: ImagingModel, findings: Sequence[ImagingFinding]
) -> ImagingEvidence | None:
    """The imaging likelihood of one case with each kind's part, or None without imaging."""
    if not findings:
        return None
    factors, ratios, unseen = _scored(model, findings)
    seen: list[tuple[str, int, FloatArray]] = []
    for kind, column, ratio in ratios:
        a = model.kinds[kind].at_lesion
        term = model.log_frequency[:, column] - model.log_base[column]
        term = term[None, :] + np.log(a[None, :] * ratio[:, None] + (1.0 - a[None, :]))
        seen.append((kind, column, term))
    return ImagingEvidence(
        factors=factors,
        log_likelihood=factors.log_likelihood(),
        seen=tuple(seen),
        unseen=tuple(unseen),
    )
