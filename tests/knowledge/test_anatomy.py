"""The anatomy end organs say what an electromyographer expects of each muscle, skin area,
reflex and nerve-conduction study, and they agree with the fibre-pathway graph.

These tests read only the anatomy files and the bibliography, so a half-written disorder or
treatment file elsewhere cannot hide a mistake here (the full loader is tested in
test_loader.py). The slice is put through the loader's own validation and cross-checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.knowledge.integrity import Origins, ancestors, check_integrity, root_structure_id
from plexcare.knowledge.loader import DATA_DIR, _collect, _files
from plexcare.knowledge.model import (
    Education,
    KnowledgeBase,
    Movement,
    Muscle,
    NerveConductionStudy,
    Reference,
    Reflex,
    RootContribution,
    SensoryArea,
    Structure,
    StructureKind,
)

PARASPINALS = (
    "lumbar_paraspinal_l2",
    "lumbar_paraspinal_l3",
    "lumbar_paraspinal_l4",
    "lumbar_paraspinal_l5",
    "sacral_paraspinal_s1",
)

MOVEMENTS_GRADED_AT_THE_BEDSIDE = (
    "hip_flexion",
    "knee_extension",
    "hip_adduction",
    "hip_abduction",
    "hip_extension",
    "knee_flexion",
    "ankle_dorsiflexion",
    "toe_extension",
    "ankle_eversion",
    "ankle_inversion",
    "plantar_flexion",
    "toe_flexion",
)

PLEXUS_KINDS = {StructureKind.PLEXUS, StructureKind.PLEXUS_DIVISION, StructureKind.ANTERIOR_RAMUS}


def _load_anatomy() -> KnowledgeBase:
    """The anatomy slice of the knowledge base, validated and cross-checked like the whole."""
    origins: Origins = {}
    root = DATA_DIR
    kb = KnowledgeBase.model_construct(
        version="anatomy-only",
        references=_collect(Reference, _files(root, "references"), root, origins),
        structures=_collect(Structure, _files(root, "anatomy/structures"), root, origins),
        muscles=_collect(Muscle, _files(root, "anatomy/muscles"), root, origins),
        sensory_areas=_collect(SensoryArea, _files(root, "anatomy/sensory_areas"), root, origins),
        reflexes=_collect(Reflex, _files(root, "anatomy/reflexes"), root, origins),
        studies=_collect(NerveConductionStudy, _files(root, "anatomy/studies"), root, origins),
        etiology_features={},
        tests={},
        treatments={},
        disorders={},
        education=Education.model_construct(sections=(), faq=()),
    )
    check_integrity(kb, origins)
    return kb


@pytest.fixture(scope="module")
def anatomy() -> KnowledgeBase:
    return _load_anatomy()


def _upstream(kb: KnowledgeBase, nerves: tuple[str, ...]) -> set[str]:
    """Every structure whose fibres reach at least one of `nerves`."""
    return set().union(*(ancestors(kb.structures, nerve) for nerve in nerves))


def _roots(contributions: tuple[RootContribution, ...]) -> dict[str, str]:
    return {contribution.root: contribution.share for contribution in contributions}


def _end_organ_groups(kb: KnowledgeBase) -> Iterator[list[tuple[str, str, float]]]:
    """Each kind of end organ as (id, nerve, distality), one row per nerve it lists."""
    for group in (kb.muscles, kb.sensory_areas, kb.reflexes, kb.studies):
        yield [
            (key, nerve, record.distality)
            for key, record in group.items()
            for nerve in record.nerves
        ]


def _amplitude_limit_at(study: NerveConductionStudy, age: int) -> float | None:
    limit = study.amplitude_lower
    for age_limit in sorted(study.age_limits, key=lambda item: item.min_age):
        if age >= age_limit.min_age and age_limit.amplitude_lower is not None:
            limit = age_limit.amplitude_lower
    return limit


def _may_be_absent_at(study: NerveConductionStudy, age: int) -> bool:
    return any(limit.may_be_absent and age >= limit.min_age for limit in study.age_limits)


# --- The slice as a whole


def test_the_anatomy_files_pass_the_loaders_cross_checks() -> None:
    kb = _load_anatomy()
    assert len(kb.muscles) >= 35
    assert len(kb.sensory_areas) >= 20
    assert len(kb.studies) >= 12


def test_every_muscle_is_reachable_from_each_of_its_roots(anatomy: KnowledgeBase) -> None:
    for muscle in anatomy.muscles.values():
        upstream = _upstream(anatomy, muscle.nerves)
        for contribution in muscle.roots:
            assert root_structure_id(contribution.root) in upstream, (muscle.id, contribution)


@pytest.mark.parametrize("movement", MOVEMENTS_GRADED_AT_THE_BEDSIDE)
def test_every_movement_graded_at_the_bedside_is_tested_by_a_muscle(
    anatomy: KnowledgeBase, movement: str
) -> None:
    assert any(muscle.movement == movement for muscle in anatomy.muscles.values())


def test_the_bedside_movements_are_all_known_to_the_schema() -> None:
    assert set(MOVEMENTS_GRADED_AT_THE_BEDSIDE) <= set(get_args(Movement))


# --- Spot checks a clinician would make


def test_tibialis_posterior_is_an_l5_muscle_of_the_tibial_nerve(anatomy: KnowledgeBase) -> None:
    muscle = anatomy.muscles["tibialis_posterior"]
    assert _roots(muscle.roots)["L5"] == "major"
    upstream = _upstream(anatomy, muscle.nerves)
    assert "tibial_in_popliteal_fossa" in upstream
    assert "common_fibular_at_fibular_head" not in upstream


def test_a_fibular_head_lesion_spares_tibialis_posterior_but_not_tibialis_anterior(
    anatomy: KnowledgeBase,
) -> None:
    def reached(muscle: str) -> bool:
        nerves = anatomy.muscles[muscle].nerves
        return "common_fibular_at_fibular_head" in _upstream(anatomy, nerves)

    assert reached("tibialis_anterior")
    assert reached("peroneus_longus")
    assert not reached("tibialis_posterior")
    assert not reached("gluteus_medius")


def test_biceps_short_head_is_the_only_muscle_above_the_knee_on_the_common_fibular_division(
    anatomy: KnowledgeBase,
) -> None:
    above_the_knee = {
        muscle.id
        for muscle in anatomy.muscles.values()
        if "sciatic_common_fibular_division" in _upstream(anatomy, muscle.nerves)
        and "common_fibular_at_fibular_head" not in _upstream(anatomy, muscle.nerves)
    }
    assert above_the_knee == {"biceps_femoris_short_head"}


def test_gluteus_medius_is_l4_to_s1_with_l5_major_through_the_superior_gluteal_nerve(
    anatomy: KnowledgeBase,
) -> None:
    muscle = anatomy.muscles["gluteus_medius"]
    assert _roots(muscle.roots) == {"L4": "minor", "L5": "major", "S1": "minor"}
    assert muscle.nerves == ("superior_gluteal_nerve",)
    assert "sciatic_at_notch" not in _upstream(anatomy, muscle.nerves)


def test_iliacus_is_reached_by_a_pelvic_femoral_lesion_but_not_by_one_at_the_groin(
    anatomy: KnowledgeBase,
) -> None:
    iliacus = _upstream(anatomy, anatomy.muscles["iliacus"].nerves)
    quadriceps = _upstream(anatomy, anatomy.muscles["vastus_lateralis"].nerves)
    assert "femoral_in_pelvis" in iliacus
    assert "femoral_at_inguinal_ligament" not in iliacus
    assert "femoral_at_inguinal_ligament" in quadriceps


def test_adductor_magnus_is_reached_through_both_the_obturator_and_the_sciatic_nerve(
    anatomy: KnowledgeBase,
) -> None:
    assert set(anatomy.muscles["adductor_magnus"].nerves) == {
        "obturator_nerve",
        "sciatic_tibial_division",
    }


def test_the_patellar_reflex_is_l3_l4_through_the_femoral_nerve(anatomy: KnowledgeBase) -> None:
    reflex = anatomy.reflexes["patellar_reflex"]
    assert _roots(reflex.roots) == {"L3": "minor", "L4": "major"}
    assert "femoral_at_inguinal_ligament" in _upstream(anatomy, reflex.nerves)


def test_the_achilles_reflex_is_s1_and_the_medial_hamstring_reflex_l5(
    anatomy: KnowledgeBase,
) -> None:
    assert _roots(anatomy.reflexes["achilles_reflex"].roots)["S1"] == "major"
    assert _roots(anatomy.reflexes["medial_hamstring_reflex"].roots)["L5"] == "major"


# --- Paraspinals and posterior rami


@pytest.mark.parametrize("paraspinal", PARASPINALS)
def test_a_paraspinal_muscle_is_reached_only_through_its_posterior_ramus(
    anatomy: KnowledgeBase, paraspinal: str
) -> None:
    muscle = anatomy.muscles[paraspinal]
    upstream = _upstream(anatomy, muscle.nerves)
    kinds = {anatomy.structures[node].kind for node in upstream}
    assert StructureKind.POSTERIOR_RAMUS in kinds
    assert not kinds & (PLEXUS_KINDS | {StructureKind.NERVE, StructureKind.NERVE_SEGMENT})
    assert muscle.plexus_part == "posterior_rami"
    assert muscle.distality == 0.0


def test_no_limb_or_pelvic_muscle_is_reached_through_a_posterior_ramus(
    anatomy: KnowledgeBase,
) -> None:
    for muscle in anatomy.muscles.values():
        if muscle.plexus_part == "posterior_rami":
            continue
        kinds = {anatomy.structures[node].kind for node in _upstream(anatomy, muscle.nerves)}
        assert StructureKind.POSTERIOR_RAMUS not in kinds, muscle.id


def test_every_lumbosacral_root_from_l2_to_s1_has_a_paraspinal_muscle(
    anatomy: KnowledgeBase,
) -> None:
    sampled = {
        contribution.root
        for muscle in anatomy.muscles.values()
        if muscle.plexus_part == "posterior_rami"
        for contribution in muscle.roots
    }
    assert {"L2", "L3", "L4", "L5", "S1"} <= sampled


# --- Plexus parts and distality agree with the graph


def test_each_muscles_plexus_part_agrees_with_the_graph(anatomy: KnowledgeBase) -> None:
    parts = {muscle.plexus_part for muscle in anatomy.muscles.values()}
    assert {"upper_lumbar_plexus", "lumbosacral_trunk", "sacral_plexus", "pudendal"} <= parts
    for muscle in anatomy.muscles.values():
        upstream = _upstream(anatomy, muscle.nerves)
        majors = {c.root for c in muscle.roots if c.share == "major"}
        if muscle.plexus_part == "upper_lumbar_plexus":
            assert "upper_lumbar_plexus" in upstream, muscle.id
        elif muscle.plexus_part == "lumbosacral_trunk":
            assert "sacral_plexus" in upstream, muscle.id
            assert majors <= {"L4", "L5"}, muscle.id
        elif muscle.plexus_part == "sacral_plexus":
            assert "sacral_plexus" in upstream, muscle.id
            assert not majors <= {"L4", "L5"}, muscle.id
        elif muscle.plexus_part == "pudendal":
            assert "pudendal_nerve" in upstream, muscle.id


def test_within_each_kind_nothing_further_down_the_graph_is_more_proximal(
    anatomy: KnowledgeBase,
) -> None:
    compared = 0
    for placed in _end_organ_groups(anatomy):
        for upper_key, upper_nerve, upper_distality in placed:
            for lower_key, lower_nerve, lower_distality in placed:
                if lower_nerve != upper_nerve and upper_nerve in ancestors(
                    anatomy.structures, lower_nerve
                ):
                    assert upper_distality <= lower_distality, (upper_key, lower_key)
                    compared += 1
    assert compared


def test_intrinsic_foot_muscles_are_the_most_distal(anatomy: KnowledgeBase) -> None:
    foot, leg = [], []
    for muscle in anatomy.muscles.values():
        upstream = _upstream(anatomy, muscle.nerves)
        if "tibial_at_ankle" in upstream or muscle.id == "extensor_digitorum_brevis":
            assert muscle.distality >= 0.9, muscle.id
            foot.append(muscle.id)
        elif "tibial_in_popliteal_fossa" in upstream or "deep_fibular_nerve" in upstream:
            assert 0.55 <= muscle.distality <= 0.75, muscle.id
            leg.append(muscle.id)
    assert foot and leg


# --- Skin


def test_there_is_one_dermatome_for_each_root_from_l1_to_s3(anatomy: KnowledgeBase) -> None:
    dermatomes = [a for a in anatomy.sensory_areas.values() if a.kind == "dermatome"]
    roots = sorted(area.roots[0].root for area in dermatomes)
    assert roots == sorted(["L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3"])
    assert all(len(area.roots) == 1 and area.roots[0].share == "major" for area in dermatomes)


@pytest.mark.parametrize(
    ("area", "nerve"),
    [
        ("lateral_thigh", "lateral_femoral_cutaneous_nerve"),
        ("medial_leg", "saphenous_nerve"),
        ("medial_thigh", "obturator_nerve"),
        ("dorsum_of_foot", "superficial_fibular_nerve"),
        ("first_web_space", "deep_fibular_nerve"),
        ("lateral_foot", "sural_nerve"),
        ("posterior_thigh", "posterior_femoral_cutaneous_nerve"),
        ("saddle_perineum", "pudendal_nerve"),
        ("dermatome_l5", "superficial_fibular_nerve"),
        ("dermatome_s1", "sural_nerve"),
        ("dermatome_l4", "saphenous_nerve"),
    ],
)
def test_each_skin_area_is_carried_by_its_textbook_nerve(
    anatomy: KnowledgeBase, area: str, nerve: str
) -> None:
    assert nerve in anatomy.sensory_areas[area].nerves


# --- Nerve-conduction studies


def test_every_study_uses_the_right_amplitude_unit(anatomy: KnowledgeBase) -> None:
    modalities = {study.modality for study in anatomy.studies.values()}
    assert {"snap", "cmap"} <= modalities
    for study in anatomy.studies.values():
        if study.modality == "snap":
            assert study.amplitude_unit == "uV", study.id
            assert study.amplitude_lower is not None, study.id
        elif study.modality == "cmap":
            assert study.amplitude_unit == "mV", study.id


def test_the_sural_snap_may_be_absent_in_healthy_people_from_75(anatomy: KnowledgeBase) -> None:
    # Tavee 2014: a sural response in 96 % of healthy people over 60; absence plausible from 75.
    sural = anatomy.studies["sural_snap"]
    assert _may_be_absent_at(sural, 78)
    assert not _may_be_absent_at(sural, 65)
    assert not _may_be_absent_at(sural, 72)
    assert not _may_be_absent_at(sural, 45)
    limit_at_45 = _amplitude_limit_at(sural, 45)
    limit_at_72 = _amplitude_limit_at(sural, 72)
    assert limit_at_45 is not None and limit_at_72 is not None
    assert limit_at_72 < limit_at_45


def test_the_medial_plantar_snap_may_be_absent_over_60(anatomy: KnowledgeBase) -> None:
    assert _may_be_absent_at(anatomy.studies["medial_plantar_snap"], 62)


def test_the_snaps_that_are_hard_to_obtain_are_marked_so(anatomy: KnowledgeBase) -> None:
    assert anatomy.studies["saphenous_snap"].technically_difficult
    assert anatomy.studies["lateral_femoral_cutaneous_snap"].technically_difficult
    assert not anatomy.studies["sural_snap"].technically_difficult


def test_the_edb_and_abductor_hallucis_studies_record_from_the_right_nerves(
    anatomy: KnowledgeBase,
) -> None:
    assert anatomy.studies["fibular_cmap_edb"].nerves == ("deep_fibular_nerve",)
    assert anatomy.studies["tibial_cmap_abductor_hallucis"].nerves == ("medial_plantar_nerve",)
    assert _roots(anatomy.studies["h_reflex"].roots) == {"S1": "major"}


@given(
    younger=st.integers(min_value=18, max_value=100),
    older=st.integers(min_value=18, max_value=100),
)
def test_normal_limits_never_tighten_with_age(
    anatomy: KnowledgeBase, younger: int, older: int
) -> None:
    if younger > older:
        younger, older = older, younger
    for study in anatomy.studies.values():
        young_limit = _amplitude_limit_at(study, younger)
        old_limit = _amplitude_limit_at(study, older)
        if young_limit is not None and old_limit is not None:
            assert old_limit <= young_limit, study.id
        if _may_be_absent_at(study, younger):
            assert _may_be_absent_at(study, older), study.id
