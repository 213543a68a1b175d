"""The local SQS + EventBridge: moto's standalone server, in-process, on a free loopback port.

`LocalMessaging(template).start()` starts `moto.server.ThreadedMotoServer` on 127.0.0.1 and creates what the
template declares:

- every AWS::SQS::Queue (RescoreQueue, RescoreDLQ, StreamFailuresDLQ), named "<stack name>-<LogicalId>", with
  its redrive policy (dead-letter queue + maxReceiveCount from the template);
- every AWS::Events::EventBus (ScoreEventsBus, named as the template's `Name` resolves with that stack name);
- every AWS::KMS::Key (SubscriptionSecretsKey: webhook signing secrets are sealed with moto's KMS, by the same
  adapter as in AWS; AWS_ENDPOINT_URL_KMS points the functions here);
- a local-only "<stack name>-alerts" queue and a rule on each bus copying the ScoreChanged events to it (in AWS
  that is where your alerting subscribes; locally a poller prints them, see local.pollers.AlertsPoller).

The stack name (default materials-risk-local) keeps two local stacks in one process (tests) apart: moto's
backends are per process.

The handlers reach it unchanged: the production adapters build `boto3.client("sqs")` / `boto3.client("events")`
without an endpoint_url, and botocore honours AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_EVENTBRIDGE (`environment()`);
RESCORE_QUEUE_URL and EVENT_BUS_NAME come from the template's `!Ref`s resolved with `resource_values()`.

Visibility timeout: the template's RescoreQueue has 720 s (6 x the worker's timeout, as AWS recommends). Locally
a failed chunk would then reappear only 12 minutes later, so queues are created with LOCAL_VISIBILITY_TIMEOUT_S
unless told otherwise (`visibility_timeout_s=None` keeps the template's values).

Needs the `moto[server]` extra (Flask, Werkzeug). Development only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from local.dynamodb_local import LOCAL_CREDENTIALS, PortInUseError, ensure_port_free
from local.lambda_worker import LOCAL_ACCOUNT_ID, LOCAL_REGION
from local.template_values import LOCAL_STACK_NAME, event_buses
from shared.adapters.aws import standard_retries
from shared.adapters.messaging import EVENT_SOURCE, SCORE_CHANGED
from tooling.sam_template import resources_of_type, sqs_queues

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

#: The per-service endpoint variables pointed at the local messaging server (see MessagingResources.environment).
SERVICE_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_EVENTS",
    "AWS_ENDPOINT_URL_KMS",
)
LOCAL_VISIBILITY_TIMEOUT_S = 30
ALERTS_SUFFIX = "alerts"
#: What the local alerts rule forwards: the events shared.adapters.messaging.EventBridgePublisher puts.
ALERTS_EVENT_PATTERN = {"source": [EVENT_SOURCE], "detail-type": [SCORE_CHANGED]}


class MessagingUnavailableError(RuntimeError):
    """moto's server could not be imported or started (the `moto[server]` extra is missing?)."""


def missing_messaging_prerequisites() -> list[str]:
    """What this environment lacks to run the local SQS/EventBridge (empty when nothing)."""
    try:
        from moto.server import ThreadedMotoServer  # noqa: F401
    except ImportError as exc:
        return [f"moto's standalone server (install the moto[server] extra: {exc})"]
    return []


def _client_config() -> Config:
    # read_timeout above SQS's 20 s long poll; retries as every client here (shared.adapters.aws.standard_retries)
    return standard_retries().merge(Config(connect_timeout=5, read_timeout=30))


