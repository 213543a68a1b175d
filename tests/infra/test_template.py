"""template.yaml invariants: cfn-lint clean, routes == resolvers, auth on every route, least privilege, log
retention, storage settings, Globals, DLQs behind every queue, handlers importable with only their template
environment, without AWS.

Every check walks the whole template (every function, every Api/SQS event, every policy), so functions added
later are covered without touching this file. The checkers return violations; a few synthetic templates prove
that the checks which pass vacuously today (no queues yet) do catch what they are meant to.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from local.template_values import function_environment
from scripts.generate_openapi import api_functions, load_resolver, oauth_scopes, resolver_routes
from tooling.sam_template import api_routes, function_handlers, load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
PUBLIC_ROUTES = {("GET", "/v1/health")}

#: Policy statements allowed `Resource: "*"`, keyed "<LogicalId>:<sorted actions>", each with its justification
#: (e.g. an action that supports no resource-level permissions). Keep it empty unless there is no other way.
WILDCARD_RESOURCE_EXCEPTIONS: dict[str, str] = {}

#: SAM policy templates that let a function change the table (or restore/reconfigure it).
WRITE_POLICY_TEMPLATES = frozenset(
    {
        "DynamoDBCrudPolicy",
        "DynamoDBWritePolicy",
        "DynamoDBReconfigurePolicy",
        "DynamoDBRestoreFromBackupPolicy",
        "DynamoDBBackupFullAccessAndRestorePolicy",
    }
)
#: DynamoDB actions that change data or tables; an Allow whose action pattern matches one of them is a write.
DYNAMODB_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:CreateTable",
    "dynamodb:UpdateTable",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:RestoreTableFromBackup",
)
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "*FullAccess")


# ----------------------------------------------------------------------------------------- template walking


def resources(template: dict[str, Any], resource_type: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        name: res
        for name, res in (template.get("Resources") or {}).items()
        if isinstance(res, dict) and (resource_type is None or res.get("Type") == resource_type)
    }


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties") or {}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


def global_function(template: dict[str, Any]) -> dict[str, Any]:
    return (template.get("Globals") or {}).get("Function") or {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ref_target(value: Any) -> str | None:
    """The logical id behind `!Ref X` or `!GetAtt X.Attr`, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
    return None


def statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every inline IAM statement: function Policies, IAM roles and policies."""
    for name, fn in functions(template).items():
        for policy in as_list(props(fn).get("Policies")):
            if isinstance(policy, dict) and "Statement" in policy:
                for statement in as_list(policy["Statement"]):
                    yield name, statement
    for name, role in resources(template, "AWS::IAM::Role").items():
        for policy in as_list(props(role).get("Policies")):
            for statement in as_list((policy.get("PolicyDocument") or {}).get("Statement")):
                yield name, statement
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
        for name, policy in resources(template, resource_type).items():
            for statement in as_list((props(policy).get("PolicyDocument") or {}).get("Statement")):
                yield name, statement


def function_write_grants(template: dict[str, Any], name: str) -> list[str]:
    """What in a function's Policies lets it write to DynamoDB."""
    grants: list[str] = []
    for policy in as_list(props(functions(template)[name]).get("Policies")):
        if isinstance(policy, str) and fnmatch.fnmatchcase(policy.rsplit("/", 1)[-1], "*DynamoDB*FullAccess*"):
            grants.append(f"managed policy {policy}")
        elif isinstance(policy, dict) and "Statement" in policy:
            for statement in as_list(policy["Statement"]):
                if statement.get("Effect", "Allow") != "Allow":
                    continue
                for action in as_list(statement.get("Action")):
                    hits = [a for a in DYNAMODB_WRITE_ACTIONS if fnmatch.fnmatchcase(a.lower(), str(action).lower())]
                    if hits:
                        grants.append(f"statement action {action} ({', '.join(hits)})")
        elif isinstance(policy, dict):
            grants.extend(f"policy template {key}" for key in policy if key in WRITE_POLICY_TEMPLATES)
    return grants


