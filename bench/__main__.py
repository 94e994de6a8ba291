"""`make bench`: run every benchmark in this folder that is registered below, in order."""

from __future__ import annotations

import importlib
import importlib.util

from bench.machine import reference

BENCHMARKS = (
    "bench.knowledge_load",
    "bench.localization",
    "bench.assessment",
    "bench.assess_batch",
    "bench.validation",
    "bench.planner",
    "bench.booking",
    "bench.slot_search",
    "bench.outbox",
    "bench.fhir_bundle",
    "bench.report_pdf",
    "bench.cold_start",
)


def main() -> None:
    for name in BENCHMARKS:
        if importlib.util.find_spec(name) is None:
            print(f"{name}: not present, skipped")
            continue
        print(f"== {name}")
        print(reference())
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
