"""Case drafts: a case prepared outside the case form (from an EHR's SMART launch) and kept on
the server under a random id, so the form opens it by id and no patient data travels in a URL."""