def wildcard_resource_violations(template: dict[str, Any]) -> list[str]:
    violations = []
    for name, statement in statements(template):
        if "*" not in [str(r) for r in as_list(statement.get("Resource"))]:
            continue
        key = f"{name}:{','.join(sorted(str(a) for a in as_list(statement.get('Action'))))}"
        if key not in WILDCARD_RESOURCE_EXCEPTIONS:
            violations.append(key)
    return violations


def queue_event_sources(template: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(owner, queue ARN expression, event-source properties) for every SQS event source in the template."""
    for name, fn in functions(template).items():
        for event_name, event in (props(fn).get("Events") or {}).items():
            if isinstance(event, dict) and event.get("Type") == "SQS":
                yield (
                    f"{name}.{event_name}",
                    (event.get("Properties") or {}).get("Queue"),
                    event.get("Properties") or {},
                )
    for name, mapping in resources(template, "AWS::Lambda::EventSourceMapping").items():
        arn = props(mapping).get("EventSourceArn")
        target = ref_target(arn)
        if target and resources(template).get(target, {}).get("Type") == "AWS::SQS::Queue":
            yield name, arn, props(mapping)


def queue_violations(template: dict[str, Any]) -> list[str]:
    violations = []
    queues = resources(template, "AWS::SQS::Queue")
    for owner, arn, source in queue_event_sources(template):
        target = ref_target(arn)
        if target not in queues:
            violations.append(f"{owner}: queue {arn!r} is not an AWS::SQS::Queue of this template (cannot check DLQ)")
            continue
        redrive = props(queues[target]).get("RedrivePolicy") or {}
        dlq = ref_target(redrive.get("deadLetterTargetArn"))
        if dlq not in queues:
            violations.append(f"{owner}: queue {target} has no RedrivePolicy.deadLetterTargetArn to a queue")
        if not redrive.get("maxReceiveCount"):
            violations.append(f"{owner}: queue {target} RedrivePolicy has no maxReceiveCount")
        if "ReportBatchItemFailures" not in as_list(source.get("FunctionResponseTypes")):
            violations.append(f"{owner}: SQS event source without FunctionResponseTypes [ReportBatchItemFailures]")
    return violations


# ----------------------------------------------------------------------------------------- cfn-lint


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE_PATH)
    assert not matches, "cfn-lint:\n" + "\n".join(str(m) for m in matches)


# ----------------------------------------------------------------------------------------- routes and auth


def _app_modules() -> list[str]:
    return sorted(f"functions.{path.parent.name}.app" for path in (REPO_ROOT / "functions").glob("*/app.py"))


@pytest.mark.parametrize("logical_id", sorted(f.logical_id for f in api_functions(load_template())))
def test_template_routes_equal_the_routes_of_the_function_resolver(template, logical_id) -> None:
    (function,) = [f for f in api_functions(template) if f.logical_id == logical_id]
    in_template = {(r.method, r.path) for r in function.routes}
    in_resolver = resolver_routes(load_resolver(function.module))
    assert in_template - in_resolver == set(), f"template routes {logical_id} does not serve"
    assert in_resolver - in_template == set(), f"routes {function.module} serves without an Api event"


def test_every_resolver_module_is_wired_to_a_function_with_api_events(template) -> None:
    wired = {f.module for f in api_functions(template)}
    resolvers = [
        module
        for module in _app_modules()
        if isinstance(getattr(importlib.import_module(module), "app", None), APIGatewayRestResolver)
    ]
    assert resolvers, "no functions/<role>/app.py defines an `app` resolver"
    assert sorted(set(resolvers) - wired) == [], "resolvers no template function with Api events serves"


def test_no_route_is_declared_twice(template) -> None:
    keys = [(r.method, r.path) for r in api_routes(template)]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_every_route_but_health_needs_a_cognito_scope(template) -> None:
    known_scopes = set(oauth_scopes(template))
    assert known_scopes, "the template declares no OAuth scopes (AWS::Cognito::UserPoolResourceServer)"
    for route in api_routes(template):
        where = f"{route.method} {route.path} ({route.function_logical_id})"
        if (route.method, route.path) in PUBLIC_ROUTES:
            assert not route.auth_required, f"{where} must be public (Auth.Authorizer: NONE)"
            continue
        assert route.auth_required, f"{where} has no authorizer"
        assert route.scopes, f"{where} has no AuthorizationScopes"
        assert set(route.scopes) <= known_scopes, f"{where} names unknown scopes {set(route.scopes) - known_scopes}"


def test_health_opts_out_of_the_authorizer_explicitly(template) -> None:
    for fn in functions(template).values():
        for event in (props(fn).get("Events") or {}).values():
            p = event.get("Properties") or {}
            if event.get("Type") == "Api" and (str(p.get("Method")).upper(), p.get("Path")) in PUBLIC_ROUTES:
                assert (p.get("Auth") or {}).get("Authorizer") == "NONE"


# ----------------------------------------------------------------------------------------- least privilege


#: Functions that must never write, whatever their routes' methods (POST batch/scenario reads included).
READ_ONLY_FUNCTIONS = frozenset({"ReadApiFunction"})


def test_read_only_functions_cannot_write_to_dynamodb(template) -> None:
    get_only = {f.logical_id for f in api_functions(template) if all(r.method == "GET" for r in f.routes)}
    read_only = sorted(get_only | READ_ONLY_FUNCTIONS)
    for name in read_only:
        assert function_write_grants(template, name) == [], f"{name} serves only GET routes but can write"


def test_no_statement_grants_every_resource(template) -> None:
    assert wildcard_resource_violations(template) == [], (
        "statements with Resource '*': scope them, or add a justified entry to WILDCARD_RESOURCE_EXCEPTIONS"
    )


def test_no_broad_managed_policies(template) -> None:
    for name, fn in functions(template).items():
        for policy in as_list(props(fn).get("Policies")):
            if isinstance(policy, str):
                short = policy.rsplit("/", 1)[-1]
                assert not any(fnmatch.fnmatchcase(short, p) for p in BROAD_MANAGED_POLICIES), f"{name}: {policy}"


def test_the_checks_catch_write_grants_and_wildcards(template) -> None:
    bad = copy.deepcopy(template)
    name = next(iter(functions(bad)))
    bad["Resources"][name]["Properties"]["Policies"] = [
        {"DynamoDBCrudPolicy": {"TableName": {"Ref": "RiskTable"}}},
        {"Statement": [{"Effect": "Allow", "Action": ["dynamodb:Put*"], "Resource": "*"}]},
    ]
    assert len(function_write_grants(bad, name)) == 2
    assert wildcard_resource_violations(bad) == [f"{name}:dynamodb:Put*"]


# ----------------------------------------------------------------------------------------- logs


def test_every_function_logs_to_a_log_group_with_retention(template) -> None:
    log_groups = resources(template, "AWS::Logs::LogGroup")
    default_config = global_function(template).get("LoggingConfig") or {}
    for name, fn in functions(template).items():
        config = props(fn).get("LoggingConfig") or default_config
        target = ref_target(config.get("LogGroup"))
        assert target in log_groups, f"{name}: LoggingConfig.LogGroup must !Ref an AWS::Logs::LogGroup"
        assert props(log_groups[target]).get("RetentionInDays"), f"{name}: log group {target} keeps logs forever"


def test_every_log_group_has_a_retention(template) -> None:
    for name, group in resources(template, "AWS::Logs::LogGroup").items():
        assert props(group).get("RetentionInDays"), f"{name} has no RetentionInDays"


# ----------------------------------------------------------------------------------------- storage and Globals


def _the_table(template: dict[str, Any]) -> str:
    env = (global_function(template).get("Environment") or {}).get("Variables") or {}
    table = ref_target(env.get("TABLE_NAME"))
    assert table in resources(template, "AWS::DynamoDB::Table"), "Globals TABLE_NAME must !Ref the table"
    return table


def test_every_table_is_on_demand_encrypted_and_recoverable(template) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    assert tables
    for name, table in tables.items():
        p = props(table)
        assert p.get("BillingMode") == "PAY_PER_REQUEST", name
        assert (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is True, name
        assert (p.get("SSESpecification") or {}).get("SSEEnabled") is True, name


def test_the_risk_table_streams_changes_expires_history_and_survives_stack_deletion(template) -> None:
    table = resources(template)[_the_table(template)]
    assert table.get("DeletionPolicy") == "Retain"
    p = props(table)
    assert (p.get("StreamSpecification") or {}).get("StreamViewType") == "NEW_AND_OLD_IMAGES"
    assert p.get("TimeToLiveSpecification") == {"AttributeName": "expires_at", "Enabled": True}


def test_globals_pin_runtime_architecture_and_code_uri(template) -> None:
    glob = global_function(template)
    assert glob.get("Runtime") == "python3.13"
    assert glob.get("Architectures") == ["arm64"]
    assert glob.get("CodeUri") == "."
    for name, fn in functions(template).items():
        for key in ("Runtime", "Architectures", "CodeUri"):
            assert key not in props(fn) or props(fn)[key] == glob[key], f"{name} overrides Globals {key}"


# ----------------------------------------------------------------------------------------- queues


def test_every_queue_event_source_has_a_dlq_and_reports_partial_failures(template) -> None:
    # Passes vacuously until the nightly worker's queue is added.
    assert queue_violations(template) == []


def test_the_queue_check_catches_a_queue_without_dlq(template) -> None:
    bad = copy.deepcopy(template)
    name = next(iter(functions(bad)))
    bad["Resources"]["WorkQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    bad["Resources"][name]["Properties"]["Events"]["Work"] = {
        "Type": "SQS",
        "Properties": {"Queue": {"Fn::GetAtt": ["WorkQueue", "Arn"]}, "BatchSize": 10},
    }
    assert len(queue_violations(bad)) == 3

    bad["Resources"]["WorkDLQ"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    bad["Resources"]["WorkQueue"]["Properties"]["RedrivePolicy"] = {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WorkDLQ", "Arn"]},
        "maxReceiveCount": 5,
    }
    bad["Resources"][name]["Properties"]["Events"]["Work"]["Properties"]["FunctionResponseTypes"] = [
        "ReportBatchItemFailures"
    ]
    assert queue_violations(bad) == []


# ----------------------------------------------------------------------------------------- handlers

_IMPORT_WITHOUT_ENV_OR_NETWORK = """
import gc, importlib, json, socket, sys

collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)

