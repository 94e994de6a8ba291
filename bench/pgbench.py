"""pgbench's TPC-B-like run on the same server, the yardstick for booking writes.

`bench.booking` runs it right before and right after its book phase, so each booking rate is
set beside the database's own rate of the same minutes (this machine's speed drifts by half
over a day, and by a fifth within a minute or two); `python -m bench.pgbench` prints the
baseline alone.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench import booking_cpu
from bench.booking_setup import admin_dsn, run_admin, scratch_database, server_problem

SCALE = 10
THREADS = 2
"""One pgbench thread per core, as the app gets one worker per core."""


@dataclass(frozen=True)
class PgbenchRun:
    clients: int
    tps: float
    latency_ms: float
    postgres_ms_per_transaction: float | None = None
    """PostgreSQL's own CPU per transaction (Linux /proc; None elsewhere): set beside a
    booking's, it says how much of the gap is the database's work and how much the app's."""


def find_pgbench() -> str | None:
    """`pgbench` on PATH, else Debian's versioned server folder; None when neither exists."""
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def _run(binary: str, *arguments: str) -> str:
    completed = subprocess.run(
        [binary, *arguments], capture_output=True, text=True, check=False, timeout=600
    )
    if completed.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def _run_watching_postgres(binary: str, *arguments: str) -> tuple[str, float | None]:
    """`_run`, with the CPU PostgreSQL spent meanwhile. pgbench's backends end with the run,
    taking their counters with them, so they are sampled while it runs (the last quarter of a
    second of each is missed: under 3 % of a ten-second run)."""
    first = booking_cpu.snapshot([])
    if first is None:
        return _run(binary, *arguments), None
    seen = dict(first.postgres)
    with subprocess.Popen(
        [binary, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        while process.poll() is None:
            time.sleep(0.25)
            now = booking_cpu.snapshot([])
            if now is not None:
                seen.update(now.postgres)
        output, errors = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(arguments)} failed:\n{errors}")
    return output, sum(seen[pid] - first.postgres.get(pid, 0.0) for pid in seen)


def _parse(output: str, clients: int) -> PgbenchRun:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if tps is None or latency is None:
        raise RuntimeError(f"could not read pgbench's output:\n{output}")
    return PgbenchRun(clients=clients, tps=float(tps.group(1)), latency_ms=float(latency.group(1)))


@dataclass(frozen=True)
class TpcB:
    """An initialized pgbench database, run as often as wanted while it exists."""

    binary: str
    dsn: str

    def run(self, *, seconds: int, client_counts: tuple[int, ...]) -> list[PgbenchRun]:
        """One run per client count, each after a checkpoint (so none pays for the dirty pages
        of what ran before it)."""
        runs = []
        for clients in client_counts:
            run_admin("CHECKPOINT")
            arguments = ("-c", str(clients), "-j", str(THREADS), "-T", str(seconds), self.dsn)
            output, database_seconds = _run_watching_postgres(self.binary, *arguments)
            run = _parse(output, clients)
            if database_seconds is not None and run.tps:
                per = 1000 / (run.tps * seconds)
                run = dataclasses.replace(run, postgres_ms_per_transaction=database_seconds * per)
            runs.append(run)
        return runs


@contextmanager
def tpc_b(binary: str) -> Iterator[TpcB]:
    """A scratch database initialized at scale 10, dropped afterwards."""
    with scratch_database(f"plexcare_pgbench_{os.getpid()}") as database:
        dsn = admin_dsn(database)
        _run(binary, "-i", "-s", str(SCALE), "-q", dsn)
        yield TpcB(binary=binary, dsn=dsn)


def main() -> None:
    binary = find_pgbench()
    problem = server_problem()
    if binary is None or problem is not None:
        print(f"pgbench skipped: {problem or 'pgbench is not installed'}")
        return
    with tpc_b(binary) as database_runs:
        runs = database_runs.run(seconds=10, client_counts=(8, 32))
    for run in runs:
        database = run.postgres_ms_per_transaction
        print(
            f"pgbench TPC-B-like, {run.clients} clients: {run.tps:,.0f} tps"
            + (f", PostgreSQL CPU {database:.2f} ms per transaction" if database else "")
        )


if __name__ == "__main__":
    main()
