"""Every /api/v1 endpoint × anonymous, patient A, patient B, clinician, front desk, admin.

The list of endpoints comes from the app's routes, so a new endpoint without a row here fails
`test_every_api_endpoint_has_a_row_in_the_permission_matrix`. A row says, per persona, whether
the call succeeds (ALLOW: a 2xx answer to a valid request), is refused for lack of sign-in
(401), refused for the role (403), or hidden (404: patient B asking for patient A's record must
not learn it exists).

Every persona calls with records and free slots of its own, from an address of its own, as
different people would: one persona's success (an appointment cancelled, a slot taken, a
call-back taken, the call-back limit of one address used up) never turns the next persona's
valid request into a 404, 409 or 429 that would hide whether the rule let it through.

A list is also read for what it holds (`test_each_list_holds_only_what_the_caller_may_see`):
a patient's list holds their own records and none of the other patient's, even when they ask
for the other patient's by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.app import create_app
from plexcare.cases import service as cases
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.engine import Case
from plexcare.knowledge.loader import knowledge_base
from plexcare.packages import service as packages
from plexcare.packages.catalogue import HealthPackage
from plexcare.packages.itinerary import PackageItem
from plexcare.portal.address_breaks import breakable_address
from plexcare.scheduling import service as booking
from plexcare.scheduling import waitlist
from plexcare.scheduling.availability import ExceptionKind
from plexcare.scheduling.models import Appointment, SlotHold
from plexcare.scheduling.waitlist_order import Urgency
from plexcare.second_opinions import service as second_opinions
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from tests.conftest_db import PASSWORD, TEST_NOW, Personas, SmallClinic
from tests.second_opinions.samples import PDF as SAMPLE_PDF
from tests.web.records import anonymous_callback, booked_consultation

ALLOW = "allow"
PERSONAS = ("anonymous", "patient_b", "clinician", "front_desk", "admin", "patient_a")


def rule(
    anonymous: Any, patient_a: Any, patient_b: Any, clinician: Any, front_desk: Any, admin: Any
) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "patient_a": patient_a,
        "patient_b": patient_b,
        "clinician": clinician,
        "front_desk": front_desk,
        "admin": admin,
    }


PUBLIC = rule(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
SIGNED_IN = rule(401, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
OWN_RECORD = rule(401, ALLOW, 404, ALLOW, ALLOW, ALLOW)
OWN_RECORD_NOT_CLINICIAN = rule(401, ALLOW, 404, 403, ALLOW, ALLOW)
BOOKERS = rule(401, ALLOW, ALLOW, 403, ALLOW, ALLOW)
STAFF = rule(401, 403, 403, ALLOW, ALLOW, ALLOW)
DESK = rule(401, 403, 403, 403, ALLOW, ALLOW)
ADMIN = rule(401, 403, 403, 403, 403, ALLOW)
CLINICIAN_ONLY = rule(401, 403, 403, ALLOW, 403, 403)
CLINICAL = rule(401, 403, 403, ALLOW, 403, ALLOW)
NOT_DESK = rule(401, ALLOW, ALLOW, ALLOW, 403, ALLOW)
PATIENT_ONLY = rule(401, ALLOW, ALLOW, 403, 403, 403)

MATRIX: dict[str, dict[str, Any]] = {
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/auth/session": PUBLIC,
    "DELETE /api/v1/auth/session": PUBLIC,
    "GET /api/v1/me": SIGNED_IN,
    "PATCH /api/v1/me": SIGNED_IN,
    "POST /api/v1/users": ADMIN,
    "GET /api/v1/users": ADMIN,
    "GET /api/v1/audit-events": ADMIN,
    "GET /api/v1/clinicians": PUBLIC,
    "GET /api/v1/clinicians/{clinician_id}": PUBLIC,
    "GET /api/v1/clinicians/{clinician_id}/availability": PUBLIC,
    "PUT /api/v1/clinicians/{clinician_id}/availability": DESK,
    "GET /api/v1/clinicians/{clinician_id}/exceptions": STAFF,
    "POST /api/v1/clinicians/{clinician_id}/exceptions": DESK,
    "DELETE /api/v1/clinicians/{clinician_id}/exceptions/{exception_id}": DESK,
    "GET /api/v1/appointment-types": PUBLIC,
    "GET /api/v1/resources": STAFF,
    "GET /api/v1/slots": PUBLIC,
    "GET /api/v1/slots/earliest": PUBLIC,
    "POST /api/v1/holds": BOOKERS,
    "GET /api/v1/holds": SIGNED_IN,
    "DELETE /api/v1/holds/{hold_id}": OWN_RECORD_NOT_CLINICIAN,
    "POST /api/v1/appointments": BOOKERS,
    "GET /api/v1/appointments": SIGNED_IN,
    "GET /api/v1/appointments/{appointment_id}": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/cancel": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/reschedule": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/completed": STAFF,
    "POST /api/v1/appointments/{appointment_id}/no-show": STAFF,
    "POST /api/v1/waitlist": BOOKERS,
    "GET /api/v1/waitlist": SIGNED_IN,
    "DELETE /api/v1/waitlist/{entry_id}": OWN_RECORD_NOT_CLINICIAN,
    "GET /api/v1/outbox": ADMIN,
    "POST /api/v1/cases": CLINICIAN_ONLY,
    "GET /api/v1/cases": NOT_DESK,
    "GET /api/v1/cases/{case_id}": CLINICAL,
    "POST /api/v1/cases/{case_id}/versions": CLINICIAN_ONLY,
    "GET /api/v1/cases/{case_id}/versions": CLINICAL,
    "GET /api/v1/cases/{case_id}/versions/{number}": CLINICAL,
    "GET /api/v1/cases/{case_id}/compare": CLINICAL,
    "GET /api/v1/cases/{case_id}/plan": OWN_RECORD,
    "GET /api/v1/triage/questions": PUBLIC,
    "POST /api/v1/triage": PUBLIC,
    "POST /api/v1/second-opinions": PATIENT_ONLY,
    "GET /api/v1/second-opinions": SIGNED_IN,
    "GET /api/v1/second-opinions/{request_id}": OWN_RECORD,
    "POST /api/v1/second-opinions/{request_id}/review": CLINICIAN_ONLY,
    "POST /api/v1/second-opinions/{request_id}/answer": CLINICIAN_ONLY,
    "GET /api/v1/second-opinions/{request_id}/files/{file_id}": OWN_RECORD,
    "POST /api/v1/callbacks": PUBLIC,
    "GET /api/v1/callbacks": DESK,
    "PATCH /api/v1/callbacks/{callback_id}": DESK,
    "GET /api/v1/packages": PUBLIC,
    "GET /api/v1/packages/{code}/itinerary": PUBLIC,
    "POST /api/v1/packages/{code}/bookings": BOOKERS,
    "GET /api/v1/package-bookings": SIGNED_IN,
    "GET /api/v1/outcome-scales": PUBLIC,
    "POST /api/v1/follow-up-visits": CLINICIAN_ONLY,
    "GET /api/v1/patients/{patient_id}/follow-up": OWN_RECORD,
}


def api_endpoints(app: FastAPI) -> set[str]:
    """`METHOD /path` for every route the app serves under /api/v1."""
    found: set[str] = set()
    for route in app.routes:
        contexts: Iterator[Any] = (
            route.effective_route_contexts()  # type: ignore[attr-defined]
            if hasattr(route, "effective_route_contexts")
            else iter([route])
        )
        for context in contexts:
            path = getattr(context, "path", "")
            if not path.startswith("/api/v1"):
                continue
            for method in getattr(context, "methods", None) or ():
                if method != "HEAD":
                    found.add(f"{method} {path}")
    return found


def test_every_api_endpoint_has_a_row_in_the_permission_matrix() -> None:
    served = api_endpoints(create_app())
    assert served, "no /api/v1 routes found"
    assert served - set(MATRIX) == set(), "add these endpoints to the permission matrix"
    assert set(MATRIX) - served == set(), "these matrix rows name endpoints that do not exist"


def test_the_route_walker_sees_plain_api_routes() -> None:
    app = FastAPI()
    app.router.routes.append(APIRoute("/api/v1/probe", lambda: None, methods=["GET"]))
    assert api_endpoints(app) == {"GET /api/v1/probe"}


MATRIX_CASE = {
    "age": 58,
    "sex": "female",
    "affected_side": "right",
    "exam": {"right": {"strength": {"tibialis_anterior": 2}}},
}
PATIENTS = ("patient_a", "patient_b")
ADDRESSES = {persona: f"203.0.113.{10 + number}" for number, persona in enumerate(PERSONAS)}
"""Each persona calls from an address of its own (TEST-NET-3), as different people would."""
PHONES = {persona: f"020 7946 00{10 + number}" for number, persona in enumerate(PERSONAS)}
"""…and asks for call-backs on a number of its own (Ofcom's range for drama)."""

FIRST_DAY = date(2026, 3, 3)
"""Tuesday 3 March 2026, the day after `TEST_NOW`. London keeps GMT until 29 March, so a
wall-clock time in these weeks is the same instant in UTC."""
STARTED_DAY = date(2026, 2, 27)
"""The Friday before `TEST_NOW`: appointments on it have begun and can be marked attended."""


def working_day(number: int) -> date:
    """The `number`-th weekday from Tuesday 3 March (0 is that Tuesday)."""
    day, left = FIRST_DAY, number
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def slot_at(day: date, persona: str) -> datetime:
    """The morning half-hour on `day` that belongs to `persona` alone (the last ends at noon,
    before the clinicians' lunch break)."""
    return datetime.combine(day, time(9), tzinfo=UTC) + timedelta(
        minutes=30 * PERSONAS.index(persona)
    )


APPOINTMENT_DAY = working_day(0)
"""Patient A's appointments that the calls read, cancel, reschedule."""
MOVE_DAY = working_day(1)
"""Where a reschedule moves them."""
HOLD_DAY = working_day(2)
"""Patient A's held slots that the calls release."""
NEW_HOLD_DAY = working_day(3)
"""The slots the calls hold."""
NEW_BOOKING_DAY = working_day(4)
"""The slots the calls book."""


def package_day(persona: str) -> date:
    """A day of its own for each persona's package (a consultation, then nerve studies)."""
    return working_day(5 + PERSONAS.index(persona))


def other_patient(persona: str) -> str:
    return "patient_b" if persona == "patient_a" else "patient_a"


class MatrixWorld:
    """The small clinic and the records the calls name, each made when a call needs it.

    Records a call changes (appointments, holds, waitlist entries, call-backs, leave) are made
    afresh for every persona; records only read or changed by one persona are made once.
    Appointments, holds and waitlist entries are made by the front desk, whom no patient's
    limit of open appointments binds.
    """

    def __init__(self, session: Session, people: SmallClinic, upload_dir: Path) -> None:
        self.session = session
        self.people = people
        self.upload_dir = upload_dir
        self.desk = Actor(user_id=people.front_desk.id, role="front_desk")
        self.doctor = Actor(user_id=people.clinician_user.id, role="clinician")

    def patient(self, persona: str) -> User:
        return self.people.patient_a if persona == "patient_a" else self.people.patient_b

    def appointment(self, patient: User, starts_at: datetime) -> Appointment:
        return booking.book(
            session=self.session,
            actor=self.desk,
            clinician_id=self.people.neurologist.id,
            appointment_type_id=self.people.consultation.id,
            starts_at=starts_at,
            now=TEST_NOW,
            patient_id=patient.id,
        )

    def started_appointment(self, patient: User, starts_at: datetime) -> Appointment:
        """Booked the day before it starts, so by `TEST_NOW` it has begun."""
        return booking.book(
            session=self.session,
            actor=self.desk,
            clinician_id=self.people.neurologist.id,
            appointment_type_id=self.people.consultation.id,
            starts_at=starts_at,
            now=starts_at - timedelta(days=1),
            patient_id=patient.id,
        )

    def hold(self, patient: User, starts_at: datetime) -> SlotHold:
        return booking.place_hold(
            session=self.session,
            actor=self.desk,
            clinician_id=self.people.neurologist.id,
            appointment_type_id=self.people.consultation.id,
            starts_at=starts_at,
            now=TEST_NOW,
            patient_id=patient.id,
        )

    def waitlist_entry(self, patient: User) -> int:
        entry = waitlist.join(
            session=self.session,
            actor=self.desk,
            specialty="neurology",
            appointment_type_id=self.people.consultation.id,
            urgency=Urgency.SOON,
            now=TEST_NOW,
            patient_id=patient.id,
        )
        return entry.id

    def leave(self, persona: str) -> int:
        """A week of the neurologist's leave in April, a different week for each persona."""
        first_day = date(2026, 4, 6) + timedelta(weeks=PERSONAS.index(persona))
        leave = clinic.add_exception(
            session=self.session,
            clinician_id=self.people.neurologist.id,
            kind=ExceptionKind.LEAVE,
            first_day=first_day,
            last_day=first_day + timedelta(days=4),
        )
        return leave.id

    def case(self, patient: User) -> tuple[int, int]:
        """A clinician's case for the patient: its id and its version's number."""
        record, version = cases.create_case(
            session=self.session,
            actor=self.doctor,
            patient_id=patient.id,
            title="Right foot drop",
            case=Case.model_validate(MATRIX_CASE),
            note_for_patient="",
            kb=knowledge_base(),
            now=TEST_NOW,
        )
        return record.id, version.number

    def opinion(self, patient: User) -> SecondOpinionRequest:
        """The patient's own request for a second opinion, with one PDF report."""
        request, _stored = second_opinions.submit(
            session=self.session,
            actor=Actor(user_id=patient.id, role="patient"),
            question="Do I need surgery for this foot drop?",
            files=[
                second_opinions.IncomingFile(stream=BytesIO(SAMPLE_PDF), file_name="report.pdf")
            ],
            directory=self.upload_dir,
            max_bytes=1024 * 1024,
            now=TEST_NOW,
        )
        return request

    @cached_property
    def package(self) -> str:
        """The plexus work-up in the catalogue; its code."""
        workup = HealthPackage(
            code="plexus_workup",
            name="Plexus work-up",
            description="A consultation, then nerve conduction studies and EMG.",
            items=(
                PackageItem("neuro_consult", "Consultation", timedelta(minutes=30)),
                PackageItem("emg_ncs", "Nerve conduction studies and EMG", timedelta(minutes=60)),
            ),
            price_minor_units=50_000,
        )
        packages.add_package(session=self.session, package=workup)
        return workup.code

    def package_slots(self, persona: str) -> list[dict[str, Any]]:
        """The consultation at 09:00 and the nerve studies at 10:15 (their 75-minute grid) on
        the persona's own day."""
        day = package_day(persona)
        return [
            {
                "clinician_id": self.people.neurologist.id,
                "appointment_type_id": kind.id,
                "starts_at": datetime.combine(day, starts, tzinfo=UTC),
            }
            for kind, starts in (
                (self.people.consultation, time(9)),
                (self.people.emg, time(10, 15)),
            )
        ]

    def package_booking(self, patient: User, persona: str) -> int:
        record, _appointments = packages.book_package(
            session=self.session,
            actor=self.desk,
            code=self.package,
            chosen=[packages.Chosen(**slot) for slot in self.package_slots(persona)],
            now=TEST_NOW,
            patient_id=patient.id,
        )
        return record.id

    def appointment_of_patient_a(self, endpoint: str, persona: str) -> int:
        """Patient A's appointment for the call; one that has begun when staff mark it."""
        ann = self.people.patient_a
        if endpoint.endswith(("/completed", "/no-show")):
            return self.started_appointment(ann, slot_at(STARTED_DAY, persona)).id
        return self.appointment(ann, slot_at(APPOINTMENT_DAY, persona)).id

    @cached_property
    def case_of_patient_a(self) -> tuple[int, int]:
        return self.case(self.people.patient_a)

    @cached_property
    def opinion_of_patient_a(self) -> tuple[int, int]:
        """Patient A's request and the id of its one file."""
        request = self.opinion(self.people.patient_a)
        file_id = self.session.scalars(
            select(SecondOpinionFile.id).where(SecondOpinionFile.request_id == request.id)
        ).one()
        return request.id, file_id

    def path_values(self, endpoint: str, persona: str) -> dict[str, Any]:
        """The values of the endpoint's path for `persona`'s call: patient A's records."""
        ann = self.people.patient_a
        makers: dict[str, Callable[[], int | str]] = {
            "clinician_id": lambda: self.people.neurologist.id,
            "exception_id": lambda: self.leave(persona),
            "hold_id": lambda: self.hold(ann, slot_at(HOLD_DAY, persona)).id,
            "appointment_id": lambda: self.appointment_of_patient_a(endpoint, persona),
            "entry_id": lambda: self.waitlist_entry(ann),
            "callback_id": lambda: anonymous_callback(
                self.session, phone=PHONES[persona], client_ip=ADDRESSES[persona]
            ).id,
            "case_id": lambda: self.case_of_patient_a[0],
            "number": lambda: self.case_of_patient_a[1],
            "request_id": lambda: self.opinion_of_patient_a[0],
            "file_id": lambda: self.opinion_of_patient_a[1],
            "code": lambda: self.package,
            "patient_id": lambda: ann.id,
        }
        values = {name: makers[name]() for name in re.findall(r"\{(\w+)\}", endpoint)}
        self.session.commit()
        return values

    def request_for(self, endpoint: str, persona: str) -> dict[str, Any]:
        """The rest of `persona`'s valid request: a JSON body, a form, or nothing."""
        if endpoint == "POST /api/v1/second-opinions":
            return {
                "data": {"question": "Do I need surgery for this foot drop?"},
                "files": [("files", ("report.pdf", SAMPLE_PDF, "application/pdf"))],
            }
        body = self.body(endpoint, persona)
        return {} if body is None else {"json": body}

    def body(self, endpoint: str, persona: str) -> dict[str, Any] | None:
        people = self.people
        neurologist, consultation = people.neurologist.id, people.consultation.id
        for_patient_a = (
            {"patient_id": people.patient_a.id} if persona in ("front_desk", "admin") else {}
        )
        bodies: dict[str, dict[str, Any]] = {
            "POST /api/v1/auth/register": {
                "email": f"new-{persona}@example.org",
                "password": "a long password",
                "full_name": "New Patient",
            },
            "POST /api/v1/auth/token": {"email": "ann@example.org", "password": PASSWORD},
            "POST /api/v1/auth/session": {"email": "ann@example.org", "password": PASSWORD},
            "PATCH /api/v1/me": {"consent_sms": True},
            "POST /api/v1/users": {
                "email": f"staff-{persona}@clinic.example",
                "password": "a long password",
                "full_name": "New Staff",
                "role": "front_desk",
            },
            "PUT /api/v1/clinicians/{clinician_id}/availability": {
                "hours": [{"weekday": day, "starts": "09:00", "ends": "17:00"} for day in range(5)],
            },
            "POST /api/v1/clinicians/{clinician_id}/exceptions": {
                "kind": "leave",
                "first_day": "2026-04-06",
                "last_day": "2026-04-10",
            },
            "POST /api/v1/holds": {
                "clinician_id": neurologist,
                "appointment_type_id": consultation,
                "starts_at": slot_at(NEW_HOLD_DAY, persona).isoformat(),
                **for_patient_a,
            },
            "POST /api/v1/appointments": {
                "clinician_id": neurologist,
                "appointment_type_id": consultation,
                "starts_at": slot_at(NEW_BOOKING_DAY, persona).isoformat(),
                **for_patient_a,
            },
            "POST /api/v1/appointments/{appointment_id}/cancel": {"reason": "feeling better"},
            "POST /api/v1/appointments/{appointment_id}/reschedule": {
                "starts_at": slot_at(MOVE_DAY, persona).isoformat(),
            },
            "POST /api/v1/waitlist": {
                "specialty": "neurology",
                "appointment_type_id": consultation,
                **for_patient_a,
            },
            "POST /api/v1/cases": {
                "patient_id": people.patient_a.id,
                "title": "Right foot drop",
                "case": MATRIX_CASE,
            },
            "POST /api/v1/cases/{case_id}/versions": {"case": MATRIX_CASE},
            "POST /api/v1/triage": {"answers": {"numbness": True}},
            "POST /api/v1/callbacks": {
                "full_name": "Sam Caller",
                "phone": PHONES[persona],
                "reason": "Please call me about a nerve test.",
            },
            "PATCH /api/v1/callbacks/{callback_id}": {"status": "in_progress"},
            "POST /api/v1/follow-up-visits": {
                "patient_id": people.patient_a.id,
                "seen_at": TEST_NOW.isoformat(),
                "scores": [{"scale": "pain_numeric_rating", "value": 4}],
            },
            "POST /api/v1/packages/{code}/bookings": {
                "items": [
                    {**slot, "starts_at": slot["starts_at"].isoformat()}
                    for slot in self.package_slots(persona)
                ],
                **for_patient_a,
            },
            "POST /api/v1/second-opinions/{request_id}/answer": {
                "opinion": "No surgery is needed; continue physiotherapy."
            },
        }
        return bodies.get(endpoint)


@pytest.fixture
def world(
    session: Session, small_clinic: SmallClinic, client: TestClient, tmp_path: Path
) -> MatrixWorld:
    client.app.state.upload_dir = tmp_path  # type: ignore[attr-defined]
    return MatrixWorld(session, small_clinic, tmp_path)


def caller(client: TestClient, persona: str) -> TestClient:
    """The app as `persona` reaches it: from their own address, with no one else's cookies."""
    return TestClient(client.app, client=(ADDRESSES[persona], 5000))


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_each_persona_gets_what_the_matrix_says(
    endpoint: str, client: TestClient, personas: Personas, world: MatrixWorld
) -> None:
    method, path = endpoint.split(" ", 1)
    wrong: dict[str, str] = {}
    for persona, expected in MATRIX[endpoint].items():
        answer = caller(client, persona).request(
            method,
            path.format(**world.path_values(endpoint, persona)),
            headers=personas.headers[persona],
            **world.request_for(endpoint, persona),
        )
        allowed = expected == ALLOW and 200 <= answer.status_code < 300
        if not allowed and answer.status_code != expected:
            wrong[persona] = f"expected {expected}, got {answer.status_code}: {answer.text[:300]}"
    assert wrong == {}


OWN, EVERYONE, NOBODY = "own", "everyone", "nobody"
PATIENTS_OWN_STAFF_ALL = {
    "patient_a": OWN,
    "patient_b": OWN,
    "clinician": EVERYONE,
    "front_desk": EVERYONE,
    "admin": EVERYONE,
}


def items_of(body: Any) -> list[dict[str, Any]]:
    """The rows of a list answer, whether a page (`items`) or a bare list."""
    rows: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return rows


def ids_listed(body: Any) -> set[int]:
    return {row["id"] for row in items_of(body)}


def patients_listed(field: str) -> Callable[[Any], set[int]]:
    """The patients a list's rows are about, read from `field`."""
    return lambda body: {row[field] for row in items_of(body)}


@dataclass(frozen=True)
class ListRule:
    """How a list shows a patient's records, and what each persona allowed to read it sees.

    `made_for` makes a patient's records and answers the marks that find them in a list;
    `marks` reads those marks from an answer; `shown` is OWN (exactly the caller's own),
    EVERYONE (both patients') or NOBODY (neither) for each persona the matrix lets through.
    """

    made_for: Callable[[MatrixWorld, str], set[int]]
    marks: Callable[[Any], set[int]]
    shown: dict[str, str]


def booked_for(world: MatrixWorld, persona: str) -> set[int]:
    """An appointment for the patient (audited, and confirmed through the outbox): the
    patient's own id marks the rows it leaves."""
    patient = world.patient(persona)
    world.appointment(patient, slot_at(APPOINTMENT_DAY, persona))
    return {patient.id}


LISTS: dict[str, ListRule] = {
    "GET /api/v1/appointments": ListRule(
        lambda world, persona: {
            world.appointment(world.patient(persona), slot_at(APPOINTMENT_DAY, persona)).id
        },
        ids_listed,
        PATIENTS_OWN_STAFF_ALL,
    ),
    "GET /api/v1/holds": ListRule(
        lambda world, persona: {world.hold(world.patient(persona), slot_at(HOLD_DAY, persona)).id},
        ids_listed,
        # Staff list the holds they keep for themselves, not the patients'.
        {
            "patient_a": OWN,
            "patient_b": OWN,
            "clinician": NOBODY,
            "front_desk": NOBODY,
            "admin": NOBODY,
        },
    ),
    "GET /api/v1/waitlist": ListRule(
        lambda world, persona: {world.waitlist_entry(world.patient(persona))},
        ids_listed,
        PATIENTS_OWN_STAFF_ALL,
    ),
    "GET /api/v1/cases": ListRule(
        lambda world, persona: {world.case(world.patient(persona))[0]},
        ids_listed,
        {"patient_a": OWN, "patient_b": OWN, "clinician": EVERYONE, "admin": EVERYONE},
    ),
    "GET /api/v1/second-opinions": ListRule(
        lambda world, persona: {world.opinion(world.patient(persona)).id},
        ids_listed,
        PATIENTS_OWN_STAFF_ALL,
    ),
    "GET /api/v1/package-bookings": ListRule(
        lambda world, persona: {world.package_booking(world.patient(persona), persona)},
        ids_listed,
        PATIENTS_OWN_STAFF_ALL,
    ),
    "GET /api/v1/users": ListRule(
        lambda world, persona: {world.patient(persona).id}, ids_listed, {"admin": EVERYONE}
    ),
    "GET /api/v1/audit-events": ListRule(
        booked_for, patients_listed("patient_user_id"), {"admin": EVERYONE}
    ),
    "GET /api/v1/outbox": ListRule(
        booked_for, patients_listed("recipient_user_id"), {"admin": EVERYONE}
    ),
}


@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_each_list_holds_only_what_the_caller_may_see(
    endpoint: str, client: TestClient, personas: Personas, world: MatrixWorld
) -> None:
    rule = LISTS[endpoint]
    let_through = {persona for persona, expected in MATRIX[endpoint].items() if expected == ALLOW}
    assert set(rule.shown) == let_through, "the list's rule names whom the matrix lets through"
    made = {persona: rule.made_for(world, persona) for persona in PATIENTS}
    world.session.commit()
    assert made["patient_a"] and made["patient_b"]
    assert made["patient_a"].isdisjoint(made["patient_b"])
    everyone = made["patient_a"] | made["patient_b"]
    path = endpoint.split(" ", 1)[1]
    for persona, shown in rule.shown.items():
        # A patient asks for the other patient's records by id, which must not help.
        asked = (
            {"patient_id": world.patient(other_patient(persona)).id} if persona in PATIENTS else {}
        )
        answer = caller(client, persona).get(path, params=asked, headers=personas.headers[persona])
        assert answer.status_code == 200, f"{persona}: {answer.text}"
        listed = rule.marks(answer.json())
        if shown == OWN:
            assert listed == made[persona], f"{persona} sees {listed}, owns {made[persona]}"
        elif shown == EVERYONE:
            assert everyone <= listed, f"{persona} sees {listed}, not all of {everyone}"
        else:
            assert listed.isdisjoint(everyone), f"{persona} sees patients' records {listed}"


# Pages of the front desk, the administrator and a patient's own appointment: each persona
# opens each page signed in (a bearer token, which pages accept as the API does). A page
# answers the sign-in redirect (303) for anonymous visitors, 403 for a role it is not for, and
# 404 for another patient's appointment, as if it did not exist.
SIGN_IN = 303
DESK_PAGE = rule(SIGN_IN, 403, 403, 403, 200, 200)
ADMIN_PAGE = rule(SIGN_IN, 403, 403, 403, 403, 200)
OWN_APPOINTMENT_PAGE = rule(SIGN_IN, 200, 404, 403, 403, 403)
PAGE_MATRIX: dict[str, dict[str, Any]] = {
    "/desk": DESK_PAGE,
    "/desk?day=2026-03-03": DESK_PAGE,
    "/desk/book": DESK_PAGE,
    "/desk/book?q=ann": DESK_PAGE,
    "/desk/book?patient_id={patient}&specialty=neurology": DESK_PAGE,
    "/desk/appointments/{appointment}/move": DESK_PAGE,
    "/desk/appointments/{appointment}/cancel": DESK_PAGE,
    "/desk/callbacks": DESK_PAGE,
    "/admin": ADMIN_PAGE,
    "/admin/clinicians/{clinician}/hours": ADMIN_PAGE,
    "/admin/closures": ADMIN_PAGE,
    "/admin/appointment-types": ADMIN_PAGE,
    "/admin/resources": ADMIN_PAGE,
    "/admin/outbox": ADMIN_PAGE,
    "/admin/audit": ADMIN_PAGE,
    "/me/appointments/{appointment}/cancel": OWN_APPOINTMENT_PAGE,
    "/me/appointments/{appointment}/reschedule": OWN_APPOINTMENT_PAGE,
    "/me/appointments/{appointment}/calendar.ics": OWN_APPOINTMENT_PAGE,
}


def page_routes(app: FastAPI, prefixes: tuple[str, ...]) -> set[str]:
    """The GET pages the app serves under `prefixes` (outside the JSON API)."""
    return {
        route.path
        for route in app.routes
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and route.path.startswith(prefixes)
    }


def test_every_desk_and_admin_page_has_a_row_in_the_page_matrix() -> None:
    """h13a's second-opinion queue and demo mailbox keep their own tests."""
    served = page_routes(create_app(), ("/desk", "/admin")) - {
        "/desk/second-opinions",
        "/desk/second-opinions/{request_id}",
        "/desk/mailbox",
        "/desk/mailbox/{message_id}",
    }
    listed = {
        re.sub(r"\{(patient|appointment|clinician)\}", r"{\1_id}", path.split("?", 1)[0])
        for path in PAGE_MATRIX
    }
    named = {re.sub(r"\{\w+\}", "{}", path) for path in listed}
    assert {re.sub(r"\{\w+\}", "{}", path) for path in served} <= named


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_opens_only_the_pages_the_page_matrix_allows(
    persona: str, client: TestClient, personas: Personas, session: Session
) -> None:
    people = session.scalars(select(User).order_by(User.id)).all()
    ann = next(user for user in people if user.email == "ann@example.org")
    okafor = session.scalar(select(Clinician.id).order_by(Clinician.id))
    consultation = session.scalar(select(AppointmentType.id).order_by(AppointmentType.id))
    assert okafor is not None and consultation is not None
    appointment = booked_consultation(
        session,
        patient_id=ann.id,
        clinician_id=okafor,
        appointment_type_id=consultation,
        starts_at=datetime.combine(FIRST_DAY, time(10), tzinfo=UTC),
    )
    values = {"patient": ann.id, "appointment": appointment, "clinician": okafor}
    session.commit()
    for template, expected in PAGE_MATRIX.items():
        path = template.format(**values)
        answer = client.get(path, headers=personas.headers[persona], follow_redirects=False)
        assert answer.status_code == expected[persona], f"{persona} {path}: {answer.text[:300]}"
        if expected[persona] == SIGN_IN:
            assert answer.headers["location"].startswith("/login?next=")
        if expected[persona] == 200 and path.startswith("/desk/book?patient_id"):
            assert "Free times" in answer.text
            assert str(breakable_address("ann@example.org")) in answer.text
