"""A case read from a FHIR Bundle: ours (exported by `bundle.case_bundle`, read back exactly) or
an EHR's (a Patient, LOINC-coded labs and vital facts, problem-list Conditions), read as far as
its codes allow. Pure: the date that turns a birth date into an age comes in as `today`.

What cannot be read is refused with the place it was found (`Bundle.entry[4].resource...`),
so the `/fhir` routes and CDS Hooks answer with an OperationOutcome naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from plexcare.engine.case import Case
from plexcare.fhir import codes
from plexcare.fhir.case_export import CASE_SCALARS, DERIVED
from plexcare.fhir.conformance import NotConformant, conformant
from plexcare.knowledge.model import KnowledgeBase

FACT_GROUPS = ("history.", "symptoms.", "labs.")
SIDES_BY_SNOMED = {"7771000": "left", "24028007": "right", "51440002": "both"}
DIABETES_BY_SNOMED = {"46635009": "type1", "44054006": "type2"}
DIABETES_BY_ICD_PREFIX = {"E10": "type1", "E11": "type2"}


@dataclass(frozen=True)
class BundleError(ValueError):
    """Why a Bundle could not be read as a case, and where."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def resources_in(bundle: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(location, resource) for every entry that holds a resource."""
    found = []
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(resource, dict):
            found.append((f"Bundle.entry[{index}].resource", resource))
    return found


def value_of(element: Mapping[str, Any]) -> Any:
    """The plain value of an Observation or component `value[x]` (None when it has none)."""
    for key in ("valueBoolean", "valueInteger", "valueString"):
        if key in element:
            return element[key]
    if "valueDateTime" in element:
        return str(element["valueDateTime"])[:10]
    if "valueQuantity" in element:
        return element["valueQuantity"].get("value")
    if "valueCodeableConcept" in element:
        concept = element["valueCodeableConcept"]
        for code_system in (codes.CASE_VALUE, codes.UCUM):
            found = codes.code_in(concept, code_system)
            if found is not None:
                return found
        for coding in concept.get("coding") or []:
            if (
                coding.get("system") == codes.STANDARD["snomed"]
                and coding.get("code") in SIDES_BY_SNOMED
            ):
                return SIDES_BY_SNOMED[coding["code"]]
        return concept.get("text")
    return None


def _side_of(resource: Mapping[str, Any]) -> str | None:
    for component in resource.get("component") or []:
        concept = component.get("code")
        if (
            codes.code_in(concept, codes.STANDARD["snomed"]) == "272741003"
            or (concept or {}).get("text") == "laterality"
        ):
            side = value_of(component)
            return str(side) if side is not None else None
    return None


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        tree = tree.setdefault(name, {})
    tree[leaf] = value


