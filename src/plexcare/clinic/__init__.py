"""The clinic itself: clinicians and their specialties, rooms and machines, appointment types
and weekly availability."""
