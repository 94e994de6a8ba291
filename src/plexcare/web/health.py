"""Liveness and readiness: what a load balancer or `make run` user checks first."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from plexcare import __version__
from plexcare.knowledge.loader import knowledge_base

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    knowledge_base: str


@router.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok", version=__version__, knowledge_base=knowledge_base().version)
