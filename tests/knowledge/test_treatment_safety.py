"""Treatment-safety corrections from the clinical review (issue 8, item 5), read from the loaded
knowledge base.

The caution model keys warnings to the patient conditions the engine checks, so a warning that
holds for every patient (serotonin syndrome with tramadol, IgA deficiency with IVIg, steroid
bone loss) lives in `dosing`, which every plan item shows; these tests look there as well.
"""

from __future__ import annotations

import re

import pytest

from plexcare.knowledge.model import KnowledgeBase, Sourced, Treatment

STEROID_TREATMENTS: tuple[str, ...] = (
    "iv_methylprednisolone",
    "oral_prednisolone",
    "corticosteroids_for_cidp",
    "epidural_steroid_injection",
    "lfc_nerve_block",
    "dexamethasone_for_tumour_compression",
)
STEROID_NAME = re.compile(r"(?<!non-)steroid|prednisolone|dexamethasone", re.IGNORECASE)

STEROID_CORE: dict[str, tuple[str, str]] = {
    "diabetes": (
        "monitor",
        "corticosteroids raise blood glucose within hours, mostly in the afternoon and evening, "
        "and can tip uncontrolled diabetes into severe hyperglycaemia",
    ),
    "active_infection": (
        "contraindicated",
        "do not give while an infection is untreated, including an abscess (for example psoas "
        "or spinal epidural) or sepsis",
    ),
    "peptic_ulcer": (
        "monitor",
        "corticosteroids add to the risk of peptic ulcer and gastrointestinal bleeding",
    ),
    "older_adult": (
        "monitor",
        "osteoporosis and fractures, and psychiatric effects (delirium, mood change, psychosis), "
        "are more frequent",
    ),
}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _caution_text(treatment: Treatment, condition: str) -> str:
    return " ".join(_flat(c.text) for c in treatment.cautions if c.condition == condition)


def _all_text(treatment: Treatment) -> str:
    return " ".join([_flat(treatment.dosing), *(_flat(c.text) for c in treatment.cautions)])


def _cites(record: Sourced, reference: str) -> bool:
    return reference in record.sources


def test_cidp_offers_corticosteroids_first_line_alongside_ivig_with_the_pure_motor_note(
    kb: KnowledgeBase,
) -> None:
    uses = {use.treatment: use for use in kb.disorders["cidp"].treatments}
    steroids, ivig = uses["corticosteroids_for_cidp"], uses["ivig_for_cidp"]
    assert steroids.role == ivig.role == "cause_directed"
    note = _flat(steroids.note)
    assert "first line" in note and "pure motor" in note and "ivig" in note
    assert _cites(steroids, "van_den_bergh_2021_ean_pns_cidp")
    evidence = _flat(kb.treatments["corticosteroids_for_cidp"].evidence)
    assert "strongly recommended" in evidence and "pure motor" in evidence
    assert "weak recommendation" not in evidence


def test_tramadol_warns_of_serotonin_syndrome_at_any_age_and_of_seizures(
    kb: KnowledgeBase,
) -> None:
    tramadol = kb.treatments["tramadol"]
    dosing = _flat(tramadol.dosing)  # shown for every patient, not only older adults
    assert "serotonin syndrome" in dosing and "any age" in dosing
    for drug in ("duloxetine", "venlafaxine", "ssri", "amitriptyline", "nortriptyline"):
        assert drug in dosing, drug
    assert "seizure threshold" in dosing and "epilepsy" in dosing
    assert _cites(tramadol, "fda_label_ultram_tramadol")


@pytest.mark.parametrize("partner", ["duloxetine", "amitriptyline", "nortriptyline"])
def test_serotonergic_pain_drugs_point_back_to_the_tramadol_interaction(
    kb: KnowledgeBase, partner: str
) -> None:
    dosing = _flat(kb.treatments[partner].dosing)
    assert "tramadol" in dosing and "serotonin syndrome" in dosing


@pytest.mark.parametrize("treatment", ["ivig", "ivig_for_cidp"])
def test_ivig_warns_of_iga_haemolysis_meningitis_thrombosis_kidneys_and_glucose_meters(
    kb: KnowledgeBase, treatment: str
) -> None:
    ivig = kb.treatments[treatment]
    text = _all_text(ivig)
    assert "iga deficiency" in text and "anaphylaxis" in text
    assert "haemolysis" in text and "blood groups a, b and ab" in text and "high doses" in text
    assert "aseptic meningitis" in text
    assert "thrombosis" in text and "renal failure" in text and "hydrat" in text
    glucose = _caution_text(ivig, "diabetes")
    assert "maltose" in glucose and "gdh-pqq" in glucose
    diabetes = next(c for c in ivig.cautions if c.condition == "diabetes")
    assert _cites(diabetes, "fda_2009_gdh_pqq_glucose_meter_notification")


def test_anticoagulant_reversal_warns_of_thrombosis_and_asks_for_a_restart_plan(
    kb: KnowledgeBase,
) -> None:
    reversal = kb.treatments["anticoagulant_reversal"]
    caution = next(c for c in reversal.cautions if c.condition == "anticoagulated")
    text = _flat(caution.text)
    assert "thrombosis" in text and "restart" in text and "plan" in text
    assert _cites(caution, "tomaselli_2020_acc_oral_anticoagulant_bleeding")
    dosing = _flat(reversal.dosing)
    assert "document" in dosing and "restarts" in dosing


