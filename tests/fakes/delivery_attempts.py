"""In-memory webhook attempt log (mixed into InMemoryRiskStore): newest first, paginated like the adapter."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.webhooks import DeliveryAttempt
from shared.ports import Page


@dataclass
class InMemoryDeliveryAttempts:
    """Implements DeliveryAttemptRecorder and DeliveryAttemptHistory."""

    attempts: dict[tuple[str, str], list[DeliveryAttempt]] = field(default_factory=dict)

    def _call(self, name: str) -> None:  # replaced by InMemoryRiskStore's
        raise NotImplementedError

    def _page_attempts(
        self, items: list[DeliveryAttempt], query: object, limit: int, cursor: str | None
    ) -> Page[DeliveryAttempt]:
        raise NotImplementedError

    def record_attempt(self, tenant: str, attempt: DeliveryAttempt) -> None:
        self._call("record_attempt")
        self.attempts.setdefault((tenant, attempt.subscription_id), []).append(attempt)

    def list_attempts(self, tenant: str, subscription_id: str, limit: int, cursor: str | None) -> Page[DeliveryAttempt]:
        self._call("list_attempts")
        newest_first = sorted(
            self.attempts.get((tenant, subscription_id), []),
            key=lambda a: (a.attempted_at, a.delivery_id, a.attempt),
            reverse=True,
        )
        return self._page_attempts(newest_first, ("attempts", tenant, subscription_id), limit, cursor)


def attempt_sort_key(attempt: DeliveryAttempt) -> str:
    return f"{attempt.attempted_at.isoformat()}#{attempt.delivery_id}#{attempt.attempt}"
