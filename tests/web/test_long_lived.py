"""A server process's start-up heap is frozen out of the cycle collector once, and garbage
made before it is collected, not frozen. Each check runs in a process of its own: freezing is
for the life of a process, and the test process has frozen long ago."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_the_heap_alive_at_start_up_is_frozen_once_and_its_garbage_collected_first() -> None:
    printed = _run(
        """
        import gc, weakref
        from plexcare.web.long_lived import keep_out_of_collection

        class Node:
            pass

        kept = [Node() for _ in range(1000)]
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        keep_out_of_collection()
        first = gc.get_freeze_count()
        more = [Node() for _ in range(1000)]
        keep_out_of_collection()
        print(first >= 1000, gone() is None, gc.get_freeze_count() == first)
        """
    )
    assert printed == "True True True"


def test_the_app_freezes_its_start_up_heap_when_it_starts_serving() -> None:
    printed = _run(
        """
        import gc
        from fastapi.testclient import TestClient
        from plexcare.app import create_app

        app = create_app()
        before = gc.get_freeze_count()
        with TestClient(app):
            during = gc.get_freeze_count()
        print(before, during > 100_000)
        """
    )
    assert printed == "0 True"
