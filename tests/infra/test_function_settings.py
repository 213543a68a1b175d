"""Each function's required settings: validated at init (a missing variable fails it, naming the variable), and
given by template.yaml (and the sam local env file) to every function that requires them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.config import FunctionSettings, required_variables
from tooling.sam_template import function_handlers

REPO_ROOT = Path(__file__).resolve().parents[2]
SAM_LOCAL_ENV = REPO_ROOT / "events" / "env" / "sam-local.json"
#: set by the Lambda runtime itself, never by the template (AWS_REGION is reserved)
RUNTIME_VARIABLES = frozenset({"AWS_REGION", "AWS_DEFAULT_REGION"})


def handler_modules(template: dict[str, Any]) -> dict[str, str]:
    """logical id -> the module of its handler (functions.read_api.app)."""
    return {name: handler.rsplit(".", 1)[0] for name, handler in function_handlers(template).items()}


def settings_model(module_name: str) -> type[FunctionSettings]:
    """The model the handler module validated at its init (tests/conftest.py sets what every model requires)."""
    settings = importlib.import_module(module_name).SETTINGS_AT_INIT
    assert isinstance(settings, FunctionSettings), f"{module_name} validates no FunctionSettings at init"
    return type(settings)


def template_variables(template: dict[str, Any], logical_id: str) -> set[str]:
    globals_env = ((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    own_env = (template["Resources"][logical_id].get("Properties") or {}).get("Environment") or {}
    return {*(globals_env.get("Variables") or {}), *(own_env.get("Variables") or {})}


def test_every_function_validates_a_settings_model_at_init(template) -> None:
    modules = handler_modules(template)
    assert len(modules) == 7
    for logical_id, module in modules.items():
        assert "TABLE_NAME" in required_variables(settings_model(module)), logical_id


def test_the_template_gives_every_function_each_variable_its_model_requires(template) -> None:
    for logical_id, module in handler_modules(template).items():
        required = required_variables(settings_model(module)) - RUNTIME_VARIABLES
        missing = required - template_variables(template, logical_id)
        assert not missing, f"{logical_id} requires {sorted(missing)} but template.yaml does not set them"


def test_the_sam_local_env_file_gives_every_function_what_it_requires(template) -> None:
    # sam local invoke --env-vars events/env/sam-local.json: "Parameters" for every function, then its own object
    env_file = json.loads(SAM_LOCAL_ENV.read_text(encoding="utf-8"))
    for logical_id, module in handler_modules(template).items():
        given = {**env_file.get("Parameters", {}), **env_file.get(logical_id, {})}
        missing = required_variables(settings_model(module)) - RUNTIME_VARIABLES - set(given)
        assert not missing, f"{SAM_LOCAL_ENV.name} lacks {sorted(missing)} for {logical_id}"
        # SAM only overrides variables the template declares for the function: anything else would be ignored
        assert set(given) <= template_variables(template, logical_id) | {"DYNAMODB_ENDPOINT_URL"}, logical_id


def _import_in_a_fresh_process(modules: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    return subprocess.run(  # a fixed argv: this interpreter imports the handler modules  # nosec B603
        [sys.executable, "-c", code, *modules],
        cwd=REPO_ROOT,
        env={**environment, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _base_environment() -> dict[str, str]:
    """This process's environment minus every resource name a function can require."""
    every_required = required_variables(FunctionSettings) | {
        "RESCORE_QUEUE_URL",
        "EVENT_BUS_NAME",
        "SUBSCRIPTION_KEY_ID",
        "DELIVERY_QUEUE_URL",
        "DELIVERY_DLQ_URL",
    }
    return {k: v for k, v in os.environ.items() if k not in every_required}


@pytest.fixture(scope="module")
def modules_by_function(template) -> dict[str, str]:
    return handler_modules(template)


@pytest.mark.parametrize(
    "logical_id",
    [
        "ReadApiFunction",
        "PortfolioApiFunction",
        "AdminApiFunction",
        "StreamRescoreFunction",
        "NightlyPlannerFunction",
        "RescoreWorkerFunction",
        "AlertDeliveryFunction",
    ],
)
def test_a_function_without_a_required_variable_fails_its_init_with_one_line_naming_it(
    modules_by_function, logical_id
) -> None:
    module = modules_by_function[logical_id]
    required = sorted(required_variables(settings_model(module)))
    # all but TABLE_NAME set: the log line names exactly what is missing
    for absent in required:
        environment = {**_base_environment(), **{name: "set" for name in required if name != absent}}

        done = _import_in_a_fresh_process([module], environment)

        assert done.returncode != 0, f"{module} imported without {absent}"
        errors = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        errors = [line for line in errors if line.get("level") == "ERROR"]
        assert len(errors) == 1, done.stdout
        assert errors[0]["variables"] == [absent]
        assert f"{absent} is not set" in errors[0]["message"]
        assert "ConfigurationError" in done.stderr and absent in done.stderr.splitlines()[-1]


def test_every_function_inits_with_its_variables_set(modules_by_function) -> None:
    environment = {
        **_base_environment(),
        "TABLE_NAME": "RiskTable-prod",
        "RESCORE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q",
        "EVENT_BUS_NAME": "ScoreEvents",
        "SUBSCRIPTION_KEY_ID": "arn:aws:kms:eu-west-1:1:key/k",
        "DELIVERY_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/d",
        "DELIVERY_DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/1/dlq",
    }

    done = _import_in_a_fresh_process(sorted(modules_by_function.values()), environment)

    assert done.returncode == 0, done.stderr
    assert '"level":"ERROR"' not in done.stdout
