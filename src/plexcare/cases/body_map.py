"""The body map: both legs and the lumbosacral plexus, with what was found and where the
leading site's fibres go, as shapes for an SVG and as a list of words.

A clinician reads a localization faster from a picture than from a table: weakness in the
front of the leg and sensory loss on the top of the foot beside a highlighted L5 root says
"L5" at a glance, and a weak thigh outside the highlighted territory says "look again". The
picture is a schematic, not an atlas: each leg is a few boxes (buttock, thigh, leg, foot, each
split into the surfaces a clinician examines) under a wiring diagram of roots, plexus and
nerves.

Everything drawn comes from the case and the knowledge base, through the engine: the
abnormal findings are the engine's own reading of the case (`engine.findings.observe`, so
age-dependent normal limits and give-way weakness count exactly as in the ranking), and the
predicted territory is the set of muscles and skin areas at least half of whose fibres pass
through the leading site's cut (the compiled anatomy's fibre-fraction matrix). Only the
drawing itself is decided in this package: which box of the schematic a muscle or skin area
falls in (`body_map_layout`). Pure: a case, the knowledge base and the leading candidate's
key in, a frozen map out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from plexcare.cases.body_map_layout import (
    AREA_ZONES,
    FOOT_DISTALITY,
    FOOT_ZONES,
    HEIGHT,
    MOVEMENT_ZONES,
    NODES,
    REGION_ZONES,
    SADDLE,
    WIDTH,
    WIRES,
    ZONES,
)
from plexcare.engine.anatomy_arrays import EndOrgan
from plexcare.engine.case import Case
from plexcare.engine.findings import observe
from plexcare.engine.lesion_candidates import LesionCandidate
from plexcare.engine.localization import localization_model
from plexcare.knowledge.model import KnowledgeBase

__all__ = ["Badge", "BodyMap", "Link", "Mark", "Shape", "TextGroup", "body_map", "stored_body_map"]

Mark = Literal["weak", "sensory", "emg", "study"]
LegSide = Literal["left", "right"]
LEGS: tuple[LegSide, ...] = ("right", "left")
"""The legs in the order they are drawn (the right leg on the viewer's left, see `_x`)."""

TERRITORY_SHARE = 0.5
"""A muscle or skin area is in the predicted territory when at least this share of its
fibres pass through the leading site's cut."""

MARK_LETTERS: Mapping[Mark, str] = {"weak": "W", "sensory": "S", "emg": "E", "study": "N"}
MARK_WORDS: Mapping[Mark, str] = {
    "weak": "weakness",
    "sensory": "reduced or lost sensation",
    "emg": "abnormal needle EMG",
    "study": "abnormal nerve conduction",
}

MUSCLE_EMG_KINDS = frozenset(
    {"fibrillations", "neurogenic_units", "myopathic_units", "fasciculations", "myokymia"}
)


@dataclass(frozen=True)
class Badge:
    """A lettered mark drawn inside a shape (colour is never the only cue)."""

    x: float
    y: float
    letter: str
    mark: Mark


@dataclass(frozen=True)
class Shape:
    """A box of the drawing: a zone of a leg (`kind` "zone") or a node of the wiring diagram
    ("node"). `site` marks the leading site's own structures; `territory` the zones its
    fibres supply."""

    id: str
    side: str
    kind: Literal["zone", "node"]
    words: str
    short: str
    x: float
    y: float
    width: float
    height: float
    site: bool
    territory: bool
    marks: tuple[Mark, ...]
    badges: tuple[Badge, ...]

    @property
    def label_x(self) -> float:
        return self.x + self.width / 2

    @property
    def label_y(self) -> float:
        return self.y + (12 if self.kind == "zone" else self.height / 2 + 4)


@dataclass(frozen=True)
class Link:
    x1: float
    y1: float
    x2: float
    y2: float
    site: bool


@dataclass(frozen=True)
class TextGroup:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class BodyMap:
    """The drawing and its text alternative, which lists the same facts in words."""

    width: int
    height: int
    shapes: tuple[Shape, ...]
    links: tuple[Link, ...]
    leading: str
    summary: str
    groups: tuple[TextGroup, ...]

    @property
    def leading_words(self) -> str:
        """The short form for the printed report: which site is drawn dark, nothing more."""
        return f"Leading site: {self.leading}." if self.leading != "not known" else ""

    @property
    def marked(self) -> tuple[Shape, ...]:
        return tuple(shape for shape in self.shapes if shape.marks)


def _x(side: LegSide, offset: float, width: float) -> float:
    """The right leg on the viewer's left; the left leg its mirror image."""
    return offset if side == "right" else WIDTH - offset - width


def _muscle_zone(kb: KnowledgeBase, muscle_id: str) -> str | None:
    muscle = kb.muscles.get(muscle_id)
    if muscle is None or muscle.body_region != "lumbosacral":
        return None
    zone = MOVEMENT_ZONES.get(muscle.movement)
    if zone is not None and muscle.distality >= FOOT_DISTALITY:
        zone = FOOT_ZONES.get(zone, zone)
    return zone


def _area_zones(kb: KnowledgeBase, area_id: str) -> tuple[str, ...]:
    if area_id in AREA_ZONES:
        return AREA_ZONES[area_id]
    area = kb.sensory_areas.get(area_id)
    zone = REGION_ZONES.get(area.region) if area is not None else None
    return (zone,) if zone is not None else ()


def _organ_zones(kb: KnowledgeBase, organ_type: str, organ_id: str) -> tuple[str, ...]:
    if organ_type == "muscle":
        zone = _muscle_zone(kb, organ_id)
        return (zone,) if zone is not None else ()
    if organ_type == "movement":
        zone = MOVEMENT_ZONES.get(organ_id)
        return (zone,) if zone is not None else ()
    if organ_type == "area":
        return _area_zones(kb, organ_id)
    return ()


def _node_of(kb: KnowledgeBase, structure: str) -> str | None:
    """The diagram node that stands for a structure: its own, or its nearest ancestor's."""
    heads = {member: node for node, *_rest, members in NODES for member in members}
    frontier = [structure]
    seen: set[str] = set()
    while frontier:
        found = [heads[s] for s in frontier if s in heads]
        if found:
            return found[0]
        seen.update(frontier)
        parents: list[str] = []
        for s in frontier:
            known = kb.structures.get(s)
            if known is not None:
                parents.extend(p for p in known.parents if p not in seen)
        frontier = parents
    return None


def _candidate(kb: KnowledgeBase, key: str | None) -> LesionCandidate | None:
    if not key:
        return None
    arrays = localization_model(kb).arrays
    column = arrays.candidate_index.get(key)
    return None if column is None else arrays.candidates[column]


def _territory(kb: KnowledgeBase, candidate: LesionCandidate | None) -> set[tuple[str, str]]:
    """(side, zone) pairs where most fibres of a muscle or skin area pass the cut."""
    if candidate is None:
        return set()
    arrays = localization_model(kb).arrays
    column = arrays.candidate_index[candidate.key]
    zones: set[tuple[str, str]] = set()
    for row, organ in enumerate(arrays.organs):
        if organ.type not in ("muscle", "area") or organ.side == "midline":
            continue
        if arrays.fraction[row, column] >= TERRITORY_SHARE:
            zones.update((organ.side, zone) for zone in _organ_zones(kb, organ.type, organ.id))
    return zones


def _site_nodes(kb: KnowledgeBase, candidate: LesionCandidate | None) -> set[tuple[str, str]]:
    if candidate is None:
        return set()
    nodes: set[tuple[str, str]] = set()
    for side, cut in (("left", candidate.left_cut), ("right", candidate.right_cut)):
        for structure in cut:
            node = _node_of(kb, structure)
            if node is not None:
                nodes.add((side, node))
    return nodes


@dataclass
class _Findings:
    marks: dict[tuple[str, str], set[Mark]]
    words: dict[str, list[str]]

    def add(self, where: Iterable[tuple[str, str]], mark: Mark, text: str, group: str) -> None:
        for place in where:
            self.marks.setdefault(place, set()).add(mark)
        if text not in self.words.setdefault(group, []):
            self.words[group].append(text)


GROUPS = (
    ("weak", "Weakness"),
    ("sensory", "Reduced or lost sensation"),
    ("emg", "Abnormal needle EMG"),
    ("study", "Abnormal nerve conduction"),
    ("other", "Other abnormal findings"),
)


def _weakness(case: Case, organ: EndOrgan) -> str:
    """'left Tibialis anterior MRC 4': the grade as recorded, which says more than 'weak'."""
    exam = case.exam.get("left" if organ.side == "left" else "right")
    exam = exam if organ.side in ("left", "right") else None
    grade = exam.strength.get(organ.id) if exam is not None else None
    graded = f" MRC {grade}" if grade is not None else " weak"
    return f"{organ.side} {organ.name}{graded}"


def _findings(case: Case, kb: KnowledgeBase) -> _Findings:
    """The engine's abnormal findings, placed on zones (muscles, skin) and nodes (studies)."""
    model = localization_model(kb)
    observations = observe(case, model.findings, kb, model.finding_model)
    found = _Findings(marks={}, words={})
    for column in observations.abnormal:
        spec = model.findings.specs[column]
        organ, kind = spec.organ, spec.kind.value
        text = spec.describe(abnormal=True)
        side = organ.side
        if organ.type in ("muscle", "movement") and kind in ("weakness", "severe_weakness"):
            zones = _organ_zones(kb, organ.type, organ.id)
            found.add(((side, z) for z in zones), "weak", _weakness(case, organ), "weak")
        elif organ.type == "muscle" and kind in MUSCLE_EMG_KINDS:
            zones = _organ_zones(kb, organ.type, organ.id)
            found.add(((side, z) for z in zones), "emg", text, "emg")
        elif organ.type == "area":
            zones = _organ_zones(kb, organ.type, organ.id)
            place = "midline" if "saddle" in zones else side
            found.add(((place, z) for z in zones), "sensory", text, "sensory")
        elif organ.type == "study":
            study = kb.studies.get(organ.id)
            nodes = {_node_of(kb, nerve) for nerve in study.nerves} if study else set()
            found.add(((side, n) for n in nodes if n), "study", text, "study")
        elif organ.type != "leg":
            found.add((), "weak", text, "other")
    return found


def _badges(
    x: float, y: float, width: float, height: float, marks: Iterable[Mark]
) -> tuple[Badge, ...]:
    ordered = [mark for mark in MARK_LETTERS if mark in set(marks)]
    return tuple(
        Badge(x=x + 9 + 15 * index, y=y + height - 9, letter=MARK_LETTERS[mark], mark=mark)
        for index, mark in enumerate(ordered)
    )


def _zone(
    *,
    id: str,
    side: str,
    words: str,
    short: str,
    box: tuple[float, float, float, float],
    territory: bool,
    found: set[Mark],
) -> Shape:
    """One zone of a leg (or the saddle) with the letters of what was found in it."""
    x, y, width, height = box
    return Shape(
        id=id,
        side=side,
        kind="zone",
        words=words,
        short=short,
        x=x,
        y=y,
        width=width,
        height=height,
        site=False,
        territory=territory,
        marks=tuple(m for m in MARK_LETTERS if m in found),
        badges=_badges(x, y, width, height, found),
    )


def _zone_shapes(
    territory: set[tuple[str, str]], marks: Mapping[tuple[str, str], set[Mark]]
) -> list[Shape]:
    shapes = [
        _zone(
            id=f"{side}-{zone_id}",
            side=side,
            words=f"{side} {words}",
            short=short,
            box=(_x(side, offset, width), y, width, height),
            territory=(side, zone_id) in territory,
            found=marks.get((side, zone_id), set()),
        )
        for side in LEGS
        for zone_id, words, short, offset, y, width, height in ZONES
    ]
    zone_id, words, short, x, y, width, height = SADDLE
    saddle_marks = marks.get(("midline", zone_id), set()) | marks.get(("left", zone_id), set())
    saddle_marks |= marks.get(("right", zone_id), set())
    shapes.append(
        _zone(
            id=zone_id,
            side="midline",
            words=words,
            short=short,
            box=(x, y, width, height),
            territory=any(z == zone_id for _s, z in territory),
            found=saddle_marks,
        )
    )
    return shapes


def _node_shapes(
    sites: set[tuple[str, str]], marks: Mapping[tuple[str, str], set[Mark]]
) -> tuple[list[Shape], list[Link]]:
    shapes: list[Shape] = []
    boxes: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    for side in ("right", "left"):
        for node_id, short, words, offset, y, width, height, _members in NODES:
            x = _x(side, offset, width)
            boxes[(side, node_id)] = (x, y, width, height)
            node_marks = marks.get((side, node_id), set())
            shapes.append(
                Shape(
                    id=f"{side}-{node_id}",
                    side=side,
                    kind="node",
                    words=f"{side} {words}",
                    short=short,
                    x=x,
                    y=y,
                    width=width,
                    height=height,
                    site=(side, node_id) in sites,
                    territory=False,
                    marks=tuple(m for m in MARK_LETTERS if m in node_marks),
                    badges=tuple(
                        Badge(x=x + width, y=y, letter=MARK_LETTERS[m], mark=m)
                        for m in MARK_LETTERS
                        if m in node_marks
                    ),
                )
            )
    links: list[Link] = []
    for side in ("right", "left"):
        for upper, lower in WIRES:
            ux, uy, uw, uh = boxes[(side, upper)]
            lx, ly, lw, _lh = boxes[(side, lower)]
            links.append(
                Link(
                    x1=ux + uw / 2,
                    y1=uy + uh,
                    x2=lx + lw / 2,
                    y2=ly,
                    site=(side, upper) in sites and (side, lower) in sites,
                )
            )
    return shapes, links


def _zone_words(shapes: Iterable[Shape]) -> str:
    return "; ".join(shape.words for shape in shapes)


def body_map(case: Case, kb: KnowledgeBase, leading_key: str | None) -> BodyMap:
    """The map of one case: its abnormal findings, and the leading candidate's site and
    territory (`leading_key` as the localization names it, e.g. `root_l5@left`; an unknown
    or generalized leader draws no territory and says why)."""
    candidate = _candidate(kb, leading_key)
    territory = _territory(kb, candidate)
    sites = _site_nodes(kb, candidate)
    found = _findings(case, kb)
    zones = _zone_shapes(territory, found.marks)
    nodes, links = _node_shapes(sites, found.marks)
    leading = candidate.title if candidate is not None else "not known"
    in_territory = [shape for shape in zones if shape.territory]
    site_words = _zone_words(shape for shape in nodes if shape.site)
    if candidate is None:
        summary = "No leading site to draw."
    elif not in_territory and not site_words:
        summary = (
            f"The leading answer, {leading}, is not a single place in the plexus or its "
            "nerves, so no territory is drawn."
        )
    else:
        summary = (
            f"Leading site: {leading}"
            + (f" (drawn at: {site_words})" if site_words else "")
            + (f". Its predicted territory: {_zone_words(in_territory)}." if in_territory else ".")
        )
    groups = tuple(
        TextGroup(heading, tuple(found.words[key]))
        for key, heading in GROUPS
        if found.words.get(key)
    )
    return BodyMap(
        width=WIDTH,
        height=HEIGHT,
        shapes=(*nodes, *zones),
        links=tuple(links),
        leading=leading,
        summary=summary,
        groups=groups,
    )


def stored_body_map(case: Case, kb: KnowledgeBase, answer: Mapping[str, object]) -> BodyMap:
    """The map of a case beside its stored answer: the leader is the first candidate of the
    answer's localization as it was saved (none when the stored answer names none), so the
    assessment page and the report draw the same territory the clinician saw when saving."""
    localization = answer.get("localization")
    leader = localization[0] if isinstance(localization, list) and localization else {}
    key = leader.get("key") if isinstance(leader, Mapping) else None
    return body_map(case, kb, key if isinstance(key, str) else None)
