"""The report a clinician sends: who, when, what was found, what it means, what to do.

A referring doctor reads a neuromuscular report in a minute: the patient, the clinician and
the date; the findings as a flowsheet (each muscle, reflex, skin area, study and needle
examination with the right and left side beside each other, abnormal values marked as the
engine read them); the conclusion with the findings behind it; the body map; the plan. It is
built to fit two A4 pages for a typical case, so it leaves out what the assessment page keeps
for the clinician at the screen (every candidate, every weight).

`findings_table` and `conclusion` are pure (a case, a stored assessment and the knowledge base
in, frozen rows out); `pdf_of` turns the report's HTML into a PDF with WeasyPrint, with every
resource inline and any fetch refused, so a report never reaches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plexcare.cases.assessment_rows import Evidence, LocalizationRow
from plexcare.cases.assessment_views import AssessmentPage
from plexcare.engine import Case
from plexcare.engine.case import NeedleResult, StudyResult
from plexcare.engine.findings import observe
from plexcare.engine.localization import localization_model
from plexcare.knowledge.model import KnowledgeBase

EVIDENCE_SHOWN = 4
PLAN_ITEMS_SHOWN = 3


@dataclass(frozen=True)
class SidedRow:
    """A flowsheet row: one test with its right and left results ('' = not done)."""

    name: str
    right: str
    left: str
    right_abnormal: bool
    left_abnormal: bool


@dataclass(frozen=True)
class FindingsSection:
    title: str
    rows: tuple[SidedRow, ...]

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides this section recorded anything on (a one-sided study needs one column)."""
        return tuple(
            side for side in ("right", "left") if any(getattr(row, side) for row in self.rows)
        )


@dataclass(frozen=True)
class HistoryRow:
    name: str
    value: str


@dataclass(frozen=True)
class FindingsTable:
    sections: tuple[FindingsSection, ...]
    history: tuple[HistoryRow, ...]


@dataclass(frozen=True)
class Conclusion:
    """The answer in three sentences, each with the findings behind it."""

    site: str
    site_probability: str
    site_because: tuple[Evidence, ...]
    cause: str
    cause_probability: str
    cause_because: tuple[Evidence, ...]
    plexopathy: str
    next_test: str


def _abnormal_organs(case: Case, kb: KnowledgeBase) -> set[tuple[str, str, str]]:
    """(side, organ type, organ id) of every finding the engine reads as abnormal."""
    model = localization_model(kb)
    observations = observe(case, model.findings, kb, model.finding_model)
    found: set[tuple[str, str, str]] = set()
    for column in observations.abnormal:
        organ = model.findings.specs[column].organ
        found.add((organ.side, organ.type, organ.id))
    return found


SHORT_NAMES = (
    ("sensory nerve action potential", "SNAP"),
    ("compound muscle action potential", "CMAP"),
)
"""Abbreviations every reader of an EMG report knows, so a study's name fits its row."""


def _name(kb_names: Mapping[str, Any], key: str) -> str:
    known = kb_names.get(key)
    name = getattr(known, "name", None)
    if not isinstance(name, str):
        return key.replace("_", " ")
    if getattr(known, "kind", None) == "dermatome":
        name = name.split(" (", 1)[0]
    for long, short in SHORT_NAMES:
        name = name.replace(long, short)
    return name


def _number(value: float) -> str:
    return f"{value:g}"


def _plain(value: Any) -> str:
    """A recorded value in words: lists and nested parts joined, ids' underscores dropped."""
    if isinstance(value, Mapping):
        parts = (
            key.replace("_", " ") if part is True else f"{key.replace('_', ' ')} {_plain(part)}"
            for key, part in value.items()
            if part not in (None, False, "", [], {})
        )
        return "(" + ", ".join(parts) + ")"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(part) for part in value)
    if isinstance(value, float):
        return _number(value)
    return str(value).replace("_", " ")


def _study(result: StudyResult) -> str:
    parts: list[str] = []
    if result.amplitude is not None:
        parts.append(f"{_number(result.amplitude)} {result.unit or ''}".strip())
    if result.grade is not None:
        parts.append(result.grade)
    if result.latency is not None:
        parts.append(f"{_number(result.latency)} ms")
    if result.velocity is not None:
        parts.append(f"{_number(result.velocity)} m/s")
    if result.persistence is not None:
        parts.append(f"{_number(result.persistence)}% F waves")
    if result.conduction_block:
        parts.append("conduction block")
    if result.temporal_dispersion:
        parts.append("temporal dispersion")
    for segment, across in result.segments.items():
        if across.conduction_block:
            parts.append(f"block at {segment.replace('_', ' ')}")
    return ", ".join(parts)


def _needle(result: NeedleResult) -> str:
    parts: list[str] = []
    if result.fibrillations is not None:
        parts.append(f"fibs {result.fibrillations}+" if result.fibrillations else "no fibs")
    if result.fasciculations:
        parts.append("fasciculations")
    if result.myokymia:
        parts.append("myokymia")
    if result.motor_units is not None:
        parts.append(f"{result.motor_units} units")
    if result.recruitment is not None:
        parts.append(f"{result.recruitment} recruitment")
    return ", ".join(parts)


