"""AWS clients, built with botocore directly.

boto3.client() is a thin wrapper over a botocore session, but importing boto3 also imports s3transfer and its
dependencies (~17 ms of a cold start here, see docs/performance.md) that no function uses.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.config import Config
from botocore.session import Session, get_session

#: Standard retry mode: exponential backoff with jitter on throttling, 5xx and connection errors, done by botocore.
#: Three attempts keep an API call inside a few seconds when the store is down (then 503 + Retry-After).
#: No client-side parameter validation: the repository builds every request itself and DynamoDB validates them
#: anyway; botocore's check cost ~0.45 ms per 25-item BatchWriteItem, about a third of the nightly overhead.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
    parameter_validation=False,
)


@lru_cache(maxsize=1)
def _session() -> Session:
    # One session per process: it caches credentials and the service models its clients load.
    return get_session()


def aws_client(service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
    return _session().create_client(service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
