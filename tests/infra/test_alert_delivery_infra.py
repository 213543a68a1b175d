"""The alert-delivery resources of template.yaml (issue 16): the signing-secret key and who may use it, the
bus -> rule -> queue -> function wiring, the dead-letter queue and its alarm, least privilege."""

from __future__ import annotations

from typing import Any

from tests.infra.test_template import as_list, functions, props, ref_target, resources, statements

KEY = "SubscriptionSecretsKey"
QUEUE = "AlertDeliveryQueue"
DLQ = "AlertDeliveryDLQ"
RULE = "ScoreChangedToDeliveryRule"
FUNCTION = "AlertDeliveryFunction"
API = "PortfolioApiFunction"


def grants_on(template: dict[str, Any], target: str) -> dict[str, set[str]]:
    """{logical id: actions} of every Allow statement naming `target` (by Ref/GetAtt) as a resource."""
    found: dict[str, set[str]] = {}
    for name, statement in statements(template):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        if any(ref_target(r) == target for r in as_list(statement.get("Resource"))):
            found.setdefault(name, set()).update(str(a) for a in as_list(statement.get("Action")))
    return found


def actions_matching(template: dict[str, Any], prefix: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, statement in statements(template):
        for action in as_list(statement.get("Action")):
            if str(action).lower().startswith(prefix):
                found.setdefault(name, set()).add(str(action))
    return found


def test_the_secrets_key_rotates_is_retained_and_its_policy_names_only_the_account(template) -> None:
    key = resources(template)[KEY]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"  # sealed secrets outlive a stack update
    p = props(key)
    assert p["EnableKeyRotation"] is True and p["KeySpec"] == "SYMMETRIC_DEFAULT"
    policy = as_list(p["KeyPolicy"]["Statement"])
    # the one statement: the account (IAM decides); no service or wildcard principal is granted use in the key policy
    assert len(policy) == 1
    principal = policy[0]["Principal"]
    assert set(principal) == {"AWS"} and "iam::${AWS::AccountId}:root" in str(principal["AWS"])


def test_only_the_portfolio_api_encrypts_and_only_the_delivery_function_decrypts(template) -> None:
    assert grants_on(template, KEY) == {API: {"kms:Encrypt"}, FUNCTION: {"kms:Decrypt"}}
    assert actions_matching(template, "kms:") == {API: {"kms:Encrypt"}, FUNCTION: {"kms:Decrypt"}}
    for name in (API, FUNCTION):
        env = props(functions(template)[name])["Environment"]["Variables"]
        assert ref_target(env["SUBSCRIPTION_KEY_ID"]) == KEY


def test_score_changed_goes_bus_rule_queue_function(template) -> None:
    rule = props(resources(template)[RULE])
    assert ref_target(rule["EventBusName"]) == "ScoreEventsBus"
    assert rule["EventPattern"]["detail-type"] == ["ScoreChanged"]
    assert [ref_target(t["Arn"]) for t in rule["Targets"]] == [QUEUE]
    # the queue takes messages from this rule only
    (policy,) = [p for p in resources(template, "AWS::SQS::QueuePolicy").values() if QUEUE in str(props(p)["Queues"])]
    (statement,) = as_list(props(policy)["PolicyDocument"]["Statement"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert ref_target(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == RULE
    # and the delivery function is its only consumer, reporting partial failures
    consumers = [
        (name, event["Properties"])
        for name, fn in functions(template).items()
        for event in (props(fn).get("Events") or {}).values()
        if event.get("Type") == "SQS" and ref_target(event["Properties"]["Queue"]) == QUEUE
    ]
    assert [name for name, _ in consumers] == [FUNCTION]
    source = consumers[0][1]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"]["MaximumConcurrency"] >= 2
    timeout = props(functions(template)[FUNCTION])["Timeout"]
    assert props(resources(template)[QUEUE])["VisibilityTimeout"] >= 6 * timeout


def test_given_up_deliveries_go_to_an_alarmed_dlq(template) -> None:
    queue = props(resources(template)[QUEUE])
    assert ref_target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == DLQ
    dlq = props(resources(template)[DLQ])
    assert dlq["MessageRetentionPeriod"] == 14 * 86400 and dlq["SqsManagedSseEnabled"] is True
    assert queue["SqsManagedSseEnabled"] is True
    alarms = [
        props(a)
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if any(ref_target(d["Value"]) == DLQ for d in as_list(props(a).get("Dimensions")))
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Namespace"] == "AWS/SQS"
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    env = props(functions(template)[FUNCTION])["Environment"]["Variables"]
    assert ref_target(env["DELIVERY_DLQ_URL"]) == DLQ and ref_target(env["DELIVERY_QUEUE_URL"]) == QUEUE
    assert float(env["WEBHOOK_RETRY_WINDOW_SECONDS"]) <= 7 * 86400


def test_who_may_send_to_the_delivery_queues(template) -> None:
    # the function re-queues and dead-letters; the portfolio API only queues test events; nobody else
    assert grants_on(template, QUEUE) == {FUNCTION: {"sqs:SendMessage"}, API: {"sqs:SendMessage"}}
    assert grants_on(template, DLQ) == {FUNCTION: {"sqs:SendMessage"}}


def test_the_delivery_function_writes_only_tenant_partitions_and_reads_without_scans(template) -> None:
    writes: set[str] = set()
    for name, statement in statements(template):
        if name != FUNCTION:
            continue
        actions = {str(a) for a in as_list(statement.get("Action"))}
        assert "dynamodb:Scan" not in actions and not any(a.endswith("*") for a in actions)
        dynamo_writes = {a for a in actions if a in {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"}}
        if dynamo_writes:
            writes |= dynamo_writes
            leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert leading == ["TENANT#*"]
        assert not actions & {"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
    # delivered marks, failure records (a transaction's condition check), attempt log rows: puts only
    assert writes == {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"}
