"""events/: the sample events for `sam local invoke -e` / `make invoke` stay valid.

events/index.json maps every function of template.yaml to its event files: a function added to the template
without events fails here until it gets some. Every event is checked against the template (an API event must be
a route of the function it is listed under and look like what API Gateway and the Cognito authorizer send; any
other event must have the shape of that function's event source) and then invoked through the function's real
handler:

- functions that only serve GET routes run against the shared `seeded_table`;
- every other function may write, so it runs against a table of this module (seeded reference data and the
  nightly run the sample events name), with moto queues and buses for the resources its environment names.

An API event must get 200 (or the status in EXPECTED_STATUS); a batch event must report no failed item.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel, SqsModel
from pydantic import BaseModel

from functions.admin_api.app import CSV_ROUTES
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.factory import clear_adapter_caches
from shared.services.portfolios import upsert_portfolio
from shared.services.rescoring import plan_run
from shared.services.seeding import SeedData, seed_reference_data
from tests.conftest import point_handlers_at
from tests.fakes import InProcessChunkQueue
from tests.log_capture import captured_logs
from tests.support import SEED_AS_OF, FakeLambdaContext, call, create_table
from tooling.sam_template import ApiRoute, api_routes, function_handlers, load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO_ROOT / "events"
INDEX_PATH = EVENTS_DIR / "index.json"
TEMPLATE = load_template()

#: Event file -> the status its function answers with when that is not 200 (a create, an accepted run, or an
#: event that shows an error).
EXPECTED_STATUS: dict[str, int] = {
    "put_portfolio.json": 201,
    "delete_portfolio.json": 204,
    "put_signal.json": 201,  # a new signal
    "put_signals.json": 202,  # a bulk load: its new signals start one rescoring run
    "start_rescore.json": 202,  # a run is queued
}
#: The nightly run the sample events refer to (get_rescore.json, rescore_chunk.json, nightly_schedule.json).
SAMPLE_RUN_ID = f"nightly-{SEED_AS_OF:%Y%m%dT%H%M}"
#: Powertools models of the event sources whose sample events are not API events.
EVENT_SOURCE_MODELS: dict[str, type[BaseModel]] = {"SQS": SqsModel, "DynamoDB": DynamoDBStreamModel}
SCHEDULE_EVENT_TYPES = {"Schedule", "ScheduleV2"}


# ----------------------------------------------------------------------------------------- index and template


def load_index() -> dict[str, list[str]]:
    index: dict[str, list[str]] = json.loads(INDEX_PATH.read_text(encoding="utf-8"))
    return index


def event_files() -> list[str]:
    return sorted(p.name for p in EVENTS_DIR.glob("*.json") if p.name != INDEX_PATH.name)


def load_event(name: str) -> Any:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def is_api_event(event: Any) -> bool:
    return isinstance(event, dict) and {"httpMethod", "resource", "requestContext"} <= event.keys()


def owner_of(name: str) -> str:
    owners = [function for function, files in load_index().items() if name in files]
    assert len(owners) == 1, f"events/{name} must be listed under exactly one function in events/index.json"
    return owners[0]


def route_of(event: dict[str, Any]) -> ApiRoute:
    matches = [
        r for r in api_routes(TEMPLATE) if r.method in (event["httpMethod"], "ANY") and r.path == event["resource"]
    ]
    assert matches, f"no Api event in template.yaml for {event['httpMethod']} {event['resource']}"
    return matches[0]


def function_events(logical_id: str) -> list[dict[str, Any]]:
    resource = TEMPLATE["Resources"][logical_id]
    return [e for e in ((resource.get("Properties") or {}).get("Events") or {}).values() if isinstance(e, dict)]


#: DynamoDB actions that cannot change anything
READ_ACTIONS = frozenset({"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:Scan"})


def _reads_only(policy: Any) -> bool:
    if not isinstance(policy, dict):
        return False
    if set(policy) == {"DynamoDBReadPolicy"}:
        return True
    statements = policy.get("Statement")
    return isinstance(statements, list) and all(
        set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]]) <= READ_ACTIONS for s in statements
    )


def is_read_only(logical_id: str) -> bool:
    """Its permissions only read the table: safe to run against the shared seeded table."""
    policies = TEMPLATE["Resources"][logical_id]["Properties"].get("Policies") or []
    return bool(policies) and all(_reads_only(p) for p in policies)


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def scratch_table(dynamodb_client: Any, seed_data: SeedData) -> Iterator[str]:
    """A table for functions that write: the seed reference data and the sample nightly run (no scores)."""
    name = create_table(dynamodb_client)
    repo = DynamoRiskRepository(name, dynamodb_client)
    seed_reference_data(repo, seed_data)
    plan_run(repo, InProcessChunkQueue(), SAMPLE_RUN_ID, SEED_AS_OF, SEED_AS_OF, ["EU", "JP", "US"], None)
    # the portfolios the sample portfolio events read and delete, owned by the events' client id
    sample = load_event("put_portfolio.json")
    tenant = sample["requestContext"]["authorizer"]["claims"]["client_id"]
    for portfolio_id in ("sample-bom", "retired-bom"):
        upsert_portfolio(repo, tenant, portfolio_id, json.loads(sample["body"]), None, SEED_AS_OF)
    yield name
    dynamodb_client.delete_table(TableName=name)


def provide_environment(monkeypatch: pytest.MonkeyPatch, logical_id: str) -> None:
    """The function's own environment variables, backed by moto resources where they name one."""
    resources = TEMPLATE["Resources"]
    variables = ((resources[logical_id]["Properties"].get("Environment") or {}).get("Variables")) or {}
    for variable, value in variables.items():
        if isinstance(value, str | int | float):
            monkeypatch.setenv(variable, str(value))
            continue
        target = value.get("Ref") if isinstance(value, dict) else None
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            attribute = value["Fn::GetAtt"]
            target = (attribute if isinstance(attribute, list) else str(attribute).split("."))[0]
        if isinstance(value, dict) and "Fn::Sub" in value:
            monkeypatch.setenv(variable, "")  # a URL built from the stack (API_BASE_URL): none in a test
            continue
        kind = resources.get(target, {}).get("Type")
        suffix = uuid.uuid4().hex[:8]
        if kind == "AWS::SQS::Queue":
            url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName=f"{target}-{suffix}")["QueueUrl"]
            monkeypatch.setenv(variable, url)
        elif kind == "AWS::KMS::Key":
            key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
            monkeypatch.setenv(variable, key)
        elif kind == "AWS::Events::EventBus":
            boto3.client("events", region_name="us-east-1").create_event_bus(Name=f"{target}-{suffix}")
            monkeypatch.setenv(variable, f"{target}-{suffix}")
        else:
            pytest.fail(f"{logical_id}: teach test_events.py to provide {variable} ({value!r}, a {kind})")


