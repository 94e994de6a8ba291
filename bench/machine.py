"""How fast the machine is right now, printed before each benchmark of `make bench`.

The machines these benchmarks run on are shared: within one session a fixed loop took 2.1 s
of CPU at one moment and 3.3 s a few minutes later, and while one benchmark ran the host took
back almost half the CPU time. Absolute targets (cases/s, p99 ms) read differently in such
phases, so each benchmark is headed by a fixed reference workload's CPU time and the share of
CPU time the host stole (`steal` in /proc/stat) while it ran on every core.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

ADDITIONS = 5_000_000
"""The reference workload: a pure-Python loop of this many additions (about half a second
of one core on a quick machine)."""


def _loop(_: int = 0) -> float:
    """CPU seconds of the reference loop."""
    started = time.process_time()
    total = 0
    for number in range(ADDITIONS):
        total += number
    return time.process_time() - started


def _cpu_times() -> list[int] | None:
    """The machine's CPU times (user, nice, system, idle, iowait, irq, softirq, steal...)."""
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return None
    return [int(part) for part in line.split()[1:]]


def reference() -> str:
    """The reference loop's CPU time on one core alone, and with every core running it, and
    the share of CPU time stolen by the host meanwhile."""
    alone = _loop()
    before = _cpu_times()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        together = max(pool.map(_loop, range(cores)))
    after = _cpu_times()
    stolen = ""
    if before is not None and after is not None and len(before) > 7:
        spent = [now - then for now, then in zip(after, before, strict=True)]
        stolen = f", {100 * spent[7] / max(sum(spent), 1):.0f} % of CPU time stolen by the host"
    return (
        f"machine: reference loop {alone:.2f} s CPU alone, {together:.2f} s on each of "
        f"{cores} cores at once{stolen}"
    )


if __name__ == "__main__":
    print(reference())