def _no_network(*args, **kwargs):
    raise RuntimeError("network access at import time")

socket.socket.connect = _no_network
socket.create_connection = _no_network
module_name, attribute = sys.argv[1].rsplit(".", 1)
# Count from the first line of the package that pauses the GC: finding and compiling that package itself (a stale
# bytecode cache) may allocate enough for a collection before it runs.
importlib.import_module(module_name.split(".")[0])
collections.clear()
module = importlib.import_module(module_name)
handler = getattr(module, attribute, None)
print(json.dumps({
    "callable": callable(handler),
    "collections_during_import": len(collections),
    "gc_enabled_after": gc.isenabled(),
    "frozen_objects": gc.get_freeze_count(),
}))
"""


@pytest.mark.parametrize(("logical_id", "handler"), sorted(function_handlers(load_template()).items()))
def test_handler_imports_with_only_its_template_environment_and_no_aws(logical_id, handler) -> None:
    # the variables template.yaml gives the function (it validates the ones it requires at init, decisions.md 54);
    # no credentials, no region, no network
    clean_env = {
        **function_environment(load_template(), logical_id),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT_ENV_OR_NETWORK, handler],
        cwd=REPO_ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{logical_id}: importing {handler} failed:\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["callable"], f"{handler} is not callable"
    # functions/__init__.py pauses the cyclic GC for the init phase; the module's init_done() freezes and resumes it
    # (shared/runtime.py)
    assert report["collections_during_import"] == 0, f"{handler}: the GC ran while the function's modules loaded"
    assert report["gc_enabled_after"], f"{handler}: the module does not end with init_done(), the GC stays off"
    assert report["frozen_objects"] > 10_000, f"{handler}: the objects built at import were not frozen"


# ----------------------------------------------------------------------------------------- table actions per function

#: What SAM's DynamoDB policy templates grant (SAM's policy_templates.json).
SAM_DYNAMODB_TEMPLATE_ACTIONS: dict[str, tuple[str, ...]] = {
    "DynamoDBReadPolicy": ("GetItem", "Scan", "Query", "BatchGetItem", "DescribeTable"),
    "DynamoDBWritePolicy": ("PutItem", "UpdateItem", "BatchWriteItem"),
    "DynamoDBCrudPolicy": (
        "GetItem", "DeleteItem", "PutItem", "Scan", "Query", "UpdateItem", "BatchWriteItem", "BatchGetItem",
        "DescribeTable", "ConditionCheckItem",
    ),
}  # fmt: skip
DYNAMODB_ACTIONS = (
    *DYNAMODB_WRITE_ACTIONS,
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem",
    "dynamodb:PartiQLSelect",
)


def dynamodb_grants(template: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    """(action, the statement's Condition) for every DynamoDB action a function's Policies allow, wildcards
    expanded against DYNAMODB_ACTIONS and SAM policy templates against what they grant."""
    grants: list[tuple[str, dict[str, Any]]] = []
    for policy in as_list(props(functions(template)[name]).get("Policies")):
        if isinstance(policy, str) and fnmatch.fnmatchcase(policy.rsplit("/", 1)[-1], "*DynamoDB*"):
            grants.extend((action, {}) for action in DYNAMODB_ACTIONS)  # a managed policy: assume the worst
        elif isinstance(policy, dict) and "Statement" in policy:
            for statement in as_list(policy["Statement"]):
                if statement.get("Effect", "Allow") != "Allow":
                    continue
                for pattern in as_list(statement.get("Action")):
                    grants.extend(
                        (action, statement.get("Condition") or {})
                        for action in DYNAMODB_ACTIONS
                        if fnmatch.fnmatchcase(action.lower(), str(pattern).lower())
                    )
        elif isinstance(policy, dict):
            for key in policy:
                grants.extend((f"dynamodb:{a}", {}) for a in SAM_DYNAMODB_TEMPLATE_ACTIONS.get(key, ()))
    return grants


def granted_actions(template: dict[str, Any], name: str) -> set[str]:
    return {action for action, _ in dynamodb_grants(template, name)}


def test_no_function_can_scan_the_table(template) -> None:
    # Every access pattern is a GetItem, Query or BatchGetItem (docs/architecture.md): a Scan is a bug or an abuse.
    for name in functions(template):
        assert "dynamodb:Scan" not in granted_actions(template, name), f"{name} may Scan the table"


def test_the_read_api_gets_queries_and_batch_gets_only(template) -> None:
    assert granted_actions(template, "ReadApiFunction") == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
    }


def test_the_stream_function_cannot_delete_or_update(template) -> None:
    granted = granted_actions(template, "StreamRescoreFunction")
    assert granted & {"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Scan"} == set()
    assert {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} <= granted, "it writes scores and history"


#: The portfolio function's writes must be conditioned on the partition key starting with this.
TENANT_LEADING_KEYS = ["TENANT#*"]


def tenant_write_violations(template: dict[str, Any], name: str) -> list[str]:
    """Write grants of `name` not confined to tenant partitions (dynamodb:LeadingKeys, every value like TENANT#*)."""
    violations = []
    for action, condition in dynamodb_grants(template, name):
        if action not in DYNAMODB_WRITE_ACTIONS:
            continue
        leading = (condition.get("ForAllValues:StringLike") or {}).get("dynamodb:LeadingKeys")
        if as_list(leading) != TENANT_LEADING_KEYS or set(condition) != {"ForAllValues:StringLike"}:
            violations.append(f"{action} with Condition {condition}")
    return violations


def test_the_portfolio_function_writes_only_tenant_partitions(template) -> None:
    assert tenant_write_violations(template, "PortfolioApiFunction") == []
    writes = granted_actions(template, "PortfolioApiFunction") & set(DYNAMODB_WRITE_ACTIONS)
    assert writes == {"dynamodb:PutItem", "dynamodb:DeleteItem"}


def test_the_tenant_check_catches_unconditioned_writes(template) -> None:
    bad = copy.deepcopy(template)
    policies = props(bad["Resources"]["PortfolioApiFunction"])["Policies"]
    policies.append({"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "x"}]})
    policies.append(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:DeleteItem",
                    "Resource": "x",
                    "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*"]}},
                }
            ]
        }
    )
    assert len(tenant_write_violations(bad, "PortfolioApiFunction")) == 2


