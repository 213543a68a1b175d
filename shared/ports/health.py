"""The store's health."""

from __future__ import annotations

from typing import Protocol


class StoreProbe(Protocol):
    """The store's health, from the cheapest call that proves it can serve reads."""

    def ping(self) -> None:
        """Raises StoreUnavailableError when the store cannot answer one small read."""
        ...
