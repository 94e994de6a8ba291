"""The causes: how likely each disorder makes what the history, labs and imaging record.

A naive-Bayes model over the closed feature vocabulary, with each fact counted once:

    P(history | d) = Π_facts P(fact | d)

P(present | d) is the disorder's published frequency, or the feature's base rate in the
referral population when the disorder gives none (so an unlisted feature neither favours nor
disfavours it); an absent feature counts as 1 − p, an unknown one is left out. Three things
keep one fact from being counted several times (`site_and_cause.yaml`):

- features read from one fact form a group (the onset tempo sets one of acute, subacute or
  chronic; the pain score sets severe or painless): only the value found counts, P(acute | d),
  not P(acute | d) · (1 − P(subacute | d)) · (1 − P(chronic | d)); a score between the cut-offs
  counts as the share left over, 1 − P(severe | d) − P(painless | d);
- a feature that implies another (an INR above range implies an anticoagulant) is scored
  given it, P(INR high | anticoagulated, d), so the shared part is not counted twice;
- features the site model already scores (symptoms in both legs, sphincter failure) and the
  imaging findings (scored with their place in `site_and_cause`) are left out of the joint
  model's cause likelihood (`joint_excluded`).

Every fact is a column of an indicator matrix (cases × facts) and a weight matrix (facts ×
disorders) of log-likelihood ratios against the base rate, so a batch is one matrix product
and each cause's explanation is the row of weights of the facts the case states.

`rank_causes` ranks causes on the history alone, scaled by how well a given localization fits
each cause; the assessment ranks them jointly with the site (`engine.site_and_cause`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PROBABILITY_CLIP = (1e-3, 1 - 1e-3)
"""Frequencies of 0 or 1 would let one finding veto a cause; published series are too small to
support certainty, so likelihoods are kept inside this range."""

PRIOR_FLOOR = 1e-6
EXCLUDED = 1e-9
"""The factor on a cause whose required fact is recorded absent (a man's obstetric injury)."""

LOCALIZATION_FIT_FLOOR = 0.05
"""Smallest localization likelihood ratio `rank_causes` applies: a cause whose sites the
localization all but rules out is scaled down twenty-fold, not removed."""

EXPLAINED_FEATURES = 3
"""How many facts (for and against) each cause names in its explanation."""

EXPLAINED_CAUSES = 8
"""How many of the leading causes are explained fact by fact."""

MEANINGFUL_WEIGHT = float(np.log(1.25))
"""A fact moving a cause by less than 1.25× is not worth naming."""


@dataclass(frozen=True)
class SiteSupport:
    """Localization's answer per lesion site id (both sides summed): posterior and prior."""

    posterior: Mapping[str, float]
    prior: Mapping[str, float]


@dataclass(frozen=True)
class FeatureWeight:
    """One fact's pull on one cause: log-likelihood ratio against the referral base rate."""

    feature: str
    name: str
    present: bool
    reason: str
    weight: float

    @property
    def factor(self) -> float:
        return float(np.exp(self.weight))


@dataclass(frozen=True)
class RankedCause:
    disorder: str
    name: str
    category: str
    probability: float
    supporting: tuple[FeatureWeight, ...]
    against: tuple[FeatureWeight, ...]
    localization_fit: float
    localization_note: str

    def explanation(self) -> str:
        """The reasons in one line a clinician reads: facts for, against, and anatomy."""
        parts: list[str] = []
        if self.supporting:
            parts.append("for: " + "; ".join(_describe(w) for w in self.supporting))
        if self.against:
            parts.append("against: " + "; ".join(_describe(w) for w in self.against))
        if self.localization_note:
            parts.append(self.localization_note)
        return " | ".join(parts)


def _describe(weight: FeatureWeight) -> str:
    what = weight.reason
    return (
        f"{what} ×{weight.factor:.1f}" if weight.weight > 0 else f"{what} ÷{1 / weight.factor:.1f}"
    )


@dataclass(frozen=True)
class Fact:
    """One column of the indicator matrix: a way a case can state something once."""

    feature: str  # the feature whose reason names it (a group's member found, or the child)
    present: bool
    group: str = ""  # a feature group's id when the fact is "none of the group's members"


@dataclass(frozen=True)
class EtiologyModel:
    """Disorders × facts likelihood arrays compiled from one knowledge base."""

    disorders: tuple[str, ...]
    names: tuple[str, ...]
    categories: tuple[str, ...]
    features: tuple[str, ...]
    feature_names: tuple[str, ...]
    log_prior: FloatArray  # (D,)
    frequency: FloatArray  # (D, F) P(present | d), clipped
    base: FloatArray  # (F,) base rate, clipped
    facts: tuple[Fact, ...]
    weights: FloatArray  # (C, D) log-likelihood ratio of each fact against the base rate
    joint_excluded: BoolArray  # (C,) facts the joint model scores elsewhere
    groups: tuple[tuple[str, tuple[int, ...], bool], ...]  # (id, member columns, exhaustive)
    nested: tuple[tuple[int, int], ...]  # (child column, parent column)
    plain: tuple[int, ...]  # feature columns scored on their own
    requirements: tuple[tuple[int, int, float], ...]  # (disorder row, feature column, unrecorded)
    sites: tuple[str, ...]
    site_weights: FloatArray  # (D, S): the disorder's share of cases at each site it names

    @cached_property
    def feature_index(self) -> dict[str, int]:
        """Feature id -> column; built on first use, since every assessment asks for it."""
        return {f: i for i, f in enumerate(self.features)}

    @cached_property
    def disorder_index(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.disorders)}

    @cached_property
    def joint_weights(self) -> FloatArray:
        """`weights` with the facts the joint model scores elsewhere set to zero."""
        joint: FloatArray = np.where(self.joint_excluded[:, None], 0.0, self.weights)
        return joint

    @cached_property
    def fact_cells(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], tuple[tuple[int, list[int]], ...]]:
        """How `fact_matrix` reads each fact from the feature states, compiled once: a fact is
        the "and" of two cells of [present | absent | unknown | always] (the columns `first`
        and `second`), except a group's "none of them", which is all its members absent."""
        count = len(self.features)
        absent, unknown, always = count, 2 * count, 3 * count
        first: list[int] = []
        second: list[int] = []
        none_of: list[tuple[int, list[int]]] = []
        for column in self.plain:
            first += [column, absent + column]
            second += [always, always]
        for _, members, exhaustive in self.groups:
            first += members
            second += [always] * len(members)
            if not exhaustive:
                none_of.append((len(first), list(members)))
                first.append(always)
                second.append(always)
        for child, parent in self.nested:
            first += [child, absent + child, child, absent + child]
            second += [parent, parent, unknown + parent, unknown + parent]
        return (
            np.array(first, dtype=np.int64),
            np.array(second, dtype=np.int64),
            tuple(none_of),
        )

    @cached_property
    def requirement_arrays(self) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
        """The requirements as arrays: each one's feature column, log of its `unrecorded`
        factor, and a requirements × disorders matrix placing it on its disorder."""
        columns = np.array([column for _, column, _ in self.requirements], dtype=np.int64)
        log_unrecorded = np.log([max(u, EXCLUDED) for _, _, u in self.requirements])
        to_disorder = np.zeros((len(self.requirements), len(self.disorders)))
        for index, (row, _, _) in enumerate(self.requirements):
            to_disorder[index, row] = 1.0
        return columns, np.asarray(log_unrecorded, dtype=np.float64), to_disorder


