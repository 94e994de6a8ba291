"""Where the machine's CPU time went during a phase: app workers, PostgreSQL, the load
generator, and everything else (other jobs on a shared machine).

A booking rate means little without this on a two-core box where the server, the database and
the clients compete for the same cores. Read from Linux's /proc; elsewhere the split is omitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    workers: float
    postgres: dict[int, float]
    clients: float
    machine: float


@dataclass(frozen=True)
class CpuSplit:
    workers: float
    postgres: float
    clients: float
    other: float
    seconds: float

    def describe(self, bookings: int) -> str:
        per = 1000 / bookings if bookings else 0.0
        cores = f"{(self.workers + self.postgres + self.clients + self.other) / self.seconds:.1f}"
        return (
            f"CPU per booking: app {self.workers * per:.1f} ms, PostgreSQL "
            f"{self.postgres * per:.1f} ms, load generator {self.clients * per:.1f} ms; "
            f"other jobs used {self.other / self.seconds:.0%} of a core ({cores} cores busy)"
        )


def snapshot(worker_pids: list[int]) -> CpuSnapshot | None:
    if not Path("/proc/stat").exists():
        return None
    return CpuSnapshot(
        workers=sum(_process_seconds(pid) for pid in worker_pids),
        postgres={pid: _process_seconds(pid) for pid in _postgres_pids()},
        clients=_process_seconds(os.getpid()),
        machine=_machine_busy_seconds(),
    )


def split(before: CpuSnapshot | None, after: CpuSnapshot | None, seconds: float) -> CpuSplit | None:
    """CPU seconds between two snapshots; PostgreSQL backends that started in between count
    from zero."""
    if before is None or after is None:
        return None
    workers = after.workers - before.workers
    postgres = sum(now - before.postgres.get(pid, 0.0) for pid, now in after.postgres.items())
    clients = after.clients - before.clients
    machine = after.machine - before.machine
    return CpuSplit(
        workers=workers,
        postgres=postgres,
        clients=clients,
        other=max(0.0, machine - workers - postgres - clients),
        seconds=seconds,
    )
