"""The real app under uvicorn, as N app servers on one database, for the booking benchmark.

Each app process is a uvicorn of its own on its own port, as docs/deploy.md runs N app servers
behind a proxy, and the benchmark's clients are dealt to them in turn, as the proxy's round
robin deals connections. One uvicorn with `--workers N` shares one listening socket instead,
and whichever worker wakes first accepts a burst of connections: runs ended with 25 clients on
one core and 7 on the other, the busy one's queue setting the p99. Two processes by default,
because the machine has two cores; each has its own connection pools.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

WORKERS = 2
START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer /health in {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (the master and its workers), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@dataclass(frozen=True)
class RunningApp:
    ports: list[int]
    pids: list[int]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    @property
    def port(self) -> int:
        return self.ports[0]

    def port_for(self, client: int) -> int:
        """The app server the proxy's round robin gives the `client`-th connection."""
        return self.ports[client % len(self.ports)]

    def worker_pids(self) -> list[int]:
        return list(self.pids)

    def connections_per_worker(self) -> list[int]:
        """Open client connections each app server holds (Linux /proc; empty elsewhere)."""
        try:
            established: dict[int, int] = dict.fromkeys(self.ports, 0)
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                fields = line.split()
                port = int(fields[1].split(":")[1], 16)
                if port in established and fields[3] == "01":
                    established[port] += 1
            return [established[port] for port in self.ports]
        except OSError:
            return []


def _start(port: int, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "plexcare.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def running_app(
    database_url: str, settings: Mapping[str, str] | None = None, workers: int = WORKERS
) -> Iterator[RunningApp]:
    """`workers` app servers of `plexcare.app:create_app` on free local ports, stopped on
    leaving. `settings` are extra `PLEXCARE_*` environment variables for the servers only."""
    env = {**os.environ, **(settings or {}), "PLEXCARE_DATABASE_URL": database_url}
    ports = [_free_port() for _ in range(workers)]
    with tempfile.TemporaryDirectory(prefix="plexcare-bench-") as folder:
        logs = [Path(folder) / f"uvicorn-{port}.log" for port in ports]
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for port, log in zip(ports, logs, strict=True):
                processes.append(_start(port, env, log))
            for port, log, process in zip(ports, logs, processes, strict=True):
                _wait_until_ready(f"http://127.0.0.1:{port}", process, log)
            yield RunningApp(ports=ports, pids=[process.pid for process in processes])
        finally:
            for process in processes:
                _stop(process)
            errors = [
                line
                for log in logs
                if log.exists()
                for line in log.read_text().splitlines()
                if "Error" in line
            ]
            if errors:
                print(f"  server logs had {len(errors)} error lines, first: {errors[0][:160]}")
