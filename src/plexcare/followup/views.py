"""What the follow-up page shows: each scale's scores over time (a chart and the same readings
as a table, with the change in the scale's own direction), the visits, and the form that
records the next one. Built without web code, so tests read it without parsing HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from plexcare.followup.chart import OutcomeChart, outcome_chart
from plexcare.followup.service import FollowUpRecord, Series
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.outcome_model import OutcomeScale
from plexcare.portal.layout import PortalPage

SEEN_ON = "seen_on"
NOTE = "note"
CASE = "case_id"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Reading:
    day: str
    value: str


@dataclass(frozen=True)
class SeriesView:
    scale_id: str
    name: str
    chart: OutcomeChart
    readings: tuple[Reading, ...]
    change: str


@dataclass(frozen=True)
class VisitRow:
    day: str
    scores: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ItemField:
    name: str
    label: str
    minimum: int
    maximum: int
    value: str
    error: str


@dataclass(frozen=True)
class ScaleField:
    """One scale's input: a number, or for a sum score its items (the total is added up)."""

    name: str
    label: str
    hint: str
    minimum: float
    maximum: float
    step: str
    value: str
    error: str
    items: tuple[ItemField, ...]


@dataclass(frozen=True, kw_only=True)
class FollowUpPage(PortalPage):
    patient_id: int
    patient_name: str
    series: tuple[SeriesView, ...]
    visits: tuple[VisitRow, ...]
    fields: tuple[ScaleField, ...]
    seen_on: str
    note: str
    today: str
    cases: tuple[Choice, ...] = ()
    case_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _value(scale: OutcomeScale, value: float) -> str:
    number = f"{value:g}"
    return f"{number} {scale.unit}" if scale.unit else number


def _day(moment_day: str) -> str:
    return moment_day


def _change(series: Series, zone: ZoneInfo) -> str:
    summary = series.summary
    if summary is None or summary.count < 2:
        return "One reading so far."
    scale = series.scale
    since = summary.first.taken_at.astimezone(zone)
    if summary.direction == "unchanged":
        return f"Unchanged since {since.day} {since:%B %Y}."
    amount = _value(scale, abs(summary.change))
    words = f"{summary.direction.capitalize()} by {amount} since {since.day} {since:%B %Y}"
    if summary.reaches_mcid is True:
        words += " (at least the change patients notice)"
    elif summary.reaches_mcid is False:
        words += " (less than the change patients notice)"
    return words + "."


def series_views(record: FollowUpRecord, zone: ZoneInfo) -> tuple[SeriesView, ...]:
    """Each scale with readings: its chart, its readings as a table, and the change."""
    views = []
    for series in record.series:
        readings = [(visit.seen_at, value) for visit, value in series.readings]
        views.append(
            SeriesView(
                scale_id=series.scale.id,
                name=series.scale.name,
                chart=outcome_chart(series.scale, readings, zone),
                readings=tuple(
                    Reading(
                        f"{moment.astimezone(zone).day} {moment.astimezone(zone):%B %Y}",
                        _value(series.scale, value),
                    )
                    for moment, value in sorted(readings, key=lambda r: r[0])
                ),
                change=_change(series, zone),
            )
        )
    return tuple(views)


def visit_rows(record: FollowUpRecord, kb: KnowledgeBase, zone: ZoneInfo) -> tuple[VisitRow, ...]:
    rows = []
    for visit, scores in reversed(record.visits):
        local = visit.seen_at.astimezone(zone)
        named = []
        for score in scores:
            scale = kb.outcome_scales.get(score.scale_id)
            name = (scale.short_name or scale.name) if scale else score.scale_id
            named.append(f"{name}: {_value(scale, score.value) if scale else score.value}")
        rows.append(VisitRow(f"{local.day} {local:%B %Y}", tuple(named), visit.note))
    return tuple(rows)


def scale_fields(
    kb: KnowledgeBase, values: Mapping[str, str], errors: Mapping[str, str]
) -> tuple[ScaleField, ...]:
    fields = []
    for scale in kb.outcome_scales.values():
        unit = f" {scale.unit}" if scale.unit else ""
        better = "higher" if scale.better == "higher" else "lower"
        items = tuple(
            ItemField(
                name=f"{scale.id}.{item.id}",
                label=item.name,
                minimum=item.minimum,
                maximum=item.maximum,
                value=values.get(f"{scale.id}.{item.id}", ""),
                error=errors.get(f"{scale.id}.{item.id}", ""),
            )
            for item in scale.items
        )
        fields.append(
            ScaleField(
                name=scale.id,
                label=scale.name,
                hint=(
                    f"{scale.minimum:g} to {scale.maximum:g}{unit}; {better} is better"
                    + ("; grade every item, the total is added up" if items else "")
                ),
                minimum=scale.minimum,
                maximum=scale.maximum,
                step="1" if scale.kind in ("ordinal", "sum") else "0.1",
                value=values.get(scale.id, ""),
                error=errors.get(scale.id, ""),
                items=items,
            )
        )
    return tuple(fields)