def test_the_risk_table_refuses_deletion(template) -> None:
    assert props(resources(template)[_the_table(template)]).get("DeletionProtectionEnabled") is True


# ----------------------------------------------------------------------------------------- WAF and gateway responses


def _the_api(template: dict[str, Any]) -> str:
    (api,) = resources(template, "AWS::Serverless::Api")
    return api


def _web_acl(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    acls = resources(template, "AWS::WAFv2::WebACL")
    assert len(acls) == 1, f"expected one web ACL, found {sorted(acls)}"
    name, acl = next(iter(acls.items()))
    return name, props(acl)


def test_a_regional_web_acl_protects_the_api_stage(template) -> None:
    name, acl = _web_acl(template)
    assert acl.get("Scope") == "REGIONAL"
    assert acl.get("DefaultAction") == {"Allow": {}}
    api = _the_api(template)
    stage_arn = f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{api}}}/stages/${{{api}.Stage}}"
    associations = [
        props(a)
        for a in resources(template, "AWS::WAFv2::WebACLAssociation").values()
        if ref_target(props(a).get("WebACLArn")) == name
    ]
    assert [a.get("ResourceArn") for a in associations] == [{"Fn::Sub": stage_arn}]


#: AWS managed rule groups the web ACL must run, with the only rules allowed to count instead of block (and why).
REQUIRED_MANAGED_RULE_GROUPS: dict[str, dict[str, str]] = {
    "AWSManagedRulesCommonRuleSet": {
        "SizeRestrictions_BODY": "its 8 KB body cap would refuse portfolios; the functions cap bodies at 1 MiB (413)",
    },
    "AWSManagedRulesKnownBadInputsRuleSet": {},
}


