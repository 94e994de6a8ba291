"""The small clinic on PostgreSQL and its people, for the tests of the quick booking, its route
and its rounds, which only PostgreSQL runs (`asyncpg`, the write functions of migrations 0011
to 0014)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from plexcare.db import session_factory
from tests.conftest_db import Personas, SmallClinic, empty_tables


@pytest.fixture
def pg_session(postgres_url: str) -> Iterator[Session]:
    empty_tables(postgres_url)
    with session_factory(postgres_url)() as session:
        yield session


@pytest.fixture
def clinic_people(pg_session: Session) -> SmallClinic:
    built = SmallClinic(pg_session)
    pg_session.commit()
    return built


@pytest.fixture
def people(pg_session: Session, clinic_people: SmallClinic) -> Personas:
    return Personas(pg_session, clinic_people)
