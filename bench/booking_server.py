"""The real app under uvicorn in a child process, for the booking benchmark.

Two workers because the machine has two cores: routes are sync and run in each worker's
threadpool, so one worker is held to one core by the GIL. Four workers were tried and were no
faster (more context switches, the same CPU per booking). The workers share the listening
socket; each has its own connection pool (10 + 30 overflow), so 32 clients never wait for one.
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
    base_url: str
    port: int
    pid: int

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children if _is_worker(int(child))]

    def connections_per_worker(self) -> list[int]:
        """Open client connections each worker holds (Linux /proc; empty elsewhere).

        The workers share one listening socket and asyncio accepts in batches, so a burst of
        connections can all land on one worker; this shows whether both cores are serving.
        """
        try:
            established = set()
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == self.port and fields[3] == "01":
                    established.add(fields[9])
            counts = []
            for child in self.worker_pids():
                inodes = {
                    os.readlink(fd).removeprefix("socket:[").removesuffix("]")
                    for fd in Path(f"/proc/{child}/fd").iterdir()
                    if os.readlink(fd).startswith("socket:")
                }
                counts.append(len(inodes & established))
            return counts
        except OSError:
            return []


def _is_worker(pid: int) -> bool:
    """uvicorn's workers, not multiprocessing's resource tracker."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"resource_tracker" not in command


@contextmanager
def running_app(
    database_url: str, settings: Mapping[str, str] | None = None, workers: int = WORKERS
) -> Iterator[RunningApp]:
    """`plexcare.app:create_app` on a free local port, stopped on leaving. `settings` are
    extra `PLEXCARE_*` environment variables for the server process only; `workers` app
    processes share the port, as N app servers behind a proxy share the clients."""
    port = _free_port()
    env = {**os.environ, **(settings or {}), "PLEXCARE_DATABASE_URL": database_url}
    with tempfile.TemporaryDirectory(prefix="plexcare-bench-") as folder:
        log = Path(folder) / "uvicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
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
                    "--workers",
                    str(workers),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                _wait_until_ready(base_url, process, log)
                yield RunningApp(base_url=base_url, port=port, pid=process.pid)
            finally:
                _stop(process)
                errors = [line for line in log.read_text().splitlines() if "Error" in line]
                if errors:
                    print(f"  server log had {len(errors)} error lines, first: {errors[0][:160]}")
