"""The app under a real uvicorn server, for the race tests (`tests/scheduling/crowd.py`)."""

from tests.scheduling.crowd import server

__all__ = ["server"]