def local_sqs_client(endpoint_url: str) -> SQSClient:
    """A boto3 SQS client for the local messaging endpoint (fake credentials, never reaches AWS)."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name=LOCAL_REGION,
        config=_client_config(),
        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
    )


def local_events_client(endpoint_url: str) -> EventBridgeClient:
    """A boto3 EventBridge client for the local messaging endpoint."""
    return boto3.client(
        "events",
        endpoint_url=endpoint_url,
        region_name=LOCAL_REGION,
        config=_client_config(),
        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
    )


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{name}"


def bus_arn(name: str) -> str:
    return f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:event-bus/{name}"


@dataclass(frozen=True)
class MessagingResources:
    """What `LocalMessaging.start()` created: endpoint, queues (logical id -> URL), buses (logical id -> name)."""

    endpoint_url: str
    queue_urls: dict[str, str]
    event_buses: dict[str, str]
    alerts_queue_url: str
    max_receive_counts: dict[str, int] = field(default_factory=dict)
    #: KMS keys: logical id -> key ARN
    kms_keys: dict[str, str] = field(default_factory=dict)

    def queue_name(self, logical_id: str) -> str:
        return self.queue_urls[logical_id].rsplit("/", 1)[1]

    def queue_arn(self, logical_id: str) -> str:
        return queue_arn(self.queue_name(logical_id))

    def resource_values(self) -> dict[str, str]:
        """Local values of `!Ref X` / `!GetAtt X.Attr` for the template's queues and buses (local.template_values)."""
        values: dict[str, str] = {}
        for logical_id, url in self.queue_urls.items():
            name = self.queue_name(logical_id)
            values.update(
                {
                    logical_id: url,  # !Ref of a queue is its URL
                    f"{logical_id}.Arn": queue_arn(name),
                    f"{logical_id}.QueueName": name,
                    f"{logical_id}.QueueUrl": url,
                }
            )
        for logical_id, name in self.event_buses.items():
            values.update({logical_id: name, f"{logical_id}.Arn": bus_arn(name), f"{logical_id}.Name": name})
        for logical_id, arn in self.kms_keys.items():
            key_id = arn.rsplit("/", 1)[1]
            values.update({logical_id: key_id, f"{logical_id}.Arn": arn, f"{logical_id}.KeyId": key_id})
        return values

    def environment(self) -> dict[str, str]:
        """botocore's per-service endpoint variables: clients built without endpoint_url come here.

        botocore names them after the service id: AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_EVENTBRIDGE (the
        "events" client's service id is EventBridge). AWS_ENDPOINT_URL_EVENTS, which botocore does not read, is
        set too for tools and people who look for it by the client name.
        """
        return {name: self.endpoint_url for name in SERVICE_ENDPOINT_VARIABLES}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessagingResources:
        return cls(
            endpoint_url=str(data["endpoint_url"]),
            queue_urls={str(k): str(v) for k, v in dict(data["queue_urls"]).items()},
            event_buses={str(k): str(v) for k, v in dict(data["event_buses"]).items()},
            alerts_queue_url=str(data["alerts_queue_url"]),
            max_receive_counts={str(k): int(v) for k, v in dict(data.get("max_receive_counts") or {}).items()},
            kms_keys={str(k): str(v) for k, v in dict(data.get("kms_keys") or {}).items()},
        )


