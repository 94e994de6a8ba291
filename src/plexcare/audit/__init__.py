"""The audit log: every read and write of patient data, who did it, when and from where."""