def _fact_weights(
    frequency: FloatArray, base: FloatArray, model_parts: _Parts
) -> tuple[list[Fact], list[FloatArray]]:
    """Each fact and its D-vector of log-likelihood ratios against the base rate."""
    features, groups, nested, plain = model_parts
    low, high = PROBABILITY_CLIP
    facts: list[Fact] = []
    weights: list[FloatArray] = []
    for column in plain:
        p, b = frequency[:, column], base[column]
        facts += [Fact(features[column], True), Fact(features[column], False)]
        weights += [np.log(p) - np.log(b), np.log1p(-p) - np.log1p(-b)]
    for group_id, members, exhaustive in groups:
        p = frequency[:, list(members)]
        b = base[list(members)]
        if exhaustive:  # the members' frequencies are the fact's distribution
            p = p / p.sum(axis=1, keepdims=True)
            b = b / b.sum()
        for offset, column in enumerate(members):
            facts.append(Fact(features[column], True))
            weights.append(np.log(p[:, offset]) - np.log(b[offset]))
        if not exhaustive:
            rest = np.clip(1.0 - p.sum(axis=1), low, high)
            facts.append(Fact(features[members[0]], False, group=group_id))
            weights.append(np.log(rest) - np.log(max(1.0 - float(b.sum()), low)))
    for child, parent in nested:
        given = np.clip(frequency[:, child] / frequency[:, parent], low, high)
        base_given = float(np.clip(base[child] / base[parent], low, high))
        facts += [Fact(features[child], True, group="given"), Fact(features[child], False, "given")]
        weights += [np.log(given) - np.log(base_given), np.log1p(-given) - np.log1p(-base_given)]
        p, b = frequency[:, child], base[child]
        facts += [Fact(features[child], True), Fact(features[child], False)]
        weights += [np.log(p) - np.log(b), np.log1p(-p) - np.log1p(-b)]
    return facts, weights


