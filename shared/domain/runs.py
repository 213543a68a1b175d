"""The rescoring-run status rule: a run's status follows from its chunk counters (stores keep counters only)."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"


def run_status(chunks_total: int, chunks_done: int, chunks_failed: int) -> RunStatus:
    """Running until every chunk is counted done or failed; completed with failures if any failed."""
    if chunks_done + chunks_failed < chunks_total:
        return RunStatus.RUNNING
    return RunStatus.COMPLETED if chunks_failed == 0 else RunStatus.COMPLETED_WITH_FAILURES
