"""The lesion candidates: every place (and side) a lesion can be, plus the generalized mimics.

A focal candidate is a set of cut structures on the left, on the right, or both. Composite
lesions (several roots, the whole plexus, the cauda equina, roots together with the plexus) are
simply larger cut sets, so they need no special rules: what they reach follows from the graph.
A foraminal lesion cuts the spinal nerve, which holds the dorsal root ganglion, so unlike an
intraspinal root lesion it lowers the SNAPs of its root as well as denervating its myotome and
paraspinals. A radiculoplexus lesion cuts roots and plexus together: paraspinal denervation and
low SNAPs at once, the picture of diabetic and non-diabetic radiculoplexus neuropathy and of a
tumour spreading from the plexus into the roots through the foramina. Generalized patterns are
not cuts; the localization model describes them by the distality and modality of each end organ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from plexcare.knowledge.model import GENERALIZED_PATTERNS, KnowledgeBase, StructureKind

CandidateKind = Literal["root", "radiculoplexus", "plexus", "nerve", "generalized", "none"]
CandidateSide = Literal["left", "right", "both"]
PLEXUS_KINDS: frozenset[str] = frozenset({"plexus", "radiculoplexus"})
"""Candidate kinds that involve the plexus: they make up the probability of a plexopathy."""

COMPOSITE_CUTS: dict[str, tuple[str, ...]] = {
    "roots_l2_l4": ("root_l2", "root_l3", "root_l4"),
    "roots_l5_s1": ("root_l5", "root_s1"),
    "pan_plexus": ("upper_lumbar_plexus", "sacral_plexus"),
    "radiculoplexus_upper": ("root_l2", "root_l3", "root_l4", "upper_lumbar_plexus"),
    "radiculoplexus_lower": ("root_l5", "root_s1", "sacral_plexus"),
    "radiculoplexus_whole": (
        "root_l2",
        "root_l3",
        "root_l4",
        "root_l5",
        "root_s1",
        "upper_lumbar_plexus",
        "sacral_plexus",
    ),
}
COMPOSITE_KINDS: dict[str, CandidateKind] = {
    "pan_plexus": "plexus",
    "radiculoplexus_upper": "radiculoplexus",
    "radiculoplexus_lower": "radiculoplexus",
    "radiculoplexus_whole": "radiculoplexus",
}
"""Composites that are not root lesions (the default kind of a composite)."""
CAUDA_EQUINA_ROOTS: tuple[str, ...] = (  # below an L4-L5 or L5-S1 disc, the usual levels
    "root_l5",
    "root_s1",
    "root_s2",
    "root_s3",
    "root_s4",
)
BILATERAL_PLEXUS: tuple[str, ...] = (
    "upper_lumbar_plexus",
    "lumbosacral_trunk",
    "sacral_plexus",
    "pan_plexus",
    "radiculoplexus_whole",  # radiculoplexus neuropathy spreads to the other leg in most
)
COMPOSITE_LABELS: dict[str, str] = {
    "roots_l2_l4": "L2-L4 polyradiculopathy",
    "roots_l5_s1": "L5-S1 polyradiculopathy",
    "pan_plexus": "pan-plexopathy (lumbar and sacral plexus)",
    "cauda_equina": "cauda equina lesion",
    "radiculoplexus_upper": "L2-L4 radiculoplexus lesion (roots and lumbar plexus)",
    "radiculoplexus_lower": "L5-S1 radiculoplexus lesion (roots and sacral plexus)",
    "radiculoplexus_whole": "L2-S1 radiculoplexus lesion (roots and whole plexus)",
}
GENERALIZED_LABELS: dict[str, str] = {
    "length_dependent_polyneuropathy": "length-dependent polyneuropathy",
    "polyradiculoneuropathy": "polyradiculoneuropathy (CIDP pattern)",
    "motor_neuron_disease": "motor neuron disease",
    "myopathy": "myopathy",
    "no_neuromuscular_lesion": "no neuromuscular lesion",
}


@dataclass(frozen=True)
class LesionCandidate:
    """One column of the localization: where, on which side, and what gets cut."""

    id: str  # the knowledge base's lesion id, as `Disorder.localizations` names it
    side: CandidateSide | None  # None for generalized patterns
    kind: CandidateKind
    label: str
    left_cut: frozenset[str] = frozenset()
    right_cut: frozenset[str] = frozenset()

    @cached_property
    def key(self) -> str:
        """Worked out once: every assessment reads each candidate's key and title."""
        return self.id if self.side is None else f"{self.id}@{self.side}"

    @cached_property
    def title(self) -> str:
        return self.label if self.side is None else f"{self.label} ({self.side})"

    @property
    def even_share(self) -> float:
        """This candidate's weight in the even part of the prior (which keeps rare places in
        play): one for a single place, 1/n for a lesion spanning n structures, so combinations
        of places (several roots, roots with the plexus) do not multiply that floor."""
        cut = self.left_cut | self.right_cut
        return 1.0 / len(cut) if cut else 1.0

    def mirrored_key(self) -> str:
        swap = {"left": "right", "right": "left", "both": "both"}
        return self.id if self.side is None else f"{self.id}@{swap[self.side]}"


