"""The typed knowledge base: what every clinical fact in plexcare looks like once validated.

These models are the contract between the YAML a clinician reviews and the engine that reasons
over it. They are frozen so a loaded knowledge base can be shared and cached safely, and they
forbid unknown keys so a typo in a data file is an error, not a silently ignored fact.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from plexcare.knowledge.engine_parameters_model import (
    ClinicalThresholds,
    Electrodiagnosis,
    GeneralizedPattern,
)
from plexcare.knowledge.outcome_model import OutcomeScale
from plexcare.knowledge.red_flag_model import RedFlagRules, Whom

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RootName = Literal["T12", "L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4"]
ROOT_ORDER: tuple[RootName, ...] = ("T12", "L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4")
Icd10Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")]
Derived = TypeVar("Derived")
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Fact(BaseModel):
    """Base for every record: immutable, strict about keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Sourced(Fact):
    """A fact that says where it comes from: ids of entries in the bibliography."""

    sources: tuple[Identifier, ...] = Field(min_length=1)


class Reference(Fact):
    id: Identifier
    kind: Literal["textbook", "paper", "review", "guideline", "database"]
    citation: str = Field(min_length=10)
    year: int = Field(ge=1900, le=2100)
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None


class StructureKind(StrEnum):
    ROOT = "root"  # intraspinal, pre-ganglionic: sensory cell bodies lie distal to it
    SPINAL_NERVE = "spinal_nerve"  # from the dorsal root ganglion on: post-ganglionic
    POSTERIOR_RAMUS = "posterior_ramus"
    ANTERIOR_RAMUS = "anterior_ramus"
    PLEXUS = "plexus"
    PLEXUS_DIVISION = "plexus_division"
    NERVE = "nerve"
    NERVE_SEGMENT = "nerve_segment"


class Structure(Sourced):
    """A node of the fibre-pathway graph: fibres flow from `parents` into this structure.

    A lesion at a structure interrupts every fibre that passes through it, so what a lesion
    reaches is simply the set of end organs downstream of it in this graph.
    """

    id: Identifier
    name: str
    kind: StructureKind
    parents: tuple[Identifier, ...] = ()
    root: RootName | None = None  # set on root, spinal nerve and rami nodes
    lesion_site: bool = False  # a place where lesions clinically happen: a localization candidate
    description: str = ""


class RootContribution(Fact):
    root: RootName
    share: Literal["major", "minor"]


Movement = Literal[
    "hip_flexion",
    "hip_adduction",
    "hip_abduction",
    "hip_extension",
    "hip_internal_rotation",
    "knee_extension",
    "knee_flexion",
    "ankle_dorsiflexion",
    "toe_extension",
    "ankle_eversion",
    "ankle_inversion",
    "plantar_flexion",
    "toe_flexion",
    "trunk_extension",
    "sphincter_squeeze",
    "bladder_emptying",
]

PlexusPart = Literal[
    "upper_lumbar_plexus",
    "lumbosacral_trunk",
    "sacral_plexus",
    "posterior_rami",
    "pudendal",
    "pelvic_splanchnic",
]


class Muscle(Sourced):
    """A muscle as strength testing and needle EMG see it.

    `nerves` lists the most distal structures whose axons reach the muscle; a muscle with a
    dual supply (adductor magnus, pectineus) lists both and is reached by each.
    `distality` (0 proximal … 1 intrinsic foot) is what a length-dependent process acts on.
    """

    id: Identifier
    name: str
    roots: tuple[RootContribution, ...] = Field(min_length=1)
    nerves: tuple[Identifier, ...] = Field(min_length=1)
    plexus_part: PlexusPart
    movement: Movement
    distality: float = Field(ge=0.0, le=1.0)
    emg_accessible: bool = True
    notes: str = ""


