"""Parsed reference items and scores kept across requests of a warm function, keyed by their stored `doc` string.

A read route re-reads the same items on every request (a portfolio's 776 scores and 787 dependencies, the
catalogue, governance and signals). Parsing each `doc` again costs pydantic validation and, worse, gives new objects
every time, so the scoring's identity-keyed caches (digests, per-material terms) miss on every request. Here an item
whose `doc` string is the one parsed before comes back as the same (frozen) object: no validation, and the
identity caches hit. A changed item has a different `doc` and is parsed afresh; nothing is ever invalidated by
hand. Bounded: past `MAX_CHARS` characters of cached documents the least recently used go (decision 84).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar, cast

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

#: total characters of the cached documents. A parsed model takes ~8 bytes per character of its JSON (measured on the
#: dependency items), so ~55 MB at most with the strings, of a read function's 512 MB; it holds a 1,000-line
#: portfolio's working set (~3.3 M characters: its scores and dependencies, the catalogue, governance, signals)
MAX_CHARS = 6_000_000


class ParsedDocs:
    """(model class, doc) -> the model parsed from it; least recently used first out, thread-safe (a route
    reads the national scores in a thread while it reads the dependencies)."""

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self._max_chars = max_chars
        self._chars = 0
        self._entries: OrderedDict[tuple[type[BaseModel], str | bytes], BaseModel] = OrderedDict()
        self._lock = threading.Lock()

    def parse(self, model: type[M], doc: str | bytes, load: Callable[[bytes], M] | None = None) -> M:
        """The model parsed from `doc` (a JSON string, or bytes that `load` turns into the model)."""
        key = (model, doc)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is not None:
            return cast(M, hit)  # keyed by its class
        parsed = load(doc) if load is not None and isinstance(doc, bytes) else model.model_validate_json(doc)
        with self._lock:
            if key not in self._entries:
                self._chars += len(doc)
            self._entries[key] = parsed
            while self._chars > self._max_chars and self._entries:
                (_, old), _ = self._entries.popitem(last=False)
                self._chars -= len(old)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._entries)


#: one per process (a Lambda execution environment): every repository of the table shares it
PARSED = ParsedDocs()
#: portfolios by their gzipped document: a 1,000-line portfolio is ~30 KB compressed and ~1 MB parsed, so the bound
#: (compressed bytes) is smaller
PORTFOLIOS = ParsedDocs(max_chars=500_000)
