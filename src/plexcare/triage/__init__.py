"""Triage-aware booking: the patient self-check decides how soon, and with whom, to book."""