@pytest.fixture
def handler_for(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, dynamodb_endpoint: str | None
) -> Iterator[Any]:
    """handler_for(logical_id) -> the function's real handler, pointed at the right table and resources."""

    def load(logical_id: str) -> Any:
        table_fixture = "seeded_table" if is_read_only(logical_id) else "scratch_table"
        table = request.getfixturevalue(table_fixture)  # first: it starts the session's moto mock
        provide_environment(monkeypatch, logical_id)
        point_handlers_at(monkeypatch, table, dynamodb_endpoint)
        module_name, attribute = function_handlers(TEMPLATE)[logical_id].rsplit(".", 1)
        return getattr(importlib.import_module(module_name), attribute)

    yield load
    clear_adapter_caches()  # the next test re-points the adapters; none keeps this one's clients


# ----------------------------------------------------------------------------------------- the index


def test_index_covers_every_function_of_the_template() -> None:
    index = load_index()
    functions = set(function_handlers(TEMPLATE))
    assert sorted(functions - set(index)) == [], "functions without sample events (add them to events/)"
    assert sorted(set(index) - functions) == [], "events/index.json names functions template.yaml lacks"
    assert all(index[f] for f in functions), "every function needs at least one event"


def test_index_lists_every_event_file_once() -> None:
    listed = [name for files in load_index().values() for name in files]
    assert sorted(listed) == event_files(), "events/index.json and the events/*.json files disagree"


def test_every_route_family_of_the_read_api_has_an_event() -> None:
    routes = {(r.method, r.path) for r in api_routes(TEMPLATE) if r.function_logical_id == "ReadApiFunction"}
    covered = {(e["httpMethod"], e["resource"]) for e in map(load_event, event_files()) if is_api_event(e)}
    assert sorted(routes - covered) == []


