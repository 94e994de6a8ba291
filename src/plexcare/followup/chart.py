"""One outcome scale's scores over time, as the geometry of a small SVG line chart.

Each scored scale gets its own chart over its whole range (an MRC sum from 0 to 30, pain from
0 to 10), never a range fitted to the readings: a two-point change on a 30-point scale must
look like one, not like a collapse. Timed tests start at zero and end at a round number above
the slowest reading. The time axis runs from the first visit to the last; a single
visit sits in the middle. Every point carries its date and value in words, and the page shows
the same readings as a table, so nothing depends on seeing the line.

Pure: a scale, readings and the clinic's time zone in, frozen geometry out; the template
(`followup/_chart.html`) only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from plexcare.knowledge.outcome_model import OutcomeScale

__all__ = ["ChartPoint", "OutcomeChart", "Tick", "outcome_chart"]

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 34
Y_TICKS = 4


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    words: str
    """'2 March 2026: 24 points', for the point's tooltip and screen readers."""


@dataclass(frozen=True)
class OutcomeChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: tuple[ChartPoint, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    title: str
    description: str

    @property
    def line(self) -> str:
        """The polyline's points attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _short_day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %y}"


def _range(scale: OutcomeScale, values: Sequence[float]) -> tuple[float, float]:
    """Ordinal and sum scales over their whole range; a timed test (1 to 600 seconds is
    plausible, 8 to 20 usual) from zero to a round number above its slowest reading, so the
    line does not lie flat along the bottom of a ten-minute axis."""
    if scale.kind != "continuous" or not values:
        return scale.minimum, scale.maximum
    top = max(values) * 1.2
    for step in (1, 2, 5, 10, 20, 50, 100):
        if top <= step * Y_TICKS:
            return 0.0, min(float(step * Y_TICKS), scale.maximum)
    return scale.minimum, scale.maximum


def outcome_chart(
    scale: OutcomeScale, readings: Sequence[tuple[datetime, float]], zone: ZoneInfo
) -> OutcomeChart:
    """The chart of one scale's readings (time-zone-aware times), in time order."""
    ordered = sorted(readings, key=lambda reading: reading[0])
    plot_left, plot_right = float(LEFT), float(WIDTH - RIGHT)
    plot_top, plot_bottom = float(TOP), float(HEIGHT - BOTTOM)
    low, high = _range(scale, [value for _, value in ordered])
    unit = f" {scale.unit}" if scale.unit else ""

    def y_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return plot_bottom - share * (plot_bottom - plot_top)

    def x_of(moment: datetime) -> float:
        if len(ordered) < 2 or ordered[-1][0] == ordered[0][0]:
            return (plot_left + plot_right) / 2
        span = (ordered[-1][0] - ordered[0][0]).total_seconds()
        share = (moment - ordered[0][0]).total_seconds() / span
        return plot_left + share * (plot_right - plot_left)

    points = tuple(
        ChartPoint(
            x=round(x_of(moment), 1),
            y=round(y_of(value), 1),
            words=f"{_day(moment, zone)}: {_number(value)}{unit}",
        )
        for moment, value in ordered
    )
    step = (high - low) / Y_TICKS
    y_ticks = tuple(
        Tick(round(y_of(low + step * i), 1), _number(low + step * i)) for i in range(Y_TICKS + 1)
    )
    shown = [ordered[0], ordered[-1]] if len(ordered) > 1 else ordered[:1]
    x_ticks = tuple(Tick(round(x_of(moment), 1), _short_day(moment, zone)) for moment, _ in shown)
    better = "higher" if scale.better == "higher" else "lower"
    if ordered:
        first, last = ordered[0], ordered[-1]
        description = (
            f"{len(ordered)} reading{'s' if len(ordered) != 1 else ''} from "
            f"{_day(first[0], zone)} ({_number(first[1])}{unit}) to {_day(last[0], zone)} "
            f"({_number(last[1])}{unit}); {better} is better."
        )
    else:
        description = "No readings yet."
    return OutcomeChart(
        width=WIDTH,
        height=HEIGHT,
        left=plot_left,
        right=plot_right,
        top=plot_top,
        bottom=plot_bottom,
        points=points,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        title=f"{scale.name} over time",
        description=description,
    )
