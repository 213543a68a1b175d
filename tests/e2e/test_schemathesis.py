"""Property-based API tests: schemathesis generates requests from docs/openapi.json and sends them to the local
API over HTTP with a token holding every scope. Zero 5xx, and every response must match the spec (status code,
content type, headers, body schema). `make fuzz` runs the same with many more examples per operation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.stack import LocalStack

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
#: examples per operation: small in `make test` (CI stays fast), large in `make fuzz`
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(str(SPEC))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a CI failure reproduces locally
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_spec(case: schemathesis.Case[Any], e2e_stack: LocalStack) -> None:
    case.call_and_validate(
        base_url=e2e_stack.base_url, headers={"Authorization": "Bearer dev-admin"}, checks=CHECKS, timeout=30
    )
