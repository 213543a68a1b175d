"""The local stack's own tooling against a real DynamoDB Local: process control, table from template, API."""

from __future__ import annotations

import json
import socket
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.dynamodb_local import DynamoDBLocal, PortInUseError, find_free_port, port_in_use
from local.template import ApiRoute, load_template


def test_table_from_template_has_both_gsis_and_the_stream(dynamodb_client: Any, local_table: str) -> None:
    table = dynamodb_client.describe_table(TableName=local_table)["Table"]

    assert table["TableStatus"] == "ACTIVE"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    indexes = {gsi["IndexName"]: gsi for gsi in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"gsi1", "gsi2"}
    for name, gsi in indexes.items():
        assert [k["AttributeName"] for k in gsi["KeySchema"]] == [f"{name}pk", f"{name}sk"]
        assert gsi["Projection"]["ProjectionType"] == "ALL"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb_client.describe_time_to_live(TableName=local_table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == "expires_at"


def test_dynamodb_local_enforces_the_25_item_batch_limit(dynamodb_client: Any, local_table: str) -> None:
    requests = [{"PutRequest": {"Item": {"pk": {"S": f"P#{i}"}, "sk": {"S": "S"}}}} for i in range(26)]
    with pytest.raises(ClientError) as excinfo:
        dynamodb_client.batch_write_item(RequestItems={local_table: requests})
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_port_taken_by_the_running_instance_raises_port_in_use(dynamodb_local_endpoint: str) -> None:
    port = int(dynamodb_local_endpoint.rsplit(":", 1)[1])
    with pytest.raises(PortInUseError) as excinfo:
        DynamoDBLocal(port).start()
    assert str(excinfo.value) == f"port {port} is already in use: stop what uses it or pass DDB_PORT=..."


def test_port_taken_by_any_listener_raises_before_starting_java() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        server = DynamoDBLocal(port)
        with pytest.raises(PortInUseError, match=f"port {port} is already in use"):
            server.start()
        assert server.pid is None  # nothing was started


def test_start_and_stop_leave_nothing_running(dynamodb_local_endpoint: str) -> None:
    port = find_free_port()
    with DynamoDBLocal(port, quiet=True) as server:
        assert server.running
        assert port_in_use(port)
        process = server._process
        assert process is not None
    assert process.poll() is not None
    assert not server.running
    assert not port_in_use(port)


def test_local_api_reaches_dynamodb_local_through_the_handler_environment(
    dynamodb_local_endpoint: str, local_table: str
) -> None:
    from local.api_server import serve_in_thread

    route = ApiRoute("StubFunction", "tests.unit.stub_handler.table_roundtrip", "GET", "/v1/stub/{key}", (), False)
    template = {"Resources": {"RiskTable": load_template()["Resources"]["RiskTable"]}}
    api = serve_in_thread(0, local_table, dynamodb_local_endpoint, template=template, routes=[route], quiet=True)
    with api, urllib.request.urlopen(f"{api.base_url}/v1/stub/hello", timeout=30) as response:
        body = json.loads(response.read())
    assert body == {"table": local_table, "value": "hello"}
