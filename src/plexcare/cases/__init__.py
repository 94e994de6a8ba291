"""Clinical cases: the one place that joins a patient's stored record with the engine."""
