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
from plexcare.knowledge.site_and_cause_model import SiteAndCause, neutral_site_and_cause
from plexcare.knowledge.terminology_model import Terminology
from plexcare.knowledge.test_cost_model import TestCosts

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RootName = Literal["T12", "L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4"]
ROOT_ORDER: tuple[RootName, ...] = ("T12", "L1", "L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4")
Icd10Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")]
Derived = TypeVar("Derived")
_NOT_BUILT = object()
"""Marks a compiled table not built yet (a table may itself be None)."""
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
    "hip_external_rotation",
    "trunk_flexion",
    "shoulder_abduction",
    "elbow_flexion",
    "finger_abduction",
    "tongue_movement",
]

PlexusPart = Literal[
    "upper_lumbar_plexus",
    "lumbosacral_trunk",
    "sacral_plexus",
    "posterior_rami",
    "pudendal",
    "pelvic_splanchnic",
    "thoracic_nerves",
    "brachial_plexus",
    "cranial_nerve",
]

BodyRegion = Literal["lumbosacral", "thoracic", "arm", "bulbar"]
"""Where an end organ sits. Lumbosacral organs hang from the fibre graph of the leg and pelvis;
the others are tested for generalized disorders (motor neuron disease needs several regions)
and are reached by no lumbosacral lesion. They may lie outside the graph altogether (an arm
muscle, the tongue): then they list no roots or nerves and name their segments in words."""


def _outside_graph_is_explicit(
    kind: str, region: str, roots: tuple[object, ...], nerves: tuple[object, ...], segments: str
) -> None:
    """A leg organ always hangs from the graph; an organ outside it says so by its region."""
    if region == "lumbosacral" and not (roots and nerves):
        raise ValueError(f"a lumbosacral {kind} needs its roots and nerves in the fibre graph")
    if bool(roots) != bool(nerves):
        raise ValueError(f"a {kind} lists both roots and nerves, or neither")
    if not roots and not segments:
        raise ValueError(f"a {kind} outside the fibre graph names its segments and nerve")


class Muscle(Sourced):
    """A muscle as strength testing and needle EMG see it.

    `nerves` lists the most distal structures whose axons reach the muscle; a muscle with a
    dual supply (adductor magnus, pectineus) lists both and is reached by each.
    `distality` (0 proximal … 1 intrinsic foot) is what a length-dependent process acts on;
    outside the leg it is placed on the same axon-length scale (the hand's first dorsal
    interosseous about level with the calf). `body_region` other than lumbosacral marks a muscle
    tested for generalized disorders, which may lie outside the graph (`roots` and `nerves`
    empty, `segments` in words).
    """

    id: Identifier
    name: str
    roots: tuple[RootContribution, ...] = ()
    nerves: tuple[Identifier, ...] = ()
    plexus_part: PlexusPart
    movement: Movement
    distality: float = Field(ge=0.0, le=1.0)
    emg_accessible: bool = True
    body_region: BodyRegion = "lumbosacral"
    segments: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _in_the_graph_unless_outside_the_leg(self) -> Muscle:
        _outside_graph_is_explicit(
            "muscle", self.body_region, self.roots, self.nerves, self.segments
        )
        return self


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
    """A reflex; outside the leg (`body_region`) it may lie outside the graph, like a muscle."""

    id: Identifier
    name: str
    roots: tuple[RootContribution, ...] = ()
    nerves: tuple[Identifier, ...] = ()
    distality: float = Field(ge=0.0, le=1.0)
    body_region: BodyRegion = "lumbosacral"
    segments: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _in_the_graph_unless_outside_the_leg(self) -> Reflex:
        _outside_graph_is_explicit(
            "reflex", self.body_region, self.roots, self.nerves, self.segments
        )
        return self


class AgeLimit(Fact):
    """A normal limit that applies from `min_age` on (limits loosen with age)."""

    min_age: int = Field(ge=0, le=120)
    amplitude_lower: float | None = Field(default=None, ge=0.0)
    may_be_absent: bool = False


class StudySegment(Fact):
    """A stretch of a motor nerve between two stimulation sites (across the fibular head, in
    the thigh): a conduction block or focal slowing measured across it is produced by a lesion
    of one of its `structures` (or by a generalized demyelinating neuropathy), so it localizes.
    """

    id: Identifier
    name: str = Field(min_length=3)  # in words: "across the fibular head"
    structures: tuple[Identifier, ...] = Field(min_length=1)


