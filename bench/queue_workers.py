"""The rescoring queue's workers for the event-path bench: N warm processes, each running the real
RescoreWorkerFunction handler (functions.rescore_worker.app) on SQS events built from the chunk messages the
stream function queued (the same ChunkMessage bodies SQS would carry), as Lambda's SQS poller runs concurrent
invocations. SQS itself (its latency, polling) is not included, as the stream's polling is not.

EventBridge is a RecordingPublisher in each worker (loopback only); each invocation returns how many ScoreChanged
it published, so the bench can check the alerts name the change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from bench.worker_child import _Context, _sqs_event
from shared.ports import RescoreChunk

_app: Any = None
_publisher: Any = None


def _init(environment: Mapping[str, str]) -> None:
    global _app, _publisher
    os.environ.update(environment)
    # logs and EMF metrics go to stdout, as in Lambda: the cost stays, the noise goes
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    import functions.rescore_worker.app as app
    from tests.fakes import RecordingPublisher

    _publisher = RecordingPublisher()
    setattr(app, "get_publisher", lambda: _publisher)  # noqa: B010  # loopback only: no EventBridge
    _app = app


def _ready() -> int:
    return os.getpid()


def _invoke(body: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One SQS invocation of the worker handler with one chunk: (its answer, the (cause type, id) it published)."""
    before = len(_publisher.events)
    answer = _app.lambda_handler(_sqs_event(body), _Context())
    return answer, [(e.cause_type, e.cause_id) for e in _publisher.events[before:]]


class QueueWorkers:
    """A ChunkQueue whose messages go straight to `workers` warm worker processes; `wait()` returns when every
    chunk sent so far has been processed (raising if a worker reported a failure)."""

    def __init__(self, workers: int, environment: Mapping[str, str]) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init,
                                         initargs=(dict(environment),))  # fmt: skip
        self._pending: list[Future[tuple[dict[str, Any], list[tuple[str, str]]]]] = []
        self.causes: list[tuple[str, str]] = []
        self.chunks = 0
        pids = {self._pool.submit(_ready).result() for _ in range(workers * 4)}
        self.started = len(pids)

    def send_chunks(self, chunks: Sequence[RescoreChunk]) -> None:
        from shared.adapters.messaging import ChunkMessage

        for chunk in chunks:
            self._pending.append(self._pool.submit(_invoke, ChunkMessage.of(chunk).model_dump_json()))
            self.chunks += 1

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            answer, causes = future.result()
            if answer.get("batchItemFailures"):
                raise RuntimeError(f"a queue worker reported failures: {answer}")
            self.causes.extend(causes)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
