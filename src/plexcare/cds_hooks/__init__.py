"""CDS Hooks 2.0: plexcare called from inside an EHR (discovery, services, feedback)."""
