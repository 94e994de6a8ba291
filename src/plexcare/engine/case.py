"""The case: everything a clinician records about one patient's legs at one evaluation.

It is the engine's only input besides the knowledge base, so it is strict: unknown keys are
errors, values are range-checked, and names of muscles, studies, reflexes and skin areas are
checked against the knowledge base by `plexcare.engine.case_names` with close-match hints.
The evaluation date comes in with the case: the engine has no clock.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Side = Literal["left", "right"]
Sides = Literal["left", "right", "both"]
Tempo = Literal["acute", "subacute", "chronic"]
Surgery = Literal[
    "hip_arthroplasty", "pelvic", "abdominal", "spinal", "vascular", "lithotomy", "other"
]
Mrc = Annotated[int, Field(ge=0, le=5)]
ReflexGrade = Literal["absent", "reduced", "normal", "brisk"]
CancerStatus = Literal["none", "past", "active", "unknown"]
RadiotherapyStatus = Literal["none", "given", "unknown"]
RadiotherapyRegion = Literal[
    "pelvis", "abdomen", "lumbosacral_spine", "breast_or_chest", "head_and_neck", "other"
]
ImagedRegion = Literal[
    "lumbar_spine", "whole_spine", "lumbosacral_plexus", "pelvis", "abdomen", "hip", "thigh", "knee"
]
SensoryGrade = Literal["normal", "reduced", "absent"]
StudyGrade = Literal["normal", "reduced", "absent"]


class CaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pain(CaseModel):
    score: int | None = Field(default=None, ge=0, le=10, description="Worst pain, 0-10")
    sites: tuple[str, ...] = ()


class Symptoms(CaseModel):
    bladder_bowel: bool | None = Field(default=None, description="New bladder or bowel trouble")
    saddle_numbness: bool | None = None
    weight_loss_kg: float | None = Field(default=None, ge=0, le=100)
    fever: bool | None = None
    back_pain: bool | None = None
    neurogenic_claudication: bool | None = None
    progressing: bool | None = Field(default=None, description="Weakness still worsening")
    breathing_or_swallowing: bool | None = Field(
        default=None, description="Breathlessness, weak cough or trouble swallowing"
    )
    cold_pale_leg: bool | None = Field(
        default=None, description="A cold, pale, painful or pulseless leg or foot"
    )
    swelling_or_bruising: bool | None = Field(
        default=None, description="New swelling or bruising of the groin, flank, buttock or thigh"
    )
    pain_worse_lying_flat: bool | None = Field(
        default=None, description="Back or leg pain worse on lying flat"
    )
    night_pain: bool | None = Field(
        default=None, description="Pain at night that wakes the patient or keeps them awake"
    )
    pain_on_hip_rotation: bool | None = Field(
        default=None, description="Groin or thigh pain on passive rotation of the hip"
    )
    dermatomal_rash: bool | None = Field(
        default=None, description="A blistering rash in a band on one side (shingles)"
    )
    cyclical_pain: bool | None = Field(
        default=None, description="Leg or buttock pain that comes with each menstrual period"
    )
    pain_before_weakness: bool | None = Field(
        default=None, description="Pain began before the weakness"
    )
    cramps: bool | None = Field(default=None, description="Muscle cramps in the legs")
    fasciculations_seen: bool | None = Field(
        default=None, description="Twitching under the skin the patient has seen or felt"
    )
    night_sweats: bool | None = Field(default=None, description="Drenching sweats at night")
    vascular_claudication: bool | None = Field(
        default=None,
        description="Calf, thigh or buttock pain on walking, eased in minutes by standing still",
    )
    pain_on_coughing: bool | None = Field(
        default=None,
        description="Back or leg pain brought on or made worse by coughing, sneezing or straining",
    )
    spread_to_other_leg: bool | None = Field(
        default=None, description="Symptoms began in one leg and have spread to the other"
    )
    difficulty_rising_from_chair: bool | None = Field(
        default=None,
        description="Difficulty rising from a low chair without pushing up with the arms",
    )
    tense_buttock_or_thigh: bool | None = Field(
        default=None,
        description="A tense, swollen buttock or thigh, very painful to move or stretch",
    )


class Cancer(CaseModel):
    """A cancer history: none, past (treated, in remission), active, or not known.

    Older cases wrote `{site: ..., active: true|false}` (or only a site, read as active): that
    is still read, `active` becoming the status. A status of none or unknown takes no site.
    """

    status: CancerStatus = Field(
        description="Cancer history: none, past (treated, in remission), active, or unknown"
    )
    site: str | None = Field(
        default=None, min_length=2, max_length=80, description="Where the cancer started"
    )

    @model_validator(mode="before")
    @classmethod
    def _read_older_cases(cls, data: Any) -> Any:
        """`active: true|false` (or a site alone) from cases written before the status."""
        if isinstance(data, str):
            return {"status": data}
        if isinstance(data, dict) and "status" not in data:
            older = dict(data)
            active = older.pop("active", True)
            if not isinstance(active, bool):
                raise ValueError("active must be true or false")
            older["status"] = "active" if active else "past"
            return older
        if isinstance(data, dict) and "active" in data:
            raise ValueError("give status (none, past, active, unknown) instead of active")
        return data

    @model_validator(mode="after")
    def _site_only_with_a_cancer(self) -> Cancer:
        if self.site is not None and self.status in ("none", "unknown"):
            raise ValueError(f"a cancer site needs status past or active, not {self.status}")
        return self

    @property
    def known(self) -> bool | None:
        """True for a past or active cancer, False for none, None when not known."""
        return {"none": False, "unknown": None}.get(self.status, True)


class Radiotherapy(CaseModel):
    """Radiotherapy in the past: none, given (to a region, some years ago), or not known.

    Radiation plexopathy needs the plexus in the field: pelvis, abdomen or lumbosacral spine.
    """

    status: RadiotherapyStatus = Field(description="Radiotherapy ever: none, given or unknown")
    region: RadiotherapyRegion | None = Field(
        default=None, description="Region treated (the field that received the radiation)"
    )
    years_ago: float | None = Field(
        default=None, ge=0, le=80, description="Years since the radiotherapy ended"
    )

    @model_validator(mode="before")
    @classmethod
    def _status_alone(cls, data: Any) -> Any:
        return {"status": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _details_only_when_given(self) -> Radiotherapy:
        if self.status != "given" and (self.region is not None or self.years_ago is not None):
            raise ValueError(f"region and years_ago need status given, not {self.status}")
        return self


class History(CaseModel):
    diabetes: Literal["none", "type1", "type2"] | None = None
    cancer: Cancer | None = Field(
        default=None,
        description="Cancer history: none, past, active or unknown, with its site",
    )
    radiotherapy: Radiotherapy | None = Field(
        default=None, description="Radiotherapy ever: none, unknown, or given with its region"
    )
    pelvic_radiotherapy_years_ago: float | None = Field(
        default=None,
        ge=0,
        le=80,
        description="Older cases: years since pelvic radiotherapy (read as radiotherapy given)",
    )
    anticoagulant: str | None = Field(default=None, max_length=80)
    recent_surgery: Surgery | None = None
    trauma: (
        Literal["pelvic_fracture", "sacral_fracture", "hip_dislocation", "penetrating", "other"]
        | None
    ) = None
    delivery_weeks_ago: float | None = Field(
        default=None, ge=0, le=52, description="Weeks since childbirth"
    )
    delivery_instrumental: bool | None = Field(
        default=None, description="Forceps or vacuum delivery (with delivery_weeks_ago)"
    )
    labour_prolonged: bool | None = Field(
        default=None, description="A prolonged second stage of labour (with delivery_weeks_ago)"
    )
    gluteal_injection: bool | None = Field(
        default=None, description="An injection into the buttock before the symptoms began"
    )
    fall: bool | None = Field(default=None, description="A fall before the symptoms began")
    lay_immobile_for_hours: bool | None = Field(
        default=None,
        description=(
            "Lay without moving for hours before the symptoms (intoxication, an overdose, a long "
            "lie after a fall, a long operation)"
        ),
    )
    atrial_fibrillation: bool | None = Field(
        default=None,
        description="Atrial fibrillation (an irregular heartbeat that can send clots to the legs)",
    )
    aneurysm: bool | None = Field(
        default=None,
        description="A known aortic or iliac aneurysm (one seen on a scan goes under imaging)",
    )
    infection_risk: bool | None = Field(
        default=None,
        description=(
            "Older cases: any infection risk; read only when no specific risk (injection drug "
            "use, immunosuppression, recent infection) is recorded"
        ),
    )
    recent_infection: bool | None = Field(
        default=None,
        description="An infection (diarrhoea, chest, skin, urine) in the past six weeks",
    )
    injection_drug_use: bool | None = Field(default=None, description="Injection drug use")
    immunosuppressed: bool | None = Field(
        default=None, description="Immunosuppressants, long-term steroids or immune deficiency"
    )
    chemotherapy_recent: bool | None = Field(
        default=None, description="Chemotherapy in the past six weeks"
    )
    bleeding_disorder: bool | None = None
    groin_catheterisation: bool | None = Field(
        default=None, description="Arterial or venous access through the groin in the past month"
    )
    spinal_procedure: bool | None = Field(
        default=None,
        description="Epidural, spinal anaesthetic, spinal injection or lumbar puncture recently",
    )
    leg_crossing_or_squatting: bool | None = None
    pregnant: bool | None = Field(default=None, description="Pregnant now")

    @model_validator(mode="after")
    def _radiotherapy_told_once(self) -> History:
        """The older `pelvic_radiotherapy_years_ago` says radiotherapy was given."""
        given = self.radiotherapy
        years = self.pelvic_radiotherapy_years_ago
        if years is not None and given is not None and given.status != "given":
            raise ValueError(
                "history.pelvic_radiotherapy_years_ago: radiotherapy is recorded as "
                f"{given.status}; give the years in radiotherapy.years_ago instead"
            )
        return self


class SideExam(CaseModel):
    """Bedside findings on one leg. Strength is keyed by muscle id or by movement name.

    `give_way` names muscles or movements whose weakness gave way (effort that collapses
    suddenly or varies, a sign of non-organic weakness): their strength is not scored as
    weakness, and the assessment says so.
    """

    strength: dict[str, Mrc] = Field(default_factory=dict)
    give_way: tuple[str, ...] = Field(default=(), max_length=60)
    reflexes: dict[str, ReflexGrade] = Field(default_factory=dict)
    sensation: dict[str, SensoryGrade] = Field(default_factory=dict)
    straight_leg_raise: bool | None = None
    plantar: Literal["flexor", "extensor", "mute"] | None = None
    trendelenburg: bool | None = None
    foot_pulses: Literal["present", "reduced", "absent"] | None = Field(
        default=None, description="Foot pulses (dorsalis pedis and posterior tibial)"
    )


class SegmentResult(CaseModel):
    """A motor nerve stimulated above one named segment (`fibular_head`, `thigh`, `leg`).

    `amplitude` is the CMAP on stimulating at the segment's upper end, in the study's unit;
    compared with the amplitude just below the segment it shows a conduction block.
    `velocity` is the conduction velocity across the segment; `conduction_block` and
    `temporal_dispersion` record the clinician's own judgment.
    """

    amplitude: float | None = Field(default=None, ge=0)
    velocity: float | None = Field(default=None, ge=0, le=120)
    conduction_block: bool | None = None
    temporal_dispersion: bool | None = None

    @model_validator(mode="after")
    def _has_a_result(self) -> SegmentResult:
        if (self.amplitude, self.velocity, self.conduction_block, self.temporal_dispersion) == (
            None,
            None,
            None,
            None,
        ):
            raise ValueError("give an amplitude, velocity, conduction_block or temporal_dispersion")
        return self


class StudyResult(CaseModel):
    """A nerve-conduction result: any of amplitude, grade, velocity and latency.

    `latency` is the distal motor latency for a CMAP, the peak latency for a SNAP and the
    minimal latency for an F wave or H reflex. `conduction_block` and `temporal_dispersion`
    are the clinician's judgment somewhere along the studied nerve; `segments` gives the
    results above named segments (a block across the fibular head). `persistence` is the
    share of stimuli followed by an F wave (0 % means absent).
    """

    amplitude: float | None = Field(default=None, ge=0)
    unit: Literal["uV", "mV"] | None = None
    velocity: float | None = Field(default=None, ge=0, le=120)
    latency: float | None = Field(default=None, ge=0, le=200)
    grade: StudyGrade | None = None
    conduction_block: bool | None = None
    temporal_dispersion: bool | None = None
    persistence: float | None = Field(default=None, ge=0, le=100, description="F-wave %")
    segments: dict[str, SegmentResult] = Field(default_factory=dict, max_length=6)

    @model_validator(mode="after")
    def _has_a_result(self) -> StudyResult:
        """Plain comparisons rather than a tuple and a generator: this runs for every study
        of every case a batch reads, and stood out in the profile of reading one."""
        if (
            self.amplitude is None
            and self.grade is None
            and self.velocity is None
            and self.latency is None
            and self.conduction_block is None
            and self.temporal_dispersion is None
            and self.persistence is None
            and not self.segments
        ):
            raise ValueError(
                "give at least one result: an amplitude (with its unit), a grade, a velocity, "
                "a latency, a conduction block, temporal dispersion, F-wave persistence or "
                "segments"
            )
        if self.unit is None:
            if self.amplitude is not None:
                raise ValueError("an amplitude needs its unit (uV or mV)")
            if self.segments and any(s.amplitude is not None for s in self.segments.values()):
                raise ValueError("segment amplitudes need the study's unit (uV or mV)")
        return self


class NeedleResult(CaseModel):
    fibrillations: int | None = Field(default=None, ge=0, le=4, description="0-4+")
    fasciculations: bool | None = None
    myokymia: bool | None = None
    motor_units: Literal["normal", "neurogenic", "myopathic"] | None = None
    recruitment: Literal["normal", "reduced", "early"] | None = None


class ImagingFinding(CaseModel):
    """One finding of an imaging study, where it lies, and the region the study covered.

    `normal` says the region imaged showed nothing relevant. With `region` given, a finding
    not reported counts as absent only where that region could have shown it (a normal lumbar
    MRI says nothing of a pelvic mass); without it, the study is taken to cover them all.
    """

    kind: Literal[
        "mass",
        "haematoma",
        "abscess",
        "disc_herniation",
        "stenosis",
        "degenerative_without_compression",
        "fracture",
        "nerve_signal",
        "radiation_fibrosis",
        "lymphadenopathy",
        "aneurysm",
        "bakers_cyst",
        "hip_arthritis",
        "normal",
    ] = Field(description="What the study showed")
    level: str | None = Field(
        default=None,
        max_length=40,
        description="Where: a disc level (L4-L5, foraminal) or a place (iliacus, psoas, sacrum)",
    )
    side: Sides | None = Field(default=None, description="Side of the finding")
    region: ImagedRegion | None = Field(default=None, description="The region the study imaged")


class Labs(CaseModel):
    hba1c: float | None = Field(default=None, ge=3, le=20, description="HbA1c in %")
    white_cell_count: float | None = Field(
        default=None, ge=0, le=500, description="White cell count, x10^9/L"
    )
    esr: float | None = Field(default=None, ge=0, le=200, description="mm/h")
    crp: float | None = Field(default=None, ge=0, le=500, description="mg/L")
    ck: float | None = Field(default=None, ge=0, le=100000, description="U/L")
    inr: float | None = Field(default=None, ge=0.5, le=15)
    egfr: float | None = Field(default=None, ge=0, le=200, description="mL/min/1.73m2")
    csf_protein: float | None = Field(default=None, ge=0, le=2000, description="mg/dL")


class Case(CaseModel):
    """One patient at one evaluation."""

    id: str | None = Field(default=None, max_length=80)
    age: int = Field(ge=0, le=120)
    bmi: float | None = Field(default=None, ge=10, le=90, description="Body mass index, kg/m2")
    sex: Literal["female", "male", "other"]
    evaluated_on: date | None = None
    onset_on: date | None = None
    weeks_since_onset: float | None = Field(default=None, ge=0, le=1040)
    tempo: Tempo | None = None
    affected_side: Sides | None = None
    pain: Pain = Field(default_factory=Pain)
    symptoms: Symptoms = Field(default_factory=Symptoms)
    history: History = Field(default_factory=History)
    exam: dict[Side, SideExam] = Field(default_factory=dict)
    anal_tone: Literal["normal", "reduced"] | None = None
    nerve_conduction: dict[Side, dict[str, StudyResult]] = Field(default_factory=dict)
    emg: dict[Side, dict[str, NeedleResult]] = Field(default_factory=dict)
    imaging: tuple[ImagingFinding, ...] = ()
    labs: Labs = Field(default_factory=Labs)

    @model_validator(mode="after")
    def _pregnancy_needs_a_woman(self) -> Case:
        """Pregnancy and childbirth are recorded for women (or sex recorded as other)."""
        if self.sex == "male":
            if self.history.pregnant:
                raise ValueError("history.pregnant: a man cannot be pregnant")
            for name in ("delivery_weeks_ago", "delivery_instrumental", "labour_prolonged"):
                if getattr(self.history, name) is not None:
                    raise ValueError(f"history.{name}: a man cannot have given birth")
        return self

    @model_validator(mode="after")
    def _dates_in_order(self) -> Case:
        if self.onset_on and self.evaluated_on and self.onset_on > self.evaluated_on:
            raise ValueError("onset_on is after evaluated_on")
        if self.onset_on and not self.evaluated_on:
            raise ValueError("onset_on needs evaluated_on to tell the time since onset")
        return self

    @property
    def days_since_onset(self) -> float | None:
        """Time since onset drives what tests can show (denervation needs about 3 weeks)."""
        if self.onset_on is not None and self.evaluated_on is not None:
            return float((self.evaluated_on - self.onset_on).days)
        if self.weeks_since_onset is not None:
            return self.weeks_since_onset * 7.0
        return None
