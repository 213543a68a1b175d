"""e2e tier: the whole local stack in-process, called over real HTTP as a client would.

One stack for the tier (`e2e_stack`): the session's DynamoDB Local (`shared_dynamodb_local`, tests/conftest.py),
then local.stack.LocalStack on free ports: moto's SQS + EventBridge, a uniquely named table from template.yaml,
the seed data and every score, the pollers (stream -> StreamRescoreFunction, RescoreQueue ->
RescoreWorkerFunction, alerts queue -> in memory) and the local API.

The fixture is package-scoped rather than session-scoped on purpose: the stack points the handlers' environment
(TABLE_NAME, AWS_ENDPOINT_URL_*) at itself in os.environ, and that must be undone before another tier (moto's
in-process mock in tests/integration) runs in the same session. For this folder it is one stack all the same.

Without java/npm (DynamoDB Local) or moto's server extra the tier is skipped with what is missing, except under
CI (env CI set), where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.messaging import missing_messaging_prerequisites
from local.stack import LocalStack
from tests.conftest import unavailable_in_this_environment
from tests.e2e.client import ApiClient
from tests.e2e.stack import running_stack

HERE = Path(__file__).resolve().parent
#: webhook retries 2 s doubling for 15 s (the local stack's default is 10 minutes), so "a receiver down past the
#: retry window ends in the DLQ" runs in seconds; the 500-500-200 receiver's third attempt comes within 2-7 s
E2E_WEBHOOK_RETRY_WINDOW_S = 15
E2E_ENVIRONMENT = {"WEBHOOK_BASE_DELAY_SECONDS": "2", "WEBHOOK_RETRY_WINDOW_SECONDS": str(E2E_WEBHOOK_RETRY_WINDOW_S)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def e2e_stack(shared_dynamodb_local: str) -> Iterator[LocalStack]:
    missing = missing_messaging_prerequisites()
    if missing:
        unavailable_in_this_environment("e2e", "the local SQS/EventBridge needs " + "; ".join(missing))
    with running_stack(shared_dynamodb_local, "e2e", E2E_ENVIRONMENT) as stack:
        yield stack


@pytest.fixture(scope="package")
def api(e2e_stack: LocalStack) -> Iterator[ApiClient]:
    with ApiClient(e2e_stack.base_url) as client:
        yield client
