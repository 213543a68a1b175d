"""Process-level tuning of Python's cyclic garbage collector for the Lambda functions (no AWS, no domain).

Two places use it (numbers in docs/decisions.md 18):
- the init phase: `functions/__init__.py`, which Lambda imports before any handler module, calls `begin_init()`;
  each handler module ends with `init_done()`. Importing a function's modules allocates ~120k long-lived objects,
  so the collector ran ~170 times during the read API's init (one full collection among them, ~30 ms of a
  ~255 ms cold start) and found ~700 objects of garbage. `init_done()` freezes what the imports built
  (gc.freeze: never scanned again, which also keeps collections in warm requests short) and resumes collecting.
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

    For a nightly chunk (~1,000 pairs): scoring allocates short-lived objects fast enough that the collector ran
    ~50 times per chunk, full collections included, ~5% of the worker's time, and found ~740 objects of cyclic
    garbage per chunk, which it collects once it runs again. Everything else is freed by reference counting as
    usual, so memory stays bounded by the chunk.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
