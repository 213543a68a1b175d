"""A whole local stack (API, functions, queues, stream pollers) on the shared DynamoDB Local, for the tiers that
call it over HTTP (e2e, browser): one table and stack name per use, stopped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from local.stack import LocalStack


@contextmanager
def running_stack(
    dynamodb_endpoint: str, tier: str, environment: Mapping[str, str] | None = None
) -> Iterator[LocalStack]:
    """`environment`: settings for this stack's functions on top of the local defaults (e.g. a short
    WEBHOOK_RETRY_WINDOW_SECONDS), set while it runs and restored after."""
    saved = {name: os.environ.get(name) for name in environment or {}}
    os.environ.update(environment or {})
    suffix = uuid.uuid4().hex[:8]
    console: list[str] = []  # the stack's console lines, kept out of the test output
    stack = LocalStack(
        dynamodb_endpoint=dynamodb_endpoint,
        table_name=f"RiskTable-{tier}-{suffix}",
        stack_name=f"{tier}-{suffix}",
        quiet=True,
        echo=console.append,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
