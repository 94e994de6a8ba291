"""A clinician's case stated as the shared warning facts the red-flag rules read.

The self-check states the same facts from a patient's answers (`triage.yaml` signals); this
module states them from what a clinician records, so the same person gets the same urgency
through either door. A fact the case does not speak to stays unknown: it cannot fire a rule or
silence one. The MRC cut-offs are the knowledge base's; the word lists only read the case's
free-text pain sites.
"""

from __future__ import annotations

from collections.abc import Iterable

from plexcare.engine.case import Case
from plexcare.engine.etiology_features import EtiologyFindings, derive_etiology_findings
from plexcare.engine.red_flag_rules import WarningFacts
from plexcare.knowledge.model import KnowledgeBase

BACK_WORDS = ("back", "lumbar", "spine", "spinal", "sacr", "coccy")
GROIN_WORDS = ("groin", "hip", "flank", "inguinal", "loin")
LEG_WORDS = ("thigh", "leg", "calf", "shin", "buttock", "sciatic", "knee", "ankle")
NOT_LEG_STRENGTH = frozenset(
    {
        "trunk_extension",
        "trunk_flexion",
        "sphincter_squeeze",
        "bladder_emptying",
        "shoulder_abduction",
        "elbow_flexion",
        "finger_abduction",
        "tongue_movement",
    }
)
"""Movements graded on the strength grid that are not leg weakness (trunk, pelvic floor, and
the arm and bulbar muscles tested for generalized disorders)."""
MONTHS_AGO_DAYS = 90.0


class _Facts:
    """Collects fact states; the first statement about a fact wins, a present one always."""

    def __init__(self) -> None:
        self.present: dict[str, str] = {}
        self.absent: dict[str, str] = {}

    def state(self, fact: str, value: bool | None, evidence: str) -> None:
        if value is None or fact in self.present:
            return
        if value:
            self.absent.pop(fact, None)
            self.present[fact] = evidence
        elif fact not in self.absent:
            self.absent[fact] = evidence

    def result(self) -> WarningFacts:
        evidence = {**self.absent, **self.present}
        return WarningFacts(frozenset(self.present), frozenset(self.absent), evidence)


def _mentions(sites: Iterable[str], words: tuple[str, ...]) -> list[str]:
    return [site for site in sites if any(word in site.lower() for word in words)]


def _movement(key: str, kb: KnowledgeBase) -> str:
    muscle = kb.muscles.get(key)
    return str(muscle.movement) if muscle is not None else key


def _strength(case: Case, kb: KnowledgeBase, out: _Facts) -> None:
    graded = [
        (mrc, key, side, _movement(key, kb))
        for side, exam in case.exam.items()
        for key, mrc in exam.strength.items()
    ]
    leg = sorted((m, k, s, mv) for m, k, s, mv in graded if mv not in NOT_LEG_STRENGTH)
    for mrc, _key, side, movement in graded:
        if movement == "sphincter_squeeze" and mrc < 5:
            out.state("reduced_anal_tone", True, f"weak anal squeeze, MRC {mrc} ({side})")
        if movement == "bladder_emptying" and mrc < 5:
            what = f"impaired bladder emptying ({side})"
            out.state("new_bladder_bowel_or_sexual_dysfunction", True, what)
    if not leg:
        return
    weakest, key, side, _ = leg[0]
    where = f"{key.replace('_', ' ')} MRC {weakest} ({side})"
    out.state("leg_weakness", weakest < 5, where if weakest < 5 else "full leg strength")
    severe = kb.thresholds.rapidly_progressive_weakness.reached(weakest)
    out.state("severe_leg_weakness", severe, where)
    standing = set(kb.red_flags.standing_movements)
    collapsed = [(m, k, s) for m, k, s, mv in leg if mv in standing and m <= 2]
    tested = [m for m, _, _, mv in leg if mv in standing]
    if collapsed:
        mrc, k, s = collapsed[0]
        out.state("cannot_stand", True, f"{k.replace('_', ' ')} MRC {mrc} ({s})")
    elif tested:
        out.state("cannot_stand", False, "knee and hip extensors above MRC 2")
    weak_sides = {s for m, _, s, _ in leg if m < 5}
    if len(case.exam) == 2:
        out.state("both_legs_affected", len(weak_sides) == 2, "weakness in both legs")


