"""What the local stack shares with the Lambda runtime: handler loading, context object, environment."""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from local.dynamodb_local import local_environment_defaults
from local.lambda_worker import Handler, HandlerImportError, LambdaContext, import_handler
from local.template_values import function_environment
from tooling.sam_template import FunctionSpec, function_handlers, function_spec

__all__ = [
    "Handler",
    "HandlerImportError",
    "LambdaContext",
    "apply_environment",
    "function_runtime_environment",
    "invoke_function",
    "load_handler",
    "restore_environment",
    "stack_environment",
]

# Variables the local stack removes: a profile that does not exist locally would break every boto3 client,
# and a real session token must not travel with fake keys.
UNSET_LOCALLY = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


_handler_cache: dict[str, Handler] = {}
_handler_lock = threading.Lock()


def load_handler(dotted_path: str) -> Handler:
    """Import `package.module.function` once and return the function (cached, like a warm Lambda)."""
    cached = _handler_cache.get(dotted_path)
    if cached is not None:
        return cached
    with _handler_lock:
        cached = _handler_cache.get(dotted_path)
        if cached is not None:
            return cached
        handler = import_handler(dotted_path)
        _handler_cache[dotted_path] = handler
        return handler


def clear_handler_cache() -> None:
    with _handler_lock:
        _handler_cache.clear()


def _optional_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def clear_settings_cache() -> None:
    """Drop the handlers' cached settings and adapters, so they re-read the environment on their next call.

    shared.config.get_settings and shared.adapters.factory's get_repository / get_chunk_queue / get_publisher are
    cached (a warm Lambda's clients); a client built before the local environment was set would keep pointing at
    the old table or endpoint.
    """
    factory = _optional_module("shared.adapters.factory")
    clear_adapters = getattr(factory, "clear_adapter_caches", None)
    if callable(clear_adapters):
        clear_adapters()
        return
    config = _optional_module("shared.config")
    cache_clear = getattr(getattr(config, "get_settings", None), "cache_clear", None)
    if callable(cache_clear):
        cache_clear()


#: One in-process invocation at a time. Lambda never runs two invocations in one execution environment, and the
#: handlers rely on it: Powertools' resolver keeps the current event on the module-level `app`, the BatchProcessor
#: keeps its records, Logger and Metrics are module-level. The local stack itself runs each function in worker
#: processes (local.function_workers); this is for callers that invoke in their own process (`make rescore`).
INVOCATION_LOCK = threading.RLock()


def invoke_function(spec: FunctionSpec, event: Any, *, request_id: str | None = None) -> Any:
    """Call one function's handler in this process as Lambda would: a fresh context, one invocation at a time."""
    context = LambdaContext(spec.logical_id, spec.memory_mb, spec.timeout_s)
    if request_id:
        context.aws_request_id = request_id
    with INVOCATION_LOCK:
        handler = load_handler(spec.handler)
        return handler(event, context)


def runtime_defaults(endpoint_url: str, service_endpoints: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables every local invocation gets on top of the template's: endpoints, region, fake credentials.

    `service_endpoints` are more of botocore's per-service endpoint variables (AWS_ENDPOINT_URL_SQS,
    AWS_ENDPOINT_URL_EVENTBRIDGE: see local.messaging), so the production adapters, which build their clients without
    an endpoint_url, reach the local stand-ins unchanged.
    """
    return {
        **local_environment_defaults(),
        "DYNAMODB_ENDPOINT_URL": endpoint_url,
        # botocore's own per-service endpoint variable: even a client built without endpoint_url stays local.
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url,
        **(service_endpoints or {}),
        "AWS_SAM_LOCAL": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        # webhooks may go to a receiver on this machine (http://127.0.0.1:<port>) in the local stack only
        "ALLOW_LOOPBACK_WEBHOOKS": "true",
        # ... and only there: other webhook hosts are refused before any DNS lookup (no traffic off the machine)
        "WEBHOOK_LOOPBACK_ONLY": "true",
        # webhook retries locally: 2 s doubling (not 30 s), for 10 minutes (not 6 hours), so a newcomer sees them
        "WEBHOOK_BASE_DELAY_SECONDS": os.environ.get("WEBHOOK_BASE_DELAY_SECONDS", "2"),
        "WEBHOOK_RETRY_WINDOW_SECONDS": os.environ.get("WEBHOOK_RETRY_WINDOW_SECONDS", "600"),
        # links in webhook bodies are paths locally (the template's value names the AWS stage)
        "API_BASE_URL": "",
    }


def function_runtime_environment(
    template: Mapping[str, Any],
    logical_id: str,
    *,
    table_name: str,
    endpoint_url: str,
    resource_values: Mapping[str, str] | None = None,
    service_endpoints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One function's environment as `sam local invoke` would give it, pointed at the local table.

    `resource_values` resolve `!Ref` / `!GetAtt` of other resources (e.g. RescoreQueue -> its local queue URL);
    without them such variables get "<LogicalId>-local" placeholders.
    """
    spec = function_spec(template, logical_id)
    return {
        **function_environment(template, logical_id, table_name=table_name, resource_values=resource_values),
        **runtime_defaults(endpoint_url, service_endpoints),
        "TABLE_NAME": table_name,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }


def stack_environment(
    template: Mapping[str, Any],
    *,
    table_name: str,
    endpoint_url: str,
    function_ids: Iterable[str] | None = None,
    resource_values: Mapping[str, str] | None = None,
    service_endpoints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of all the given functions at once (the local stack runs them in one process).

    The template's variables are merged; two functions that set one variable to different values cannot share
    a process, which raises ValueError. `resource_values` and `service_endpoints`: see
    function_runtime_environment and runtime_defaults.
    """
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    ids = list(function_ids) if function_ids is not None else sorted(function_handlers(template))
    for logical_id in ids:
        env = function_environment(template, logical_id, table_name=table_name, resource_values=resource_values)
        for name, value in env.items():
            if name in merged and merged[name] != value:
                raise ValueError(
                    f"{owner[name]} and {logical_id} set {name} to different values "
                    f"({merged[name]!r} vs {value!r}); the local API runs all functions in one process"
                )
            merged[name] = value
            owner.setdefault(name, logical_id)
    return {**merged, **runtime_defaults(endpoint_url, service_endpoints), "TABLE_NAME": table_name}


_env_lock = threading.Lock()


def apply_environment(env: Mapping[str, str], unset: Iterable[str] = UNSET_LOCALLY) -> dict[str, str | None]:
    """Set env (and remove `unset`) in os.environ, clear the settings cache; return the previous values."""
    with _env_lock:
        previous: dict[str, str | None] = {}
        for name in [*env, *unset]:
            previous.setdefault(name, os.environ.get(name))
        for name in unset:
            if name not in env:
                os.environ.pop(name, None)
        os.environ.update(env)
        clear_settings_cache()
        return previous


def restore_environment(previous: Mapping[str, str | None]) -> None:
    """Undo apply_environment."""
    with _env_lock:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clear_settings_cache()