def _section(
    title: str,
    organ_type: str,
    by_side: Mapping[Any, Mapping[str, Any]],
    describe: Callable[[Any], str],
    names: Mapping[str, Any],
    abnormal: set[tuple[str, str, str]],
    extra_types: Iterable[str] = (),
) -> FindingsSection | None:
    keys: list[str] = []
    for side in ("right", "left"):
        for key in by_side.get(side, {}):
            if key not in keys:
                keys.append(key)
    if not keys:
        return None
    types = (organ_type, *extra_types)

    def flagged(side: str, key: str) -> bool:
        return key in by_side.get(side, {}) and any((side, t, key) in abnormal for t in types)

    rows = tuple(
        SidedRow(
            name=_name(names, key),
            right=describe(by_side["right"][key]) if key in by_side.get("right", {}) else "",
            left=describe(by_side["left"][key]) if key in by_side.get("left", {}) else "",
            right_abnormal=flagged("right", key),
            left_abnormal=flagged("left", key),
        )
        for key in keys
    )
    return FindingsSection(title, rows)


def _history(case: Case) -> tuple[HistoryRow, ...]:
    rows: list[HistoryRow] = [HistoryRow("Age and sex", f"{case.age}, {case.sex}")]
    if case.days_since_onset is not None:
        rows.append(HistoryRow("Time since onset", f"{case.days_since_onset / 7:.1f} weeks"))
    if case.tempo:
        rows.append(HistoryRow("Tempo", case.tempo))
    if case.affected_side:
        rows.append(HistoryRow("Affected side", case.affected_side))
    if case.pain.score is not None:
        rows.append(HistoryRow("Worst pain", f"{case.pain.score}/10"))
    present = [
        name.replace("_", " ")
        for name, value in case.symptoms.model_dump().items()
        if value is True or (isinstance(value, int | float) and not isinstance(value, bool))
    ]
    if present:
        rows.append(HistoryRow("Symptoms", "; ".join(present)))
    history = [
        name.replace("_", " ") if value is True else f"{name.replace('_', ' ')}: {_plain(value)}"
        for name, value in case.history.model_dump(exclude_none=True).items()
        if value not in (False, "none", "", [], {})
    ]
    if history:
        rows.append(HistoryRow("History", "; ".join(history)))
    for finding in case.imaging:
        where = ", ".join(part for part in (finding.level, finding.side) if part)
        text = _plain(finding.kind) + (f" ({_plain(where)})" if where else "")
        rows.append(HistoryRow("Imaging", text))
    labs = case.labs.model_dump(exclude_none=True)
    if labs:
        rows.append(
            HistoryRow(
                "Laboratory",
                "; ".join(f"{name.replace('_', ' ')} {_number(v)}" for name, v in labs.items()),
            )
        )
    return tuple(rows)


def findings_table(case: Case, kb: KnowledgeBase) -> FindingsTable:
    """The case as a flowsheet, right beside left, abnormal results marked."""
    abnormal = _abnormal_organs(case, kb)
    strength = {side: exam.strength for side, exam in case.exam.items()}
    reflexes = {side: exam.reflexes for side, exam in case.exam.items()}
    sensation = {side: exam.sensation for side, exam in case.exam.items()}
    movements = {m.movement: m for m in kb.muscles.values()}
    names: dict[str, Any] = {**kb.muscles}
    for movement in movements:
        names.setdefault(movement, None)
    sections = [
        _section(
            "Strength (MRC 0-5)",
            "muscle",
            strength,
            lambda grade: str(grade),
            names,
            abnormal,
            extra_types=("movement",),
        ),
        _section("Reflexes", "reflex", reflexes, str, kb.reflexes, abnormal),
        _section("Sensation", "area", sensation, str, kb.sensory_areas, abnormal),
        _section("Nerve conduction", "study", case.nerve_conduction, _study, kb.studies, abnormal),
        _section("Needle EMG", "muscle", case.emg, _needle, kb.muscles, abnormal),
    ]
    return FindingsTable(
        sections=tuple(section for section in sections if section is not None),
        history=_history(case),
    )


def _strongest(items: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    return items[:EVIDENCE_SHOWN]


def conclusion(page: AssessmentPage) -> Conclusion:
    """The conclusion read from the assessment page's rows (already in clinical words)."""
    leading: LocalizationRow = page.leading
    cause = page.causes[0] if page.causes else None
    summary = page.summary
    return Conclusion(
        site=summary.site,
        site_probability=summary.site_probability,
        site_because=_strongest(leading.supporting),
        cause=summary.cause,
        cause_probability=summary.cause_probability,
        cause_because=_strongest(cause.supporting) if cause else (),
        plexopathy=f"{summary.plexopathy} ({summary.plexopathy_probability})",
        # The study note is whole sentences; the conclusion's line ends it with its own stop.
        next_test=summary.next_test
        if page.next_tests
        else (page.study_note.rstrip(".") or summary.next_test),
    )


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the report fetches nothing; {url!r} must be inline")


def pdf_of(html: str, stylesheet: str) -> bytes:
    """The report's HTML as PDF bytes; `stylesheet` is CSS text, given inline.

    WeasyPrint is imported here, not at start-up: it is heavy, and only this route needs it.
    """
    from weasyprint import CSS, HTML

    document = HTML(string=html, url_fetcher=_refuse_fetch)
    written: bytes = document.write_pdf(
        stylesheets=[CSS(string=stylesheet, url_fetcher=_refuse_fetch)]
    )
    return written
