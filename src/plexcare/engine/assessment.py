"""`assess(case, kb) -> Assessment`: the engine's one verb, pure and deterministic.

It joins the steps in the order a neuromuscular clinician thinks: where is the lesion and what
causes it (one joint posterior over site and cause, `engine.site_and_cause`, so the two answers
and the plexopathy yes/no come from the same table), what must not be missed, which test to do
next, what is still to be done, and what to treat — with the honest limits of the answer.
Everything expensive (anatomy arrays, likelihood tables, the site-given-cause table) is
compiled once per knowledge base and reused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case, Side
from plexcare.engine.case_names import check_case_names
from plexcare.engine.etiology import EtiologyModel, RankedCause, feature_matrix
from plexcare.engine.etiology_features import EtiologyFindings, derive_etiology_findings
from plexcare.engine.feature_columns import feature_columns
from plexcare.engine.findings import observe
from plexcare.engine.localization import Localization, blend_weights, localize_observations
from plexcare.engine.next_tests import NextTest
from plexcare.engine.observation_plan import observe_batch
from plexcare.engine.outcome import MrcSumScore, mrc_sum_scores
from plexcare.engine.plan import TreatmentPlan, build_plan
from plexcare.engine.ranked_causes import ranked_causes
from plexcare.engine.ranking import probability_order
from plexcare.engine.red_flags import RedFlagAlert, raise_red_flags
from plexcare.engine.site_and_cause import (
    Evidence,
    SiteAndCause,
    edx_log_likelihood_batch,
    score,
    score_batch,
    site_and_cause_model,
)
from plexcare.engine.study_plan import StudyPlan, plan_study
from plexcare.engine.workup import WorkupRecommendation, recommend_workup
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]

UNCERTAIN_CAUSE = 0.5
"""Below this probability the leading cause is reported as uncertain."""
MISSING_FEATURES_NAMED = 4
"""How many unrecorded features the uncertainty note suggests asking about."""
NEXT_TESTS = 8


@dataclass(frozen=True)
class Assessment:
    """The engine's full answer for one case; every part carries what produced it."""

    case_id: str | None
    kb_version: str
    localization: Localization
    etiology: tuple[RankedCause, ...]
    red_flags: tuple[RedFlagAlert, ...]
    next_tests: tuple[NextTest, ...]
    workup: tuple[WorkupRecommendation, ...]
    plan: TreatmentPlan
    outcome: dict[Side, MrcSumScore]  # MRC sum score per examined side
    features: EtiologyFindings
    uncertainty: tuple[str, ...]
    site_and_cause: SiteAndCause | None = dataclasses.field(default=None, repr=False, compare=False)
    study_plan: StudyPlan | None = dataclasses.field(default=None, repr=False, compare=False)
    """The planned study (`engine.study_plan`): the order of the next tests, or why none."""

    @property
    def leading_localization(self) -> str:
        return self.localization.leader.key

    @property
    def leading_cause(self) -> str:
        return self.etiology[0].disorder

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (plain dicts, lists, strings and numbers)."""
        localization = self.localization
        return {
            "case_id": self.case_id,
            "kb_version": self.kb_version,
            "localization": [{**_plain(c), "title": c.label} for c in localization.candidates],
            "plexopathy_probability": round(localization.plexopathy_probability, 4),
            "background_polyneuropathy": round(localization.background_polyneuropathy, 4),
            "findings_used": localization.findings_used,
            "etiology": [
                {**_plain(cause), "explanation": cause.explanation()} for cause in self.etiology
            ],
            "red_flags": [_plain(flag) for flag in self.red_flags],
            "next_tests": [_plain(test) for test in self.next_tests],
            "study_plan": _plain(self.study_plan),
            "workup": [_plain(item) for item in self.workup],
            "plan": _plain(self.plan),
            "outcome": _plain(self.outcome),
            "features": {
                "present": sorted(self.features.present),
                "absent": sorted(self.features.absent),
            },
            "uncertainty": list(self.uncertainty),
        }


def _plain(value: Any) -> Any:
    """Dataclasses to dicts (public, shown fields only), tuples to lists, floats rounded."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr and not f.name.startswith("_")
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _missing_features(
    engine: EtiologyModel, causes: Sequence[RankedCause], found: EtiologyFindings
) -> list[str]:
    """Unrecorded features that would best separate the two leading causes."""
    if len(causes) < 2:
        return []
    index = engine.disorder_index
    first, second = index[causes[0].disorder], index[causes[1].disorder]
    p, q = engine.frequency[first], engine.frequency[second]
    spread = np.abs(np.log(p) - np.log(q)) + np.abs(np.log1p(-p) - np.log1p(-q))
    order: list[int] = np.argsort(-spread, kind="stable").tolist()
    apart: list[bool] = (spread > np.log(2)).tolist()
    stated = found.present | found.absent
    names = [
        engine.feature_names[col].lower()
        for col in order
        if apart[col] and engine.features[col] not in stated
    ]
    return names[:MISSING_FEATURES_NAMED]


def _discordance(
    localization: Localization, causes: Sequence[RankedCause], kb: KnowledgeBase
) -> str | None:
    """A note when the leading cause does not produce a lesion where the localization leads.

    The two steps weigh different evidence (imaging, history and tempo go to the cause; the
    examination and electrodiagnosis to the site), so they can disagree: an L5 radiculopathy
    with a disc on MRI whose needle study happened to spare the paraspinals can rank the
    lumbosacral trunk first. The clinician should see that disagreement, and the cause's own
    best site, rather than two confident answers that do not fit together.
    """
    if not causes:
        return None
    cause = kb.disorders.get(causes[0].disorder)
    leader = localization.leader
    if cause is None or leader.id in cause.localizations:
        return None
    fitting = [c for c in localization.candidates if c.id in cause.localizations]
    best = f"; its likeliest site here is {fitting[0].label} at {fitting[0].probability:.0%}"
    return (
        f"The leading cause, {cause.name}, does not usually produce a lesion at the leading "
        f"localization, {leader.label} at {leader.probability:.0%}{best if fitting else ''}: "
        "weigh the findings that separate the two."
    )


