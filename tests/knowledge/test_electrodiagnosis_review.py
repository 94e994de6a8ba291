"""Data corrections of the electrodiagnosis review (issue 10), each with its source."""

from __future__ import annotations

from plexcare.knowledge.model import KnowledgeBase


def test_demyelinating_slowing_is_the_ean_pns_2021_thirty_percent_below_the_limit(
    kb: KnowledgeBase,
) -> None:
    # EAN/PNS 2021 CIDP guideline: motor conduction velocity slowed >= 30 % below the LLN.
    threshold = kb.thresholds.demyelinating_slowing
    assert threshold.value == 0.7
    assert threshold.reached(0.7)
    assert not threshold.reached(0.72)
    assert threshold.reached(0.65)
    assert {"van_den_bergh_2021_ean_pns_cidp", "van_den_bergh_2021_ean_pns_cidp_ejn"} <= set(
        threshold.sources
    )


def test_paraspinal_fibrillations_miss_half_of_root_lesions(kb: KnowledgeBase) -> None:
    # Tsao 2003: paraspinal abnormalities in about half of L5 and a quarter of S1 lesions.
    fibrillations = kb.electrodiagnosis.finding_kinds["fibrillations"]
    assert fibrillations.paraspinal_sensitivity is not None
    assert 0.4 <= fibrillations.paraspinal_sensitivity <= 0.5
    assert "tsao_2003_single_root_lumbosacral_radiculopathy" in fibrillations.sources


def test_the_healthy_paraspinal_rate_is_per_level_not_per_person(kb: KnowledgeBase) -> None:
    # Date 1996: 14.5 % of asymptomatic people had paraspinal fibrillations *somewhere*. The
    # engine scores each sampled level, so three normal levels should add up to about that.
    fibrillations = kb.electrodiagnosis.finding_kinds["fibrillations"]
    per_level = fibrillations.paraspinal_false_positive
    assert per_level is not None
    assert per_level > fibrillations.false_positive
    assert 0.1 <= 1 - (1 - per_level) ** 3 <= 0.2
    assert "date_1996_paraspinal_spontaneous_activity" in fibrillations.sources


def test_wallerian_timing_cites_serial_studies_of_nerve_section_not_reference_values(
    kb: KnowledgeBase,
) -> None:
    for kind in ("snap_low", "cmap_low"):
        sources = set(kb.electrodiagnosis.finding_kinds[kind].sources)
        assert "chen_reference_values_2016" not in sources
        assert "chaudhry_cornblath_1992_wallerian_degeneration" in sources
        assert "preston_shapiro_2020" in sources


def test_saphenous_and_lfcn_absence_is_weak_evidence_at_any_adult_age(
    kb: KnowledgeBase,
) -> None:
    # Preston & Shapiro 2020: often unobtainable in healthy adults, particularly with obesity.
    for study_id in ("saphenous_snap", "lateral_femoral_cutaneous_snap"):
        study = kb.studies[study_id]
        assert study.technically_difficult
        youngest = min(study.age_limits, key=lambda band: band.min_age)
        assert youngest.min_age <= 18 and youngest.may_be_absent
        assert all(band.may_be_absent for band in study.age_limits)
        assert "preston_shapiro_2020" in study.sources
    sural = kb.studies["sural_snap"]
    assert not any(band.may_be_absent for band in sural.age_limits if band.min_age < 75)
    assert "preston_shapiro_2020" in kb.electrodiagnosis.aged_absence.sources