_Parts = tuple[list[str], list[tuple[str, tuple[int, ...], bool]], list[tuple[int, int]], list[int]]


def compile_etiology(kb: KnowledgeBase) -> EtiologyModel:
    """Build the arrays once; everything per case is then arithmetic on them."""
    disorders = sorted(kb.disorders)
    features = list(kb.etiology_features)
    index = {f: i for i, f in enumerate(features)}
    low, high = PROBABILITY_CLIP
    base = np.clip([kb.etiology_features[f].base_rate for f in features], low, high)
    frequency = np.tile(base, (len(disorders), 1))
    sites = sorted({site for d in kb.disorders.values() for site in d.localizations})
    site_index = {s: i for i, s in enumerate(sites)}
    site_weights = np.zeros((len(disorders), len(sites)))
    prior = np.empty(len(disorders))
    for row, key in enumerate(disorders):
        disorder = kb.disorders[key]
        prior[row] = max(disorder.prior, PRIOR_FLOOR)
        for item in disorder.features:
            if item.feature in index:
                frequency[row, index[item.feature]] = np.clip(item.frequency, low, high)
        for site, weight in disorder.site_weights().items():
            site_weights[row, site_index[site]] = weight
    prior /= prior.sum() if len(prior) else 1.0
    joint = kb.site_and_cause
    groups = [
        (g.id, tuple(index[m] for m in g.members), g.exhaustive)
        for g in joint.feature_groups
        if all(m in index for m in g.members)
    ]
    nested = [
        (index[n.feature], index[n.given])
        for n in joint.nested_features
        if n.feature in index and n.given in index
    ]
    taken = {c for _, members, _ in groups for c in members} | {child for child, _ in nested}
    plain = [column for column in range(len(features)) if column not in taken]
    facts, weights = _fact_weights(frequency, base, (features, groups, nested, plain))
    elsewhere = {b.feature for b in joint.site_borne_features}
    elsewhere |= {kind.feature for kind in joint.imaging_kinds}
    disorder_row = {d: i for i, d in enumerate(disorders)}
    return EtiologyModel(
        disorders=tuple(disorders),
        names=tuple(kb.disorders[d].name for d in disorders),
        categories=tuple(kb.disorders[d].category for d in disorders),
        features=tuple(features),
        feature_names=tuple(kb.etiology_features[f].name for f in features),
        log_prior=np.log(prior),
        frequency=frequency,
        base=base,
        facts=tuple(facts),
        weights=np.array(weights, dtype=np.float64).reshape(len(facts), len(disorders)),
        joint_excluded=np.array([fact.feature in elsewhere for fact in facts], dtype=bool),
        groups=tuple(groups),
        nested=tuple(nested),
        plain=tuple(plain),
        requirements=tuple(
            (disorder_row[r.disorder], index[r.feature], r.unrecorded)
            for r in joint.requirements
            if r.disorder in disorder_row and r.feature in index
        ),
        sites=tuple(sites),
        site_weights=site_weights,
    )


def feature_matrix(model: EtiologyModel, findings: Sequence[EtiologyFindings]) -> FloatArray:
    """Cases × features: +1 present, -1 absent, 0 unknown."""
    index = model.feature_index
    matrix = np.zeros((len(findings), len(model.features)))
    for row, found in enumerate(findings):
        for feature in found.present:
            if feature in index:
                matrix[row, index[feature]] = 1.0
        for feature in found.absent:
            if feature in index:
                matrix[row, index[feature]] = -1.0
    return matrix


def fact_matrix(model: EtiologyModel, states: FloatArray) -> FloatArray:
    """Cases × facts indicator (1 where the case states the fact) from the feature states.

    The columns follow `_fact_weights`: plain features present and absent; each group's
    members present (and "none of them" for a group that is not exhaustive); each nested
    feature given its parent when the parent is present, on its own when the parent is
    unknown, and not at all when the parent is absent (it cannot then be present).
    """
    first, second, none_of = model.fact_cells
    absent = states < 0
    always = np.ones((states.shape[0], 1), dtype=bool)
    cells = np.concatenate([states > 0, absent, states == 0, always], axis=1)
    stated = cells[:, first] & cells[:, second]
    for column, members in none_of:
        stated[:, column] = absent[:, members].all(axis=1)
    out: FloatArray = stated.astype(np.float64)
    return out


