"""Compile the fibre-pathway graph once into arrays: end organs × lesion candidates.

Each cell is the fraction of an end organ's fibres that pass through a candidate's cut. Fibres
of root r reach an organ along every path from `root_r` to the organ's nerves; a cut interrupts
the share of those paths that meet it, so a lesion on one of two parallel routes (the sural
nerve's tibial and fibular contributions, adductor magnus's obturator and sciatic supply) takes
out part of the supply. Root shares weigh major contributions 1.0 and minor 0.3, normalised.

Two anatomical facts fall out of the graph plus one rule:
- paraspinal muscles hang off the posterior rami, so only a cut at root or spinal-nerve level
  reaches them; a level's multifidus also takes minor supply from the neighbouring rami, so a
  root lesion reaches the adjacent levels' paraspinals in part;
- SNAPs arise from post-ganglionic axons whose cell bodies sit in the dorsal root ganglion, so a
  cut at a `root_*` (pre-ganglionic) structure leaves them intact: for SNAP organs the root
  structures are removed from the cut before counting. A cut at the spinal nerve (foraminal,
  the ganglion itself) is post-ganglionic and counts in full.

End organs outside the leg (thoracic paraspinals, arm muscles, the tongue) have no path from a
lumbosacral root: every focal candidate reaches them with fraction 0, and only the generalized
patterns (by their region reach) move their findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.lesion_candidates import LesionCandidate, lesion_candidates
from plexcare.knowledge.model import (
    BodyRegion,
    KnowledgeBase,
    RootContribution,
    Structure,
    StructureKind,
)

OrganType = Literal["muscle", "movement", "area", "reflex", "study", "midline", "leg"]
OrganSide = Literal["left", "right", "midline"]
SHARE_WEIGHT: Mapping[str, float] = {"major": 1.0, "minor": 0.3}
MIDLINE_FUNCTIONS: dict[str, tuple[str, str]] = {
    "sphincter_squeeze": ("anal_tone", "anal tone"),
    "bladder_emptying": ("bladder", "bladder and bowel control"),
}
"""Movements judged once for the body, not per leg: movement -> (organ id, name)."""


@dataclass(frozen=True)
class EndOrgan:
    """Something a clinician tests on one side: a muscle, a skin area, a reflex, a study."""

    side: OrganSide
    type: OrganType
    id: str
    name: str
    distality: float
    paraspinal: bool = False
    modality: str = ""  # for studies: snap, cmap, f_wave, h_reflex
    region: BodyRegion = "lumbosacral"

    @property
    def key(self) -> str:
        return f"{self.side}:{self.type}:{self.id}"


@dataclass(frozen=True)
class _Supply:
    type: OrganType
    id: str
    name: str
    roots: tuple[RootContribution, ...]
    nerves: tuple[str, ...]
    distality: float
    paraspinal: bool = False
    modality: str = ""
    movement: str = ""
    region: BodyRegion = "lumbosacral"


@dataclass(frozen=True)
class AnatomyArrays:
    """The compiled anatomy: candidates, sided end organs and their fibre fractions."""

    candidates: tuple[LesionCandidate, ...]
    organs: tuple[EndOrgan, ...]
    fraction: npt.NDArray[np.float64] = field(repr=False)  # organs × candidates
    organ_index: Mapping[str, int] = field(repr=False)
    candidate_index: Mapping[str, int] = field(repr=False)

    def fraction_of(self, organ_key: str, candidate_key: str) -> float:
        return float(
            self.fraction[self.organ_index[organ_key], self.candidate_index[candidate_key]]
        )


def _topological(structures: Mapping[str, Structure]) -> list[str]:
    order: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        stack: list[tuple[str, bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in done:
                continue
            if expanded:
                done.add(current)
                order.append(current)
                continue
            stack.append((current, True))
            stack.extend((parent, False) for parent in structures[current].parents)

    for key in structures:
        visit(key)
    return order


def _path_counts(
    structures: Mapping[str, Structure], order: list[str], root: str, removed: frozenset[str]
) -> dict[str, float]:
    """Number of fibre paths from `root` to every structure that avoid the `removed` ones."""
    counts: dict[str, float] = {}
    for node in order:
        if node in removed:
            counts[node] = 0.0
        elif node == root:
            counts[node] = 1.0
        else:
            counts[node] = sum(counts[parent] for parent in structures[node].parents)
    return counts


def _supplies(kb: KnowledgeBase) -> list[_Supply]:
    posterior = {key for key, s in kb.structures.items() if s.kind is StructureKind.POSTERIOR_RAMUS}
    supplies = [
        _Supply(
            "muscle",
            m.id,
            m.name,
            m.roots,
            m.nerves,
            m.distality,
            paraspinal=m.plexus_part == "posterior_rami"
            or (bool(m.nerves) and set(m.nerves) <= posterior),
            movement=m.movement,
            region=m.body_region,
        )
        for m in kb.muscles.values()
    ]
    supplies += [
        _Supply("area", a.id, a.name, a.roots, a.nerves, a.distality)
        for a in kb.sensory_areas.values()
    ]
    supplies += [
        _Supply("reflex", r.id, r.name, r.roots, r.nerves, r.distality, region=r.body_region)
        for r in kb.reflexes.values()
    ]
    supplies += [
        _Supply("study", s.id, s.name, s.roots, s.nerves, s.distality, modality=s.modality)
        for s in kb.studies.values()
    ]
    return supplies


class _FractionCounter:
    """Fractions of each supply cut by a set of structures, memoised per cut set."""

    def __init__(self, kb: KnowledgeBase, supplies: list[_Supply]) -> None:
        self._structures = kb.structures
        self._order = _topological(kb.structures)
        self._supplies = supplies
        self._roots = sorted(
            {f"root_{c.root.lower()}" for s in supplies for c in s.roots} & kb.structures.keys()
        )
        self._cache: dict[frozenset[str], npt.NDArray[np.float64]] = {}
        self._intact = {root: self._counts(root, frozenset()) for root in self._roots}

    def _counts(self, root: str, removed: frozenset[str]) -> dict[str, float]:
        return _path_counts(self._structures, self._order, root, removed)

    def _organ_paths(self, counts: Mapping[str, float], supply: _Supply) -> float:
        return sum(counts[nerve] for nerve in supply.nerves)

    def fractions(self, cut: frozenset[str]) -> npt.NDArray[np.float64]:
        if cut in self._cache:
            return self._cache[cut]
        post = frozenset(s for s in cut if self._structures[s].kind is not StructureKind.ROOT)
        cut_counts = {root: self._counts(root, cut) for root in self._roots}
        post_counts = {root: self._counts(root, post) for root in self._roots}
        values = np.zeros(len(self._supplies))
        for index, supply in enumerate(self._supplies):
            counts = post_counts if supply.modality == "snap" else cut_counts
            weights = [SHARE_WEIGHT[c.share] for c in supply.roots]
            total = sum(weights)
            if total <= 0:
                continue  # outside the fibre graph: no lumbosacral cut reaches it
            lost = 0.0
            for contribution, weight in zip(supply.roots, weights, strict=True):
                root = f"root_{contribution.root.lower()}"
                intact = (
                    self._organ_paths(self._intact[root], supply) if root in self._intact else 0
                )
                if intact <= 0:
                    continue
                remaining = self._organ_paths(counts[root], supply)
                lost += weight * (1.0 - remaining / intact)
            values[index] = lost / total
        self._cache[cut] = values
        return values


def _sided_organs(supplies: list[_Supply]) -> list[tuple[EndOrgan, list[int], OrganSide]]:
    """Organs per side; movements and midline functions average the muscles performing them."""
    organs: list[tuple[EndOrgan, list[int], OrganSide]] = []
    movements: dict[str, list[int]] = {}
    for index, supply in enumerate(supplies):
        if supply.type == "muscle":
            movements.setdefault(supply.movement, []).append(index)
    for side in ("left", "right"):
        for index, s in enumerate(supplies):
            organ = EndOrgan(
                side, s.type, s.id, s.name, s.distality, s.paraspinal, s.modality, s.region
            )
            organs.append((organ, [index], side))
        for movement, members in sorted(movements.items()):
            distality = float(np.mean([supplies[i].distality for i in members]))
            paraspinal = all(supplies[i].paraspinal for i in members)
            region = supplies[members[0]].region
            name = movement.replace("_", " ")
            organs.append(
                (
                    EndOrgan(
                        side, "movement", movement, name, distality, paraspinal, region=region
                    ),
                    members,
                    side,
                )
            )
    for movement, (organ_id, name) in MIDLINE_FUNCTIONS.items():
        members = movements.get(movement, [])
        if members:
            distality = float(np.mean([supplies[i].distality for i in members]))
            organs.append(
                (EndOrgan("midline", "midline", organ_id, name, distality), members, "midline")
            )
    return organs


def compile_anatomy(kb: KnowledgeBase) -> AnatomyArrays:
    """Build the organ × candidate fibre-fraction matrix (done once per knowledge base).

    Each side also gets a "leg" organ: the largest fraction the candidate reaches on that side,
    so which leg the patient reports as affected is scored from the same graph.
    """
    supplies = _supplies(kb)
    counter = _FractionCounter(kb, supplies)
    candidates = lesion_candidates(kb)
    sided = _sided_organs(supplies)
    fraction = np.zeros((len(sided), len(candidates)))
    for column, candidate in enumerate(candidates):
        if candidate.kind in ("generalized", "none"):
            continue
        left = counter.fractions(candidate.left_cut) if candidate.left_cut else None
        right = counter.fractions(candidate.right_cut) if candidate.right_cut else None
        for row, (_, members, side) in enumerate(sided):
            fraction[row, column] = _organ_fraction(members, side, left, right)
    sides: tuple[OrganSide, ...] = ("left", "right")
    legs = [EndOrgan(side, "leg", "leg", "leg", 0.5) for side in sides]
    leg_rows = [
        fraction[
            [row for row, (_, _, organ_side) in enumerate(sided) if organ_side == leg.side]
        ].max(axis=0, initial=0.0)
        for leg in legs
    ]
    fraction = np.vstack([fraction, *leg_rows])
    organs = (*(organ for organ, _, _ in sided), *legs)
    return AnatomyArrays(
        candidates=candidates,
        organs=organs,
        fraction=fraction,
        organ_index={organ.key: row for row, organ in enumerate(organs)},
        candidate_index={c.key: column for column, c in enumerate(candidates)},
    )


def _organ_fraction(
    members: Iterable[int],
    side: OrganSide,
    left: npt.NDArray[np.float64] | None,
    right: npt.NDArray[np.float64] | None,
) -> float:
    indices = list(members)
    zero = 0.0
    left_value = float(np.mean(left[indices])) if left is not None else zero
    right_value = float(np.mean(right[indices])) if right is not None else zero
    if side == "left":
        return left_value
    if side == "right":
        return right_value
    return (left_value + right_value) / 2.0
