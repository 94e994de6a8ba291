"""Outcome scales for follow-up visits, as the knowledge base describes them.

A follow-up score only means something against its scale: its range, which direction is
better, what each level says in plain words, and how big a change patients notice (the
minimal clinically important difference, MCID). Those are published facts, so they live in
``data/outcome_scales.yaml`` with sources, and this module is their typed shape.

The models repeat the knowledge base's base settings (frozen, no unknown keys) rather than
importing them, so `model.KnowledgeBase` can import `OutcomeScale` without an import cycle.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = ["OutcomeScale", "ScaleItem", "ScaleThreshold"]

ScaleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScaleThreshold(_Record):
    """A published cut-off on a scale, e.g. a Timed Up and Go time that flags a fall risk."""

    value: float
    direction: Literal["at_or_above", "at_or_below"]
    meaning: str = Field(min_length=5)
    sources: tuple[ScaleId, ...] = Field(min_length=1)


class ScaleItem(_Record):
    """One part of a sum score (e.g. hip flexion on the left, graded 0–5)."""

    id: ScaleId
    name: str = Field(min_length=2)
    minimum: int = 0
    maximum: int = Field(ge=1)


class OutcomeScale(_Record):
    """A measure recorded at follow-up, with what its numbers mean.

    ``kind``: ``ordinal`` scales take whole-number levels (each may have a plain description
    in ``levels``); ``sum`` scores add whole-number ``items``; ``continuous`` measures (times
    in seconds) take any number within the plausible range. ``better`` says which way is
    improvement. ``mcid`` is the smallest change patients judge important, where published;
    ``mcid_relative`` the same as a fraction of the first value (pain: 30 %).
    """

    id: ScaleId
    name: str = Field(min_length=3)
    short_name: str = ""
    kind: Literal["ordinal", "continuous", "sum"]
    minimum: float
    maximum: float
    unit: str = ""
    better: Literal["higher", "lower"]
    description: str = Field(min_length=20)
    levels: dict[int, str] = Field(default_factory=dict)
    items: tuple[ScaleItem, ...] = ()
    mcid: float | None = Field(default=None, gt=0)
    mcid_relative: float | None = Field(default=None, gt=0, lt=1)
    mcid_note: str = ""
    thresholds: tuple[ScaleThreshold, ...] = ()
    sources: tuple[ScaleId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeScale:
        if self.maximum <= self.minimum:
            raise ValueError("maximum must be greater than minimum")
        whole = self.kind in ("ordinal", "sum")
        if whole and not (self.minimum.is_integer() and self.maximum.is_integer()):
            raise ValueError(f"an {self.kind} scale needs whole-number bounds")
        for level in self.levels:
            if not self.minimum <= level <= self.maximum:
                raise ValueError(f"level {level} lies outside {self.minimum:g}–{self.maximum:g}")
        if self.kind == "ordinal" and self.levels:
            expected = set(range(int(self.minimum), int(self.maximum) + 1))
            if set(self.levels) != expected:
                raise ValueError("an ordinal scale with levels must describe every level")
        if self.kind == "sum":
            if not self.items:
                raise ValueError("a sum score needs its items")
            if sum(i.minimum for i in self.items) != self.minimum or (
                sum(i.maximum for i in self.items) != self.maximum
            ):
                raise ValueError("a sum score's bounds must be the sums of its items' bounds")
            if len({i.id for i in self.items}) != len(self.items):
                raise ValueError("a sum score lists an item twice")
        elif self.items:
            raise ValueError("only a sum score has items")
        if self.mcid is not None and self.mcid > self.maximum - self.minimum:
            raise ValueError("the MCID cannot exceed the scale's range")
        return self

    @property
    def all_sources(self) -> tuple[str, ...]:
        """Every reference the scale cites, its thresholds' included."""
        cited = list(self.sources)
        for threshold in self.thresholds:
            cited.extend(threshold.sources)
        return tuple(dict.fromkeys(cited))
