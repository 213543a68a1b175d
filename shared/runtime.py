"""Process-level tuning of Python's cyclic garbage collector for the Lambda functions (no AWS, no domain).

Two places use it (why in docs/decisions.md 18, numbers in docs/performance.md):
- the init phase: `functions/__init__.py`, which Lambda imports before any handler module, calls `begin_init()`;
  each handler module ends with `init_done()`. Importing a function's modules allocates many long-lived objects
  and almost no garbage, so every collection during the init scans objects that will live as long as the
  process. `init_done()` freezes what the imports built (gc.freeze: never scanned again, which also keeps
  collections in warm requests short) and resumes collecting.
- a nightly chunk: the worker scores each one inside `gc_paused()`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def begin_init() -> None:
    """First thing a function's import does: no collections while its modules load."""
    gc.disable()


def init_done() -> None:
    """Call once, at the end of a handler module: the init phase is over, collect garbage normally again."""
    gc.freeze()
    gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off for one bounded unit of work, then back as it was.

    For a nightly chunk: scoring allocates short-lived objects fast enough to set the collector off again and
    again (full collections included) for little cyclic garbage, which it collects once it runs again after the
    chunk. Everything else is freed by reference counting as usual, so memory stays bounded by the chunk.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
