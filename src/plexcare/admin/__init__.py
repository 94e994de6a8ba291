"""The administrator's pages: users and roles (`people`), clinicians' hours and leave,
appointment types and rooms (`clinic_setup`), clinic closures (`closure_pages`), the outbox
with resend and the audit log with filters (`records`); what each shows is built in `views`.
Administrators only; every change is audited.
"""

from fastapi import APIRouter

from plexcare.admin.clinic_setup import router as clinic_setup_router
from plexcare.admin.closure_pages import router as closure_pages_router
from plexcare.admin.people import router as people_router
from plexcare.admin.records import router as records_router

router = APIRouter()
router.include_router(people_router)
router.include_router(clinic_setup_router)
router.include_router(closure_pages_router)
router.include_router(records_router)

__all__ = ["router"]