def _sensation_and_sides(case: Case, out: _Facts) -> None:
    sensed = [
        (grade, area, side)
        for side, exam in case.exam.items()
        for area, grade in exam.sensation.items()
    ]
    lost = [
        f"{area.replace('_', ' ')} {grade} ({side})"
        for grade, area, side in sensed
        if grade != "normal"
    ]
    if sensed:
        out.state("sensory_loss", bool(lost), ", ".join(lost) or "sensation normal")
    if case.affected_side is not None:
        both = case.affected_side == "both"
        out.state("both_legs_affected", both, f"affected side: {case.affected_side}")


def _tempo(case: Case, out: _Facts) -> None:
    tempo, symptoms = case.tempo, case.symptoms
    if tempo is not None:
        out.state("onset_hours_to_days", tempo == "acute", f"{tempo} onset")
        out.state("onset_over_months", tempo == "chronic", f"{tempo} onset")
    days = case.days_since_onset
    if days is not None:
        out.state("began_months_ago", days > MONTHS_AGO_DAYS, f"{days / 7:.0f} weeks since onset")
    if symptoms.progressing is False:
        out.state("weakness_worsening_day_to_day", False, "weakness not progressing")
        out.state("weakness_worsening_over_weeks", False, "weakness not progressing")
    elif symptoms.progressing and tempo is not None:
        out.state("weakness_worsening_day_to_day", tempo == "acute", f"{tempo} onset, progressing")
        out.state(
            "weakness_worsening_over_weeks", tempo == "subacute", f"{tempo} onset, progressing"
        )


def _pain(case: Case, kb: KnowledgeBase, out: _Facts) -> None:
    pain, symptoms = case.pain, case.symptoms
    none = pain.score == 0 or None
    back = _mentions(pain.sites, BACK_WORDS)
    groin = _mentions(pain.sites, GROIN_WORDS)
    leg = _mentions(pain.sites, LEG_WORDS)
    out.state(
        "back_pain", symptoms.back_pain, "low back pain" if symptoms.back_pain else "no back pain"
    )
    out.state("back_pain", bool(back) or None, f"pain: {', '.join(back)}")
    out.state("groin_or_hip_pain", bool(groin) or None, f"pain: {', '.join(groin)}")
    out.state("radicular_pain", bool(leg) or None, f"pain: {', '.join(leg)}")
    lasegue = any(exam.straight_leg_raise for exam in case.exam.values())
    out.state("radicular_pain", lasegue or None, "positive straight leg raise")
    if pain.sites or none:
        for fact in ("back_pain", "groin_or_hip_pain", "radicular_pain"):
            out.state(fact, False, "pain sites recorded" if pain.sites else "no pain")
    if pain.score is not None:
        severe = kb.thresholds.severe_pain.reached(pain.score)
        out.state("severe_pain", severe, f"pain {pain.score}/10")
    painful = back + groin + [site for site in leg if "thigh" in site.lower()]
    if case.tempo is not None and (painful or none):
        sudden = case.tempo == "acute" and bool(painful)
        out.state(
            "sudden_pain",
            sudden,
            f"acute onset, pain: {', '.join(painful)}" if sudden else f"{case.tempo} onset",
        )


