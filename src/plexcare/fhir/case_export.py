"""A case as FHIR resources: Observations for every finding, Conditions for the history an EHR
keeps as conditions, DiagnosticReports grouping the study and the imaging. Pure: no I/O.

Every value a case holds is written, and in our own code systems as well as standard ones, so
`case_import.case_from_bundle` reads the same case back (the round trip the tests check). Sides
travel as a SNOMED CT Laterality component; NCS values carry UCUM units.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from plexcare.engine.case import (
    Case,
    History,
    ImagingFinding,
    Labs,
    NeedleResult,
    SideExam,
    StudyResult,
    Symptoms,
)
from plexcare.fhir import codes
from plexcare.fhir.elements import ResourceList, is_coded, value_fields
from plexcare.knowledge.model import KnowledgeBase

CASE_SCALARS = (
    "evaluated_on",
    "onset_on",
    "weeks_since_onset",
    "tempo",
    "affected_side",
    "anal_tone",
)
"""Top-level case values sent as `case-fact` Observations (age and sex have standard homes)."""
DERIVED = "derived"
UNITS = {
    "weeks_since_onset": "wk",
    "weight_loss_kg": "kg",
    "pelvic_radiotherapy_years_ago": "a",
    "delivery_weeks_ago": "wk",
}
"""UCUM units of the case's numeric facts that are not labs."""
STUDY_UNITS = {"velocity": "m/s", "latency": "ms", "persistence": "%"}


