"""The two-visit package the package tests book: small enough that a test day of the small
clinic fits it, with the gap and the three-day limit a real work-up has between its visits."""

from __future__ import annotations

from datetime import timedelta

from plexcare.packages.catalogue import HealthPackage
from plexcare.packages.itinerary import PackageItem

PLEXUS_WORKUP = HealthPackage(
    code="plexus_workup",
    name="Plexus work-up",
    description="A consultation, then nerve conduction studies and EMG within three days.",
    items=(
        PackageItem("neuro_consult", "Consultation", timedelta(minutes=30)),
        PackageItem(
            "emg_ncs",
            "Nerve conduction studies and EMG",
            timedelta(minutes=60),
            min_gap_after_previous=timedelta(minutes=15),
            max_days_after_previous=3,
        ),
    ),
    price_minor_units=50_000,
)