def _give_way_note(case: Case, kb: KnowledgeBase) -> str | None:
    """Plain words for the clinician when give-way (non-organic) weakness was recorded."""
    named: list[str] = []
    for side, exam in sorted(case.exam.items()):
        for name in exam.give_way:
            muscle = kb.muscles.get(name)
            what = muscle.name if muscle is not None else name.replace("_", " ")
            named.append(f"{side} {what}")
    if not named:
        return None
    return (
        f"Give-way weakness recorded ({'; '.join(named)}): strength there was not scored as "
        "weakness, since weakness that collapses or varies with effort is a sign of a "
        "non-organic (functional) component. It does not exclude a lesion: the ranking rests "
        "on the other findings, and electrodiagnosis decides."
    )


def _uncertainty(
    localization: Localization,
    causes: Sequence[RankedCause],
    found: EtiologyFindings,
    engine: EtiologyModel,
    kb: KnowledgeBase,
    case: Case | None = None,
) -> tuple[str, ...]:
    notes = list(localization.uncertainty)
    give_way = _give_way_note(case, kb) if case is not None else None
    if give_way is not None:
        notes.append(give_way)
    discordance = _discordance(localization, causes, kb)
    if discordance is not None:
        notes.append(discordance)
    if causes and causes[0].probability < UNCERTAIN_CAUSE:
        notes.append(
            f"The cause is uncertain: the leading cause has {causes[0].probability:.0%}; "
            "treat the ranking as a differential, not a diagnosis."
        )
    missing = _missing_features(engine, causes, found)
    if missing:
        notes.append(
            f"Not recorded, and would help separate {causes[0].name.lower()} from "
            f"{causes[1].name.lower()}: {'; '.join(missing)}."
        )
    return tuple(notes)


def assess(case: Case, kb: KnowledgeBase) -> Assessment:
    """Assess one case against the knowledge base (raises `CaseError` on an unknown name)."""
    check_case_names(case, kb)
    model = site_and_cause_model(kb)
    table = model.localization
    observations = observe(case, table.findings, kb, table.finding_model)
    found = derive_etiology_findings(case, kb)
    states = feature_matrix(model.etiology, [found])[0]
    answer = score(model, Evidence(observations, states, case.imaging))
    localization = localize_observations(
        observations, kb, shown=answer.site, joint=answer.site_background
    )
    causes = ranked_causes(model, found, answer)
    flags = raise_red_flags(case, kb, found)
    study = plan_study(case, observations, answer, kb, limit=NEXT_TESTS)
    return Assessment(
        case_id=case.id,
        kb_version=kb.version,
        localization=localization,
        etiology=causes,
        red_flags=flags,
        next_tests=study.tests,
        workup=recommend_workup(case, causes, flags, kb),
        plan=build_plan(case, found, causes, flags, kb),
        outcome=dict(mrc_sum_scores(case)),
        features=found,
        uncertainty=_uncertainty(localization, causes, found, model.etiology, kb, case),
        site_and_cause=answer,
        study_plan=study,
    )


@dataclass(frozen=True)
class BatchAssessment:
    """Localization and etiology for many cases, as arrays (cases × candidates / disorders)."""

    case_ids: tuple[str | None, ...]
    candidate_keys: tuple[str, ...]
    candidate_titles: tuple[str, ...]
    localization: FloatArray
    plexopathy_probability: FloatArray
    disorders: tuple[str, ...]
    disorder_names: tuple[str, ...]
    etiology: FloatArray

    def __len__(self) -> int:
        return len(self.case_ids)

    def case(self, row: int, top: int = 3) -> dict[str, Any]:
        """One case's leading answers as plain data."""
        sites = probability_order(self.localization[row])[:top]
        causes = probability_order(self.etiology[row])[:top]
        return {
            "case_id": self.case_ids[row],
            "localization": [
                {
                    "key": self.candidate_keys[i],
                    "title": self.candidate_titles[i],
                    "probability": round(float(self.localization[row, i]), 4),
                }
                for i in sites
            ],
            "plexopathy_probability": round(float(self.plexopathy_probability[row]), 4),
            "etiology": [
                {
                    "disorder": self.disorders[i],
                    "name": self.disorder_names[i],
                    "probability": round(float(self.etiology[row, i]), 4),
                }
                for i in causes
            ],
        }


def assess_batch(cases: Iterable[Case], kb: KnowledgeBase) -> BatchAssessment:
    """Site and cause for many cases in one vectorized pass, from the same joint model."""
    case_list = list(cases)
    model = site_and_cause_model(kb)
    table = model.localization
    batch = observe_batch(case_list, table.findings, kb, table.finding_model, check_names=True)
    blends = blend_weights((batch.matrix >= 0).sum(axis=1), batch.days_since_onset)
    answer = score_batch(
        model,
        edx_log_likelihood_batch(model, batch),
        batch.background_priors,
        feature_columns(case_list, model.etiology.feature_index, kb),
        [case.imaging for case in case_list],
        blends,
    )
    candidates = table.arrays.candidates
    return BatchAssessment(
        case_ids=tuple(c.id for c in case_list),
        candidate_keys=tuple(c.key for c in candidates),
        candidate_titles=tuple(c.title for c in candidates),
        localization=answer.site,
        plexopathy_probability=answer.plexopathy_probability,
        disorders=model.etiology.disorders,
        disorder_names=model.etiology.names,
        etiology=answer.cause,
    )