# ----------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", event_files())
def test_event_has_the_shape_of_its_source(name: str) -> None:
    event = load_event(name)
    owner = owner_of(name)
    if is_api_event(event):
        check_api_event(name, event, owner)
        return
    types = {e.get("Type") for e in function_events(owner)} - {"Api"}
    assert types, f"{name} is not an API event but {owner} has only Api events"
    for source_type in sorted(str(t) for t in types):
        if source_type in EVENT_SOURCE_MODELS:
            EVENT_SOURCE_MODELS[source_type].model_validate(event)
        elif source_type in SCHEDULE_EVENT_TYPES:
            schedule = next(e for e in function_events(owner) if e.get("Type") == source_type)["Properties"]
            assert set(event) == set(json.loads(schedule["Input"])), f"{name}: not the schedule's Input"
        else:
            pytest.fail(f"teach test_events.py how to check a {source_type} event ({name})")


def check_api_event(name: str, event: dict[str, Any], owner: str) -> None:
    route = route_of(event)
    assert route.function_logical_id == owner, f"{name} is routed to {route.function_logical_id}"

    path = event["resource"]
    for param, value in (event.get("pathParameters") or {}).items():
        path = path.replace("{" + param + "}", value)
    assert "{" not in path and event["path"] == path
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"]) == (event["resource"], event["httpMethod"])
    assert context["stage"] == "prod" and context["path"] == f"/prod{event['path']}"
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}
    query = event.get("queryStringParameters")
    assert event.get("multiValueQueryStringParameters") == ({k: [v] for k, v in query.items()} if query else None)
    if event.get("body") is not None and event["headers"].get("Content-Type") == "text/csv":
        assert (event["httpMethod"], event["resource"]) in CSV_ROUTES, f"{name}: a CSV body on a JSON-only route"
        assert next(csv.reader(io.StringIO(event["body"])))[0] == "id"  # a header row
    elif event.get("body") is not None:
        json.loads(event["body"])
        assert event["headers"].get("Content-Type") == "application/json"

    claims = (context.get("authorizer") or {}).get("claims")
    if route.auth_required:
        assert claims and claims["client_id"], f"{name}: a secured route's event carries the token's claims"
        assert set(route.scopes) & set(claims["scope"].split()), f"{name}: the claims lack {route.scopes}"
    else:
        assert not claims, f"{name}: the route is public, the gateway passes no claims"


# ----------------------------------------------------------------------------------------- invocation


@pytest.mark.parametrize("name", event_files())
def test_event_succeeds_through_the_real_handler(name: str, handler_for: Any) -> None:
    event = load_event(name)
    handler = handler_for(owner_of(name))

    if is_api_event(event):
        result = call(handler, event)
        assert result.status == EXPECTED_STATUS.get(name, 200), result.body
        if result.status == 204:
            assert not result.body
            return
        assert isinstance(result.body, dict)
        if result.status == 200 and "items" in result.body:
            assert result.body["items"], f"{name}: a sample event should show data, not an empty page"
        return

    output = handler(event, FakeLambdaContext())
    if isinstance(event, dict) and "Records" in event:
        assert output == {"batchItemFailures": []}, f"{name}: records failed"


@pytest.mark.parametrize(
    ("name", "id_key", "message"),
    [
        ("rescore_chunk.json", "messageId", "chunk scored"),
        ("stream_signal_insert.json", "eventID", "rescored after change"),
    ],
)
def test_a_batch_records_log_lines_carry_its_id_as_correlation_id(
    name: str, id_key: str, message: str, handler_for: Any
) -> None:
    event = load_event(name)
    handler = handler_for(owner_of(name))

    with captured_logs() as lines:
        assert handler(event, FakeLambdaContext()) == {"batchItemFailures": []}

    logged = [line for line in lines if line["message"] == message]
    assert logged, f"{name}: no {message!r} line"
    assert {line.get("correlation_id") for line in logged} == {event["Records"][0][id_key]}


def test_the_sample_run_is_the_one_the_nightly_schedule_plans() -> None:
    scheduled = datetime.fromisoformat(load_event("nightly_schedule.json")["scheduled_time"])
    assert scheduled.astimezone(UTC) == SEED_AS_OF
    chunk = json.loads(load_event("rescore_chunk.json")["Records"][0]["body"])
    assert chunk["run_id"] == SAMPLE_RUN_ID
    assert load_event("get_rescore.json")["pathParameters"] == {"run_id": SAMPLE_RUN_ID}
