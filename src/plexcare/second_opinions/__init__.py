"""Second opinions: a patient's question and reports, reviewed and answered by a clinician."""
