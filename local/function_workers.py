"""Each function in its own worker processes, as Lambda runs each function in its own execution environments.

`FunctionWorkers.invoke(spec, event)` hands the event to an idle worker process of that function (a
`python -m local.lambda_worker`, see there), starting one if none is idle and the function has fewer than
`concurrency` workers, else waiting for one to be free. A worker imports its handler once and then serves one
invocation at a time (a warm Lambda container), so:

- functions never wait for each other: the local API keeps answering while the stream poller's
  StreamRescoreFunction rescores thousands of pairs (before, one lock in one process serialised every handler);
- the handlers' module-level state (Powertools' resolver, BatchProcessor, Logger, Metrics, cached clients) is
  per process, as in Lambda, never shared between concurrent invocations;
- events and results cross as JSON, as they do in Lambda.

A handler that raises is a `FunctionError` (with the worker's traceback); a worker that dies is a
`WorkerCrashedError`; both leave the other workers alone. `prewarm()` starts one worker per function without
waiting for its imports. `close()` stops every worker (closes its socket; SIGTERM, then SIGKILL); a worker whose
parent dies sees its socket close and exits, so nothing is left behind. Workers run in their own session: Ctrl-C
reaches only the parent, which stops them in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess  # starts `python -m local.lambda_worker` with a fixed argument list, no shell  # nosec B404
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import IO, Any

from local.lambda_worker import encode
from tooling.sam_template import REPO_ROOT, FunctionSpec

DEFAULT_CONCURRENCY = 2
CONCURRENCY_ENV = "LOCAL_FUNCTION_CONCURRENCY"


class FunctionError(RuntimeError):
    """The handler raised (or could not be imported) in its worker; `stack_trace` is the worker's traceback."""

    def __init__(self, function: str, error: Mapping[str, Any]):
        self.function = function
        self.error_type = str(error.get("errorType", "Error"))
        self.error_message = str(error.get("errorMessage", ""))
        self.stack_trace = "".join(str(line) for line in error.get("stackTrace") or [])
        super().__init__(f"{function}: {self.error_type}: {self.error_message}")


class WorkerCrashedError(RuntimeError):
    """A worker process ended in the middle of an invocation (killed, crashed, or stopped with the stack)."""


def default_concurrency() -> int:
    """$LOCAL_FUNCTION_CONCURRENCY (worker processes per function), else 2."""
    value = os.environ.get(CONCURRENCY_ENV, "")
    return max(1, int(value)) if value.isdigit() else DEFAULT_CONCURRENCY


class _Worker:
    """One worker process and its end of the socket."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]):
        self.spec = spec
        parent_end, child_end = socket.socketpair()
        try:
            self.process = subprocess.Popen(  # fixed argv, no shell  # nosec B603
                [sys.executable, "-m", "local.lambda_worker", str(child_end.fileno())],
                pass_fds=(child_end.fileno(),),
                env=dict(environment),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C goes to the parent only
            )
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        self._socket = parent_end
        self._reader: IO[bytes] = parent_end.makefile("rb")
        self._writer: IO[bytes] = parent_end.makefile("wb")
        self._ready = False
        self._send({"handler": spec.handler, "sys_path": [p for p in sys.path if p]})

    def _send(self, document: Any) -> None:
        try:
            self._writer.write(encode(document))
            self._writer.flush()
        except (OSError, ValueError) as exc:  # ValueError: closed meanwhile
            raise WorkerCrashedError(self._crash_message()) from exc

    def _receive(self) -> dict[str, Any]:
        try:
            line = self._reader.readline()
        except (OSError, ValueError) as exc:  # ValueError: closed meanwhile
            raise WorkerCrashedError(self._crash_message()) from exc
        if not line:
            raise WorkerCrashedError(self._crash_message())
        document = json.loads(line)
        if not isinstance(document, dict):
            raise WorkerCrashedError(f"{self.spec.logical_id} worker sent {line[:200]!r}")
        return document

    def _crash_message(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        return f"{self.spec.logical_id}'s worker process (pid {self.process.pid}) ended (exit code {code})"

    def invoke(self, event: Any, request_id: str | None) -> Any:
        if not self._ready:
            reply = self._receive()
            if "init_error" in reply:
                raise FunctionError(self.spec.logical_id, reply["init_error"])
            self._ready = True
        self._send(
            {
                "event": event,
                "request_id": request_id,
                "function_name": self.spec.logical_id,
                "memory_mb": self.spec.memory_mb,
                "timeout_s": self.spec.timeout_s,
            }
        )
        reply = self._receive()
        if "error" in reply:
            raise FunctionError(self.spec.logical_id, reply["error"])
        return reply.get("result")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, timeout_s: float = 5.0) -> None:
        """SIGTERM (SIGKILL after timeout_s), then close the socket. A thread waiting for this worker's reply
        sees the end of the stream and raises WorkerCrashedError."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_s)
        with contextlib.suppress(OSError):  # already closed
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()  # the reader/writer files close when the waiting thread (if any) drops them


