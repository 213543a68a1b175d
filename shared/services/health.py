"""The health check's view of the data store: one cheap read, remembered briefly.

A health check is public and may be polled by load balancers, monitors and anyone else: remembering the answer
for a few seconds per container bounds what it costs the store, however often it is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.domain.errors import StoreUnavailableError
from shared.ports import StoreProbe

#: how long one container trusts its last look at the store
HEALTH_CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class StoreStatus:
    available: bool
    cause: str | None  # why the store is unavailable (for the log, never the response)
    fresh: bool  # this call probed the store (False: the remembered answer)


@dataclass
class StoreHealth:
    """Probes the store at most once per `ttl_seconds` for the same probe (a new store client probes at once)."""

    ttl_seconds: float = HEALTH_CACHE_SECONDS
    clock: Callable[[], float] = time.monotonic
    _probe: StoreProbe | None = field(default=None, repr=False)
    _checked_at: float = 0.0
    _status: StoreStatus | None = None

    def check(self, probe: StoreProbe, ttl_seconds: float | None = None) -> StoreStatus:
        now = self.clock()
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        if self._status is not None and probe is self._probe and now - self._checked_at < ttl:
            return StoreStatus(self._status.available, self._status.cause, fresh=False)
        try:
            probe.ping()
            status = StoreStatus(available=True, cause=None, fresh=True)
        except StoreUnavailableError as exc:
            status = StoreStatus(available=False, cause=exc.message, fresh=True)
        self._probe, self._checked_at, self._status = probe, now, status
        return status
