"""What a test costs the patient and the laboratory, and how often it gives a readable answer.

The next-test planner ranks tests by the information they are expected to give per unit of
cost, so the cost is clinical content a clinician must be able to review: how long the test
takes, how uncomfortable it is, whether it needs special equipment or positioning, and how
often it yields a result that can be read at all (a lateral femoral cutaneous SNAP is often
unobtainable in health, more so with age and obesity; paraspinal recruitment is hard to judge).
One entry per kind of test is the default (no `targets`); the others name the muscles, studies,
reflexes or skin areas they apply to (`data/test_costs.yaml`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PlannedTestKind = Literal["needle_emg", "nerve_conduction", "strength", "reflex", "sensation"]
PLANNED_TEST_KINDS: tuple[PlannedTestKind, ...] = (
    "needle_emg",
    "nerve_conduction",
    "strength",
    "reflex",
    "sensation",
)
Habitus = Literal["average", "obese"]


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OlderAdultReliability(_Fact):
    """From `from_age` on, the test yields a readable result this often."""

    from_age: int = Field(ge=18, le=120)
    reliability: Probability


class TestCost(_Fact):
    """The cost and feasibility of one kind of test, or of the named targets of that kind.

    `discomfort` is on a 0-4 scale (0 none, 1 brief tingling of a stimulus, 2 the ordinary
    needle or supramaximal stimulation, 3 a painful site, 4 poorly tolerated, asked for only with
    a reason). `reliability` is the share of patients in whom the test gives a result that can
    be read; `older_adult` and `obesity_reliability` lower it where age or body habitus make
    the response small or the target deep. `equipment` names anything beyond the ordinary
    set-up (a long needle, a separate appointment, positioning).
    """

    __test__ = False  # not a pytest class, despite its name

    id: Identifier
    kind: PlannedTestKind
    targets: tuple[Identifier, ...] = ()
    minutes: float = Field(gt=0.0, le=60.0)
    discomfort: int = Field(ge=0, le=4)
    reliability: Probability
    older_adult: OlderAdultReliability | None = None
    obesity_reliability: Probability | None = None
    equipment: str = ""
    note: str = ""
    sources: tuple[Identifier, ...] = Field(min_length=1)

    def reliability_for(self, age: int, habitus: Habitus = "average") -> float:
        """How often the test gives a readable result in this patient."""
        reliability = self.reliability
        if self.older_adult is not None and age >= self.older_adult.from_age:
            reliability = min(reliability, self.older_adult.reliability)
        if habitus == "obese" and self.obesity_reliability is not None:
            reliability = min(reliability, self.obesity_reliability)
        return reliability


class TestCosts(_Fact):
    """Every entry of `test_costs.yaml`, with one default per kind of test."""

    __test__ = False

    entries: tuple[TestCost, ...] = ()

    @model_validator(mode="after")
    def _one_default_per_kind_and_each_target_once(self) -> TestCosts:
        defaults: set[str] = set()
        named: set[tuple[str, str]] = set()
        for entry in self.entries:
            if not entry.targets:
                if entry.kind in defaults:
                    raise ValueError(f"two defaults (entries without targets) for {entry.kind}")
                defaults.add(entry.kind)
            for target in entry.targets:
                if (entry.kind, target) in named:
                    raise ValueError(f"{entry.kind} target '{target}' is costed twice")
                named.add((entry.kind, target))
        if self.entries and defaults != set(PLANNED_TEST_KINDS):
            missing = ", ".join(kind for kind in PLANNED_TEST_KINDS if kind not in defaults)
            raise ValueError(f"a default entry (no targets) is needed for: {missing}")
        return self

    def for_test(self, kind: str, target: str) -> TestCost | None:
        """The entry naming this target, else the kind's default (None with no entries)."""
        default: TestCost | None = None
        for entry in self.entries:
            if entry.kind != kind:
                continue
            if target in entry.targets:
                return entry
            if not entry.targets:
                default = entry
        return default