@pytest.mark.parametrize("group_name", sorted(REQUIRED_MANAGED_RULE_GROUPS))
def test_the_web_acl_runs_the_aws_managed_rule_group(template, group_name) -> None:
    _, acl = _web_acl(template)
    rules = [
        r
        for r in acl.get("Rules") or []
        if (r["Statement"].get("ManagedRuleGroupStatement") or {}).get("Name") == group_name
    ]
    assert len(rules) == 1, f"the web ACL does not run {group_name}"
    rule = rules[0]
    group = rule["Statement"]["ManagedRuleGroupStatement"]
    assert group.get("VendorName") == "AWS"
    assert rule.get("OverrideAction") == {"None": {}}, "the group's rules must block, not only count"
    overridden = sorted(o["Name"] for o in group.get("RuleActionOverrides") or [])
    assert overridden == sorted(REQUIRED_MANAGED_RULE_GROUPS[group_name]), "an unjustified rule override"


def test_the_web_acl_limits_each_client_separately(template) -> None:
    _, acl = _web_acl(template)
    rate_rules = [r for r in acl.get("Rules") or [] if "RateBasedStatement" in r["Statement"]]
    assert len(rate_rules) == 1
    rule = rate_rules[0]
    statement = rule["Statement"]["RateBasedStatement"]
    assert "Block" in rule.get("Action", {})
    assert statement.get("AggregateKeyType") == "CUSTOM_KEYS"
    keys = statement.get("CustomKeys") or []
    # one aggregation instance per bearer token, i.e. per client (the authorizer runs after WAF)
    assert [k.get("Header", {}).get("Name", "").lower() for k in keys] == ["authorization"]
    limit = ref_target(statement.get("Limit"))
    assert limit in (template.get("Parameters") or {}), "the per-client limit is a template parameter"
    assert statement.get("EvaluationWindowSec") == 60
    custom = rule["Action"]["Block"].get("CustomResponse") or {}
    assert custom.get("ResponseCode") == 429
    body = json.loads(acl["CustomResponseBodies"][custom["CustomResponseBodyKey"]]["Content"])
    assert set(body) == {"error", "message", "details"}, "the API's one error shape"


def test_gateway_responses_carry_the_security_headers(template) -> None:
    from shared.http import SECURITY_HEADERS

    gateway_responses = props(resources(template)[_the_api(template)]).get("GatewayResponses") or {}
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(gateway_responses)
    for kind, response in gateway_responses.items():
        headers = (response.get("ResponseParameters") or {}).get("Headers") or {}
        assert headers == {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}, kind
