"""Process-level tuning for the Lambda functions' hot paths (no AWS, no domain)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one bounded unit of work, then back as it was.

    For a nightly chunk (~1,000 pairs): scoring allocates short-lived objects fast enough that the collector ran
    ~50 times per chunk, full collections included, ~5% of the worker's time, and found ~740 objects of cyclic
    garbage per chunk, which it collects once it runs again. Everything else is freed by reference counting as
    usual, so memory stays bounded by the chunk (docs/decisions.md 18).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
