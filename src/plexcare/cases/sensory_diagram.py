"""Where each skin area of the sensory examination is drawn on the case form's leg diagram.

A schematic, not an atlas: each leg is drawn from the front, from behind and from the sole,
and each nerve territory the knowledge base names is a shape in one of those views, roughly
where the nerve supplies the skin. Dermatomes overlap the territories and are entered in the
table beneath the diagram. The diagram only sets the same fields as that table, so everything
it does can also be done without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from plexcare.knowledge.model import KnowledgeBase

VIEW_WIDTH = 60
"""The width of one view of one leg, in the drawing's units; a view is 200 high."""
VIEWS = ("front", "back", "sole")
VIEW_LABELS = {"front": "front", "back": "back", "sole": "sole"}

SHAPES: dict[str, tuple[str, str]] = {
    "iliohypogastric_territory": ("front", "10,0 60,0 60,12 10,12"),
    "femoral_triangle_genitofemoral": ("front", "14,12 38,12 38,26 14,26"),
    "groin_ilioinguinal": ("front", "38,12 60,12 60,26 38,26"),
    "lateral_thigh": ("front", "2,26 18,26 18,88 4,88"),
    "anterior_thigh": ("front", "18,26 60,26 60,60 44,60 44,88 18,88"),
    "medial_thigh": ("front", "44,60 60,60 58,88 44,88"),
    "lateral_calf": ("front", "6,96 26,96 24,132 8,132"),
    "medial_leg": ("front", "36,96 56,96 54,168 38,168"),
    "dorsum_of_foot": ("front", "8,132 30,132 30,170 46,170 46,188 10,188 12,168"),
    "first_web_space": ("front", "46,180 58,180 58,196 46,196"),
    "saddle_perineum": ("back", "40,0 60,0 60,18 46,18"),
    "posterior_thigh": ("back", "4,20 56,20 54,100 8,100"),
    "heel": ("sole", "18,176 42,176 42,198 18,198"),
    "medial_sole": ("sole", "32,110 52,110 50,176 32,176"),
    "lateral_sole": ("sole", "10,110 32,110 32,176 14,176"),
    "lateral_foot": ("sole", "2,120 10,120 12,190 4,190"),
}
"""Each territory's view and the points of its outline (x from the leg's lateral edge, so a
left and a right leg are drawn as mirror images)."""

OUTLINES = {
    "front": "8,0 60,0 60,90 56,170 60,200 6,200 10,170 4,90",
    "back": "8,0 60,0 60,90 56,170 56,200 8,200 10,170 4,90",
    "sole": "6,100 54,100 54,200 6,200",
}
"""The outline of a leg in each view, drawn behind the areas."""


@dataclass(frozen=True)
class AreaShape:
    area_id: str
    name: str
    side: str
    view: str
    points: str


@dataclass(frozen=True)
class ViewOutline:
    side: str
    view: str
    x: int
    points: str
    caption: str


def _placed(points: str, x: int, mirrored: bool) -> str:
    placed = []
    for pair in points.split():
        px, py = (int(value) for value in pair.split(","))
        placed.append(f"{x + (VIEW_WIDTH - px if mirrored else px)},{py}")
    return " ".join(placed)


def _offset(side: str, view: str) -> int:
    """Views left to right: the right leg's three views, then the left leg's, as the
    clinician faces the patient."""
    leg = 0 if side == "right" else 1
    return (leg * len(VIEWS) + VIEWS.index(view)) * (VIEW_WIDTH + 12) + 4


def diagram(kb: KnowledgeBase) -> tuple[tuple[ViewOutline, ...], tuple[AreaShape, ...]]:
    """The outlines and the clickable areas for both legs; areas the knowledge base no longer
    names are left out, and new ones appear in the table until they are drawn here."""
    outlines = tuple(
        ViewOutline(
            side=side,
            view=view,
            x=_offset(side, view),
            points=_placed(OUTLINES[view], _offset(side, view), side == "left"),
            caption=f"{side} {VIEW_LABELS[view]}",
        )
        for side in ("right", "left")
        for view in VIEWS
    )
    shapes = tuple(
        AreaShape(
            area_id=area_id,
            name=kb.sensory_areas[area_id].name,
            side=side,
            view=view,
            points=_placed(points, _offset(side, view), side == "left"),
        )
        for side in ("right", "left")
        for area_id, (view, points) in SHAPES.items()
        if area_id in kb.sensory_areas
    )
    return outlines, shapes


WIDTH = 2 * len(VIEWS) * (VIEW_WIDTH + 12) + 4
HEIGHT = 220