class NerveConductionStudy(Sourced):
    """A nerve-conduction test with its adult normal limits.

    SNAPs arise from post-ganglionic sensory axons: a lesion proximal to the dorsal root
    ganglion leaves them normal, which is the central fact separating root from plexus.
    `segments` (distal to proximal) are the stretches of a motor nerve a block can be measured
    across; `block_by_amplitude` false means an amplitude drop between stimulation sites is not
    read as a block (the tibial nerve: a large drop is normal there). `side_ratio_lower`: an
    amplitude below this share of the other side's is abnormal. `motor_study`: for a late
    response, the CMAP it is recorded with (its amplitude sets the demyelinating F-wave limit).
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
    segments: tuple[StudySegment, ...] = ()
    block_by_amplitude: bool = True
    side_ratio_lower: float | None = Field(default=None, gt=0.0, lt=1.0)
    motor_study: Identifier | None = None

    @model_validator(mode="after")
    def _segments_fit_the_study(self) -> NerveConductionStudy:
        ids = [segment.id for segment in self.segments]
        if len(set(ids)) != len(ids):
            raise ValueError("segments are named once each")
        if self.segments and self.modality != "cmap":
            raise ValueError("segments belong to motor studies (a block is a CMAP finding)")
        if self.motor_study is not None and self.modality not in ("f_wave", "h_reflex"):
            raise ValueError("motor_study belongs to late responses")
        return self


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


class SiteShare(Sourced):
    """The share of a disorder's cases at one of its lesion sites, where a figure exists."""

    site: Identifier
    share: Probability
    note: str = ""


class Disorder(Sourced):
    """A cause of lumbosacral plexopathy, or a condition it must be told apart from.

    `localizations` lists the lesion candidates the disorder produces, which ties etiology to
    the anatomical answer; `prior` is its share among patients referred with a lumbosacral
    plexopathy-like picture, from published series where they exist. `site_shares` gives the
    share of cases at some of those sites (a far-lateral disc compresses the spinal nerve in a
    minority of L5 radiculopathies); the sites it does not name split the rest evenly.
    """

    id: Identifier
    name: str
    category: Literal["plexopathy_cause", "mimic"]
    icd10: tuple[Icd10Code, ...] = Field(min_length=1)
    summary: str = Field(min_length=20)
    localizations: tuple[Identifier, ...] = Field(min_length=1)
    site_shares: tuple[SiteShare, ...] = ()
    prior: Probability
    features: tuple[FeatureFrequency, ...] = Field(min_length=3)
    risk_factors: tuple[str, ...] = ()
    workup: tuple[WorkupItem, ...] = Field(min_length=1)
    treatments: tuple[TreatmentUse, ...] = ()
    prognosis: str = ""

    @model_validator(mode="after")
    def _shares_fit_the_sites(self) -> Disorder:
        named = [share.site for share in self.site_shares]
        if len(set(named)) != len(named) or not set(named) <= set(self.localizations):
            raise ValueError("site_shares name each of the disorder's localizations at most once")
        total = sum(share.share for share in self.site_shares)
        rest = len(self.localizations) - len(named)
        if total > 1.0 + 1e-9 or (rest == 0 and self.site_shares and abs(total - 1.0) > 1e-6):
            raise ValueError("site_shares add up to at most 1 (exactly 1 when every site is named)")
        return self

    def site_weights(self) -> dict[str, float]:
        """Each lesion site's share of this disorder's cases (summing to 1)."""
        given = {share.site: share.share for share in self.site_shares}
        rest = [site for site in self.localizations if site not in given]
        remainder = max(0.0, 1.0 - sum(given.values()))
        return {
            site: given[site] if site in given else remainder / len(rest)
            for site in self.localizations
        }


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
    site_and_cause: SiteAndCause = Field(default_factory=neutral_site_and_cause)
    terminology: Terminology = Field(default_factory=lambda: Terminology())
    """Standard codes (ICD-10-CM, SNOMED CT, LOINC) for our ids, for exchange (FHIR)."""
    test_costs: TestCosts = Field(default_factory=lambda: TestCosts())
    """What each test the next-test planner proposes costs, and how often it can be read."""
    _derived: dict[str, object] = PrivateAttr(default_factory=dict)

    def derived(self, name: str, build: Callable[[KnowledgeBase], Derived]) -> Derived:
        """What the engine compiles from this knowledge base (arrays, tables), built once.

        The result lives and dies with this immutable object, so the engine keeps no global
        state: the same knowledge base always yields the same compiled form.
        """
        # Read the private store directly: pydantic's attribute lookup for a private
        # attribute costs microseconds, and the engine asks for its tables on every case.
        private = self.__pydantic_private__
        store = cast(dict[str, object], private["_derived"] if private else self._derived)
        found = store.get(name, _NOT_BUILT)
        if found is _NOT_BUILT:
            found = store[name] = build(self)
        return cast(Derived, found)


COMPOSITE_LESIONS: tuple[str, ...] = (
    "roots_l2_l4",
    "roots_l5_s1",
    "cauda_equina",
    "pan_plexus",
    "radiculoplexus_upper",
    "radiculoplexus_lower",
    "radiculoplexus_whole",
)
"""Lesions spanning several graph structures at once, assembled by the engine; the
radiculoplexus lesions take roots and plexus together (radiculoplexus neuropathy, or a tumour
spreading from the plexus into the roots through the foramina)."""

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
