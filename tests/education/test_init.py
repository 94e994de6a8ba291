"""The education package's public surface is just its router."""

from __future__ import annotations

import plexcare.education
from plexcare.education.pages import router


def test_the_education_package_exports_only_its_router() -> None:
    assert plexcare.education.__all__ == ["router"]
    assert plexcare.education.router is router