def test_duloxetine_is_avoided_in_liver_disease_and_heavy_alcohol_use(kb: KnowledgeBase) -> None:
    dosing = _flat(kb.treatments["duloxetine"].dosing)
    assert "liver disease" in dosing and "hepatic impairment" in dosing
    assert "heavy alcohol use" in dosing


@pytest.mark.parametrize("drug", ["amitriptyline", "nortriptyline"])
def test_tricyclics_warn_of_overdose_and_urinary_retention_and_keep_their_cautions(
    kb: KnowledgeBase, drug: str
) -> None:
    tricyclic = kb.treatments[drug]
    dosing = _flat(tricyclic.dosing)
    assert "dangerous in overdose" in dosing and "small quantities" in dosing
    assert "urinary retention" in dosing and "prostatic hypertrophy" in dosing
    assert "prostatic hypertrophy" in _caution_text(tricyclic, "older_adult")
    assert {"older_adult", "heart_failure", "falls_risk"} <= {
        c.condition for c in tricyclic.cautions
    }
    assert _cites(tricyclic, "kerr_2001_tricyclic_overdose")


@pytest.mark.parametrize(
    ("drug", "bands"),
    [
        ("pregabalin", ("150-600 mg", "75-300 mg", "25-150 mg", "25-75 mg")),
        ("gabapentin", ("900-3,600 mg", "400-1,400 mg", "200-700 mg", "100-300 mg")),
    ],
)
def test_gabapentinoids_are_dosed_by_cockcroft_gault_creatinine_clearance_bands(
    kb: KnowledgeBase, drug: str, bands: tuple[str, ...]
) -> None:
    drug_entry = kb.treatments[drug]
    renal = _caution_text(drug_entry, "renal_impairment")
    assert "cockcroft-gault" in renal and "60 ml/min or more" in renal
    for band in bands:
        assert band in renal, band
    caution = next(c for c in drug_entry.cautions if c.condition == "renal_impairment")
    assert caution.severity == "adjust_dose"
    assert _cites(caution, "cockcroft_gault_1976")
    assert "cockcroft-gault" in _flat(drug_entry.dosing)


def test_diabetic_amyotrophy_says_autonomic_involvement_is_common(kb: KnowledgeBase) -> None:
    disorder = kb.disorders["diabetic_lumbosacral_radiculoplexus_neuropathy"]
    summary = _flat(disorder.summary)
    assert "autonomic" in summary and "three quarters" in summary
    assert _cites(disorder, "pascoe_1997_subacute_diabetic_proximal_neuropathy")


def test_van_alfen_2006_is_cited_as_246_cases_and_nothing_cites_476(kb: KnowledgeBase) -> None:
    reference = kb.references["van_alfen_2006_neuralgic_amyotrophy_246"]
    assert "246 cases" in reference.citation
    plexitis = kb.disorders["idiopathic_lumbosacral_plexitis"]
    cited = {
        source
        for record in (plexitis, *plexitis.features, *plexitis.treatments, *plexitis.workup)
        for source in record.sources
    }
    assert "van_alfen_2006_neuralgic_amyotrophy_246" in cited
    wrong = {key for key, ref in kb.references.items() if "476 cases" in ref.citation}
    assert not cited & wrong
    for disorder in kb.disorders.values():
        assert not set(disorder.sources) & wrong, disorder.id
    assert "quarter" in _flat(plexitis.prognosis)


def test_plexitis_frequencies_borrowed_from_van_alfen_are_marked_as_estimates(
    kb: KnowledgeBase,
) -> None:
    """Van Alfen 2006 describes mostly brachial attacks: no lumbosacral frequency comes from it."""
    plexitis = kb.disorders["idiopathic_lumbosacral_plexitis"]
    borrowed = [
        f for f in plexitis.features if _cites(f, "van_alfen_2006_neuralgic_amyotrophy_246")
    ]
    assert borrowed
    for feature in borrowed:
        assert "estimate" in feature.note.lower(), feature.feature


@pytest.mark.parametrize("treatment", STEROID_TREATMENTS)
@pytest.mark.parametrize("condition", list(STEROID_CORE))
def test_every_corticosteroid_entry_carries_the_same_core_caution(
    kb: KnowledgeBase, treatment: str, condition: str
) -> None:
    severity, wording = STEROID_CORE[condition]
    cautions = [c for c in kb.treatments[treatment].cautions if c.condition == condition]
    assert len(cautions) == 1, (treatment, condition)
    assert cautions[0].severity == severity
    assert wording in _flat(cautions[0].text)


def test_every_corticosteroid_entry_warns_every_patient_of_bone_loss_and_psychiatric_effects(
    kb: KnowledgeBase,
) -> None:
    """Also a guard: a steroid entry added later must join STEROID_TREATMENTS (and its checks)."""
    named = {key for key, t in kb.treatments.items() if STEROID_NAME.search(t.name)}
    assert named <= set(STEROID_TREATMENTS)
    for treatment in STEROID_TREATMENTS:
        dosing = _flat(kb.treatments[treatment].dosing)
        assert "bone loss" in dosing and "psychiatric effects" in dosing, treatment
