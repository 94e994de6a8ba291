"""The HTML pages people use: the symptom self-check, sign-in, booking and "My appointments",
and the clinician's case form and assessment report. Server-rendered, usable without
JavaScript; every POST form is protected against cross-site request forgery (see `csrf`)."""

from fastapi import APIRouter

from plexcare.portal.auth_pages import router as auth_router
from plexcare.portal.booking_pages import router as booking_router
from plexcare.portal.clinician_pages import router as clinician_router
from plexcare.portal.selfcheck import router as selfcheck_router

router = APIRouter()
router.include_router(selfcheck_router)
router.include_router(auth_router)
router.include_router(booking_router)
router.include_router(clinician_router)

__all__ = ["router"]
