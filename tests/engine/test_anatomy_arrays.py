from __future__ import annotations

import numpy as np
import pytest

from plexcare.engine.anatomy_arrays import compile_anatomy
from plexcare.engine.lesion_candidates import lesion_candidates
from plexcare.knowledge.model import KnowledgeBase


def test_a_cut_on_one_of_two_parallel_nerves_takes_out_half_the_supply(
    toy_kb: KnowledgeBase,
) -> None:
    arrays = compile_anatomy(toy_kb)
    assert arrays.fraction_of("left:muscle:dual", "nerve_a@left") == pytest.approx(0.5)
    assert arrays.fraction_of("left:muscle:dual", "trunk@left") == pytest.approx(1.0)


def test_root_shares_weigh_major_one_and_minor_point_three(toy_kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(toy_kb)
    assert arrays.fraction_of("left:muscle:dual", "root_l4@left") == pytest.approx(1.0 / 1.3)
    assert arrays.fraction_of("left:muscle:dual", "root_l5@left") == pytest.approx(0.3 / 1.3)


def test_a_root_cut_leaves_the_snap_intact_but_a_nerve_cut_does_not(toy_kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(toy_kb)
    assert arrays.fraction_of("left:study:snap_a", "root_l5@left") == 0.0
    assert arrays.fraction_of("left:study:snap_a", "nerve_a@left") == pytest.approx(1.0)


def test_paraspinals_are_reached_only_from_the_root(toy_kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(toy_kb)
    assert arrays.fraction_of("left:muscle:paraspinal_l5", "root_l5@left") == 1.0
    assert arrays.fraction_of("left:muscle:paraspinal_l5", "trunk@left") == 0.0


def test_a_left_lesion_reaches_nothing_on_the_right(toy_kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(toy_kb)
    assert arrays.fraction_of("right:muscle:dual", "trunk@left") == 0.0
    assert arrays.fraction_of("right:muscle:dual", "trunk@right") == 1.0


def test_real_plexus_lesions_never_reach_the_paraspinals(kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(kb)
    paraspinal_rows = [row for row, organ in enumerate(arrays.organs) if organ.paraspinal]
    plexus_columns = [
        col for col, c in enumerate(arrays.candidates) if c.kind in ("plexus", "nerve")
    ]
    assert paraspinal_rows and plexus_columns
    assert np.all(arrays.fraction[np.ix_(paraspinal_rows, plexus_columns)] == 0.0)


def test_real_root_lesions_never_reach_a_snap(kb: KnowledgeBase) -> None:
    # Issue 10: only intraspinal (pre-ganglionic) root lesions spare the SNAPs; a foraminal
    # spinal-nerve lesion is a root lesion too but holds the dorsal root ganglion, so it is
    # left out here and checked below.
    arrays = compile_anatomy(kb)
    snap_rows = [row for row, organ in enumerate(arrays.organs) if organ.modality == "snap"]
    root_columns = [
        col
        for col, c in enumerate(arrays.candidates)
        if c.kind == "root" and not c.id.startswith("spinal_nerve_")
    ]
    assert np.all(arrays.fraction[np.ix_(snap_rows, root_columns)] == 0.0)


def test_a_foraminal_l5_lesion_reaches_the_snap_the_myotome_and_the_paraspinals(
    kb: KnowledgeBase,
) -> None:
    arrays = compile_anatomy(kb)
    snap = "left:study:superficial_fibular_snap"
    assert arrays.fraction_of(snap, "spinal_nerve_l5@left") > 0.5
    assert arrays.fraction_of(snap, "root_l5@left") == 0.0
    for organ in ("left:muscle:lumbar_paraspinal_l5", "left:muscle:tibialis_posterior"):
        assert arrays.fraction_of(organ, "spinal_nerve_l5@left") == pytest.approx(
            arrays.fraction_of(organ, "root_l5@left")
        )
    assert arrays.fraction_of("left:muscle:lumbar_paraspinal_l5", "lumbosacral_trunk@left") == 0


def test_a_radiculoplexus_lesion_reaches_both_paraspinals_and_snaps(kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(kb)
    for candidate in ("radiculoplexus_upper@left", "radiculoplexus_whole@left"):
        assert arrays.fraction_of("left:study:saphenous_snap", candidate) > 0.5
        assert arrays.fraction_of("left:muscle:mid_lumbar_paraspinal", candidate) > 0.5
    lower = "radiculoplexus_lower@left"
    assert arrays.fraction_of("left:study:sural_snap", lower) == pytest.approx(1.0)
    assert arrays.fraction_of("left:muscle:lower_lumbar_paraspinal", lower) > 0.5


def test_no_lumbosacral_lesion_reaches_an_organ_outside_the_leg(kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(kb)
    outside = [row for row, organ in enumerate(arrays.organs) if organ.region != "lumbosacral"]
    focal = [
        col for col, c in enumerate(arrays.candidates) if c.kind not in ("generalized", "none")
    ]
    assert {arrays.organs[row].id for row in outside} >= {
        "thoracic_paraspinal",
        "first_dorsal_interosseous",
        "tongue",
        "jaw_jerk",
        "rectus_abdominis_lower",
    }
    assert np.all(arrays.fraction[np.ix_(outside, focal)] == 0.0)


def test_piriformis_and_the_posterior_femoral_cutaneous_snap_part_plexus_from_sciatic(
    kb: KnowledgeBase,
) -> None:
    arrays = compile_anatomy(kb)
    for organ in ("right:muscle:piriformis", "right:study:posterior_femoral_cutaneous_snap"):
        assert arrays.fraction_of(organ, "sacral_plexus@right") == pytest.approx(1.0)
        assert arrays.fraction_of(organ, "sciatic_at_notch@right") == 0.0


def test_cauda_equina_takes_out_the_anal_sphincter_on_both_sides(kb: KnowledgeBase) -> None:
    arrays = compile_anatomy(kb)
    assert arrays.fraction_of("midline:midline:anal_tone", "cauda_equina@both") == 1.0
    assert arrays.fraction_of("midline:midline:anal_tone", "pudendal_nerve@left") == 0.5


def test_bladder_failure_is_reached_by_the_sacral_roots_but_not_by_the_sacral_plexus(
    kb: KnowledgeBase,
) -> None:
    arrays = compile_anatomy(kb)
    assert arrays.fraction_of("midline:midline:bladder", "cauda_equina@both") == 1.0
    assert arrays.fraction_of("midline:midline:bladder", "root_s2@left") > 0.0
    assert arrays.fraction_of("midline:midline:bladder", "sacral_plexus@both") == 0.0
    assert arrays.fraction_of("midline:midline:bladder", "pudendal_nerve@left") == 0.0


def test_lumbosacral_trunk_takes_all_of_tibialis_anterior_but_l5_root_only_its_share(
    kb: KnowledgeBase,
) -> None:
    arrays = compile_anatomy(kb)
    organ = "left:muscle:tibialis_anterior"
    assert arrays.fraction_of(organ, "lumbosacral_trunk@left") == pytest.approx(1.0)
    assert 0.0 < arrays.fraction_of(organ, "root_l5@left") < 1.0


def test_every_candidate_has_its_side_and_kind(kb: KnowledgeBase) -> None:
    candidates = lesion_candidates(kb)
    keys = {c.key for c in candidates}
    assert {"root_l5@left", "cauda_equina@both", "pan_plexus@both", "sacral_plexus@right"} <= keys
    assert {"roots_l2_l4@left", "roots_l5_s1@right", "lumbosacral_trunk@both"} <= keys
    assert {"myopathy", "motor_neuron_disease", "no_neuromuscular_lesion"} <= keys
    kinds = {c.key: c.kind for c in candidates}
    assert kinds["pan_plexus@left"] == "plexus"
    assert kinds["common_fibular_at_fibular_head@left"] == "nerve"
    assert kinds["no_neuromuscular_lesion"] == "none"
    assert len(keys) == len(candidates)
