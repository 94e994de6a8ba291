"""Speed of the full assessment of one case, and of batch localization + etiology.

Targets (issue 3): one full `assess` (localization, etiology with explanations, red flags, next
best tests, work-up, plan) p50 < 5 ms; batch localization + etiology >= 5,000 cases/s.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from plexcare.engine import assess, assess_batch
from plexcare.engine.case import Case
from plexcare.knowledge.loader import knowledge_base

EXAMPLES = Path(__file__).parents[1] / "examples" / "cases"
SINGLE_ROUNDS = 100
BATCH_SIZE = 5_000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    kb = knowledge_base()
    raw: list[dict[str, Any]] = [
        yaml.safe_load(path.read_text()) for path in sorted(EXAMPLES.glob("*.yaml"))
    ]
    cases = [Case.model_validate(item) for item in raw]
    for case in cases:
        assess(case, kb)  # compile and warm
    timings: list[float] = []
    for _ in range(SINGLE_ROUNDS):
        for case in cases:
            started = time.perf_counter()
            assess(case, kb)
            timings.append((time.perf_counter() - started) * 1000)
    p50, p99 = statistics.median(timings), _percentile(timings, 0.99)
    print(f"assess, one case ({len(cases)} examples x {SINGLE_ROUNDS})")
    print(
        f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms  (target p50 < 5 ms: "
        f"{'met' if p50 < 5 else 'NOT met'})"
    )

    batch_raw = [raw[i % len(raw)] for i in range(BATCH_SIZE)]
    batch_cases = [cases[i % len(cases)] for i in range(BATCH_SIZE)]
    assess_batch(batch_cases[:100], kb)
    started = time.perf_counter()
    assess_batch(batch_cases, kb)
    scored = time.perf_counter() - started
    started = time.perf_counter()
    assess_batch([Case.model_validate(item) for item in batch_raw], kb)
    parsed = time.perf_counter() - started
    print(f"assess_batch, localization + etiology, {BATCH_SIZE:,} cases")
    rate = BATCH_SIZE / scored
    print(
        f"  from Case objects: {rate:,.0f} cases/s  "
        f"(target >= 5,000: {'met' if rate >= 5000 else 'NOT met'})"
    )
    print(f"  with case validation from dicts included: {BATCH_SIZE / parsed:,.0f} cases/s")


if __name__ == "__main__":
    main()
