"""The two-visit package the package tests book: small enough that a test day of the small
clinic fits it, with the gap and the three-day limit a real work-up has between its visits.

The nerve conduction and EMG visit is the catalogue's own (from the diagnostic package), so the
tests book the gap and limit the clinic offers; only the short consultation is the small
clinic's."""

from __future__ import annotations

from datetime import timedelta

from plexcare.packages.catalogue import PLEXOPATHY_DIAGNOSTIC, HealthPackage
from plexcare.packages.itinerary import PackageItem

_STUDIES = next(item for item in PLEXOPATHY_DIAGNOSTIC.items if item.appointment_type == "emg_ncs")

PLEXUS_WORKUP = HealthPackage(
    code="plexus_workup",
    name="Plexus work-up",
    description="A consultation, then nerve conduction studies and EMG within three days.",
    items=(PackageItem("neuro_consult", "Consultation", timedelta(minutes=30)), _STUDIES),
    price_minor_units=50_000,
)
