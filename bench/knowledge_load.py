"""How long it takes to read, validate and cross-check the knowledge base from disk.

Start-up of every CLI call and server process pays this once, so it must stay well under a second.
"""

from __future__ import annotations

import statistics
import time

from plexcare.knowledge.loader import load_knowledge_base


def main() -> None:
    load_knowledge_base()  # warm the file cache and imports
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        kb = load_knowledge_base()
        timings.append((time.perf_counter() - started) * 1000)
    print("knowledge base load (read + validate + cross-check, uncached)")
    print(
        f"  entries: {len(kb.muscles)} muscles, {len(kb.disorders)} disorders, "
        f"{len(kb.references)} references, {len(kb.structures)} structures"
    )
    print(f"  median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms over 10 loads")


if __name__ == "__main__":
    main()