class SensoryArea(Sourced):
    """A patch of skin tested at the bedside, with the nerve and roots that supply it."""

    id: Identifier
    name: str
    kind: Literal["nerve_territory", "dermatome"]
    roots: tuple[RootContribution, ...] = Field(min_length=1)
    nerves: tuple[Identifier, ...] = Field(min_length=1)
    distality: float = Field(ge=0.0, le=1.0)
    region: str


class Reflex(Sourced):
    id: Identifier
    name: str
    roots: tuple[RootContribution, ...] = Field(min_length=1)
    nerves: tuple[Identifier, ...] = Field(min_length=1)
    distality: float = Field(ge=0.0, le=1.0)
    notes: str = ""


class AgeLimit(Fact):
    """A normal limit that applies from `min_age` on (limits loosen with age)."""

    min_age: int = Field(ge=0, le=120)
    amplitude_lower: float | None = Field(default=None, ge=0.0)
    may_be_absent: bool = False


class NerveConductionStudy(Sourced):
    """A nerve-conduction test with its adult normal limits.

    SNAPs arise from post-ganglionic sensory axons: a lesion proximal to the dorsal root
    ganglion leaves them normal, which is the central fact separating root from plexus.
    """

    id: Identifier
    name: str
    modality: Literal["snap", "cmap", "f_wave", "h_reflex"]
    roots: tuple[RootContribution, ...] = Field(min_length=1)
    nerves: tuple[Identifier, ...] = Field(min_length=1)
    recording_site: str
    stimulation_site: str
    distality: float = Field(ge=0.0, le=1.0)
    amplitude_lower: float | None = Field(default=None, ge=0.0)
    amplitude_unit: Literal["uV", "mV"] | None = None
    velocity_lower: float | None = Field(default=None, ge=0.0)  # m/s
    latency_upper: float | None = Field(default=None, ge=0.0)  # ms
    age_limits: tuple[AgeLimit, ...] = ()
    technically_difficult: bool = False


class EtiologyFeature(Sourced):
    """A finding used to rank causes, with how often it is present in the referral population."""

    id: Identifier
    name: str
    base_rate: Probability
    description: str = ""


class FeatureFrequency(Sourced):
    """How often a feature is present in a disorder (published where a figure exists)."""

    feature: Identifier
    frequency: Probability
    note: str = ""


class WorkupItem(Sourced):
    test: Identifier
    timing: str
    reason: str
    priority: Literal["emergency", "urgent", "routine"] = "routine"


class TreatmentUse(Sourced):
    treatment: Identifier
    role: Literal["cause_directed", "pain", "rehabilitation", "surgery", "referral", "supportive"]
    note: str = ""


class Disorder(Sourced):
    """A cause of lumbosacral plexopathy, or a condition it must be told apart from.

    `localizations` lists the lesion candidates the disorder produces, which ties etiology to
    the anatomical answer; `prior` is its share among patients referred with a lumbosacral
    plexopathy-like picture, from published series where they exist.
    """

    id: Identifier
    name: str
    category: Literal["plexopathy_cause", "mimic"]
    icd10: tuple[Icd10Code, ...] = Field(min_length=1)
    summary: str = Field(min_length=20)
    localizations: tuple[Identifier, ...] = Field(min_length=1)
    prior: Probability
    features: tuple[FeatureFrequency, ...] = Field(min_length=3)
    risk_factors: tuple[str, ...] = ()
    workup: tuple[WorkupItem, ...] = Field(min_length=1)
    treatments: tuple[TreatmentUse, ...] = ()
    prognosis: str = ""


class Caution(Sourced):
    """A warning that applies when the patient has `condition` (checked by the engine)."""

    condition: Literal[
        "renal_impairment",
        "severe_renal_impairment",
        "anticoagulated",
        "diabetes",
        "older_adult",
        "pregnancy",
        "peptic_ulcer",
        "heart_failure",
        "active_infection",
        "cancer",
        "falls_risk",
    ]
    severity: Literal["contraindicated", "adjust_dose", "monitor"]
    text: str


