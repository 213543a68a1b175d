"""A fresh process running ONE nightly chunk through the real worker handler (bench.nightly starts it).

    python -m bench.worker_child '<ChunkMessage JSON>'

The environment (the RescoreWorkerFunction's, pointed at DynamoDB Local) comes from the parent. Prints
`BENCH_RESULT {json}`: RSS after the imports and, on Linux, the peak RSS of the chunk alone (VmHWM, reset through
/proc/self/clear_refs just before the chunk), plus ru_maxrss (KiB; it cannot be reset and, as the child is spawned
with vfork, starts at the parent's peak), and the handler's answer.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import uuid


class _Context:
    function_name = "RescoreWorkerFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:RescoreWorkerFunction"
    aws_request_id = "00000000-0000-0000-0000-000000000002"
    log_group_name = "/aws/lambda/RescoreWorkerFunction"
    log_stream_name = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000


def _sqs_event(body: str) -> dict[str, object]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:RescoreQueue",
                "awsRegion": "us-east-1",
            }
        ]
    }


def _vm_kib(field: str) -> int:
    """A VmRSS/VmHWM line of /proc/self/status, in KiB (0 when not on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Linux: writing 5 to clear_refs resets the peak RSS, so ru_maxrss after the chunk is the chunk's own peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def main() -> None:
    body = sys.argv[1]
    from functions.rescore_worker.app import lambda_handler
    from shared.adapters.factory import get_repository

    get_repository()  # the client, as a warm container has it
    gc.collect()
    rss_before = _vm_kib("VmRSS")
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = _reset_peak()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = lambda_handler(_sqs_event(body), _Context())
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_after = _vm_kib("VmHWM")
    sys.stdout.flush()
    print(
        "BENCH_RESULT "
        + json.dumps(
            {
                "rss_before_kib": rss_before,
                "maxrss_imports_kib": peak_before,
                "peak_reset": reset,
                "maxrss_before_kib": before,
                "maxrss_after_kib": after,
                "hwm_after_kib": hwm_after,
                "seconds": seconds,
                "response": response,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