class CaseWriter:
    """Writes one case's resources for one patient; `write` returns the references by group."""

    def __init__(self, *, case: Case, kb: KnowledgeBase, patient: str, out: ResourceList) -> None:
        self.case = case
        self.kb = kb
        self.patient = patient
        self.out = out
        self.study_results: list[str] = []
        self.imaging_results: list[str] = []
        self.all_results: list[str] = []

    def _observation(
        self,
        *,
        category: str,
        code: dict[str, Any],
        value: dict[str, Any] | None = None,
        side: str | None = None,
        body_site: dict[str, Any] | None = None,
        components: list[dict[str, Any]] | None = None,
    ) -> str:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": codes.category(category),
            "code": code,
            "subject": {"reference": self.patient},
        }
        if self.case.evaluated_on is not None:
            resource["effectiveDateTime"] = self.case.evaluated_on.isoformat()
        if body_site is not None:
            resource["bodySite"] = body_site
        if value:
            resource.update(value)
        parts = list(components or [])
        if side is not None:
            parts.insert(0, codes.laterality(self.kb, side))
        if parts:
            resource["component"] = parts
        reference = self.out.add(resource)
        self.all_results.append(reference)
        return reference

    def write(self) -> None:
        self._age()
        self._scalars()
        self._pain()
        self._facts("symptoms", self.case.symptoms, Symptoms, "exam")
        self._facts("history", self.case.history, History, "social-history")
        self._history_conditions()
        for side, exam in self.case.exam.items():
            self._exam(side, exam)
        for side, studies in self.case.nerve_conduction.items():
            for study_id, result in studies.items():
                self.study_results.append(self._study(side, study_id, result))
        for side, needles in self.case.emg.items():
            for muscle_id, needle in needles.items():
                self.study_results.append(self._needle(side, muscle_id, needle))
        for finding in self.case.imaging:
            self.imaging_results.append(self._imaging(finding))
        self._labs()

    def _age(self) -> None:
        unit = codes.unit_of(self.kb, "observation.age") or "a"
        self._observation(
            category="exam",
            code=codes.concept(
                *codes.standard_codings(self.kb, "observation.age"),
                codes.coding(codes.CASE_FACT, "age"),
                text="age",
            ),
            value=value_fields(self.case.age, unit=unit, coded=False),
        )

    def _scalars(self) -> None:
        for name in CASE_SCALARS:
            self._fact(name, getattr(self.case, name), Case, name, category="exam")

    def _fact(
        self, key: str, value: Any, model: type[BaseModel], name: str, *, category: str
    ) -> None:
        """One recorded value as an Observation coded `case-fact#<dotted path>`; a nested
        record (a cancer history with its status and site) becomes one per leaf."""
        if value is None:
            return
        if isinstance(value, BaseModel):
            for inner in type(value).model_fields:
                self._fact(
                    f"{key}.{inner}", getattr(value, inner), type(value), inner, category=category
                )
            return
        self._observation(
            category=category,
            code=codes.concept(codes.coding(codes.CASE_FACT, key), text=key.replace("_", " ")),
            value=value_fields(value, unit=UNITS.get(name), coded=is_coded(model, name)),
        )

    def _pain(self) -> None:
        pain = self.case.pain
        if pain.score is None and not pain.sites:
            return
        value = None
        if pain.score is not None:
            value = {"valueInteger": pain.score}
        self._observation(
            category="survey",
            code=codes.concept(
                *codes.standard_codings(self.kb, "observation.pain_score"),
                codes.coding(codes.CASE_FACT, "pain"),
                text="pain",
            ),
            value=value,
            components=[
                {
                    "code": codes.concept(
                        codes.coding(codes.CASE_FACT, "pain.site"), text="pain site"
                    ),
                    "valueString": site,
                }
                for site in pain.sites
            ],
        )

    def _facts(self, group: str, values: BaseModel, model: type[BaseModel], category: str) -> None:
        for name in model.model_fields:
            self._fact(f"{group}.{name}", getattr(values, name), model, name, category=category)

    def _history_conditions(self) -> None:
        """The history an EHR keeps on its problem list, as Conditions too. They repeat facts
        already written, so they carry the `derived` tag and a reader of our own Bundle skips
        them; an EHR's Bundle has only these, and `case_import` reads them then."""
        history = self.case.history
        if history.diabetes in ("type1", "type2"):
            self._condition(
                codes.concept(
                    *codes.standard_codings(self.kb, f"history.diabetes.{history.diabetes}"),
                    text=f"diabetes {history.diabetes}",
                ),
                active=True,
            )
        cancer = history.cancer
        status = getattr(cancer, "status", None)
        if cancer is not None and status in ("active", "past"):
            self._condition(
                codes.concept(
                    codes.coding(codes.CASE_FACT, "history.cancer"),
                    text=getattr(cancer, "site", None) or "cancer",
                ),
                active=status == "active",
            )

    def _condition(self, code: dict[str, Any], *, active: bool) -> str:
        return self.out.add(
            {
                "resourceType": "Condition",
                "clinicalStatus": codes.concept(
                    codes.coding(codes.CONDITION_CLINICAL, "active" if active else "resolved")
                ),
                "verificationStatus": codes.concept(
                    codes.coding(codes.CONDITION_VERIFICATION, "confirmed")
                ),
                "category": [
                    codes.concept(codes.coding(codes.CONDITION_CATEGORY, "problem-list-item"))
                ],
                "code": code,
                "subject": {"reference": self.patient},
                "meta": {"tag": [codes.coding(codes.CASE_FACT, DERIVED, "repeats a case fact")]},
            }
        )

    def _muscle_site(self, side: str, muscle_id: str) -> dict[str, Any]:
        muscle = self.kb.muscles.get(muscle_id)
        name = muscle.name if muscle is not None else muscle_id.replace("_", " ")
        return codes.concept(codes.coding(codes.MUSCLE, muscle_id, name), text=f"{side} {name}")

    def _exam(self, side: str, exam: SideExam) -> None:
        for muscle_id, grade in exam.strength.items():
            self._observation(
                category="exam",
                code=codes.concept(
                    codes.coding(codes.EXAM_FINDING, "strength", "Muscle strength (MRC grade 0-5)"),
                    text="MRC grade",
                ),
                value={"valueInteger": grade},
                side=side,
                body_site=self._muscle_site(side, muscle_id),
            )
        for muscle_id in exam.give_way:
            self._observation(
                category="exam",
                code=codes.concept(
                    codes.coding(codes.EXAM_FINDING, "give_way", "Give-way weakness"),
                    text="give-way weakness",
                ),
                value={"valueBoolean": True},
                side=side,
                body_site=self._muscle_site(side, muscle_id),
            )
        for reflex_id, reflex_grade in exam.reflexes.items():
            reflex = self.kb.reflexes.get(reflex_id)
            name = reflex.name if reflex is not None else reflex_id.replace("_", " ")
            self._observation(
                category="exam",
                code=codes.concept(
                    codes.coding(codes.REFLEX, reflex_id, name), text=f"{side} {name}"
                ),
                value=value_fields(reflex_grade, unit=None, coded=True),
                side=side,
            )
        for area_id, sensory_grade in exam.sensation.items():
            area = self.kb.sensory_areas.get(area_id)
            name = area.name if area is not None else area_id.replace("_", " ")
            self._observation(
                category="exam",
                code=codes.concept(
                    codes.coding(codes.EXAM_FINDING, "sensation", "Sensation"), text="sensation"
                ),
                value=value_fields(sensory_grade, unit=None, coded=True),
                side=side,
                body_site=codes.concept(
                    codes.coding(codes.SENSORY_AREA, area_id, name), text=f"{side} {name}"
                ),
            )
        for name in SideExam.model_fields:
            value = getattr(exam, name)
            if value is None or isinstance(value, dict | tuple):
                continue
            self._observation(
                category="exam",
                code=codes.concept(
                    codes.coding(codes.EXAM_FINDING, name), text=name.replace("_", " ")
                ),
                value=value_fields(value, unit=None, coded=is_coded(SideExam, name)),
                side=side,
            )

    def _study(self, side: str, study_id: str, result: StudyResult) -> str:
        study = self.kb.studies.get(study_id)
        name = study.name if study is not None else study_id.replace("_", " ")
        parts: list[dict[str, Any]] = []
        if result.unit is not None:
            parts.append(
                {
                    "code": codes.concept(
                        codes.coding(codes.STUDY_MEASURE, "amplitude_unit"), text="amplitude unit"
                    ),
                    "valueCodeableConcept": codes.concept(
                        codes.coding(codes.UCUM, result.unit), text=result.unit
                    ),
                }
            )
        for key, value in _study_values(result):
            unit = (
                result.unit
                if key.endswith("amplitude")
                else STUDY_UNITS.get(key.rsplit(".", 1)[-1])
            )
            coded = key == "grade"
            parts.append(
                {
                    "code": codes.concept(
                        codes.coding(codes.STUDY_MEASURE, key), text=key.replace("_", " ")
                    ),
                    **value_fields(
                        value, unit=unit if not isinstance(value, bool) else None, coded=coded
                    ),
                }
            )
        return self._observation(
            category="procedure",
            code=codes.concept(
                codes.coding(codes.NERVE_STUDY, study_id, name), text=f"{side} {name}"
            ),
            side=side,
            components=parts,
        )

    def _needle(self, side: str, muscle_id: str, needle: NeedleResult) -> str:
        parts: list[dict[str, Any]] = []
        for key in NeedleResult.model_fields:
            value = getattr(needle, key)
            if value is None:
                continue
            parts.append(
                {
                    "code": codes.concept(
                        codes.coding(codes.NEEDLE_MEASURE, key), text=key.replace("_", " ")
                    ),
                    **value_fields(value, unit=None, coded=is_coded(NeedleResult, key)),
                }
            )
        return self._observation(
            category="procedure",
            code=codes.concept(
                *codes.standard_codings(self.kb, "procedure.emg"),
                codes.coding(codes.EXAM_FINDING, "needle_emg", "Needle electromyography"),
                text="needle EMG",
            ),
            side=side,
            body_site=self._muscle_site(side, muscle_id),
            components=parts,
        )

    def _imaging(self, finding: ImagingFinding) -> str:
        parts: list[dict[str, Any]] = []
        for name in ImagingFinding.model_fields:
            value = getattr(finding, name)
            if name in ("kind", "side") or value is None:
                continue
            parts.append(
                {
                    "code": codes.concept(
                        codes.coding(codes.CASE_FACT, f"imaging.{name}"), text=name
                    ),
                    **value_fields(value, unit=None, coded=is_coded(ImagingFinding, name)),
                }
            )
        return self._observation(
            category="imaging",
            code=codes.concept(codes.coding(codes.CASE_FACT, "imaging"), text="imaging finding"),
            value=value_fields(finding.kind, unit=None, coded=True),
            side=finding.side,
            components=parts,
        )

    def _labs(self) -> None:
        for name in Labs.model_fields:
            value = getattr(self.case.labs, name)
            if value is None:
                continue
            entry = f"lab.{name}"
            self._observation(
                category="laboratory",
                code=codes.concept(
                    *codes.standard_codings(self.kb, entry),
                    codes.coding(codes.CASE_FACT, entry),
                    text=name,
                ),
                value=value_fields(value, unit=codes.unit_of(self.kb, entry) or "1", coded=False),
            )


def _study_values(result: StudyResult) -> Iterator[tuple[str, Any]]:
    for key in (
        "amplitude",
        "velocity",
        "latency",
        "grade",
        "conduction_block",
        "temporal_dispersion",
        "persistence",
    ):
        value = getattr(result, key)
        if value is not None:
            yield key, value
    for segment_id, segment in result.segments.items():
        for key in ("amplitude", "velocity", "conduction_block", "temporal_dispersion"):
            value = getattr(segment, key)
            if value is not None:
                yield f"segment.{segment_id}.{key}", value