class Treatment(Sourced):
    id: Identifier
    name: str
    kind: Literal["drug", "procedure", "therapy", "device", "referral", "surgery", "education"]
    evidence: str = Field(min_length=3)  # e.g. "RCT, low certainty (Cochrane 2017)"
    dosing: str = ""
    cautions: tuple[Caution, ...] = ()
    patient_text: str = ""
    indicated_when_weak: tuple[Movement, ...] = ()  # rehabilitation offered for these deficits
    indicated_below_mrc: int = Field(default=4, ge=1, le=5)


class Test(Sourced):
    """A diagnostic test the plan can order (imaging, labs, electrodiagnosis)."""

    id: Identifier
    name: str
    kind: Literal["imaging", "lab", "electrodiagnostic", "other"]
    purpose: str


class EducationSection(Sourced):
    id: Identifier
    title: str
    paragraphs: tuple[str, ...] = Field(min_length=1)


class FaqEntry(Sourced):
    id: Identifier
    topic: Literal[
        "symptoms",
        "causes",
        "diagnosis",
        "treatment",
        "risk_factors",
        "recovery",
        "urgent",
        "other",
    ]
    question: str
    answer: str


class Education(Fact):
    sections: tuple[EducationSection, ...] = Field(min_length=1)
    faq: tuple[FaqEntry, ...] = Field(min_length=5)


class KnowledgeBase(Fact):
    """Everything plexcare knows, validated and cross-checked; `version` names this edition."""

    version: str
    references: dict[str, Reference]
    structures: dict[str, Structure]
    muscles: dict[str, Muscle]
    sensory_areas: dict[str, SensoryArea]
    reflexes: dict[str, Reflex]
    studies: dict[str, NerveConductionStudy]
    etiology_features: dict[str, EtiologyFeature]
    tests: dict[str, Test]
    treatments: dict[str, Treatment]
    disorders: dict[str, Disorder]
    education: Education
    triage: Triage = Field(default_factory=lambda: Triage())
    red_flags: RedFlagRules = Field(default_factory=lambda: RedFlagRules())
    outcome_scales: dict[str, OutcomeScale] = {}
    electrodiagnosis: Electrodiagnosis
    thresholds: ClinicalThresholds
    generalized_patterns: dict[str, GeneralizedPattern]
    _derived: dict[str, object] = PrivateAttr(default_factory=dict)

    def derived(self, name: str, build: Callable[[KnowledgeBase], Derived]) -> Derived:
        """What the engine compiles from this knowledge base (arrays, tables), built once.

        The result lives and dies with this immutable object, so the engine keeps no global
        state: the same knowledge base always yields the same compiled form.
        """
        if name not in self._derived:
            self._derived[name] = build(self)
        return cast(Derived, self._derived[name])


COMPOSITE_LESIONS: tuple[str, ...] = ("roots_l2_l4", "roots_l5_s1", "cauda_equina", "pan_plexus")
"""Lesions spanning several graph structures at once, assembled by the engine."""

GENERALIZED_PATTERNS: tuple[str, ...] = (
    "length_dependent_polyneuropathy",
    "polyradiculoneuropathy",
    "motor_neuron_disease",
    "myopathy",
    "no_neuromuscular_lesion",
)
"""Processes that are not a cut in the graph but mimic one; the engine models each."""


TriageUrgency = Literal["emergency", "same_day", "urgent", "soon", "routine"]
"""How soon to be seen, most urgent first; the self-check never names a diagnosis."""

TRIAGE_URGENCY_ORDER: tuple[TriageUrgency, ...] = (
    "emergency",
    "same_day",
    "urgent",
    "soon",
    "routine",
)
ADVICE_ONLY_URGENCIES = frozenset({"soon", "routine"})
"""The self-check's own rules stop here: anything more urgent is a red flag, decided by the
shared rule set (`red_flags.yaml`) so the clinician's report says the same."""

