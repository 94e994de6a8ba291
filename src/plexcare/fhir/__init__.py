"""HL7 FHIR R4 (4.0.1 resources, validated with fhir.resources' R4B models): a case and its
assessment as a Bundle and back (`bundle`, `case_import`), and the `/fhir` endpoints over
patients, clinicians, schedules, slots and appointments (`routes`)."""
