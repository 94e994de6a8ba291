"""The Makefile's install of uv itself: kept once per user (`UV_HOME`), linked from each clone's
`.uv/bin/uv`, and never left half-made.

`make` runs the real rule against a stand-in Python whose `pip install --target DIR` writes a
`DIR/bin/uv` (or fails, when told to) and notes every call, so the tests need no network and no
package cache.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STAND_IN_PYTHON = """#!/bin/sh
echo "$@" >> "$CALLS"
if [ -n "$FAIL" ]; then exit 1; fi
if [ "$1 $2 $3" = "-m pip install" ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = "--target" ]; then target="$2"; fi
    shift
  done
  mkdir -p "$target/bin"
  printf '#!/bin/sh\\necho stand-in uv\\n' > "$target/bin/uv"
  chmod +x "$target/bin/uv"
  exit 0
fi
exit 1
"""


@pytest.fixture
def python(tmp_path: Path) -> Path:
    made = tmp_path / "python"
    made.write_text(STAND_IN_PYTHON)
    made.chmod(made.stat().st_mode | stat.S_IXUSR)
    return made


def _clone(tmp_path: Path, name: str) -> Path:
    checkout = tmp_path / name
    checkout.mkdir()
    shutil.copy(ROOT / "Makefile", checkout / "Makefile")
    return checkout


def _make_uv(
    checkout: Path, python: Path, home: Path, *, fail: bool = False
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CALLS": str(checkout / "calls.log"),
        "FAIL": "1" if fail else "",
    }
    return subprocess.run(
        ["make", "-s", ".uv/bin/uv", f"PYTHON={python}", f"UV_HOME={home}"],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _calls(checkout: Path) -> list[str]:
    log = checkout / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def _left_over(home: Path) -> list[str]:
    """Folders beside the cached uv that a half-done install left (its `mktemp` folders)."""
    return sorted(p.name for p in home.parent.glob(f"{home.name}.*"))


def test_the_first_clone_installs_uv_once_for_the_user_and_links_it(
    tmp_path: Path, python: Path
) -> None:
    home = tmp_path / "cache" / "plexcare" / "uv-pinned"
    checkout = _clone(tmp_path, "first")

    done = _make_uv(checkout, python, home)

    assert done.returncode == 0, done.stderr
    assert (home / "bin" / "uv").is_file()
    link = checkout / ".uv" / "bin" / "uv"
    assert link.is_symlink()
    assert link.resolve() == (home / "bin" / "uv").resolve()
    assert subprocess.run([link], capture_output=True, text=True).stdout == "stand-in uv\n"
    installs = [call for call in _calls(checkout) if call.startswith("-m pip install")]
    assert len(installs) == 1
    assert "uv==" in installs[0]
    assert _left_over(home) == []


def test_another_clone_reuses_the_users_uv_without_pip(tmp_path: Path, python: Path) -> None:
    home = tmp_path / "cache" / "uv-pinned"
    assert _make_uv(_clone(tmp_path, "first"), python, home).returncode == 0
    second = _clone(tmp_path, "second")

    done = _make_uv(second, python, home)

    assert done.returncode == 0, done.stderr
    assert _calls(second) == []
    assert (second / ".uv" / "bin" / "uv").resolve() == (home / "bin" / "uv").resolve()


def test_a_users_uv_folder_without_uv_in_it_is_replaced_whole(tmp_path: Path, python: Path) -> None:
    home = tmp_path / "cache" / "uv-pinned"
    (home / "lib").mkdir(parents=True)
    (home / "lib" / "stale").write_text("from an install that stopped halfway")
    checkout = _clone(tmp_path, "clone")

    done = _make_uv(checkout, python, home)

    assert done.returncode == 0, done.stderr
    assert (home / "bin" / "uv").is_file()
    assert not (home / "lib").exists()
    assert _left_over(home) == []


def test_a_failed_install_fails_make_and_leaves_nothing_behind(
    tmp_path: Path, python: Path
) -> None:
    home = tmp_path / "cache" / "uv-pinned"
    checkout = _clone(tmp_path, "clone")

    done = _make_uv(checkout, python, home, fail=True)

    assert done.returncode != 0
    assert [call.split()[:2] for call in _calls(checkout)] == [["-m", "pip"], ["-m", "venv"]]
    assert not home.exists()
    assert _left_over(home) == []
    assert not (checkout / ".uv" / "bin" / "uv").exists()
