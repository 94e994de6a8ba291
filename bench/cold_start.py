"""A fresh clone's `make run`: seconds from the command to the first page answered.

The clone is made from this checkout's HEAD into a temporary folder, so nothing of the working
copy's environment (`.venv`, `.uv`, the database) is reused; only the caches kept per user are,
as on any developer's machine after a first install: the packages (uv's and pip's caches) and
uv itself (the Makefile's `UV_HOME`). Issue 14's target: under 15 seconds.

"Before" is the same measurement on the last commit that installed with pip (the parent of the
commit that replaced `requirements.lock` by `uv.lock`), from pip's own cache.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def first_page_seconds(checkout: Path) -> float:
    """Run `make run` in `checkout` and wait for its home page; the server is stopped after."""
    port = _free_port()
    environment = {**os.environ, "PLEXCARE_DATABASE_URL": f"sqlite:///{checkout}/var/cold.db"}
    start = time.perf_counter()
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=checkout,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not _answers(f"http://127.0.0.1:{port}/"):
            if process.poll() is not None:
                raise RuntimeError(f"make run exited with {process.returncode}")
            if time.perf_counter() - start > TIMEOUT:
                raise RuntimeError("no first page within five minutes")
            time.sleep(0.1)
        return time.perf_counter() - start
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def clone_seconds(commit: str) -> float:
    """First-page seconds of a fresh clone of this repository, checked out at `commit`."""
    with tempfile.TemporaryDirectory(prefix="plexcare-cold-") as folder:
        checkout = Path(folder) / "plexcare"
        _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(checkout))
        _git("checkout", "--quiet", commit, cwd=checkout)
        return first_page_seconds(checkout)


def main() -> None:
    uv_since = _git("rev-list", "-1", "HEAD", "--", "requirements.lock")
    if uv_since:
        before = clone_seconds(f"{uv_since}^")
        print(
            f"cold make run before (pip, {uv_since[:7]}^, pip's cache warm): first page after "
            f"{before:.1f} s"
        )
    after = clone_seconds(_git("rev-parse", "HEAD"))
    print(
        f"cold make run now (uv, HEAD, uv's cache warm): first page after {after:.1f} s "
        f"(target < 15 s: {'met' if after < 15 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
