"""How the adapters are set up: settings from the environment, and botocore clients built for a short cold start."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader
from pydantic import ValidationError

from shared.adapters import aws
from shared.adapters.aws import SERVICES_USED, PlainDictJSONFileLoader, ServicesUsedLoader, aws_client
from shared.config import (
    DEFAULT_SCORED_IMPORTERS,
    ConfigurationError,
    FunctionSettings,
    PublisherSettings,
    RunPlannerSettings,
    Settings,
    require_settings,
    required_variables,
)
from tests.support import RawBody

# ----------------------------------------------------------------------------------------- settings


def test_settings_read_the_documented_variables(monkeypatch) -> None:
    for name, value in {
        "TABLE_NAME": "RiskTable-prod",
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8000",
        "AWS_REGION": "eu-west-1",
        "HISTORY_RETENTION_DAYS": "30",
        "SCORED_IMPORTERS": "jp us  eu",
        "RESCORE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q",
        "EVENT_BUS_NAME": "ScoreEvents",
        "SCORE_CHANGE_THRESHOLD": "2.5",
        "CHUNK_PAIRS": "500",
        "MAX_RECEIVE_COUNT": "5",
    }.items():
        monkeypatch.setenv(name, value)

    settings = Settings.from_environment()

    assert settings.table_name == "RiskTable-prod"
    assert settings.dynamodb_endpoint_url == "http://127.0.0.1:8000"
    assert settings.aws_region == "eu-west-1"
    assert settings.history_retention_days == 30
    assert settings.scored_importer_codes == ("EU", "JP", "US")
    assert settings.rescore_queue_url == "https://sqs.eu-west-1.amazonaws.com/1/q"
    assert settings.event_bus_name == "ScoreEvents"
    assert settings.score_change_threshold == 2.5
    assert (settings.chunk_pairs, settings.max_receive_count) == (500, 5)


def test_settings_default_when_unset_and_fall_back_to_the_default_region(monkeypatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")

    settings = Settings.from_environment()

    assert settings.aws_region == "ap-northeast-1"
    # the resources a function talks to have no default: unset is None here, and each function requires its own
    assert (settings.table_name, settings.rescore_queue_url, settings.event_bus_name) == (None, None, None)
    assert settings.dynamodb_endpoint_url is None
    # unset: no override, so shared.services.importers scores every economy with enough own data (plus the EU)
    assert settings.scored_importers == ""
    assert settings.scored_importer_codes == ()
    assert len(DEFAULT_SCORED_IMPORTERS.split()) == 21  # the G20 set tests and benchmarks use


@pytest.mark.parametrize(
    ("name", "value"),
    [("CHUNK_PAIRS", "0"), ("HISTORY_RETENTION_DAYS", "-1"), ("SCORE_CHANGE_THRESHOLD", "101"), ("CHUNK_PAIRS", "x")],
)
def test_a_bad_setting_fails_naming_the_variable(monkeypatch, name, value) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=name):
        Settings.from_environment()


@pytest.mark.parametrize(
    ("model", "required"),
    [
        (FunctionSettings, {"TABLE_NAME"}),
        (RunPlannerSettings, {"TABLE_NAME", "RESCORE_QUEUE_URL"}),
        (PublisherSettings, {"TABLE_NAME", "EVENT_BUS_NAME"}),
        (Settings, set()),
    ],
)
def test_each_function_model_requires_the_resources_it_uses_and_defaults_the_rest(model, required) -> None:
    assert required_variables(model) == required


def test_require_settings_logs_one_line_naming_every_missing_or_bad_variable(monkeypatch) -> None:
    from shared.observability import logger

    for name in ("TABLE_NAME", "RESCORE_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHUNK_PAIRS", "0")
    stream = io.StringIO()
    handler = logger.registered_handler
    monkeypatch.setattr(handler, "stream", stream)

    with pytest.raises(ConfigurationError) as raised:
        require_settings(RunPlannerSettings)

    message = str(raised.value)
    assert "TABLE_NAME is not set" in message and "RESCORE_QUEUE_URL is not set" in message
    assert "CHUNK_PAIRS: Input should be greater than or equal to 1" in message
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["level"] == "ERROR"
    assert lines[0]["variables"] == ["CHUNK_PAIRS", "RESCORE_QUEUE_URL", "TABLE_NAME"]
    assert "RESCORE_QUEUE_URL is not set" in lines[0]["message"]


def test_an_empty_required_variable_is_refused_like_a_missing_one(monkeypatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "")

    with pytest.raises(ConfigurationError, match="TABLE_NAME: String should have at least 1 character"):
        require_settings(FunctionSettings)


def test_require_settings_returns_the_validated_model(monkeypatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "RiskTable-prod")
    monkeypatch.setenv("EVENT_BUS_NAME", "ScoreEvents")

    settings = require_settings(PublisherSettings)

    assert (settings.table_name, settings.event_bus_name) == ("RiskTable-prod", "ScoreEvents")


def test_settings_are_frozen() -> None:
    settings = Settings.from_environment()

    with pytest.raises(ValidationError):
        settings.table_name = "other"  # type: ignore[misc]


# ----------------------------------------------------------------------------------------- botocore clients


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # fake credentials: without them, building a client walks botocore's credential chain up to the EC2 instance
    # metadata service (a network call; the unit tier has no sockets)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws._session.cache_clear()
    yield
    aws._session.cache_clear()


@pytest.mark.parametrize("service", SERVICES_USED)
@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_our_loader_loads_the_same_models_as_botocores(service, type_name) -> None:
    ours, botocores = ServicesUsedLoader(), Loader()

    assert ours.load_service_model(service, type_name) == botocores.load_service_model(service, type_name)


@pytest.mark.parametrize("name", ["endpoints", "partitions", "_retry", "sdk-default-configuration"])
def test_our_loader_loads_the_same_shared_data_as_botocores(name) -> None:
    assert ServicesUsedLoader().load_data(name) == Loader().load_data(name)


def test_the_plain_dict_loader_reads_plain_and_gzipped_json(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "plain.json").write_text('{"b": 1, "a": {"d": [1, 2], "c": null}}', encoding="utf-8")
    with gzip.open(tmp_path / "zipped.json.gz", "wb") as zipped:
        zipped.write(b'{"z": 1, "y": 2}')
    loader = PlainDictJSONFileLoader()

    plain = loader.load_file(str(tmp_path / "plain"))
    assert plain == {"b": 1, "a": {"d": [1, 2], "c": None}}
    assert list(plain) == ["b", "a"] and list(plain["a"]) == ["d", "c"]  # order kept, as OrderedDict did
    assert list(loader.load_file(str(tmp_path / "zipped"))) == ["z", "y"]
    assert loader.load_file(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("type_name", ["service-2", "waiters-2"])
def test_available_services_are_botocores_answer_restricted_to_the_services_used(type_name) -> None:
    expected = [s for s in Loader().list_available_services(type_name) if s in SERVICES_USED]

    assert ServicesUsedLoader().list_available_services(type_name) == expected


def test_clients_for_the_services_used_are_built_with_our_config(fresh_session) -> None:
    for service in SERVICES_USED:
        client = aws_client(service, "eu-west-1")
        assert client.meta.service_model.service_name == service
        assert client.meta.region_name == "eu-west-1"
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_requests_are_not_validated_client_side(fresh_session, monkeypatch) -> None:
    # DynamoDB validates every request anyway; botocore's own check was a third of the nightly overhead
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = aws_client("dynamodb", "eu-west-1")
    sent: list[bytes] = []

    def answer_locally(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        return AWSResponse(request.url, 200, HTTPHeaders(), RawBody(b"{}"))

    client.meta.events.register("before-send.dynamodb.GetItem", answer_locally)

    client.get_item(TableName="t", Key={"pk": {"S": "x"}}, ConsistentRead="yes")  # no ParamValidationError

    assert json.loads(sent[0])["ConsistentRead"] == "yes"


def test_a_service_not_listed_as_used_is_unknown(fresh_session) -> None:
    # a new AWS dependency must be added to SERVICES_USED, where the cold-start trade-off is explained
    with pytest.raises(UnknownServiceError):
        aws_client("s3", "eu-west-1")


def test_models_on_aws_data_path_still_come_first(tmp_path: Path, monkeypatch, fresh_session) -> None:
    model = Loader().load_service_model("dynamodb", "service-2")
    model["documentation"] = "a model from AWS_DATA_PATH"
    version_dir = tmp_path / "dynamodb" / model["metadata"]["apiVersion"]
    version_dir.mkdir(parents=True)
    (version_dir / "service-2.json").write_text(json.dumps(model), encoding="utf-8")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    client = aws_client("dynamodb", "eu-west-1")

    assert client.meta.service_model.documentation == "a model from AWS_DATA_PATH"


# ----------------------------------------------------------------------------------------- runtime


def test_gc_paused_turns_the_collector_off_for_the_block_and_restores_it() -> None:
    import gc

    from shared.runtime import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner block does not turn it back on early
    assert gc.isenabled()

    with pytest.raises(ValueError), gc_paused():
        raise ValueError("a failing chunk")
    assert gc.isenabled()
