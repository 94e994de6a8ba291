"""The homes people start from after signing in: the patient's own page (`/me`), and the
clinician's worklist and patient chart. They gather what several areas hold (appointments,
cases, follow-up visits, self-check results), so they sit above those areas and only read."""
