"""The CDS Services plexcare offers (`GET /cds-services`) and the prefetch each asks for."""

from __future__ import annotations

from plexcare.cds_hooks.schemas import ServiceDefinition

PATIENT_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
}
"""What the EHR sends with the call, in FHIR search syntax: the patient (sex, birth date),
their problem list (diabetes, cancer) and their observations (exam, nerve conduction, EMG,
labs), from which the service builds a case."""

PATIENT_VIEW = "plexcare-plexopathy-review"
APPOINTMENT_BOOK = "plexcare-appointment-advice"

SERVICES = (
    ServiceDefinition(
        hook="patient-view",
        id=PATIENT_VIEW,
        title="Lumbosacral plexopathy review",
        description=(
            "Red flags that need action now (cauda equina, bleeding on anticoagulation, "
            "infection, cancer), and, when the record holds enough findings, where the lesion "
            "is and what likely causes it, with the next test to do."
        ),
        prefetch=PATIENT_PREFETCH,
        usageRequirements="Call with a bearer token of a plexcare clinician or administrator.",
    ),
    ServiceDefinition(
        hook="appointment-book",
        id=APPOINTMENT_BOOK,
        title="Appointment type and urgency",
        description=(
            "Suggests the appointment type (a nerve conduction and EMG study when the work-up "
            "calls for one) and how soon the patient should be seen."
        ),
        prefetch=PATIENT_PREFETCH,
        usageRequirements=(
            "Call with a bearer token of a plexcare clinician, front desk or administrator."
        ),
    ),
)


def service(service_id: str) -> ServiceDefinition | None:
    return next((found for found in SERVICES if found.id == service_id), None)
