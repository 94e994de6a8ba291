"""Build the FastAPI application: the one module that knows every area.

Each clinic area contributes its own routers (the JSON API in `routes`, its HTML in `pages`);
this module only wires them together, so adding an area is one import and one `include_router`
line below. It stands on top of the package: no area and neither toolkit (`web`, `portal`)
imports it, only `plexcare serve` and the tests (`lint-imports` checks the layers). The
protections every request passes through, whatever its route, are wired here too (`_protect`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy.exc import TimeoutError as ConnectionWaitTimeout
from starlette.types import ASGIApp

from plexcare import __version__
from plexcare.accounts.pages import router as accounts_pages
from plexcare.accounts.routes import router as accounts_router
from plexcare.admin import router as admin_pages
from plexcare.audit.routes import router as audit_router
from plexcare.callbacks.routes import router as callbacks_router
from plexcare.cases.assessment_pages import router as case_assessment_pages
from plexcare.cases.pages import router as cases_pages
from plexcare.cases.routes import router as cases_router
from plexcare.cds_hooks.routes import router as cds_hooks_router
from plexcare.clinic.pages import router as clinic_pages
from plexcare.clinic.routes import router as clinic_router
from plexcare.config import Settings, get_settings
from plexcare.desk import router as desk_pages
from plexcare.education import router as education_router
from plexcare.fhir.routes import router as fhir_router
from plexcare.fhir.smart_routes import router as smart_pages
from plexcare.followup.pages import router as followup_pages
from plexcare.followup.routes import router as followup_router
from plexcare.notifications.pages import router as notifications_pages
from plexcare.notifications.routes import router as notifications_router
from plexcare.packages.pages import router as packages_pages
from plexcare.packages.routes import router as packages_router
from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling.pages import router as scheduling_pages
from plexcare.scheduling.quick_booking_route import QuickBookingRoute
from plexcare.scheduling.routes import router as scheduling_router
from plexcare.scheduling.waitlist_routes import router as waitlist_router
from plexcare.second_opinions.desk_pages import router as second_opinions_desk_pages
from plexcare.second_opinions.pages import router as second_opinions_pages
from plexcare.second_opinions.routes import router as second_opinions_router
from plexcare.triage.callback_pages import router as callback_pages
from plexcare.triage.pages import router as triage_pages
from plexcare.triage.routes import router as triage_router
from plexcare.web.api_docs import install_api_docs
from plexcare.web.body_limits import MULTIPART_ALLOWANCE_BYTES, BodyLimitMiddleware, BodyLimits
from plexcare.web.dependencies import on_sqlite
from plexcare.web.health import router as health_router
from plexcare.web.long_lived import keep_out_of_collection
from plexcare.web.openapi import install_openapi
from plexcare.web.problems import install_problem_handlers
from plexcare.web.request_queue import RequestQueue, connection_wait_timed_out
from plexcare.web.security_headers import SecurityHeadersMiddleware, TrustedProxies
from plexcare.workspace.case_report import router as case_report_pages
from plexcare.workspace.chart import router as chart_page
from plexcare.workspace.patient_home import router as patient_home_page
from plexcare.workspace.worklist import router as worklist_page


class PlexcareApp(FastAPI):
    """FastAPI with the security headers outside every other layer.

    Middleware added with `add_middleware` runs inside Starlette's last-resort error handler,
    so the 500 answer to a crash would leave without the headers; this wraps that too.
    """

    settings: Settings
    proxies: TrustedProxies

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(),
            proxies=self.proxies,
            secure_cookies=self.settings.secure_cookies,
            docs_paths=[
                path
                for path in (self.docs_url, self.swagger_ui_oauth2_redirect_url, self.redoc_url)
                if path
            ],
        )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once per process, around serving. Start-up work (such as sweeping orphaned uploads) goes
    before the `yield`, in the threadpool if it touches the disk or the database; shut-down
    work after it. Tests run it by entering `with TestClient(app)`."""
    keep_out_of_collection()
    if isinstance(app, PlexcareApp) and not on_sqlite(app):
        to_thread.current_default_thread_limiter().total_tokens = app.settings.postgres_threads
    yield
    pools: PostgresPools | None = getattr(app.state, "postgres_pools", None)
    if pools is not None:
        await pools.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application. `settings` (default: the process's, `PLEXCARE_*`) sets what the
    protections around every route use: body limits, trusted proxies, the cookie rule; the
    routes themselves read the process's settings."""
    settings = settings or get_settings()
    app = PlexcareApp(
        title="plexcare",
        version=__version__,
        description="Care platform for lumbosacral plexopathy: patient services, clinical "
        "decision support and clinic operations.",
        lifespan=lifespan,
        # /docs is served from the installed Swagger UI package (`web.api_docs`), not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.settings = settings
    app.proxies = TrustedProxies(settings.trusted_proxies)  # a bad entry fails here, at start-up
    # `plexcare serve` sets it when the database holds the demo logins; every page then says
    # so (templates/base.html).
    app.state.demo_clinic = False
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
    app.include_router(fhir_router)
    app.include_router(cds_hooks_router)
    app.include_router(smart_pages)
    # The HTML pages, each area's own; their shared toolkit is `portal`.
    app.include_router(triage_pages)
    app.include_router(accounts_pages)
    app.include_router(scheduling_pages)
    app.include_router(cases_pages)
    app.include_router(case_assessment_pages)
    app.include_router(followup_pages)
    app.include_router(case_report_pages)
    app.include_router(patient_home_page)
    app.include_router(worklist_page)
    app.include_router(chart_page)
    app.include_router(second_opinions_pages)
    app.include_router(second_opinions_desk_pages)
    app.include_router(packages_pages)
    app.include_router(notifications_pages)
    app.include_router(clinic_pages)
    app.include_router(callback_pages)
    app.include_router(desk_pages)
    app.include_router(admin_pages)
    install_openapi(app)
    install_api_docs(app)
    _protect(app, settings)
    return app


def _protect(app: FastAPI, settings: Settings) -> None:
    """What every request passes, outermost first: security headers (`PlexcareApp`), then the
    body-size limits (before authentication reads anything), then the SQLite request queue,
    then a patient's plain booking on PostgreSQL, answered ahead of FastAPI's routing
    (`quick_booking_route`)."""
    app.add_middleware(QuickBookingRoute)
    app.add_middleware(RequestQueue)
    app.add_middleware(
        BodyLimitMiddleware,
        limits=BodyLimits(
            json_bytes=settings.max_json_bytes,
            form_bytes=settings.max_form_bytes,
            multipart_bytes=settings.upload_max_bytes + MULTIPART_ALLOWANCE_BYTES,
        ),
    )
    app.add_exception_handler(ConnectionWaitTimeout, connection_wait_timed_out)
