"""The structured log lines the shared Powertools logger writes during a block (its handler's stream swapped)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.observability import logger


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Yields a list that, after the block, holds every JSON line logged in it (also while the block raised)."""
    handler = logger.registered_handler
    stream = io.StringIO()
    lines: list[dict[str, Any]] = []
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        yield lines
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{"))
