"""Read a SAM/CloudFormation template (template.yaml): what it declares, as plain data.

The table definition, the functions (handler, memory, timeout, environment variables as written), the API routes
with their authorizer scopes, the queues and the functions' event sources. Intrinsics are returned as written
(short tags in their long form: {"Ref": ...}, {"Fn::Sub": ...}); resolving them to the values of one environment
is the caller's business (the local stack: local.template_values).

Shared by scripts (OpenAPI), bench, tests and the local stack; it imports neither local/ nor shared/, and no
Lambda package ships it (scripts/build_lambda.py packages functions/ and shared/ only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE_PATH = REPO_ROOT / "template.yaml"

# Defaults SAM applies when neither the function nor Globals set them.
SAM_DEFAULT_MEMORY_MB = 128
SAM_DEFAULT_TIMEOUT_S = 3

Template = dict[str, Any]


class TemplateError(ValueError):
    """The template lacks something a caller needs (a resource, a handler...)."""


# ----------------------------------------------------------------------------------------- YAML loading


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation short tags (!Ref, !Sub, !GetAtt, !If, ...)."""


def _construct_short_tag(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - PyYAML has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{tag_suffix}", node.start_mark)

    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path = DEFAULT_TEMPLATE_PATH) -> Template:
    """Parse a SAM/CloudFormation template; short tags become their long form ({"Ref": ...}, {"Fn::Sub": ...})."""
    with path.open(encoding="utf-8") as stream:
        # a SafeLoader subclass: no arbitrary objects
        document = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506  # nosec B506
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources mapping)")
    return document


