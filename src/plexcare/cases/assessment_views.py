"""The clinician's view of one assessment, as a typed page context.

The page opens with a summary that fits one screen: the leading site and cause with their
probabilities, whether this is a plexopathy, the red flags and the next test. The details
follow in clinical priority, as in the terminal report: red flags, where the lesion is (with
the findings for and against each place), what causes it and why, the next most informative
tests, the outstanding work-up, the plan with this patient's cautions, and the honest limits
of the answer. Bars are widths in per cent, drawn by CSS, so the page needs no JavaScript and
prints as it shows.

It is built from the assessment as stored with the case version (`Assessment.to_dict()`), not
by running the engine again: a saved version shows what the clinician saw when they decided,
even after the knowledge base has moved on. Each part of the stored form is read into a row
by `assessment_rows` (defensively, and in names, never the engine's ids); this module puts
the rows together into the page and its summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plexcare.cases.assessment_rows import (
    CauseRow,
    FollowUpRow,
    LocalizationRow,
    PlanGroup,
    RedFlagRow,
    TestRow,
    WorkupRow,
    bar_width,
    cause_row,
    in_words_of,
    localization_row,
    next_test_row,
    number_of,
    parts_of,
    percent,
    plan_row,
    red_flag_row,
    text_of,
)
from plexcare.cases.body_map import BodyMap
from plexcare.engine import Assessment
from plexcare.portal.layout import Frame, PortalPage

CANDIDATES_SHOWN = 8
CAUSES_SHOWN = 6
PLEXOPATHY_LIKELY = 0.5
PLAN_GROUPS = (
    ("cause_directed", "Treat the cause"),
    ("pain", "Pain"),
    ("rehabilitation", "Rehabilitation"),
    ("supportive", "Supportive care"),
    ("referrals", "Referrals and surgery"),
)


@dataclass(frozen=True)
class Summary:
    """The one-screen answer: site, cause, plexopathy yes or no, red flags, next test."""

    site: str
    site_probability: str
    cause: str
    cause_probability: str
    plexopathy: str
    plexopathy_probability: str
    red_flags: tuple[RedFlagRow, ...]
    next_test: str
    next_test_reason: str


@dataclass(frozen=True)
class CaseHeader:
    """Which stored record this is: the patient, the case and the version shown."""

    case_id: int
    patient_id: int
    patient_name: str
    title: str
    version: int
    latest_version: int
    versions: tuple[int, ...]
    saved_on: str
    author: str


@dataclass(frozen=True)
class Evaluation:
    """How much the answer rests on: findings the site ranking weighed, history features."""

    findings_used: int
    features_used: int
    days_since_onset: str

    @property
    def in_words(self) -> str:
        if self.findings_used == 0:
            found = "no examination or study findings yet (the site ranking is the prior)"
        else:
            found = f"{self.findings_used} examination and study findings"
        plural = "" if self.features_used == 1 else "s"
        return f"{found}; {self.features_used} history and imaging feature{plural}"


@dataclass(frozen=True, kw_only=True)
class AssessmentPage(PortalPage):
    case_label: str
    kb_version: str
    summary: Summary
    evaluation: Evaluation
    leading: LocalizationRow
    localization: tuple[LocalizationRow, ...]
    plexopathy_probability: str
    plexopathy_bar: int
    background_polyneuropathy: str
    causes: tuple[CauseRow, ...]
    red_flags: tuple[RedFlagRow, ...]
    next_tests: tuple[TestRow, ...]
    workup: tuple[WorkupRow, ...]
    plan: tuple[PlanGroup, ...]
    follow_up: tuple[FollowUpRow, ...]
    uncertainty: tuple[str, ...]
    saved_note: str = ""
    header: CaseHeader | None = None
    body_map: BodyMap | None = None
    study_summary: str = ""
    """The planned study as a whole (the order of the next tests), when the engine gives one."""
    study_note: str = ""
    """Why no test is suggested, or when to repeat an early study, when the engine says."""


def _summary(
    localization: Sequence[LocalizationRow],
    causes: Sequence[CauseRow],
    plexopathy: float,
    red_flags: tuple[RedFlagRow, ...],
    tests: Sequence[TestRow],
    study_note: str,
) -> Summary:
    site = localization[0] if localization else None
    cause = causes[0] if causes else None
    test = tests[0] if tests else None
    return Summary(
        site=site.label[:1].upper() + site.label[1:] if site else "Not known",
        site_probability=site.probability if site else "",
        cause=cause.name if cause else "Not known",
        cause_probability=cause.probability if cause else "",
        plexopathy="Likely" if plexopathy >= PLEXOPATHY_LIKELY else "Unlikely",
        plexopathy_probability=percent(plexopathy),
        red_flags=red_flags,
        next_test=test.name if test else "No further test changes the ranking much",
        next_test_reason=test.reason if test else study_note,
    )


def stored_assessment_page(
    *,
    frame: Frame,
    answer: Mapping[str, Any],
    header: CaseHeader | None = None,
    body_map: BodyMap | None = None,
    saved_note: str = "",
    days_since_onset: float | None = None,
) -> AssessmentPage:
    """The page for an assessment in its stored form (`Assessment.to_dict()`);
    `days_since_onset` comes from the case, which the stored answer does not repeat."""
    if not isinstance(answer, Mapping):
        answer = {}
    localization = tuple(
        localization_row(c) for c in parts_of(answer.get("localization"))[:CANDIDATES_SHOWN]
    )
    leading = localization[0] if localization else LocalizationRow("not known", "", 0, (), ())
    plexopathy = number_of(answer, "plexopathy_probability")
    causes = tuple(cause_row(c) for c in parts_of(answer.get("etiology"))[:CAUSES_SHOWN])
    red_flags = tuple(red_flag_row(flag) for flag in parts_of(answer.get("red_flags")))
    tests = tuple(next_test_row(t) for t in parts_of(answer.get("next_tests")))
    plan = answer.get("plan") if isinstance(answer.get("plan"), Mapping) else {}
    assert isinstance(plan, Mapping)
    groups = tuple(
        PlanGroup(title, tuple(plan_row(item) for item in parts_of(plan.get(name))))
        for name, title in PLAN_GROUPS
        if parts_of(plan.get(name))
    )
    study = answer.get("study_plan") if isinstance(answer.get("study_plan"), Mapping) else {}
    assert isinstance(study, Mapping)
    study_note = " ".join(
        part for part in (text_of(study, "note"), text_of(study, "repeat")) if part
    )
    features = answer.get("features") if isinstance(answer.get("features"), Mapping) else {}
    assert isinstance(features, Mapping)
    days = days_since_onset
    uncertainty = answer.get("uncertainty")
    return AssessmentPage(
        frame=frame,
        case_label=header.title if header else (text_of(answer, "case_id") or "unlabelled case"),
        kb_version=text_of(answer, "kb_version") or "not recorded",
        summary=_summary(localization, causes, plexopathy, red_flags, tests, study_note),
        evaluation=Evaluation(
            findings_used=int(number_of(answer, "findings_used")),
            features_used=sum(len(features.get(key) or ()) for key in ("present", "absent")),
            days_since_onset=(
                f"{days:g} days" if isinstance(days, int | float) else "not recorded"
            ),
        ),
        leading=leading,
        localization=localization,
        plexopathy_probability=percent(plexopathy),
        plexopathy_bar=bar_width(plexopathy),
        background_polyneuropathy=percent(number_of(answer, "background_polyneuropathy")),
        causes=causes,
        red_flags=red_flags,
        next_tests=tests,
        workup=tuple(
            WorkupRow(
                text_of(w, "name") or in_words_of(text_of(w, "test")),
                in_words_of(text_of(w, "priority")),
                text_of(w, "timing"),
                text_of(w, "reason"),
            )
            for w in parts_of(answer.get("workup"))
        ),
        plan=groups,
        follow_up=tuple(
            FollowUpRow(text_of(v, "when"), text_of(v, "what"), text_of(v, "why"))
            for v in parts_of(plan.get("follow_up"))
        ),
        uncertainty=tuple(
            note for note in (uncertainty if isinstance(uncertainty, list) else ()) if note
        ),
        saved_note=saved_note,
        header=header,
        body_map=body_map,
        study_summary=text_of(study, "summary"),
        study_note=study_note,
    )


def assessment_page(
    *, frame: Frame, assessment: Assessment, saved_note: str = "", body_map: BodyMap | None = None
) -> AssessmentPage:
    """The page for an assessment just computed and not stored (a preview)."""
    return stored_assessment_page(
        frame=frame,
        answer=assessment.to_dict(),
        body_map=body_map,
        saved_note=saved_note,
        days_since_onset=assessment.localization.days_since_onset,
    )
