"""Find a specialist and book: search free slots, hold one, confirm; and "My appointments"
with cancel and reschedule.

Searching is public (anyone may see when the clinic is free); holding, booking and changing
need a signed-in patient, and only ever touch that patient's own records: the scheduling
services check ownership (someone else's appointment is "not found") and write the audit log.
Times are shown in the clinic's time zone. One module per step: `find_a_time`,
`hold_and_confirm`, `my_appointments`, `appointment_changes` (cancel and move, each confirmed
with a reason); what each page shows is built in `views`.
"""

from fastapi import APIRouter

from plexcare.scheduling.pages.appointment_changes import router as appointment_changes_router
from plexcare.scheduling.pages.find_a_time import router as find_a_time_router
from plexcare.scheduling.pages.hold_and_confirm import router as hold_and_confirm_router
from plexcare.scheduling.pages.my_appointments import router as my_appointments_router

router = APIRouter()
router.include_router(find_a_time_router)
router.include_router(hold_and_confirm_router)
router.include_router(my_appointments_router)
router.include_router(appointment_changes_router)

__all__ = ["router"]
