"""pydicom is loaded when an upload is checked, not when the app starts: it was the largest
import of a first start (`second_opinions.dicom`), and the app serves every other page
without it. Checked in a fresh interpreter, as `plexcare serve` starts."""

from __future__ import annotations

import subprocess
import sys

LOADED_AFTER = """
import sys
from plexcare.app import create_app
create_app()
print("pydicom" in sys.modules)
from plexcare.second_opinions import dicom
print("pydicom" in sys.modules)
"""


def test_the_app_starts_without_pydicom_and_loads_it_only_to_check_an_upload() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]
