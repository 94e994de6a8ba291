"""`make bench`, validation section: the engine on the validation vignettes and calibration.

Prints what `plexcare validate --synthetic 3000` prints: top-1 localization (site and side),
plexopathy agreement, cause in the top two, red-flag recall and confident-and-wrong answers on
the validation vignettes (targets: 90 %, 100 %, 85 %, 100 %, none), their reliability, and the
calibration of site, cause and plexopathy on 3,000 held-out synthetic cases drawn from the
richer generative model, before and after the knowledge base's tempering.

`python -m bench.validation --fit` refits the tempering on a separate synthetic training set
(seed 11) over the grid below and prints the best exponents and their held-out figures; a
clinician copies them into `site_and_cause.yaml` with the note of what they changed.
"""

from __future__ import annotations

import sys
import time
from itertools import product
from pathlib import Path

import numpy as np

from plexcare.cli.validate import (
    TABLE,
    read_table,
    report_lines,
    synthetic_calibration,
    synthetic_lines,
    validate_vignettes,
)
from plexcare.engine.calibration import evaluate, fit_tempering
from plexcare.engine.site_and_cause import Tempering, parts, site_and_cause_model
from plexcare.engine.synthetic_cases import draw_cases
from plexcare.engine.validation import summarise
from plexcare.knowledge.loader import knowledge_base

ROOT = Path(__file__).parents[1]
HELD_OUT = 3_000
TRAINING = 3_000
TRAINING_SEED = 11
GRID = {
    "electrodiagnosis": (0.4, 0.55, 0.7, 0.85, 1.0),
    "history": (0.7, 0.85, 1.0),
    "imaging": (0.85, 1.0),
    "within_end_organ": (0.0, 0.3, 0.5, 0.7),
    "within_nerve": (0.0, 0.2, 0.4, 0.6),
}


def fit() -> None:
    kb = knowledge_base()
    model = site_and_cause_model(kb)
    cases = draw_cases(model, kb, np.random.default_rng(TRAINING_SEED), TRAINING)
    scored = [parts(model, case.evidence) for case in cases]
    sites, causes = [c.site for c in cases], [c.cause for c in cases]
    grid = [Tempering(*values) for values in product(*GRID.values())]
    started = time.perf_counter()
    best = fit_tempering(model, scored, sites, causes, grid)
    print(
        f"fitted over {len(grid)} points in {time.perf_counter() - started:.0f} s: {best.tempering}"
    )
    print(f"  training joint log loss {best.joint_log_loss:.3f}")
    plain = evaluate(model, scored, sites, causes, Tempering(1.0, 1.0, 1.0))
    print(f"  training joint log loss untempered {plain.joint_log_loss:.3f}")


def main() -> None:
    kb = knowledge_base()
    started = time.perf_counter()
    results = validate_vignettes(read_table(ROOT / TABLE), ROOT, kb)
    for line in report_lines(summarise(results), results):
        print(line)
    for line in synthetic_lines(*synthetic_calibration(kb, HELD_OUT)):
        print(line)
    print(f"(validation and calibration took {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    if "--fit" in sys.argv[1:]:
        fit()
    else:
        main()
