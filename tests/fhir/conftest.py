"""The app under a real uvicorn server for the `/fhir` race tests."""

from tests.scheduling.crowd import server

__all__ = ["server"]
