"""Python's cycle collector held while a command builds many objects that it keeps.

The collector starts a pass every few hundred new objects, and its older generations walk
everything kept so far, again and again as the heap grows. Two commands build big heaps of
long-lived objects with no garbage cycles worth collecting on the way:
- `assess --batch`: tens of thousands of cases and rows; measured, the collector took three
  quarters of the time of reading cases;
- `serve`, from its imports to the app: the modules, models, routes and templates the server
  keeps for its life; measured, the first page of `make run` came 0.25-0.3 s sooner (2.6 s ->
  2.4 s) without the passes. The server collects once, then freezes that heap as it starts
  serving (`web.long_lived`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """The collector off within, and back as it was after (nothing is lost: what is kept is
    collected, if ever, by the next pass)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