def _history(case: Case, kb: KnowledgeBase, out: _Facts) -> None:
    history, symptoms = case.history, case.symptoms
    out.state("saddle_numbness", symptoms.saddle_numbness, "saddle numbness")
    bladder = "new bladder or bowel trouble"
    out.state("new_bladder_bowel_or_sexual_dysfunction", symptoms.bladder_bowel, bladder)
    if case.anal_tone is not None:
        out.state("reduced_anal_tone", case.anal_tone == "reduced", f"anal tone {case.anal_tone}")
    out.state(
        "breathing_or_swallowing_weakness",
        symptoms.breathing_or_swallowing,
        "breathing or swallowing difficulty",
    )
    out.state("cold_pale_or_pulseless_leg", symptoms.cold_pale_leg, "cold, pale or pulseless leg")
    out.state("new_swelling_or_bruising", symptoms.swelling_or_bruising, "new swelling or bruising")
    out.state("fever", symptoms.fever, "fever")
    cancer = history.cancer
    if cancer is not None:
        where = f" ({cancer.site})" if cancer.site else ""
        out.state("cancer_history", cancer.known, f"{cancer.status} cancer{where}")
    radiotherapy = history.radiotherapy
    if history.pelvic_radiotherapy_years_ago is not None:
        out.state("cancer_history", True, "pelvic radiotherapy")
    elif radiotherapy is not None and radiotherapy.status == "given":
        out.state("cancer_history", True, "radiotherapy")
    out.state(
        "chemotherapy_recent", history.chemotherapy_recent, "chemotherapy in the past 6 weeks"
    )
    for value, what in (
        (history.injection_drug_use, "injection drug use"),
        (history.immunosuppressed, "immunosuppressed"),
        (history.chemotherapy_recent, "recent chemotherapy"),
        (history.infection_risk, "infection risk"),
    ):
        out.state("infection_risk", value, what if value else f"no {what}")
    drug = (history.anticoagulant or "").strip()
    if history.anticoagulant is not None:
        taking = drug.lower() not in ("", "none", "no")
        out.state(
            "bleeding_risk", taking, f"anticoagulant: {drug}" if taking else "no anticoagulant"
        )
    out.state("bleeding_risk", history.bleeding_disorder, "bleeding disorder")
    out.state("bleeding_risk", history.groin_catheterisation, "recent groin catheterisation")
    if case.labs.inr is not None:
        high = kb.thresholds.inr_supratherapeutic.reached(case.labs.inr)
        out.state("inr_supratherapeutic", high, f"INR {case.labs.inr:g}")
    spinal = history.recent_surgery == "spinal" or history.spinal_procedure
    out.state("recent_spinal_procedure", spinal or None, "recent spinal procedure or surgery")
    out.state("recent_spinal_procedure", history.spinal_procedure, "no recent spinal procedure")
    if history.recent_surgery is not None:
        out.state(
            "recent_operation_or_birth",
            True,
            f"recent {history.recent_surgery.replace('_', ' ')} surgery",
        )
    if history.delivery_weeks_ago is not None:
        recent = kb.thresholds.recent_delivery.reached(history.delivery_weeks_ago)
        out.state(
            "recent_operation_or_birth",
            recent,
            f"delivery {history.delivery_weeks_ago:g} weeks ago",
        )
    if history.trauma is not None:
        out.state("injury", True, f"trauma: {history.trauma.replace('_', ' ')}")
    out.state(
        "tense_swollen_buttock_or_thigh",
        symptoms.tense_buttock_or_thigh,
        "tense, swollen, painful buttock or thigh",
    )
    out.state("lay_immobile_for_hours", history.lay_immobile_for_hours, "lay immobile for hours")
    out.state("aortic_or_iliac_aneurysm", history.aneurysm, "known aortic or iliac aneurysm")


def _imaging_and_weight(found: EtiologyFindings, out: _Facts) -> None:
    for fact in ("imaging_haematoma", "imaging_abscess", "imaging_mass", "imaging_fracture"):
        state = found.state(fact)
        if state != "unknown":
            out.state(fact, state == "present", found.reasons.get(fact, fact))
    if found.state("imaging_aneurysm") == "present":
        what = found.reasons.get("imaging_aneurysm", "aneurysm on imaging")
        out.state("aortic_or_iliac_aneurysm", True, what)
    weight = found.state("recent_weight_loss")
    if weight != "unknown":
        out.state("weight_loss", weight == "present", found.reasons.get("recent_weight_loss", ""))


def warning_facts_from_case(
    case: Case, kb: KnowledgeBase, found: EtiologyFindings | None = None
) -> WarningFacts:
    """Every warning fact the case lets us state, with the finding behind each.

    `found` is the case's etiology features when the caller has them already (imaging and
    weight loss are read from there, so both views agree)."""
    out = _Facts()
    _history(case, kb, out)
    _strength(case, kb, out)
    _sensation_and_sides(case, out)
    _tempo(case, out)
    _pain(case, kb, out)
    _imaging_and_weight(found or derive_etiology_findings(case, kb), out)
    return out.result()
