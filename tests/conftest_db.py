"""Database fixtures: every service test runs on SQLite and on PostgreSQL.

PostgreSQL comes from PLEXCARE_TEST_DATABASE_URL (the Makefile sets it). Each test session
migrates its own uniquely named schema and drops it afterwards, so parallel runs (pytest -n 2)
never see each other's rows. With CI=true a missing or unreachable PostgreSQL fails the run;
elsewhere those cases are skipped (and reported as skipped).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.models import User
from plexcare.accounts.passwords import hash_password
from plexcare.accounts.roles import Role
from plexcare.app import create_app
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.db import Base, engine_for, session_factory
from plexcare.migrate import upgrade
from plexcare.schema import load_all_models
from plexcare.web.dependencies import get_now

PASSWORD = "correct horse battery"
TEST_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Monday 2 March 2026, 08:00 in London (GMT): the clock every service test runs at."""

load_all_models()


def postgres_base_url() -> str | None:
    url = os.environ.get("PLEXCARE_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PLEXCARE_TEST_DATABASE_URL is not set")
        pytest.skip("PLEXCARE_TEST_DATABASE_URL is not set")
    return url


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'plexcare.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = postgres_base_url()
    assert base is not None
    schema = f"plexcare_test_{uuid.uuid4().hex[:10]}"
    try:
        connection = psycopg.connect(_libpq(base), autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL is unreachable: {error}")
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    with connection:
        # Another test process may create it at the same moment; either way it then exists.
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema},public')}"
    upgrade(url)
    yield url
    engine_for(url).dispose()
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def empty_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database of each kind."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    return url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with session_factory(db_url)() as db_session:
        yield db_session


_PASSWORD_HASH: list[str] = []


def add_user(session: Session, *, email: str, role: Role, full_name: str = "") -> User:
    """A user with the shared test password (hashed once per process: argon2 is slow on
    purpose)."""
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    user = User(
        email=email,
        password_hash=_PASSWORD_HASH[0],
        role=role.value,
        full_name=full_name or email.split("@")[0],
        phone="+447700900123",
        consent_email=True,
        consent_sms=False,
        is_active=True,
        created_at=TEST_NOW,
    )
    session.add(user)
    session.flush()
    return user


class SmallClinic:
    """Two neurologists and a pain specialist, an EMG room and machine, three visit types."""

    def __init__(self, session: Session) -> None:
        self.patient_a = add_user(session, email="ann@example.org", role=Role.patient)
        self.patient_b = add_user(session, email="bob@example.org", role=Role.patient)
        self.clinician_user = add_user(
            session, email="dr.okafor@clinic.example", role=Role.clinician
        )
        self.front_desk = add_user(session, email="desk@clinic.example", role=Role.front_desk)
        self.admin = add_user(session, email="admin@clinic.example", role=Role.admin)
        self.room = clinic.add_resource(session=session, name="EMG room", kind="emg_room")
        self.machine = clinic.add_resource(session=session, name="EMG machine", kind="emg_machine")
        self.consultation: AppointmentType = clinic.add_appointment_type(
            session=session,
            code="neuro_consult",
            name="Neurology consultation",
            duration_minutes=30,
            minimum_notice_minutes=60,
        )
        self.emg: AppointmentType = clinic.add_appointment_type(
            session=session,
            code="emg_ncs",
            name="Nerve conduction study and EMG",
            duration_minutes=60,
            buffer_minutes=15,
            minimum_notice_minutes=60,
            resource_kinds=("emg_room", "emg_machine"),
        )
        self.neurologist: Clinician = clinic.add_clinician(
            session=session,
            full_name="Dr Ada Okafor",
            specialty=clinic.Specialty.neurology,
            user_id=self.clinician_user.id,
        )
        self.second_neurologist: Clinician = clinic.add_clinician(
            session=session,
            full_name="Dr Ben Lind",
            specialty=clinic.Specialty.neurology,
        )
        self.pain: Clinician = clinic.add_clinician(
            session=session,
            full_name="Dr Chen Wu",
            specialty=clinic.Specialty.pain_medicine,
        )
        for person in (self.neurologist, self.second_neurologist):
            clinic.offer_appointment_types(
                session=session, clinician=person, appointment_types=(self.consultation, self.emg)
            )
        clinic.offer_appointment_types(
            session=session, clinician=self.pain, appointment_types=(self.consultation,)
        )
        for person in (self.neurologist, self.second_neurologist, self.pain):
            for weekday in range(5):
                clinic.add_weekly_hours(
                    session=session,
                    clinician=person,
                    weekday=weekday,
                    starts=time(9),
                    ends=time(17),
                )
                clinic.add_weekly_break(
                    session=session,
                    clinician=person,
                    weekday=weekday,
                    starts=time(12, 30),
                    ends=time(13, 30),
                )
        session.flush()


@pytest.fixture
def small_clinic(session: Session) -> SmallClinic:
    built = SmallClinic(session)
    session.commit()
    return built


class Personas:
    """Bearer-token headers for everyone the permission rules distinguish."""

    def __init__(self, session: Session, clinic_people: SmallClinic) -> None:
        def bearer(user: User) -> dict[str, str]:
            raw, _ = accounts.issue_token(
                session=session,
                user=user,
                kind="bearer",
                now=TEST_NOW,
                lifetime=timedelta(days=1),
            )
            return {"Authorization": f"Bearer {raw}"}

        self.headers: dict[str, dict[str, str]] = {
            "anonymous": {},
            "patient_a": bearer(clinic_people.patient_a),
            "patient_b": bearer(clinic_people.patient_b),
            "clinician": bearer(clinic_people.clinician_user),
            "front_desk": bearer(clinic_people.front_desk),
            "admin": bearer(clinic_people.admin),
        }
        session.commit()


def make_app(url: str, now: datetime = TEST_NOW) -> FastAPI:
    app = create_app()
    app.state.database_url = url
    app.dependency_overrides[get_now] = lambda: now
    return app


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(db_url)) as test_client:
        yield test_client


@pytest.fixture
def second_browser(db_url: str) -> Iterator[TestClient]:
    """Another person's browser on the same clinic (its own cookies)."""
    with TestClient(make_app(db_url)) as other:
        yield other


@pytest.fixture
def personas(session: Session, small_clinic: SmallClinic) -> Personas:
    return Personas(session, small_clinic)