class LocalMessaging:
    """moto's standalone server in this process, with the template's queues, DLQs, buses and the alerts rule."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        visibility_timeout_s: int | None = LOCAL_VISIBILITY_TIMEOUT_S,
        stack_name: str = LOCAL_STACK_NAME,
        port_env_var: str = "MESSAGING_PORT",
    ) -> None:
        self.template = template
        self.stack_name = stack_name
        self.port = port
        self.host = host
        self.visibility_timeout_s = visibility_timeout_s
        self.port_env_var = port_env_var
        self._server: Any = None
        self.resources: MessagingResources | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise MessagingUnavailableError("the local messaging server is not started")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> MessagingResources:
        """Start the server (port 0: a free one) and create the queues, buses and the alerts rule."""
        if self.resources is not None:
            return self.resources
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise MessagingUnavailableError(
                f"the local SQS/EventBridge needs moto's standalone server: install the moto[server] extra ({exc})"
            ) from exc
        if self.port:
            ensure_port_free(self.port, self.port_env_var, self.host)
        # werkzeug logs every request (the pollers long-poll every second): keep the console for what matters.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        try:
            server.start()
        except OSError as exc:
            if self.port and exc.errno in (48, 98):
                raise PortInUseError(self.port, self.port_env_var) from exc
            raise
        self._server = server
        try:
            self.resources = self._create_resources()
        except BaseException:
            self.stop()
            raise
        return self.resources

    def _create_resources(self) -> MessagingResources:
        endpoint = self.endpoint_url
        sqs = local_sqs_client(endpoint)
        events = local_events_client(endpoint)
        specs = sqs_queues(self.template)
        urls: dict[str, str] = {}
        max_receive: dict[str, int] = {}

        def create(logical_id: str) -> str:
            if logical_id in urls:
                return urls[logical_id]
            spec = specs[logical_id]
            attributes: dict[str, str] = {}
            visibility = spec.visibility_timeout_s if self.visibility_timeout_s is None else self.visibility_timeout_s
            if visibility is not None:
                attributes["VisibilityTimeout"] = str(visibility)
            if spec.message_retention_s is not None:
                attributes["MessageRetentionPeriod"] = str(spec.message_retention_s)
            if spec.dead_letter_logical_id is not None:
                dlq_url = create(spec.dead_letter_logical_id)
                count = spec.max_receive_count or 10
                max_receive[logical_id] = count
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": queue_arn(dlq_url.rsplit("/", 1)[1]), "maxReceiveCount": count}
                )
            name = f"{self.stack_name}-{logical_id}"
            urls[logical_id] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
            return urls[logical_id]

        for logical_id in specs:
            create(logical_id)

        alerts_name = f"{self.stack_name}-{ALERTS_SUFFIX}"
        alerts_url = sqs.create_queue(QueueName=alerts_name)["QueueUrl"]
        buses = event_buses(self.template, stack_name=self.stack_name)
        for name in buses.values():
            events.create_event_bus(Name=name)
            events.put_rule(Name=alerts_name, EventBusName=name, EventPattern=json.dumps(ALERTS_EVENT_PATTERN))
            events.put_targets(
                Rule=alerts_name, EventBusName=name, Targets=[{"Id": "alerts-queue", "Arn": queue_arn(alerts_name)}]
            )
        self._create_rules(events, buses, urls)
        kms = boto3.client(
            "kms",
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            config=_client_config(),
            aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
        )
        keys = {
            logical_id: kms.create_key(Description=f"{self.stack_name}-{logical_id}")["KeyMetadata"]["Arn"]
            for logical_id in resources_of_type(self.template, "AWS::KMS::Key")
        }
        return MessagingResources(
            endpoint_url=endpoint,
            queue_urls=urls,
            event_buses=buses,
            alerts_queue_url=alerts_url,
            max_receive_counts=max_receive,
            kms_keys=keys,
        )

    def _create_rules(self, events: EventBridgeClient, buses: Mapping[str, str], urls: Mapping[str, str]) -> None:
        """The template's EventBridge rules from a bus to a queue (ScoreChangedToDeliveryRule), as in AWS."""
        for logical_id, rule in resources_of_type(self.template, "AWS::Events::Rule").items():
            props = rule.get("Properties") or {}
            bus = props.get("EventBusName")
            bus_id = str(bus.get("Ref")) if isinstance(bus, dict) else ""
            if bus_id not in buses:
                continue
            targets: list[dict[str, str]] = []
            for target in props.get("Targets") or []:
                arn = target.get("Arn")
                get_att = arn.get("Fn::GetAtt") if isinstance(arn, dict) else None
                # !GetAtt X.Arn reads as ["X", "Arn"] or "X.Arn"
                queue_id = str(get_att[0] if isinstance(get_att, list) else get_att or "").split(".", 1)[0]
                if queue_id in urls:
                    targets.append({"Id": str(target["Id"]), "Arn": queue_arn(urls[queue_id].rsplit("/", 1)[1])})
            if not targets:
                continue
            name = f"{self.stack_name}-{logical_id}"
            events.put_rule(Name=name, EventBusName=buses[bus_id], EventPattern=json.dumps(props["EventPattern"]))
            events.put_targets(Rule=name, EventBusName=buses[bus_id], Targets=targets)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the server. (Its queues live in moto's per-process backends until the process ends.)"""
        server, self._server = self._server, None
        self.resources = None
        if server is not None:
            server.stop()

    def __enter__(self) -> MessagingResources:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
