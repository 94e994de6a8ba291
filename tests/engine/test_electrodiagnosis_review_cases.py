"""Clinical cases for the electrodiagnosis review (issue 10): a saphenous response missing in a
young adult, and motor slowing that axon loss still explains.

Each case is a short story and the answer an electromyographer would give.
"""

from __future__ import annotations

from typing import Any

from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.findings import ABNORMAL, NORMAL, observed_values
from plexcare.engine.localization import localization_model
from plexcare.knowledge.model import KnowledgeBase

ROOT_LESIONS = {"root_l4", "roots_l2_l4", "spinal_nerve_l4"}
"""Root-level lesions; issue 10 added the foraminal (post-ganglionic) L4 spinal-nerve lesion,
which an absent saphenous SNAP (weak evidence at 40) may bring level with the intraspinal root:
both are root lesions, and neither is the plexus the absent SNAP alone would once suggest."""


def _assess(raw: dict[str, Any], kb: KnowledgeBase) -> Assessment:
    return assess(Case.model_validate(raw), kb)


def _l4_radiculopathy(saphenous: dict[str, Any]) -> dict[str, Any]:
    """A 40-year-old with six weeks of back pain into the anterior thigh and shin: quadriceps
    and tibialis anterior weak, knee jerk reduced, numb medial leg. Needle EMG at six weeks:
    denervation in vastus lateralis, adductor longus and tibialis anterior, and in the L4
    paraspinals."""
    return {
        "id": "edx-review-l4",
        "age": 40,
        "sex": "female",
        "weeks_since_onset": 6,
        "tempo": "subacute",
        "affected_side": "left",
        "pain": {"score": 6, "sites": ["low back", "anterior thigh"]},
        "symptoms": {"back_pain": True},
        "exam": {
            "left": {
                "strength": {"vastus_lateralis": 4, "tibialis_anterior": 4, "iliacus": 5},
                "reflexes": {"patellar_reflex": "reduced"},
                "sensation": {"medial_leg": "reduced"},
            },
        },
        "nerve_conduction": {"left": {"saphenous_snap": saphenous}},
        "emg": {
            "left": {
                "vastus_lateralis": {"fibrillations": 2, "recruitment": "reduced"},
                "adductor_longus": {"fibrillations": 1},
                "tibialis_anterior": {"fibrillations": 1},
                "lumbar_paraspinal_l4": {"fibrillations": 2},
            },
        },
    }


def test_an_absent_saphenous_snap_at_40_does_not_overturn_a_root_lesion(
    kb: KnowledgeBase,
) -> None:
    # The saphenous SNAP is often unobtainable in healthy adults (Preston & Shapiro 2020), so
    # its absence is weak evidence for a post-ganglionic lesion; with L4 paraspinal
    # denervation the root still leads, though less firmly than with a normal response.
    absent = _assess(_l4_radiculopathy({"grade": "absent"}), kb).localization.leader
    present = _assess(_l4_radiculopathy({"amplitude": 8, "unit": "uV"}), kb).localization.leader
    assert (absent.id, absent.side) in {(lesion, "left") for lesion in ROOT_LESIONS}
    assert (present.id, present.side) in {(lesion, "left") for lesion in ROOT_LESIONS}
    model = localization_model(kb)
    values = observed_values(
        Case.model_validate(_l4_radiculopathy({"grade": "absent"})), model.findings, kb
    )
    keys = {model.findings.keys[column]: value for column, value in values.items()}
    assert keys.get("left:study:saphenous_snap:snap_low@aged") == ABNORMAL
    assert "left:study:saphenous_snap:snap_low" not in keys


def test_fibular_motor_velocity_at_73_percent_of_normal_is_not_scored_as_demyelinating(
    kb: KnowledgeBase,
) -> None:
    # A 50-year-old with a severe axonal fibular lesion: EDB CMAP 0.8 mV, velocity 32 m/s
    # (73 % of the 44 m/s limit). Loss of the fastest axons explains this; the EAN/PNS 2021
    # criterion for demyelination is slowing of 30 % or more (at or below 70 %, 30.8 m/s).
    model = localization_model(kb)

    def slowing(velocity: float) -> int | None:
        raw = {
            "id": "edx-review-velocity",
            "age": 50,
            "sex": "male",
            "weeks_since_onset": 8,
            "affected_side": "left",
            "nerve_conduction": {
                "left": {"fibular_cmap_edb": {"amplitude": 0.8, "unit": "mV", "velocity": velocity}}
            },
        }
        values = observed_values(Case.model_validate(raw), model.findings, kb)
        keys = {model.findings.keys[column]: value for column, value in values.items()}
        return keys.get("left:study:fibular_cmap_edb:slowing")

    # Between 70 % and the limit the velocity is left unscored (neither sign of demyelination
    # nor proof against it); at the limit or above it is normal.
    assert slowing(32.0) is None
    assert slowing(30.0) == ABNORMAL
    assert slowing(44.0) == NORMAL
