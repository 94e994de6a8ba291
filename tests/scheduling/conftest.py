"""The app under a real uvicorn server, for the race tests (`tests/scheduling/crowd.py`), and
the small clinic on PostgreSQL (`tests/scheduling/postgres_clinic.py`)."""

from tests.scheduling.crowd import server
from tests.scheduling.postgres_clinic import clinic_people, people, pg_session

__all__ = ["clinic_people", "people", "pg_session", "server"]
