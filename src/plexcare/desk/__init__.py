"""The front desk's pages: the day's schedule by clinician and room with arrivals and missed
visits (`schedule`), booking, moving and cancelling for a caller who is found or registered
(`bookings`, `patients`), and the call-back queue (`callback_queue`); what each shows is built
in `views`. Front desk and admin accounts only; the second-opinion queue and the demo mailbox
live with their own areas.
"""

from fastapi import APIRouter

from plexcare.desk.bookings import router as bookings_router
from plexcare.desk.callback_queue import router as callback_queue_router
from plexcare.desk.schedule import router as schedule_router

router = APIRouter()
router.include_router(schedule_router)
router.include_router(bookings_router)
router.include_router(callback_queue_router)

__all__ = ["router"]
