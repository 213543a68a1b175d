"""The template's values as the local stack sees them: intrinsics resolved to local strings.

tooling.sam_template reads what template.yaml declares; this module decides what `!Ref`, `!GetAtt`, `!Sub` and
`!Join` become locally (the local table name, fixed local account and region, the local messaging endpoint's
queue URLs and bus names), for the functions' environments and the bus names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local.lambda_worker import LOCAL_ACCOUNT_ID, LOCAL_REGION
from tooling.sam_template import (
    TemplateError,
    function_variables,
    resource_properties,
    resources_of_type,
    template_resources,
)

LOCAL_TABLE_NAME = "RiskTable-local"
LOCAL_STACK_NAME = "materials-risk-local"


_PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::Region": LOCAL_REGION,
    "AWS::AccountId": LOCAL_ACCOUNT_ID,
    "AWS::StackName": LOCAL_STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:stack/{LOCAL_STACK_NAME}/local",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": "",
}


def function_environment(
    template: Mapping[str, Any],
    logical_id: str,
    *,
    table_name: str = LOCAL_TABLE_NAME,
    resource_values: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment variables of one function: Globals merged with the function's own, intrinsics resolved locally.

    `!Ref <AWS::DynamoDB::Table>` -> `table_name`; `!Ref <Parameter>` -> its Default; pseudo parameters ->
    fixed local values; any other resource -> `resource_values[logical_id]` or "<LogicalId>-local";
    `!GetAtt X.Attr` -> `resource_values["X.Attr"]`, else `resource_values["X"]`, else a placeholder.
    """
    values = function_variables(template, logical_id)  # raises TemplateError for an unknown function
    resolver = _LocalResolver(template, table_name, resource_values or {})
    return {name: resolver.resolve(value) for name, value in values.items()}


def resolve_local(
    template: Mapping[str, Any],
    value: Any,
    *,
    table_name: str = LOCAL_TABLE_NAME,
    resource_values: Mapping[str, str] | None = None,
) -> str:
    """One template value (a literal or an intrinsic: Ref, GetAtt, Sub, Join) resolved to its local string."""
    return _LocalResolver(template, table_name, resource_values or {}).resolve(value)


class _LocalResolver:
    """Resolves the intrinsic functions environment variables commonly use to local strings."""

    def __init__(self, template: Mapping[str, Any], table_name: str, resource_values: Mapping[str, str]):
        self._template = template
        self._table_name = table_name
        self._resource_values = resource_values

    def resolve(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self._get_att(str(parts[0]), str(parts[1]) if len(parts) > 1 else "")
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                return str(arg[0]).join(self.resolve(v) for v in arg[1])
        raise TemplateError(f"cannot resolve {value!r} to a local value")

    def _ref(self, name: str) -> str:
        if name in self._resource_values:
            return self._resource_values[name]
        if name in _PSEUDO_PARAMETERS:
            return _PSEUDO_PARAMETERS[name]
        parameters = self._template.get("Parameters") or {}
        if name in parameters:
            default = parameters[name].get("Default") if isinstance(parameters[name], dict) else None
            if default is None:
                raise TemplateError(f"parameter {name} has no Default to use locally")
            return self.resolve(default)
        resource = template_resources(self._template).get(name)
        if resource is None:
            raise TemplateError(f"!Ref {name}: no such parameter or resource")
        if resource.get("Type") == "AWS::DynamoDB::Table":
            return self._table_name
        return f"{name}-local"

    def _get_att(self, name: str, attribute: str) -> str:
        if f"{name}.{attribute}" in self._resource_values:
            return self._resource_values[f"{name}.{attribute}"]
        if name in self._resource_values:
            return self._resource_values[name]
        is_table = template_resources(self._template).get(name, {}).get("Type") == "AWS::DynamoDB::Table"
        if is_table and attribute == "Arn":
            return f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{self._table_name}"
        return f"{name}-{attribute}-local"

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = str(arg[0]), (arg[1] if len(arg) > 1 and isinstance(arg[1], dict) else {})
        else:
            text, variables = str(arg), {}

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return self.resolve(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                resource, _, attribute = expr.partition(".")
                return self._get_att(resource, attribute)
            return self._ref(expr)

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def event_buses(template: Mapping[str, Any], *, stack_name: str = LOCAL_STACK_NAME) -> dict[str, str]:
    """Logical id -> bus name (its Name property resolved locally, AWS::StackName = stack_name) for every
    AWS::Events::EventBus; a bus without a Name is named "<stack_name>-<LogicalId>" (as CloudFormation does)."""
    out: dict[str, str] = {}
    for logical_id, resource in resources_of_type(template, "AWS::Events::EventBus").items():
        name = resource_properties(resource).get("Name", f"{stack_name}-{logical_id}")
        out[logical_id] = resolve_local(template, name, resource_values={"AWS::StackName": stack_name})
    return out