def _structure_label(name: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", name).strip()


def _focal_label(kb: KnowledgeBase, lesion: str) -> tuple[str, CandidateKind]:
    if lesion in COMPOSITE_LABELS:
        return COMPOSITE_LABELS[lesion], COMPOSITE_KINDS.get(lesion, "root")
    structure = kb.structures[lesion]
    if structure.kind is StructureKind.ROOT:
        return f"{structure.root} radiculopathy", "root"
    if structure.kind is StructureKind.SPINAL_NERVE:
        return f"{structure.root} spinal nerve lesion (foraminal, post-ganglionic)", "root"
    if structure.kind in (StructureKind.PLEXUS, StructureKind.PLEXUS_DIVISION):
        return f"{_structure_label(structure.name)} lesion".capitalize(), "plexus"
    return f"{_structure_label(structure.name)} lesion".capitalize(), "nerve"


def _cut(lesion: str) -> frozenset[str]:
    return frozenset(COMPOSITE_CUTS.get(lesion, (lesion,)))


def lesion_candidates(kb: KnowledgeBase) -> tuple[LesionCandidate, ...]:
    """All candidates in a stable order: focal left, focal right, bilateral, generalized.

    Their prior (`likelihood.candidate_log_prior`) follows the cited frequencies of the
    disorders that produce each site, half spread evenly so rare sites stay in play.
    """
    focal = [key for key, structure in kb.structures.items() if structure.lesion_site]
    focal.extend(lesion for lesion in COMPOSITE_CUTS if _cut(lesion) <= kb.structures.keys())
    candidates: list[LesionCandidate] = []
    for side in ("left", "right"):
        for lesion in focal:
            label, kind = _focal_label(kb, lesion)
            cut = _cut(lesion)
            candidates.append(
                LesionCandidate(
                    id=lesion,
                    side=side,
                    kind=kind,
                    label=label,
                    left_cut=cut if side == "left" else frozenset(),
                    right_cut=cut if side == "right" else frozenset(),
                )
            )
    cauda = frozenset(root for root in CAUDA_EQUINA_ROOTS if root in kb.structures)
    if cauda:
        candidates.append(
            LesionCandidate(
                "cauda_equina", "both", "root", COMPOSITE_LABELS["cauda_equina"], cauda, cauda
            )
        )
    for lesion in BILATERAL_PLEXUS:
        if not _cut(lesion) <= kb.structures.keys():
            continue
        label, kind = _focal_label(kb, lesion)
        cut = _cut(lesion)
        candidates.append(LesionCandidate(lesion, "both", kind, label, cut, cut))
    for pattern in GENERALIZED_PATTERNS:
        kind = "none" if pattern == "no_neuromuscular_lesion" else "generalized"
        candidates.append(LesionCandidate(pattern, None, kind, GENERALIZED_LABELS[pattern]))
    return tuple(candidates)
