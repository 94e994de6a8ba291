"""Health packages: several appointments booked together, all or none."""
