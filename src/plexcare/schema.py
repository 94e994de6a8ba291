"""The whole relational schema in one place: importing every ORM module registers its tables
on `Base.metadata`, which Alembic and the tests compare against the migrations."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "plexcare.accounts.models",
    "plexcare.audit.models",
    "plexcare.clinic.models",
    "plexcare.scheduling.models",
    "plexcare.notifications.models",
    "plexcare.cases.models",
    "plexcare.triage.models",
    "plexcare.second_opinions.models",
    "plexcare.callbacks.models",
    "plexcare.packages.models",
    "plexcare.followup.models",
    "plexcare.case_drafts.models",
)


def load_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