WhomToSee = Whom


class TriageOption(Fact):
    id: Identifier
    text: str = Field(min_length=1)


class AnswerSignal(Fact):
    """An answer that states a warning fact: present when the test holds, absent otherwise."""

    fact: Identifier
    equals: bool | None = None
    one_of: tuple[Identifier, ...] = ()
    at_least: float | None = None
    at_most: float | None = None


class TriageQuestion(Fact):
    """One question of the patient self-check, in plain words.

    `signals` map the answer onto the shared warning facts the red-flag rules read.
    """

    id: Identifier
    group: Literal["symptoms", "red_flags", "risk_factors"]
    text: str = Field(min_length=5)
    kind: Literal["yes_no", "choice", "number"]
    help: str = ""
    options: tuple[TriageOption, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    signals: tuple[AnswerSignal, ...] = ()

    @model_validator(mode="after")
    def _number_has_its_range(self) -> TriageQuestion:
        """A number question states both ends, so a patient is told the range in words."""
        if self.kind == "number" and (self.minimum is None or self.maximum is None):
            raise ValueError("a number question needs both minimum and maximum")
        if self.kind == "choice" and not self.options:
            raise ValueError("a choice question needs options")
        return self


class TriageCondition(Fact):
    """One test on one answer; a rule fires when all of its conditions hold."""

    question: Identifier
    equals: bool | None = None
    one_of: tuple[Identifier, ...] = ()
    at_least: float | None = None
    at_most: float | None = None


class TriageRule(Sourced):
    """Answers that call for a given urgency, whom to see, and why, in plain language.

    A rule with no conditions always fires: it is the baseline advice when nothing else does.
    Only `soon` and `routine` advice lives here; red flags live in the shared rule set.
    """

    id: Identifier
    when: tuple[TriageCondition, ...] = ()
    urgency: TriageUrgency
    see: tuple[WhomToSee, ...] = Field(min_length=1)
    reason: str = Field(min_length=10)


class Triage(Fact):
    """The self-check questionnaire and the rules that turn its answers into advice."""

    notice: str = ""
    questions: tuple[TriageQuestion, ...] = ()
    rules: tuple[TriageRule, ...] = ()

    @model_validator(mode="after")
    def _rules_ask_known_questions(self) -> Triage:
        questions = {q.id: q for q in self.questions}
        for asked in self.questions:
            for signal in asked.signals:
                _check_condition(asked, signal, f"question '{asked.id}'")
        for rule in self.rules:
            if rule.urgency not in ADVICE_ONLY_URGENCIES:
                raise ValueError(
                    f"rule '{rule.id}': {rule.urgency} advice belongs in the red-flag rules "
                    "(red_flags.yaml), so the clinician's report gives the same urgency"
                )
            for condition in rule.when:
                question = questions.get(condition.question)
                if question is None:
                    raise ValueError(
                        f"rule '{rule.id}' asks unknown question '{condition.question}'"
                    )
                _check_condition(question, condition, f"rule '{rule.id}'")
        return self


def _check_condition(
    question: TriageQuestion, condition: TriageCondition | AnswerSignal, where: str
) -> None:
    """A test on an answer must fit the question's kind and options."""
    options = {o.id for o in question.options}
    if question.kind == "yes_no" and condition.equals is None:
        raise ValueError(f"{where}: a yes/no question needs `equals`")
    if question.kind == "choice" and not set(condition.one_of) <= options:
        raise ValueError(f"{where}: unknown option in {condition.one_of}")
    if question.kind == "choice" and not condition.one_of:
        raise ValueError(f"{where}: a choice question needs `one_of`")
    bounds = (condition.at_least, condition.at_most)
    if question.kind == "number" and bounds == (None, None):
        raise ValueError(f"{where}: a number needs `at_least` or `at_most`")


KnowledgeBase.model_rebuild()
