"""Standard codes for what plexcare records and concludes, for exchange with other systems.

An EHR reads a plexopathy as ICD-10-CM G54.1 and a sodium level as a LOINC code, not as our
ids; this table says which standard code stands for which of our ids, each entry with its
source. A code is checked as far as its system allows without the licensed code tables: an
ICD-10-CM code by its shape, a LOINC code by its mod-10 check digit, a SNOMED CT identifier by
its Verhoeff check digit and partition, so a mistyped digit fails the knowledge-base load
instead of reaching a hospital's record.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class Fact(BaseModel):
    """Immutable and strict about keys, like every knowledge-base record. Defined here rather
    than imported, so `model.KnowledgeBase` can import `Terminology` without an import cycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")


Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


class Sourced(Fact):
    sources: tuple[Identifier, ...] = Field(min_length=1)


CodeSystemName = Literal["icd10cm", "snomed", "loinc"]
EntryId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=120)
]
"""`<kind>.<our id>[.<variant>]`: `disorder.l5_radiculopathy`, `lab.hba1c`, `laterality.left`."""

_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$")
_LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")
_SNOMED = re.compile(r"^[1-9][0-9]{5,17}$")

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit over all the others."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def loinc_valid(code: str) -> bool:
    """A LOINC code's last digit is the mod-10 (Luhn) check digit of the part before the dash."""
    body, check = code.split("-")
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(check)


def code_problem(system: CodeSystemName, code: str) -> str | None:
    """Why `code` cannot belong to `system`, or None when it may."""
    if system == "icd10cm":
        return None if _ICD10CM.match(code) else "not shaped like an ICD-10-CM code"
    if system == "loinc":
        if not _LOINC.match(code):
            return "not shaped like a LOINC code (digits, dash, check digit)"
        return None if loinc_valid(code) else "its LOINC check digit is wrong"
    if not _SNOMED.match(code):
        return "not shaped like a SNOMED CT identifier"
    if code[-3:-1] not in ("00", "01", "02", "10", "11", "12"):
        return "its SNOMED CT partition identifier is unknown"
    return None if verhoeff_valid(code) else "its SNOMED CT check digit is wrong"


class StandardCode(Fact):
    system: CodeSystemName
    code: str = Field(min_length=1, max_length=20)
    display: str = Field(min_length=2, max_length=200)

    @model_validator(mode="after")
    def _well_formed(self) -> StandardCode:
        problem = code_problem(self.system, self.code)
        if problem is not None:
            raise ValueError(f"{self.system} code {self.code!r}: {problem}")
        return self


class TerminologyEntry(Sourced):
    """The standard codes for one of our ids; `unit` is the UCUM unit its values are sent in."""

    id: EntryId
    codes: tuple[StandardCode, ...] = Field(min_length=1)
    unit: str | None = Field(default=None, max_length=40)
    note: str = ""

    def code_in(self, system: CodeSystemName) -> StandardCode | None:
        return next((code for code in self.codes if code.system == system), None)


class Terminology(Fact):
    """Every entry by id; an id not here has no standard code we vouch for."""

    entries: dict[str, TerminologyEntry] = Field(default_factory=dict)

    def get(self, entry_id: str) -> TerminologyEntry | None:
        return self.entries.get(entry_id)
