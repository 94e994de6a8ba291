"""Build the FastAPI application.

Each clinic area contributes its own routers; this module only wires them together, so adding
an area is one import and one `include_router` line below.
"""

from __future__ import annotations

from fastapi import FastAPI

from plexcare import __version__
from plexcare.accounts.routes import router as accounts_router
from plexcare.audit.routes import router as audit_router
from plexcare.callbacks.routes import router as callbacks_router
from plexcare.cases.routes import router as cases_router
from plexcare.clinic.routes import router as clinic_router
from plexcare.education import router as education_router
from plexcare.followup.routes import router as followup_router
from plexcare.notifications.routes import router as notifications_router
from plexcare.packages.routes import router as packages_router
from plexcare.portal import router as portal_router
from plexcare.scheduling.routes import router as scheduling_router
from plexcare.scheduling.waitlist_routes import router as waitlist_router
from plexcare.second_opinions.routes import router as second_opinions_router
from plexcare.triage.routes import router as triage_router
from plexcare.web.health import router as health_router
from plexcare.web.problems import install_problem_handlers


def create_app() -> FastAPI:
    app = FastAPI(
        title="plexcare",
        version=__version__,
        description="Care platform for lumbosacral plexopathy: patient services, clinical "
        "decision support and clinic operations.",
    )
    app.include_router(health_router)
    install_problem_handlers(app)
    app.include_router(accounts_router)
    app.include_router(audit_router)
    app.include_router(clinic_router)
    app.include_router(scheduling_router)
    app.include_router(waitlist_router)
    app.include_router(notifications_router)
    # Area routers are included here, one line each.
    app.include_router(education_router)
    app.include_router(cases_router)
    app.include_router(triage_router)
    app.include_router(second_opinions_router)
    app.include_router(callbacks_router)
    app.include_router(packages_router)
    app.include_router(followup_router)
    app.include_router(portal_router)
    return app
