"""Follow-up: outcome scores recorded at visits, and how they change over time."""