class _Pool:
    """The workers of one function: up to `concurrency`, started on demand, reused while alive."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], concurrency: int):
        self.spec = spec
        self.environment = {
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }
        self.concurrency = concurrency
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._changed = threading.Condition()
        self._closed = False

    def _checkout(self) -> _Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise WorkerCrashedError(f"{self.spec.logical_id}: the local stack is stopping")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._all.discard(worker)
                if len(self._all) < self.concurrency:
                    worker = _Worker(self.spec, self.environment)
                    self._all.add(worker)
                    return worker
                self._changed.wait()

    def _checkin(self, worker: _Worker) -> None:
        with self._changed:
            if self._closed or not worker.alive:
                self._all.discard(worker)
                if not self._closed:
                    worker.close()
            else:
                self._idle.append(worker)
            self._changed.notify()

    def invoke(self, event: Any, request_id: str | None) -> Any:
        worker = self._checkout()
        try:
            return worker.invoke(event, request_id)
        except WorkerCrashedError:
            worker.close()
            raise
        finally:
            self._checkin(worker)

    def prewarm(self) -> None:
        with self._changed:
            if not self._all and not self._closed:
                worker = _Worker(self.spec, self.environment)
                self._all.add(worker)
                self._idle.append(worker)

    @property
    def pids(self) -> list[int]:
        with self._changed:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:  # busy ones too: their invocation ends with WorkerCrashedError
            worker.close()


class FunctionWorkers:
    """Worker processes per function for one local stack (or one local API). Thread-safe; `close()` when done."""

    def __init__(self, environment: Mapping[str, str] | None = None, *, concurrency: int | None = None):
        #: variables on top of os.environ (as it is when a worker starts) for every worker
        self.environment = dict(environment or {})
        self.concurrency = concurrency or default_concurrency()
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self, spec: FunctionSpec) -> _Pool:
        with self._lock:
            if self._closed:
                raise WorkerCrashedError(f"{spec.logical_id}: the local stack is stopping")
            pool = self._pools.get(spec.logical_id)
            if pool is None or pool.spec != spec:
                pool = _Pool(spec, {**os.environ, **self.environment}, self.concurrency)
                self._pools[spec.logical_id] = pool
            return pool

    def invoke(self, spec: FunctionSpec, event: Any, *, request_id: str | None = None) -> Any:
        """Run the function's handler on `event` in one of its workers; its result (FunctionError if it raised)."""
        return self._pool(spec).invoke(event, request_id)

    def prewarm(self, specs: Iterable[FunctionSpec]) -> None:
        """Start one worker per function now; their imports run in the background (the first call waits)."""
        for spec in specs:
            self._pool(spec).prewarm()

    def pids(self) -> dict[str, list[int]]:
        """The worker processes running now, per function."""
        with self._lock:
            pools = dict(self._pools)
        return {name: pool.pids for name, pool in pools.items()}

    def close(self) -> None:
        """Stop every worker (those in an invocation too). Safe to call twice."""
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()
