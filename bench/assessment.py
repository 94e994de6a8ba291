"""Speed of the full assessment of one case, and of batch assessment of site and cause.

Targets (issue 11): one full `assess` (joint site and cause with explanations, red flags, next
best tests, work-up, plan) p50 < 2 ms; batch assessment of site and cause >= 20,000 cases/s
from Case objects. The batch is also timed step by step, so the part each module owns shows:
reading the cases into arrays (`observe_batch`), the etiology features, the weighted study
likelihood and the joint posterior. Times are the process's CPU time as well as the wall
clock, since the benchmark machine is shared.

The batch's matrix products run on one thread, as `plexcare assess --batch` runs them: with
OpenBLAS's default threads, the helper thread's spinning while it waits for work counts as the
process's CPU time, and one run of the same 5,000 cases read 19,846 cases/s CPU against
27,509 wall (25,880 CPU and wall on one thread, in the same minute).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plexcare.engine import assess, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.feature_columns import feature_columns
from plexcare.engine.localization import blend_weight
from plexcare.engine.observation_plan import observe_batch
from plexcare.engine.site_and_cause import (
    edx_log_likelihood_batch,
    score_batch,
    site_and_cause_model,
)
from plexcare.knowledge.loader import knowledge_base

ROOT = Path(__file__).parents[1]
CASES = (ROOT / "examples" / "cases", ROOT / "tests" / "engine" / "vignettes")
SINGLE_ROUNDS = 40
BATCH_SIZE = 5_000
SINGLE_TARGET_MS = 2.0
BATCH_TARGET = 20_000
Result = TypeVar("Result")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _timed(run: Callable[[], Result], repeats: int = 3) -> tuple[float, float, Result]:
    """(best CPU seconds, best wall seconds, result) over a few runs."""
    best_cpu, best_wall = float("inf"), float("inf")
    result: Result | None = None
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        result = run()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    assert result is not None
    return best_cpu, best_wall, result


def _single(cases: list[Case]) -> None:
    kb = knowledge_base()
    for case in cases:
        assess(case, kb)  # compile and warm
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    for _ in range(SINGLE_ROUNDS):
        for case in cases:
            cpu, wall = time.process_time(), time.perf_counter()
            assess(case, kb)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            wall_ms.append((time.perf_counter() - wall) * 1000)
    p50 = statistics.median(cpu_ms)
    print(f"assess, one case ({len(cases)} cases x {SINGLE_ROUNDS})")
    print(
        f"  CPU p50 {p50:.2f} ms, p99 {_percentile(cpu_ms, 0.99):.2f} ms; wall p50 "
        f"{statistics.median(wall_ms):.2f} ms  (target p50 < {SINGLE_TARGET_MS:g} ms: "
        f"{'met' if p50 < SINGLE_TARGET_MS else 'NOT met'})"
    )


def _batch(raw: list[dict[str, Any]], cases: list[Case]) -> None:
    with threadpool_limits(limits=1, user_api="blas"):
        _batch_steps(raw, cases)


def _batch_steps(raw: list[dict[str, Any]], cases: list[Case]) -> None:
    kb = knowledge_base()
    model = site_and_cause_model(kb)
    table = model.localization
    batch = [cases[i % len(cases)] for i in range(BATCH_SIZE)]
    assess_batch(batch[:100], kb)
    cpu, wall, _ = _timed(lambda: assess_batch(batch, kb))
    rate = BATCH_SIZE / cpu
    print(f"assess_batch, site and cause, {BATCH_SIZE:,} cases")
    print(
        f"  from Case objects: {rate:,.0f} cases/s CPU, {BATCH_SIZE / wall:,.0f} cases/s wall  "
        f"(target >= {BATCH_TARGET:,}: {'met' if rate >= BATCH_TARGET else 'NOT met'})"
    )
    observe_cpu, _, observed = _timed(
        lambda: observe_batch(batch, table.findings, kb, table.finding_model)
    )
    features_cpu, _, states = _timed(
        lambda: feature_columns(batch, model.etiology.feature_index, kb)
    )
    edx_cpu, _, edx = _timed(lambda: edx_log_likelihood_batch(model, observed))
    counts = (observed.matrix >= 0).sum(axis=1)
    blends = np.array(
        [blend_weight(int(n), c.days_since_onset) for n, c in zip(counts, batch, strict=True)]
    )
    imaging = [case.imaging for case in batch]
    joint_cpu, _, _ = _timed(
        lambda: score_batch(model, edx, observed.background_priors, states, imaging, blends)
    )
    for step, seconds in (
        ("cases to finding arrays (observe_batch)", observe_cpu),
        ("etiology features", features_cpu),
        ("weighted study likelihood", edx_cpu),
        ("joint posterior and marginals", joint_cpu),
    ):
        print(f"  {step}: {BATCH_SIZE / seconds:,.0f} cases/s CPU")
    own = features_cpu + edx_cpu + joint_cpu
    print(f"  site and cause after the finding arrays: {BATCH_SIZE / own:,.0f} cases/s CPU")
    batch_raw = [raw[i % len(raw)] for i in range(BATCH_SIZE)]
    parsed, _, _ = _timed(
        lambda: assess_batch([Case.model_validate(item) for item in batch_raw], kb), 1
    )
    print(f"  with case validation from dicts included: {BATCH_SIZE / parsed:,.0f} cases/s CPU")


def main() -> None:
    raw: list[dict[str, Any]] = [
        yaml.safe_load(path.read_text())
        for folder in CASES
        for path in sorted(folder.glob("*.yaml"))
    ]
    cases = [Case.model_validate(item) for item in raw]
    _single(cases)
    _batch(raw, cases)


if __name__ == "__main__":
    main()