def requirement_log_factor(model: EtiologyModel, states: FloatArray) -> FloatArray:
    """Cases × disorders: log of the factor for facts a cause cannot be without."""
    if not model.requirements:
        return np.zeros((states.shape[0], len(model.disorders)))
    columns, log_unrecorded, to_disorder = model.requirement_arrays
    state = states[:, columns]  # cases × requirements
    contribution = np.where(
        state < 0, np.log(EXCLUDED), np.where(state == 0, log_unrecorded[None, :], 0.0)
    )
    factor: FloatArray = contribution @ to_disorder
    return factor


def history_log_likelihood(
    model: EtiologyModel, facts: FloatArray, *, joint: bool = False
) -> FloatArray:
    """Cases × disorders log-likelihood ratio of the stated facts (against the base rates).

    With `joint`, the facts scored by the site model or the imaging model are left out.
    """
    weights = model.joint_weights if joint else model.weights
    result: FloatArray = facts @ weights
    return result


def fact_weights(
    model: EtiologyModel,
    findings: EtiologyFindings,
    facts: FloatArray,
    row: int,
    *,
    joint: bool = False,
) -> list[FeatureWeight]:
    """One cause's weight for each fact the case states (one entry per fact)."""
    index = model.feature_index
    out: list[FeatureWeight] = []
    for column in np.flatnonzero(facts):
        if joint and model.joint_excluded[column]:
            continue
        fact = model.facts[column]
        name = model.feature_names[index[fact.feature]]
        reason = findings.reasons.get(fact.feature) or (
            name if fact.present else f"not {name.lower()}"
        )
        out.append(
            FeatureWeight(
                feature=fact.group if fact.group and fact.group != "given" else fact.feature,
                name=name,
                present=fact.present,
                reason=reason,
                weight=float(model.weights[column, row]),
            )
        )
    return out


def strongest(
    weights: Sequence[FeatureWeight],
) -> tuple[tuple[FeatureWeight, ...], tuple[FeatureWeight, ...]]:
    """The facts that pull a cause up most, and those that pull it down most."""
    ordered = sorted(weights, key=lambda w: -w.weight)
    supporting = tuple(w for w in ordered if w.weight >= MEANINGFUL_WEIGHT)[:EXPLAINED_FEATURES]
    against = tuple(w for w in reversed(ordered) if w.weight <= -MEANINGFUL_WEIGHT)
    return supporting, against[:EXPLAINED_FEATURES]


def _site_fit(model: EtiologyModel, support: SiteSupport) -> FloatArray:
    """Per disorder: mean site likelihood ratio of its sites, floored (1 when silent)."""
    ratios = np.ones(len(model.sites))
    for col, site in enumerate(model.sites):
        prior = support.prior.get(site, 0.0)
        if prior > 0:
            ratios[col] = support.posterior.get(site, 0.0) / prior
    fit: FloatArray = np.maximum(model.site_weights @ ratios, LOCALIZATION_FIT_FLOOR)
    return fit


def _site_note(fit: float) -> str:
    if fit >= 1.5:
        return f"the localization supports it ({fit:.1f}× its sites' prior)"
    if fit <= 0.5:
        return f"the localization argues against it ({fit:.2f}× its sites' prior)"
    return f"the localization neither favours nor excludes it ({fit:.1f}× its sites' prior)"


def rank_causes(
    model: EtiologyModel,
    findings: EtiologyFindings,
    support: SiteSupport,
    limit: int | None = None,
) -> tuple[RankedCause, ...]:
    """The causes of one case on its history alone, scaled by how the localization fits.

    Every fact counts here, imaging included; an empty `support` leaves the site neutral.
    """
    states = feature_matrix(model, [findings])
    facts = fact_matrix(model, states)
    fit = _site_fit(model, support)
    log_post = (
        model.log_prior
        + history_log_likelihood(model, facts)[0]
        + requirement_log_factor(model, states)[0]
        + np.log(fit)
    )
    posterior = np.exp(log_post - log_post.max())
    posterior /= posterior.sum()
    order = np.argsort(-posterior, kind="stable")
    if limit is not None:
        order = order[:limit]
    causes: list[RankedCause] = []
    for rank, row in enumerate(order):
        supporting: tuple[FeatureWeight, ...] = ()
        against: tuple[FeatureWeight, ...] = ()
        if rank < EXPLAINED_CAUSES:
            supporting, against = strongest(fact_weights(model, findings, facts[0], int(row)))
        causes.append(
            RankedCause(
                disorder=model.disorders[row],
                name=model.names[row],
                category=model.categories[row],
                probability=float(posterior[row]),
                supporting=supporting,
                against=against,
                localization_fit=float(fit[row]),
                localization_note=_site_note(float(fit[row])) if support.prior else "",
            )
        )
    return tuple(causes)
