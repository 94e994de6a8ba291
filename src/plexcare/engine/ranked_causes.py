"""The causes of the joint answer, most probable first, each with the facts behind it.

Each fact the case states is named once per cause, with the weight it carries in the joint
model (tempered as the model uses it): a history fact (the onset tempo once, not as three
features), an imaging finding with its place (a haematoma in the iliacus, weighed under the
sites the cause is likely at), a kind of imaging finding the study did not show, or a fact the
cause cannot be without that is missing or recorded absent. A requirement and the fact it
reads are one fact, so their weights are added into one entry.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plexcare.engine.etiology import (
    EXCLUDED,
    EXPLAINED_CAUSES,
    EXPLAINED_FEATURES,
    FeatureWeight,
    RankedCause,
    strongest,
)
from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.engine.fast_records import record
from plexcare.engine.ranking import probability_order
from plexcare.engine.site_and_cause import SiteAndCause, SiteAndCauseModel, cause_fit

FloatArray = npt.NDArray[np.float64]


_Fact = tuple[str, str, bool, str]  # (feature, name, present, reason)


def _history_facts(
    model: SiteAndCauseModel, found: EtiologyFindings, answer: SiteAndCause
) -> tuple[list[_Fact], FloatArray]:
    """The history facts the case states (the joint model's, each once) and their (S, D)
    tempered weights."""
    etiology = model.etiology
    stated = np.flatnonzero((answer.facts > 0) & ~etiology.joint_excluded)
    index = etiology.feature_index
    facts: list[_Fact] = []
    for column in stated:
        fact = etiology.facts[column]
        name = etiology.feature_names[index[fact.feature]]
        reason = found.reasons.get(fact.feature) or (
            name if fact.present else f"not {name.lower()}"
        )
        feature = fact.group if fact.group and fact.group != "given" else fact.feature
        facts.append((feature, name, fact.present, reason))
    weights: FloatArray = model.tempering.history * etiology.weights[stated]
    return facts, weights


def _imaging_facts(
    model: SiteAndCauseModel, found: EtiologyFindings, answer: SiteAndCause
) -> tuple[list[_Fact], FloatArray]:
    """Each imaging kind seen (weighed under the sites each cause is likely at) or not seen,
    with its (S, D) tempered weights."""
    evidence = answer.imaging
    etiology = model.etiology
    if evidence is None:
        return [], np.zeros((0, len(etiology.disorders)))
    sites = answer.joint / np.maximum(answer.joint.sum(axis=0, keepdims=True), 1e-300)
    facts: list[_Fact] = []
    rows: list[FloatArray] = []
    for kind, column, term in evidence.seen:
        name = etiology.feature_names[column]
        reason = found.reasons.get(etiology.features[column], f"imaging: {kind}")
        facts.append((etiology.features[column], name, True, reason))
        rows.append(np.log(np.maximum((sites * np.exp(term)).sum(axis=0), 1e-300)))
    for kind, column, absent in evidence.unseen:
        name = etiology.feature_names[column]
        reason = found.reasons.get(etiology.features[column], f"imaging shows no {kind}")
        facts.append((etiology.features[column], name, False, reason))
        rows.append(absent)
    return facts, model.tempering.imaging * np.array(rows)


def _requirement_weights(
    model: SiteAndCauseModel, found: EtiologyFindings, row: int
) -> list[FeatureWeight]:
    etiology = model.etiology
    out: list[FeatureWeight] = []
    for disorder, column, unrecorded in etiology.requirements:
        if disorder != row:
            continue
        feature = etiology.features[column]
        name = etiology.feature_names[column]
        state = found.state(feature)
        if state == "present":
            continue
        if state == "absent":
            reason = f"{found.reasons.get(feature, 'not ' + name.lower())}: rules it out"
            out.append(FeatureWeight(feature, name, False, reason, float(np.log(EXCLUDED))))
        else:
            reason = f"not recorded: {name.lower()}, which it needs"
            weight = float(np.log(max(unrecorded, EXCLUDED)))
            out.append(FeatureWeight(feature, name, False, reason, weight))
    return out


def _fact_weight(fact: _Fact, weight: float) -> FeatureWeight:
    feature, name, present, reason = fact
    return record(
        FeatureWeight,
        {"feature": feature, "name": name, "present": present, "reason": reason, "weight": weight},
    )


def _reasons(
    facts: list[_Fact], weights: FloatArray, required: list[FeatureWeight]
) -> tuple[tuple[FeatureWeight, ...], tuple[FeatureWeight, ...]]:
    """The strongest facts for and against one cause; a requirement and the fact it reads
    are one entry, their weights added."""
    weights = weights.copy()
    extra: list[FeatureWeight] = []
    for requirement in required:
        key = (requirement.feature, requirement.present)
        match = next((i for i, f in enumerate(facts) if (f[0], f[2]) == key), None)
        if match is None:
            extra.append(requirement)
        else:
            weights[match] += requirement.weight
            facts = [*facts]
            feature, name, present, _ = facts[match]
            facts[match] = (feature, name, present, requirement.reason)
    order: list[int] = np.argsort(-weights, kind="stable").tolist()
    values: list[float] = weights.tolist()
    chosen = [*order[:EXPLAINED_FEATURES], *order[::-1][:EXPLAINED_FEATURES]]
    made = [_fact_weight(facts[i], values[i]) for i in chosen]
    return strongest(made + extra)


def _fit_note(fit: float) -> str:
    if fit >= 1.5:
        return f"the examination and studies favour its sites (×{fit:.1f})"
    if fit <= 1 / 1.5:
        return f"the examination and studies argue against its sites (÷{1 / max(fit, 1e-9):.1f})"
    return "the examination and studies neither favour nor exclude its sites"


def ranked_causes(
    model: SiteAndCauseModel,
    found: EtiologyFindings,
    answer: SiteAndCause,
    explained: int = EXPLAINED_CAUSES,
) -> tuple[RankedCause, ...]:
    """Every cause by its marginal probability; the first `explained` carry their reasons."""
    etiology = model.etiology
    fits = cause_fit(model, answer)
    order = probability_order(answer.cause)
    history, history_weights = _history_facts(model, found, answer)
    imaging, imaging_weights = _imaging_facts(model, found, answer)
    facts = history + imaging
    weights = np.concatenate([history_weights, imaging_weights])
    probabilities: list[float] = answer.cause.tolist()
    fit_values: list[float] = fits.tolist()
    causes: list[RankedCause] = []
    for rank, row in enumerate(order.tolist()):
        supporting: tuple[FeatureWeight, ...] = ()
        against: tuple[FeatureWeight, ...] = ()
        note = ""
        if rank < explained:
            required = _requirement_weights(model, found, row)
            supporting, against = _reasons(facts, weights[:, row], required)
            note = _fit_note(fit_values[row])
        causes.append(
            record(
                RankedCause,
                {
                    "disorder": etiology.disorders[row],
                    "name": etiology.names[row],
                    "category": etiology.categories[row],
                    "probability": probabilities[row],
                    "supporting": supporting,
                    "against": against,
                    "localization_fit": fit_values[row],
                    "localization_note": note,
                },
            )
        )
    return tuple(causes)