def template_resources(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource that is a mapping."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise TemplateError("template has no Resources mapping")
    return {name: res for name, res in resources.items() if isinstance(res, dict)}


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for the resources of one Type (e.g. "AWS::Serverless::Function")."""
    return {name: res for name, res in template_resources(template).items() if res.get("Type") == resource_type}


def resource_properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's Properties ({} when it has none)."""
    props = resource.get("Properties") or {}
    if not isinstance(props, dict):
        raise TemplateError("resource Properties must be a mapping")
    return props


def _globals(template: Mapping[str, Any], section: str) -> dict[str, Any]:
    glob = template.get("Globals") or {}
    value = glob.get(section) if isinstance(glob, dict) else None
    return value if isinstance(value, dict) else {}


# ----------------------------------------------------------------------------------------- DynamoDB table


def table_create_kwargs(template: Mapping[str, Any], table_name: str, logical_id: str = "RiskTable") -> dict[str, Any]:
    """boto3 `create_table` keyword arguments for the template's AWS::DynamoDB::Table `logical_id`.

    Keys, attribute definitions, GSIs/LSIs, billing mode and stream come from the template; TTL is a separate
    call (see `table_ttl_attribute` / `create_table_from_template`).
    """
    resource = template_resources(template).get(logical_id)
    if resource is None or resource.get("Type") != "AWS::DynamoDB::Table":
        raise TemplateError(f"template has no AWS::DynamoDB::Table named {logical_id!r}")
    props = resource_properties(resource)

    billing_mode = props.get("BillingMode", "PROVISIONED")
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [_key_element(k) for k in props["KeySchema"]],
        "AttributeDefinitions": [
            {"AttributeName": str(a["AttributeName"]), "AttributeType": str(a["AttributeType"])}
            for a in props["AttributeDefinitions"]
        ],
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))

    gsis = props.get("GlobalSecondaryIndexes") or []
    if gsis:
        kwargs["GlobalSecondaryIndexes"] = [_index(i, billing_mode, is_global=True) for i in gsis]
    lsis = props.get("LocalSecondaryIndexes") or []
    if lsis:
        kwargs["LocalSecondaryIndexes"] = [_index(i, billing_mode, is_global=False) for i in lsis]

    stream = props.get("StreamSpecification")
    if isinstance(stream, dict) and stream.get("StreamViewType"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": str(stream["StreamViewType"])}
    return kwargs


def table_ttl_attribute(template: Mapping[str, Any], logical_id: str = "RiskTable") -> str | None:
    """The TTL attribute name if the table enables TimeToLiveSpecification, else None."""
    resource = template_resources(template).get(logical_id)
    if resource is None:
        raise TemplateError(f"template has no resource named {logical_id!r}")
    ttl = resource_properties(resource).get("TimeToLiveSpecification")
    if isinstance(ttl, dict) and ttl.get("Enabled") in (True, "true", "True") and ttl.get("AttributeName"):
        return str(ttl["AttributeName"])
    return None


def _key_element(element: Mapping[str, Any]) -> dict[str, str]:
    return {"AttributeName": str(element["AttributeName"]), "KeyType": str(element["KeyType"])}


def _throughput(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    return {
        "ReadCapacityUnits": int(value.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 5)),
    }


def _index(index: Mapping[str, Any], billing_mode: str, *, is_global: bool) -> dict[str, Any]:
    projection = index.get("Projection") or {"ProjectionType": "ALL"}
    out: dict[str, Any] = {
        "IndexName": str(index["IndexName"]),
        "KeySchema": [_key_element(k) for k in index["KeySchema"]],
        "Projection": {key: (list(val) if key == "NonKeyAttributes" else str(val)) for key, val in projection.items()},
    }
    if is_global and billing_mode == "PROVISIONED":
        out["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
    return out


# ----------------------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionSpec:
    """What a runtime needs to call one AWS::Serverless::Function."""

    logical_id: str
    handler: str
    memory_mb: int
    timeout_s: int


def function_handlers(template: Mapping[str, Any]) -> dict[str, str]:
    """Logical id -> dotted handler path, for every AWS::Serverless::Function."""
    global_handler = _globals(template, "Function").get("Handler")
    out: dict[str, str] = {}
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        handler = resource_properties(resource).get("Handler", global_handler)
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"function {logical_id} has no dotted Handler (got {handler!r})")
        out[logical_id] = handler
    return out


def function_spec(template: Mapping[str, Any], logical_id: str) -> FunctionSpec:
    """Handler, memory and timeout of one function (function properties over Globals over SAM defaults)."""
    handlers = function_handlers(template)
    if logical_id not in handlers:
        known = ", ".join(sorted(handlers)) or "(none)"
        raise TemplateError(f"unknown function {logical_id!r}; functions in the template: {known}")
    props = resource_properties(template_resources(template)[logical_id])
    glob = _globals(template, "Function")
    memory = props.get("MemorySize", glob.get("MemorySize", SAM_DEFAULT_MEMORY_MB))
    timeout = props.get("Timeout", glob.get("Timeout", SAM_DEFAULT_TIMEOUT_S))
    return FunctionSpec(
        logical_id=logical_id,
        handler=handlers[logical_id],
        memory_mb=int(memory) if isinstance(memory, int | str) else SAM_DEFAULT_MEMORY_MB,
        timeout_s=int(timeout) if isinstance(timeout, int | str) else SAM_DEFAULT_TIMEOUT_S,
    )


def function_variables(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """Environment variables of one function as written: Globals merged with the function's own, intrinsics left
    unresolved ({"Ref": "RiskTable"}, {"Fn::Sub": ...})."""
    handlers = function_handlers(template)
    if logical_id not in handlers:
        known = ", ".join(sorted(handlers)) or "(none)"
        raise TemplateError(f"unknown function {logical_id!r}; functions in the template: {known}")
    values: dict[str, Any] = {}
    glob_env = _globals(template, "Function").get("Environment") or {}
    values.update((glob_env.get("Variables") or {}) if isinstance(glob_env, dict) else {})
    own_env = resource_properties(template_resources(template)[logical_id]).get("Environment") or {}
    values.update((own_env.get("Variables") or {}) if isinstance(own_env, dict) else {})
    return values


# ----------------------------------------------------------------------------------------- API routes


@dataclass(frozen=True)
class ApiRoute:
    """One API event of a function: what API Gateway routes to it and what the authorizer requires."""

    function_logical_id: str
    handler: str
    method: str  # upper case; "ANY" matches every method
    path: str  # /v1/scores/{importer}/{material}
    scopes: tuple[str, ...] = ()
    auth_required: bool = True


def api_routes(template: Mapping[str, Any]) -> list[ApiRoute]:
    """Every `Type: Api` event of every AWS::Serverless::Function, with its effective authorizer and scopes.

    Auth follows SAM: the event's Auth.Authorizer, else the API's Auth.DefaultAuthorizer (RestApiId, else the
    implicit API configured in Globals.Api); `Authorizer: NONE` (or no authorizer at all) means no auth.
    Scopes: the event's AuthorizationScopes, else the authorizer's own AuthorizationScopes.
    """
    handlers = function_handlers(template)
    resources = template_resources(template)
    routes: list[ApiRoute] = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        events = resource_properties(resource).get("Events") or {}
        for event in events.values():
            if not isinstance(event, dict) or event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            api_auth = _api_auth(resources, template, props.get("RestApiId"))
            event_auth = props.get("Auth") or {}
            authorizer = event_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
            auth_required = bool(authorizer) and authorizer != "NONE"
            scopes: list[str] = []
            if auth_required:
                authorizer_cfg = (api_auth.get("Authorizers") or {}).get(authorizer) or {}
                scopes = list(event_auth.get("AuthorizationScopes", authorizer_cfg.get("AuthorizationScopes", [])))
            routes.append(
                ApiRoute(
                    function_logical_id=logical_id,
                    handler=handlers[logical_id],
                    method=str(props["Method"]).upper(),
                    path=str(props["Path"]),
                    scopes=tuple(str(s) for s in scopes),
                    auth_required=auth_required,
                )
            )
    return routes


def _api_auth(resources: Mapping[str, Any], template: Mapping[str, Any], rest_api_id: Any) -> dict[str, Any]:
    if isinstance(rest_api_id, dict) and "Ref" in rest_api_id:
        api = resources.get(str(rest_api_id["Ref"]))
        if api is None or api.get("Type") != "AWS::Serverless::Api":
            raise TemplateError(f"RestApiId {rest_api_id!r} does not name an AWS::Serverless::Api")
        api_props = {**_globals(template, "Api"), **resource_properties(api)}
    else:  # the implicit API: configured through Globals.Api only
        api_props = _globals(template, "Api")
    auth = api_props.get("Auth") or {}
    return auth if isinstance(auth, dict) else {}


# ----------------------------------------------------------------------------------------- queues, buses, event sources

#: MaximumRetryAttempts when the template sets none: retry until the record expires (Lambda's default).
RETRY_UNTIL_EXPIRED = -1
SAM_DEFAULT_STREAM_BATCH_SIZE = 100
SAM_DEFAULT_SQS_BATCH_SIZE = 10


@dataclass(frozen=True)
class QueueSpec:
    """One AWS::SQS::Queue: what is needed to create it elsewhere (the local messaging endpoint)."""

    logical_id: str
    visibility_timeout_s: int | None = None
    message_retention_s: int | None = None
    dead_letter_logical_id: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class StreamEventSource:
    """A function's `Type: DynamoDB` event: the stream it reads and how Lambda's event source mapping behaves."""

    function_logical_id: str
    table_logical_id: str
    batch_size: int
    starting_position: str
    max_retry_attempts: int  # RETRY_UNTIL_EXPIRED (-1) when the template sets none
    bisect_on_error: bool
    report_batch_item_failures: bool
    filter_patterns: tuple[dict[str, Any], ...]
    on_failure_logical_id: str | None


@dataclass(frozen=True)
class QueueEventSource:
    """A function's `Type: SQS` event: the queue it reads, batch size and partial-failure reporting."""

    function_logical_id: str
    queue_logical_id: str
    batch_size: int
    report_batch_item_failures: bool


def _logical_id_of(value: Any, what: str) -> str:
    """The resource a `!GetAtt X.Attr` / `!Ref X` names (event sources and redrive targets point at resources)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return str(parts[0])
        if key == "Ref":
            return str(arg)
    raise TemplateError(f"{what}: expected !GetAtt <LogicalId>.<Attribute> or !Ref <LogicalId>, got {value!r}")


def _as_int(value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"expected a number, got {value!r}") from exc


def sqs_queues(template: Mapping[str, Any]) -> dict[str, QueueSpec]:
    """Every AWS::SQS::Queue with its visibility timeout, retention and redrive policy (DLQ + maxReceiveCount)."""
    out: dict[str, QueueSpec] = {}
    for logical_id, resource in resources_of_type(template, "AWS::SQS::Queue").items():
        props = resource_properties(resource)
        redrive = props.get("RedrivePolicy")
        dlq: str | None = None
        max_receive: int | None = None
        if isinstance(redrive, dict):
            dlq = _logical_id_of(redrive.get("deadLetterTargetArn"), f"{logical_id} RedrivePolicy")
            max_receive = _as_int(redrive.get("maxReceiveCount"), None)
        out[logical_id] = QueueSpec(
            logical_id=logical_id,
            visibility_timeout_s=_as_int(props.get("VisibilityTimeout"), None),
            message_retention_s=_as_int(props.get("MessageRetentionPeriod"), None),
            dead_letter_logical_id=dlq,
            max_receive_count=max_receive,
        )
    return out


def _function_events(template: Mapping[str, Any], event_type: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in (resource_properties(resource).get("Events") or {}).values():
            if isinstance(event, dict) and event.get("Type") == event_type:
                props = event.get("Properties") or {}
                found.append((logical_id, props if isinstance(props, dict) else {}))
    return found


def _filter_patterns(props: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    criteria = props.get("FilterCriteria")
    filters = (criteria.get("Filters") or []) if isinstance(criteria, dict) else []
    patterns: list[dict[str, Any]] = []
    for entry in filters:
        raw = entry.get("Pattern") if isinstance(entry, dict) else None
        parsed = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(parsed, dict):
            raise TemplateError(f"FilterCriteria pattern must be a JSON object, got {raw!r}")
        patterns.append(parsed)
    return tuple(patterns)


def dynamodb_event_sources(template: Mapping[str, Any]) -> list[StreamEventSource]:
    """Every `Type: DynamoDB` event of every function (SAM defaults where the template sets nothing)."""
    sources: list[StreamEventSource] = []
    for logical_id, props in _function_events(template, "DynamoDB"):
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        retries = _as_int(props.get("MaximumRetryAttempts"), RETRY_UNTIL_EXPIRED)
        sources.append(
            StreamEventSource(
                function_logical_id=logical_id,
                table_logical_id=_logical_id_of(props.get("Stream"), f"{logical_id} DynamoDB event Stream"),
                batch_size=_as_int(props.get("BatchSize"), SAM_DEFAULT_STREAM_BATCH_SIZE) or 1,
                starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                max_retry_attempts=RETRY_UNTIL_EXPIRED if retries is None or retries < 0 else retries,
                bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                filter_patterns=_filter_patterns(props),
                on_failure_logical_id=(
                    _logical_id_of(on_failure, f"{logical_id} OnFailure destination") if on_failure else None
                ),
            )
        )
    return sources


def sqs_event_sources(template: Mapping[str, Any]) -> list[QueueEventSource]:
    """Every `Type: SQS` event of every function."""
    return [
        QueueEventSource(
            function_logical_id=logical_id,
            queue_logical_id=_logical_id_of(props.get("Queue"), f"{logical_id} SQS event Queue"),
            batch_size=_as_int(props.get("BatchSize"), SAM_DEFAULT_SQS_BATCH_SIZE) or 1,
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        )
        for logical_id, props in _function_events(template, "SQS")
    ]
