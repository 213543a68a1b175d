"""The local stack's own tooling against a real DynamoDB Local: process control, table from template, API."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.dynamodb_local import LISTEN_HOST, DynamoDBLocal, PortInUseError, find_free_port, port_in_use
from tooling.sam_template import ApiRoute, load_template


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


# ----------------------------------------------------------------------------------------- loopback only


def _own_non_loopback_ipv4_addresses() -> set[str]:
    """This machine's own IPv4 addresses other than 127.0.0.0/8 (`ip -4 addr`, else the UDP-connect trick)."""
    found: set[str] = set()
    if shutil.which("ip"):
        listing = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False)
        for line in listing.stdout.splitlines():
            fields = line.split()
            if "inet" in fields:
                found.add(fields[fields.index("inet") + 1].split("/")[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing: it only picks the outgoing source address
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return {address for address in found if not ipaddress.ip_address(address).is_loopback}


def _listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The local addresses of the TCP sockets listening on `port` (Linux /proc/net/tcp and tcp6)."""
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local_address, state = line.split()[1], line.split()[3]
            hex_address, hex_port = local_address.split(":")
            if state != "0A" or int(hex_port, 16) != port or len(hex_address) != width:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(hex_address)
            # the kernel prints each 32-bit word in host (little-endian) order
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            addresses.append(ipaddress.ip_address(words))
    return addresses


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def test_dynamodb_local_listens_on_loopback_only(dynamodb_local_endpoint: str) -> None:
    """DynamoDB Local has no authentication: it must not be reachable from another machine."""
    port = int(dynamodb_local_endpoint.rsplit(":", 1)[1])
    if sys.platform.startswith("linux"):
        listening = _listening_addresses(port)
        assert listening, f"nothing listens on port {port} according to /proc/net/tcp*"
        assert all(_is_loopback(a) for a in listening), f"DynamoDB Local listens on {listening}"
    for address in sorted(_own_non_loopback_ipv4_addresses()):  # only this machine's own addresses
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, port)) != 0, f"DynamoDB Local answers on {address}:{port}"


def test_a_started_instance_reports_that_it_listens_on_loopback(dynamodb_local_endpoint: str) -> None:
    with DynamoDBLocal(find_free_port(), quiet=True) as server:
        assert (server.listen_host, server.exposure_warning) == (LISTEN_HOST, None)
        assert "LoopbackDynamoDBLocal: listening on 127.0.0.1 only" in server.output_tail()
