"""Settings read from `PLEXCARE_*` environment variables.

One typed object instead of scattered `os.environ` look-ups, so a typo in a variable name is a
validation error at start-up rather than a silent default in production.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    """SQLite under ./var/ so `make run` needs nothing installed."""
    return f"sqlite:///{Path('var/plexcare.db').resolve()}"


DEFAULT_SECRET_KEY = "change-me-in-production"
"""The `secret_key` default: public, so anyone can compute form tokens with it. `plexcare serve`
refuses it unless the demo clinic is asked for or `development` is set."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PLEXCARE_", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    secret_key: str = "change-me-in-production"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "appointments@plexcare.example"
    clinic_timezone: str = "Europe/London"
    phone_region: str = Field(default="GB", pattern=r"^[A-Z]{2}$")
    """How to read a phone number written without a country code (ISO 3166 region)."""
    public_holidays: str = Field(default="GB-ENG", pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,5})?$")
    """The public-holiday calendar the clinic closes on: an ISO 3166 country, optionally with
    its subdivision (`GB-ENG`, `DE-BY`), as the `holidays` package knows them. Admins open a
    holiday or close any other day at /admin/closures."""
    emergency_number: str = Field(default="999", pattern=r"^[0-9]{2,4}$")
    """The number the self-check tells people to call in an emergency (tap to call)."""
    out_of_hours_number: str = Field(default="111", pattern=r"^[0-9]{2,6}$")
    """The urgent, non-emergency line for when the clinic's phones are closed (NHS 111)."""
    development: bool = False
    """A developer's machine: the default secret key is allowed (with a warning). `--demo`
    (what `make run` passes) allows it too; production leaves both off."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose X-Forwarded-For is believed; nobody else's is."""
    login_failures_per_account: int = Field(default=5, ge=1, le=100)
    login_failures_per_address: int = Field(default=20, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Largest JSON body read, refused with 413 before any of it is parsed."""
    max_form_bytes: int = Field(default=256 * 1024, ge=1024)
    """Largest URL-encoded form body read (file uploads have `upload_max_bytes`)."""
    max_open_appointments: int = Field(default=6, ge=1, le=100_000)
    """Upcoming appointments a patient may hold when booking for themselves (the front desk
    is not limited). The booking benchmark (`bench/booking.py`) books each of its patients up
    to this default; clinics may raise it."""
    hold_minutes: int = Field(default=10, ge=1, le=120)
    waitlist_offer_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_days: int = Field(default=14, ge=1)
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    """How long one app process remembers who holds a bearer token (0: ask the database on
    every request). A token revoked through another process is still accepted here for at
    most this long (`plexcare.accounts.token_holders`)."""
    postgres_threads: int = Field(default=8, ge=1, le=1000)
    """Threads per app process for the routes that block (FastAPI runs a plain `def` route in
    a thread), on PostgreSQL. One app process holding then booking for 16 clients booked 294
    and 328 in 8 s with anyio's 40, and 390 and 442 with 8 (runs alternated). Each thread
    takes the interpreter's lock from the others between its queries: `perf` found 39 % of
    the process's CPU in the kernel with 40 threads, mostly switching threads, and 36 % with
    8. A request past these threads waits its turn on the event loop; rollbacks of failed
    routes have threads of their own (`web.dependencies.rollback_threads`), so a request
    holding locks is never stuck behind ones waiting on it. SQLite keeps anyio's 40: its one
    connection already makes its requests take turns (`web.request_queue`)."""
    quick_booking: bool = True
    """On PostgreSQL, a patient's plain booking goes the quick way (`scheduling.quick_booking`:
    asyncpg on the event loop, one round trip once the clinician's booking rules are
    remembered); off, every booking takes the full path."""
    secure_cookies: bool = False
    upload_dir: Path = Field(default_factory=lambda: Path("var/uploads").resolve())
    """Second-opinion files: outside the package and any folder the web server serves."""
    upload_sweep_grace_minutes: int = Field(default=15, ge=0, le=24 * 60)
    """At start-up, unfinished or unreferenced upload files older than this are removed;
    younger ones may belong to another server process's upload in progress."""
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    clinic_name: str = "plexcare Neuromuscular Clinic"
    clinic_address: str = "Outpatient department, 1 Example Road, London SE1 7EH"
    clinic_phone: str = Field(default="+442079460018", pattern=r"^\+[1-9][0-9]{6,14}$")
    """The clinic's switchboard in E.164, shown on the contact page as a `tel:` link."""
    clinic_whatsapp: str = Field(default="447700900123", pattern=r"^[1-9][0-9]{6,14}$")
    """The WhatsApp number as wa.me reads it: country code and number, digits only."""
    clinic_whatsapp_message: str = Field(
        default="Hello, I would like to ask the clinic about an appointment.", max_length=500
    )
    """The message a `https://wa.me/<number>?text=` link starts with, for the visitor to edit."""
    clinic_opens: str = Field(default="08:00", pattern=r"^[0-2][0-9]:[0-5][0-9]$")
    clinic_closes: str = Field(default="18:00", pattern=r"^[0-2][0-9]:[0-5][0-9]$")
    """When the phones and the front desk are staffed on working days (Monday to Friday,
    public holidays closed), in the clinic's time zone; callback promises follow these."""
    mailbox_dir: Path = Field(default_factory=lambda: Path("var/mailbox").resolve())
    """Where the demo's local SMTP sink (`plexcare serve --demo`) keeps what it receives, one
    .eml file per message, for staff to read at /desk/mailbox."""
    smart_client_id: str = Field(default="plexcare", min_length=1, max_length=200)
    """Our client id at the EHRs' authorization servers (SMART App Launch, `/smart/launch`)."""
    smart_issuers: tuple[str, ...] = ()
    """The EHR FHIR base URLs (`iss`) a SMART launch may come from; any other is refused, so
    a crafted link cannot make plexcare send a clinician's authorization to a stranger."""

    @field_validator("clinic_timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @property
    def clinic_zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
