"""A bulk load on the running local stack, with the real stream poller (the template's FilterCriteria) and the
real queue poller + workers: no stream rescoring for the load's items, exactly one rescoring run after it, and an
admin PUT afterwards still rescored from the stream."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from local.dynamodb_local import local_client
from local.messaging import missing_messaging_prerequisites
from local.stack import LocalStack
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.seed_files import read_seed
from shared.config import Settings
from shared.services.seeding import SeedData
from tests.conftest import unavailable_in_this_environment
from tests.support import wait_until

MATERIALS = {"cobalt", "dysprosium", "lithium", "nickel"}


def small_seed() -> SeedData:
    full = read_seed()
    return SeedData(
        materials=[m for m in full.materials if m.id in MATERIALS],
        dependencies=[d for d in full.dependencies if d.material in MATERIALS],
        governance=list(full.governance),
        signals=list(full.signals),
    )


@pytest.fixture
def stack(dynamodb_local_endpoint: str, local_aws_environment: None) -> Iterator[LocalStack]:
    missing = missing_messaging_prerequisites()
    if missing:
        unavailable_in_this_environment("local_stack", "the local SQS/EventBridge needs " + "; ".join(missing))
    suffix = uuid.uuid4().hex[:8]
    running = LocalStack(
        dynamodb_endpoint=dynamodb_local_endpoint,
        table_name=f"RiskTable-bulk-{suffix}",
        stack_name=f"bulk-{suffix}",
        quiet=True,
        echo=lambda _line: None,
    )
    running.start(seed=False)  # an empty table: the first vintage is the bulk load under test
    try:
        yield running
    finally:
        running.stop()


def test_a_bulk_load_is_one_run_and_no_stream_rescoring_then_a_put_is_rescored_from_the_stream(
    stack: LocalStack,
) -> None:
    (stream,) = stack.stream_pollers
    data = small_seed()
    loaded = stack.load_vintage(data)
    repo = DynamoRiskRepository(stack.table_name, local_client(stack.dynamodb_endpoint))

    assert wait_until(lambda: (run := repo.get_run(loaded.run.run_id)) is not None and run.status == "completed")
    assert stack.wait_until_idle()
    run = repo.get_run(loaded.run.run_id)
    assert run is not None and run.chunks_failed == 0
    importers = Settings.from_environment().scored_importer_codes  # tests/conftest.py sets SCORED_IMPORTERS
    assert importers
    assert run.pairs_scored == len(importers) * len(MATERIALS)
    assert len(data.dependencies) > 100  # thousands in a real vintage; enough here to see a storm
    assert stream.invocations == 0 and stream.delivered == 0  # not one stream rescoring for the load
    assert repo.get_score("JP", "cobalt") is not None

    before = repo.get_score("JP", "cobalt")
    stored = repo.get_dependency("JP", "cobalt")
    assert before is not None and stored is not None
    body = {**stored.model_dump(mode="json", include={"sourcing", "source"}), "import_reliance": 0.5}
    reply = requests.put(
        f"{stack.base_url}/v1/importers/JP/dependencies/cobalt",
        json={**body, "version": stored.version},
        headers={"Authorization": "Bearer dev-admin"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert wait_until(lambda: stream.delivered >= 1, timeout_s=60.0)
    assert stream.delivered == 1  # the dependency; its importer-index update is filtered out
    assert wait_until(lambda: (s := repo.get_score("JP", "cobalt")) is not None and s.inputs_hash != before.inputs_hash)