class CaseReader:
    def __init__(self, kb: KnowledgeBase, today: date | None) -> None:
        self.kb = kb
        self.today = today
        self.tree: dict[str, Any] = {}
        self.labs_by_loinc = {
            code.code: entry_id.removeprefix("lab.")
            for entry_id, entry in kb.terminology.entries.items()
            if entry_id.startswith("lab.")
            for code in entry.codes
            if code.system == "loinc"
        }
        self.birth_date: str | None = None
        self.conditions: list[tuple[str, dict[str, Any]]] = []

    def read(self, bundle: Mapping[str, Any]) -> Case:
        identifier = bundle.get("identifier")
        if isinstance(identifier, Mapping) and identifier.get("system") == codes.CASE_ID:
            self.tree["id"] = identifier.get("value")
        for location, resource in resources_in(bundle):
            kind = resource.get("resourceType")
            if kind == "Patient":
                self._patient(location, resource)
            elif kind == "Observation":
                self._observation(location, resource)
            elif kind == "Condition":
                self.conditions.append((location, resource))
        self._conditions()
        if "age" not in self.tree and self.birth_date and self.today:
            born = date.fromisoformat(self.birth_date[:10])
            self.tree["age"] = (
                self.today.year
                - born.year
                - ((self.today.month, self.today.day) < (born.month, born.day))
            )
        try:
            return Case.model_validate(self.tree)
        except ValidationError as error:
            detail = error.errors()[0]
            where = ".".join(str(part) for part in detail["loc"]) or "case"
            raise BundleError(f"case.{where}", detail["msg"]) from error

    def _patient(self, location: str, resource: Mapping[str, Any]) -> None:
        gender = resource.get("gender")
        if gender in ("male", "female", "other"):
            self.tree["sex"] = gender
        elif "sex" not in self.tree:
            raise BundleError(
                f"{location}.gender", "the engine needs the patient's sex: male, female or other"
            )
        if resource.get("birthDate"):
            self.birth_date = str(resource["birthDate"])

    def _observation(self, location: str, resource: Mapping[str, Any]) -> None:
        concept = resource.get("code")
        fact = codes.code_in(concept, codes.CASE_FACT)
        finding = codes.code_in(concept, codes.EXAM_FINDING)
        loinc = codes.code_in(concept, codes.STANDARD["loinc"])
        value = value_of(resource)
        side = _side_of(resource)
        if fact == "age" or loinc == "30525-0":
            self._check_unit(location, resource, "observation.age")
            self.tree["age"] = value
        elif fact == "pain" or loinc == "72514-3":
            self._pain(resource, value)
        elif fact == "imaging":
            self._imaging(resource, value, side)
        elif fact is not None and (fact.startswith(FACT_GROUPS) or fact in CASE_SCALARS):
            _put(self.tree, fact, value)
        elif fact is not None and fact.startswith("lab."):
            self._check_unit(location, resource, fact)
            _put(self.tree, "labs." + fact.removeprefix("lab."), value)
        elif loinc in self.labs_by_loinc:
            self._check_unit(location, resource, f"lab.{self.labs_by_loinc[loinc]}")
            _put(self.tree, f"labs.{self.labs_by_loinc[loinc]}", value)
        elif (
            finding is not None
            or codes.code_in(concept, codes.REFLEX)
            or codes.code_in(concept, codes.NERVE_STUDY)
        ):
            if side not in ("left", "right"):
                raise BundleError(
                    f"{location}.component",
                    "a finding on one leg needs its laterality, left or right",
                )
            self._side_finding(location, resource, concept, finding, side, value)

    def _check_unit(self, location: str, resource: Mapping[str, Any], entry_id: str) -> None:
        """A value in another unit than ours is refused, never read as if it were ours: a CRP
        of 5 mg/dL is 50 mg/L. (No conversion: the sender knows its unit best.)"""
        quantity = resource.get("valueQuantity")
        expected = codes.unit_of(self.kb, entry_id)
        if not isinstance(quantity, Mapping) or expected is None:
            return
        sent = quantity.get("code") or quantity.get("unit")
        if sent is not None and sent != expected:
            raise BundleError(
                f"{location}.valueQuantity", f"send this value in {expected} (UCUM), not {sent}"
            )

    def _pain(self, resource: Mapping[str, Any], value: Any) -> None:
        pain: dict[str, Any] = {}
        if value is not None:
            pain["score"] = value
        sites = [
            component.get("valueString")
            for component in resource.get("component") or []
            if codes.code_in(component.get("code"), codes.CASE_FACT) == "pain.site"
        ]
        if sites:
            pain["sites"] = sites
        self.tree["pain"] = pain

    def _imaging(self, resource: Mapping[str, Any], value: Any, side: str | None) -> None:
        finding: dict[str, Any] = {"kind": value}
        if side is not None:
            finding["side"] = side
        for component in resource.get("component") or []:
            name = codes.code_in(component.get("code"), codes.CASE_FACT)
            if name is not None and name.startswith("imaging."):
                finding[name.removeprefix("imaging.")] = value_of(component)
        self.tree.setdefault("imaging", []).append(finding)

    def _body_site(self, location: str, resource: Mapping[str, Any], code_system: str) -> str:
        found = codes.code_in(resource.get("bodySite"), code_system)
        if found is None:
            raise BundleError(f"{location}.bodySite", "name the muscle or skin area examined")
        return found

    def _side_finding(
        self,
        location: str,
        resource: Mapping[str, Any],
        concept: Any,
        finding: str | None,
        side: str,
        value: Any,
    ) -> None:
        reflex = codes.code_in(concept, codes.REFLEX)
        study = codes.code_in(concept, codes.NERVE_STUDY)
        if study is None and finding != "needle_emg":
            exam = self.tree.setdefault("exam", {}).setdefault(side, {})
        if reflex is not None:
            exam.setdefault("reflexes", {})[reflex] = value
        elif study is not None:
            studies = self.tree.setdefault("nerve_conduction", {}).setdefault(side, {})
            studies[study] = self._study(resource)
        elif finding == "strength":
            exam.setdefault("strength", {})[self._body_site(location, resource, codes.MUSCLE)] = (
                value
            )
        elif finding == "give_way":
            exam.setdefault("give_way", []).append(
                self._body_site(location, resource, codes.MUSCLE)
            )
        elif finding == "sensation":
            exam.setdefault("sensation", {})[
                self._body_site(location, resource, codes.SENSORY_AREA)
            ] = value
        elif finding == "needle_emg":
            muscle = self._body_site(location, resource, codes.MUSCLE)
            needles = self.tree.setdefault("emg", {}).setdefault(side, {})
            needles[muscle] = {
                name: value_of(component)
                for component in resource.get("component") or []
                if (name := codes.code_in(component.get("code"), codes.NEEDLE_MEASURE)) is not None
            }
        elif finding is not None:
            exam[finding] = value

    def _study(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for component in resource.get("component") or []:
            name = codes.code_in(component.get("code"), codes.STUDY_MEASURE)
            if name is None:
                continue
            value = value_of(component)
            if name == "amplitude_unit":
                result["unit"] = value
            elif name.startswith("segment."):
                _, segment, measure = name.split(".", 2)
                result.setdefault("segments", {}).setdefault(segment, {})[measure] = value
            else:
                result[name] = value
            unit = (component.get("valueQuantity") or {}).get("code")
            if name.endswith("amplitude") and unit in ("uV", "mV"):
                result.setdefault("unit", unit)
        return result

    def _conditions(self) -> None:
        """Problem-list Conditions fill history the facts did not give (an EHR's Bundle)."""
        history = self.tree.setdefault("history", {})
        for _, resource in self.conditions:
            tags = (resource.get("meta") or {}).get("tag") or []
            if any(tag.get("code") == DERIVED for tag in tags):
                continue
            concept = resource.get("code")
            status = codes.code_in(resource.get("clinicalStatus"), codes.CONDITION_CLINICAL)
            verification = codes.code_in(
                resource.get("verificationStatus"), codes.CONDITION_VERIFICATION
            )
            if verification in ("refuted", "entered-in-error"):
                continue
            diabetes = next(
                (
                    DIABETES_BY_SNOMED[c]
                    for c in codes.codes_in(concept, codes.STANDARD["snomed"])
                    if c in DIABETES_BY_SNOMED
                ),
                None,
            ) or next(
                (
                    DIABETES_BY_ICD_PREFIX[c[:3]]
                    for c in codes.codes_in(concept, codes.STANDARD["icd10cm"])
                    if c[:3] in DIABETES_BY_ICD_PREFIX
                ),
                None,
            )
            if diabetes is not None and "diabetes" not in history:
                history["diabetes"] = diabetes
            if (
                codes.code_in(concept, codes.CASE_FACT) == "history.cancer"
                and "cancer" not in history
            ):
                cancer: dict[str, Any] = {
                    "status": "active" if status in ("active", "recurrence", "relapse") else "past"
                }
                site = (concept or {}).get("text")
                if site:
                    cancer["site"] = site
                history["cancer"] = cancer


def case_from_bundle(
    bundle: Mapping[str, Any], kb: KnowledgeBase, *, today: date | None = None
) -> Case:
    """The case a Bundle describes; `BundleError` (or `NotConformant`) says what is wrong."""
    if bundle.get("resourceType") != "Bundle":
        raise BundleError("resourceType", "send a Bundle")
    return CaseReader(kb, today).read(conformant(bundle))


__all__ = ["BundleError", "NotConformant", "case_from_bundle", "resources_in", "value_of"]
