"""Data corrections of the anatomy review (issue 10), each with its source."""

from __future__ import annotations

from plexcare.knowledge.integrity import ancestors
from plexcare.knowledge.model import KnowledgeBase, RootContribution


def _roots(contributions: tuple[RootContribution, ...]) -> dict[str, str]:
    return {contribution.root: contribution.share for contribution in contributions}


def test_the_sural_nerve_does_not_pass_the_fibular_head(kb: KnowledgeBase) -> None:
    # The sural communicating branch leaves the common fibular nerve in the popliteal fossa.
    sural = kb.structures["sural_nerve"]
    assert set(sural.parents) == {"tibial_in_popliteal_fossa", "sciatic_common_fibular_division"}
    upstream = ancestors(kb.structures, "sural_nerve")
    assert "common_fibular_at_fibular_head" not in upstream
    assert {"root_s1", "root_s2"} <= upstream
    assert "riedl_frey_2013_sural_anatomy" in sural.sources


def test_the_fibular_head_still_reaches_the_superficial_and_deep_fibular_nerves(
    kb: KnowledgeBase,
) -> None:
    for nerve in ("superficial_fibular_nerve", "deep_fibular_nerve"):
        assert "common_fibular_at_fibular_head" in ancestors(kb.structures, nerve)


def test_muscle_roots_follow_the_review(kb: KnowledgeBase) -> None:
    expected = {
        # Tsao 2003: normal in 13/13 L5, abnormal in 8/9 S1 radiculopathies.
        "biceps_femoris_short_head": {"L5": "minor", "S1": "major", "S2": "minor"},
        "extensor_digitorum_brevis": {"L5": "major", "S1": "major"},
        "iliacus": {"L2": "major", "L3": "major", "L4": "minor"},
        "tibialis_posterior": {"L4": "minor", "L5": "major", "S1": "minor"},
        # Phillips & Park 1991: major supply L5.
        "peroneus_longus": {"L5": "major", "S1": "minor"},
        "adductor_longus": {"L2": "minor", "L3": "major", "L4": "minor"},
    }
    for muscle, roots in expected.items():
        assert _roots(kb.muscles[muscle].roots) == roots, muscle
    assert "tsao_2003_single_root_lumbosacral_radiculopathy" in (
        kb.muscles["biceps_femoris_short_head"].sources
    )
    assert "phillips_park_1991_segmental_mapping" in kb.muscles["peroneus_longus"].sources
    assert kb.muscles["peroneus_longus"].plexus_part == "lumbosacral_trunk"


def test_an_absent_sural_is_allowed_in_health_only_from_75(kb: KnowledgeBase) -> None:
    # Tavee 2014: limits about 3 uV at 60-69 and 1 uV at 70-74; absence plausible from 75.
    sural = kb.studies["sural_snap"]
    bands = {band.min_age: band for band in sural.age_limits}
    assert bands[60].amplitude_lower == 3.0 and not bands[60].may_be_absent
    assert bands[70].amplitude_lower == 1.0 and not bands[70].may_be_absent
    assert bands[75].may_be_absent
    assert min(age for age, band in bands.items() if band.may_be_absent) == 75
    assert "tavee_2014_sural_healthy_elderly" in sural.sources
