"""The batch's reader (the case model's twin and its tables, `threadpoolctl`) is imported for
`assess --batch` only: every other `plexcare` command would pay for it at start-up. Checked in
a fresh interpreter, as the command starts."""

from __future__ import annotations

import subprocess
import sys

LOADED_AFTER = """
import sys
import plexcare.cli.main
print("plexcare.engine.case_data" in sys.modules, "threadpoolctl" in sys.modules)
import plexcare.cli.assess_batch
print("plexcare.engine.case_data" in sys.modules, "threadpoolctl" in sys.modules)
"""


def test_plexcare_starts_without_the_batch_reader_and_loads_it_for_a_batch() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False", "True", "True"]
