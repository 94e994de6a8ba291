"""The health packages the clinic offers: what each includes, in what order, and its price.

This is the starter catalogue the service seeds into the database; prices are examples in
minor units (pence) so no float ever rounds a bill. Appointment type codes match the clinic's
appointment types (``new_consultation``, ``emg_ncs``, ``follow_up`` in the demo clinic); the
seed must create any it lacks (``mri_review``, ``second_opinion_review``,
``physiotherapy_assessment``) before a package can be booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from plexcare.packages.itinerary import PackageItem

__all__ = [
    "DEFAULT_CATALOGUE",
    "PLEXOPATHY_DIAGNOSTIC",
    "REHABILITATION_STARTER",
    "SECOND_OPINION",
    "HealthPackage",
]


@dataclass(frozen=True)
class HealthPackage:
    """A bundle of appointments booked together, all or none."""

    code: str
    name: str
    description: str
    items: tuple[PackageItem, ...]
    price_minor_units: int
    currency: str = "GBP"

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError(f"package {self.code} includes no appointments")
        if self.price_minor_units < 0:
            raise ValueError(f"package {self.code}: price cannot be negative")

    @property
    def appointment_time(self) -> timedelta:
        """Time spent in appointments (not counting the gaps between them)."""
        return sum((item.duration for item in self.items), timedelta(0))


PLEXOPATHY_DIAGNOSTIC = HealthPackage(
    code="plexopathy_diagnostic",
    name="Plexopathy diagnostic package",
    description=(
        "A neurologist's consultation, then nerve conduction studies and EMG the same day or "
        "within three days, then a review of your MRI with the neurologist within a week."
    ),
    items=(
        PackageItem("new_consultation", "Neurology consultation", timedelta(minutes=45)),
        PackageItem(
            "emg_ncs",
            "Nerve conduction studies and EMG",
            timedelta(minutes=60),
            min_gap_after_previous=timedelta(minutes=15),
            max_days_after_previous=3,
        ),
        PackageItem(
            "mri_review",
            "MRI review with the neurologist",
            timedelta(minutes=30),
            max_days_after_previous=7,
        ),
    ),
    price_minor_units=95_000,
)

SECOND_OPINION = HealthPackage(
    code="second_opinion",
    name="Second opinion package",
    description=(
        "A specialist reviews your reports and images, then discusses the opinion with you "
        "in a consultation within two weeks."
    ),
    items=(
        PackageItem("second_opinion_review", "Review of your records", timedelta(minutes=30)),
        PackageItem(
            "new_consultation",
            "Consultation to discuss the opinion",
            timedelta(minutes=45),
            min_gap_after_previous=timedelta(hours=1),
            max_days_after_previous=14,
        ),
    ),
    price_minor_units=45_000,
)

REHABILITATION_STARTER = HealthPackage(
    code="rehabilitation_starter",
    name="Rehabilitation starter",
    description=(
        "A physiotherapy assessment, a follow-up two to fourteen days later to adjust your "
        "exercises, and a final check within a month."
    ),
    items=(
        PackageItem("physiotherapy_assessment", "Physiotherapy assessment", timedelta(minutes=60)),
        PackageItem(
            "follow_up",
            "Exercise review",
            timedelta(minutes=20),
            min_gap_after_previous=timedelta(days=2),
            max_days_after_previous=14,
        ),
        PackageItem(
            "follow_up",
            "Progress check",
            timedelta(minutes=20),
            min_gap_after_previous=timedelta(days=7),
            max_days_after_previous=30,
        ),
    ),
    price_minor_units=30_000,
)

DEFAULT_CATALOGUE: tuple[HealthPackage, ...] = (
    PLEXOPATHY_DIAGNOSTIC,
    SECOND_OPINION,
    REHABILITATION_STARTER,
)
