"""Engine fixtures: a tiny hand-checkable anatomy, and a builder for cases in clinic shorthand.

The real knowledge base (`kb`, from tests/conftest.py) is what the anatomy tests reason over;
the toy knowledge base exists so fibre-fraction arithmetic can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plexcare.engine.case import Case
from plexcare.knowledge.model import (
    KnowledgeBase,
    Muscle,
    NerveConductionStudy,
    RootContribution,
    Structure,
    StructureKind,
)

CaseBuilder = Callable[..., Case]
SOURCES = ("standring_gray_2020",)


def _structure(
    key: str, kind: StructureKind, parents: tuple[str, ...] = (), **extra: Any
) -> Structure:
    return Structure(
        id=key, name=key.replace("_", " "), kind=kind, parents=parents, sources=SOURCES, **extra
    )


@pytest.fixture(scope="session")
def toy_kb(kb: KnowledgeBase) -> KnowledgeBase:
    """Two roots feeding two nerves; one muscle is supplied by both nerves (parallel routes).

    root_l4 ─ spinal_nerve_l4 ─┬ posterior_ramus_l4 (paraspinal)
                               └ anterior_ramus_l4 ─┐
    root_l5 ─ spinal_nerve_l5 ─┬ posterior_ramus_l5 ├─ trunk ─┬ nerve_a ─ (muscle dual, snap_a)
                               └ anterior_ramus_l5 ─┘         └ nerve_b ─ (muscle dual)
    """
    s = StructureKind
    structures = [
        _structure("root_l4", s.ROOT, root="L4", lesion_site=True),
        _structure("root_l5", s.ROOT, root="L5", lesion_site=True),
        _structure("spinal_nerve_l4", s.SPINAL_NERVE, ("root_l4",), root="L4"),
        _structure("spinal_nerve_l5", s.SPINAL_NERVE, ("root_l5",), root="L5"),
        _structure("posterior_ramus_l4", s.POSTERIOR_RAMUS, ("spinal_nerve_l4",), root="L4"),
        _structure("posterior_ramus_l5", s.POSTERIOR_RAMUS, ("spinal_nerve_l5",), root="L5"),
        _structure("anterior_ramus_l4", s.ANTERIOR_RAMUS, ("spinal_nerve_l4",), root="L4"),
        _structure("anterior_ramus_l5", s.ANTERIOR_RAMUS, ("spinal_nerve_l5",), root="L5"),
        _structure("trunk", s.PLEXUS, ("anterior_ramus_l4", "anterior_ramus_l5"), lesion_site=True),
        _structure("nerve_a", s.NERVE, ("trunk",), lesion_site=True),
        _structure("nerve_b", s.NERVE, ("trunk",), lesion_site=True),
    ]
    l4_major = RootContribution(root="L4", share="major")
    l5_major = RootContribution(root="L5", share="major")
    l5_minor = RootContribution(root="L5", share="minor")
    muscles = [
        Muscle(
            id="dual",
            name="Dual",
            roots=(l4_major, l5_minor),
            nerves=("nerve_a", "nerve_b"),
            plexus_part="lumbosacral_trunk",
            movement="ankle_dorsiflexion",
            distality=0.6,
            sources=SOURCES,
        ),
        Muscle(
            id="paraspinal_l5",
            name="Paraspinal L5",
            roots=(l5_major,),
            nerves=("posterior_ramus_l5",),
            plexus_part="posterior_rami",
            movement="trunk_extension",
            distality=0.0,
            sources=SOURCES,
        ),
    ]
    snap = NerveConductionStudy(
        id="snap_a",
        name="SNAP a",
        modality="snap",
        roots=(l5_major,),
        nerves=("nerve_a",),
        recording_site="foot",
        stimulation_site="leg",
        distality=0.8,
        amplitude_lower=6.0,
        amplitude_unit="uV",
        sources=SOURCES,
    )
    return kb.model_copy(
        update={
            "structures": {x.id: x for x in structures},
            "muscles": {m.id: m for m in muscles},
            "sensory_areas": {},
            "reflexes": {},
            "studies": {snap.id: snap},
            "version": "toy",
        }
    )


@pytest.fixture(scope="session")
def make_case() -> CaseBuilder:
    """`make_case(age=45, weeks=6, left={"emg": {...}, "exam": {...}, "ncs": {...}})`."""

    def build(
        age: int = 45,
        weeks: float | None = 6.0,
        left: dict[str, Any] | None = None,
        right: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Case:
        data: dict[str, Any] = {"age": age, "sex": "female", "weeks_since_onset": weeks}
        data.update({"exam": {}, "nerve_conduction": {}, "emg": {}})
        for side, parts in (("left", left), ("right", right)):
            if not parts:
                continue
            if "exam" in parts:
                data["exam"][side] = parts["exam"]
            if "ncs" in parts:
                data["nerve_conduction"][side] = parts["ncs"]
            if "emg" in parts:
                data["emg"][side] = parts["emg"]
        data.update(fields)
        return Case.model_validate(data)

    return build
