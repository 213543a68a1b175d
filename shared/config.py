"""Settings read from the environment: `Settings` lazily, each function's required model once, at its init.

Plain pydantic models validated from `os.environ`, not pydantic-settings' BaseSettings: the same aliases, defaults
and bounds, without importing pydantic-settings and python-dotenv into every cold start (docs/decisions.md 18).
Nothing here reads .env files or secrets directories, which we never used.

Two kinds of setting (docs/decisions.md 54):
- tunables (retention, thresholds, chunk size...): a documented default, overridable;
- the names of the resources a function talks to (TABLE_NAME, RESCORE_QUEUE_URL, EVENT_BUS_NAME): no default.
  `Settings` leaves them None when unset; each function's model below makes the ones it uses required, and the
  handler module validates it at import (`require_settings`), so a deployment that lacks one fails the Lambda
  init with one log line naming the variables, instead of answering 503s on first use.
"""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays (docs/decisions.md 86).

import os
from functools import lru_cache
from typing import TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

#: The EU plus the G20 economies and Taiwan: the scored set before every economy with trade data was (issue 11).
#: Tests and benchmarks use it as a fixed, representative set (SCORED_IMPORTERS); the product's default is below.
DEFAULT_SCORED_IMPORTERS = "EU AR AU BR CA CN DE FR GB ID IN IT JP KR MX RU SA TR TW US ZA"
#: the same set as codes, for callers that pass a fixed importer set (tests, benchmarks)
DEFAULT_IMPORTERS: tuple[str, ...] = tuple(sorted(DEFAULT_SCORED_IMPORTERS.split()))


class Settings(BaseModel):
    # defer_build: a function builds the validators of only the settings models it validates (cold start)
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    #: required by every function (FunctionSettings); None only for tools that never touch the table
    table_name: str | None = Field(default=None, min_length=1, validation_alias="TABLE_NAME")
    #: Set for DynamoDB Local (make run, local_stack tests); unset in AWS.
    dynamodb_endpoint_url: str | None = Field(default=None, validation_alias="DYNAMODB_ENDPOINT_URL")
    aws_region: str = Field(default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    history_retention_days: int = Field(default=400, ge=1, validation_alias="HISTORY_RETENTION_DAYS")
    #: Importers scored by every full rescoring, space-separated. Empty (the default): every economy with its own
    #: dependency data for at least 5 materials, plus the EU (shared/services/importers.py, from the importer index).
    scored_importers: str = Field(default="", validation_alias="SCORED_IMPORTERS")
    #: required by the functions that queue rescoring runs (RunPlannerSettings)
    rescore_queue_url: str | None = Field(default=None, min_length=1, validation_alias="RESCORE_QUEUE_URL")
    #: required by the functions that publish ScoreChanged (PublisherSettings)
    event_bus_name: str | None = Field(default=None, min_length=1, validation_alias="EVENT_BUS_NAME")
    #: score points (0..100) a score must move, or a band change, before a ScoreChanged alert is published
    score_change_threshold: float = Field(default=5.0, ge=0, le=100, validation_alias="SCORE_CHANGE_THRESHOLD")
    #: about this many (importer, material) pairs per nightly chunk message
    chunk_pairs: int = Field(default=1000, ge=1, validation_alias="CHUNK_PAIRS")
    #: the stream function rescores a change in-process up to this many pairs; more go to the rescoring queue
    stream_max_pairs: int = Field(default=1000, ge=1, validation_alias="STREAM_MAX_PAIRS")
    #: about this many pairs per chunk of a change fanned out to the queue
    fanout_chunk_pairs: int = Field(default=500, ge=1, validation_alias="FANOUT_CHUNK_PAIRS")
    #: how long one container trusts its last look at the store for /v1/health (seconds)
    health_cache_seconds: float = Field(default=10.0, ge=0, le=300, validation_alias="HEALTH_CACHE_SECONDS")
    #: must equal the queue's maxReceiveCount: the last delivery of a failing chunk records it as failed
    max_receive_count: int = Field(default=3, ge=1, validation_alias="MAX_RECEIVE_COUNT")
    #: required by the functions that seal or open webhook signing secrets (SubscriptionSettings): a KMS key
    subscription_key_id: str | None = Field(default=None, min_length=1, validation_alias="SUBSCRIPTION_KEY_ID")
    #: local stack only: webhook URLs may be http://127.0.0.1:<port> (a local receiver); never set in AWS
    allow_loopback_webhooks: bool = Field(default=False, validation_alias="ALLOW_LOOPBACK_WEBHOOKS")
    #: local stack only: webhooks go nowhere but http://127.0.0.1 (other hosts are not even resolved)
    webhook_loopback_only: bool = Field(default=False, validation_alias="WEBHOOK_LOOPBACK_ONLY")
    #: required by the alert delivery function (DeliverySettings): its queue and dead-letter queue
    delivery_queue_url: str | None = Field(default=None, min_length=1, validation_alias="DELIVERY_QUEUE_URL")
    delivery_dlq_url: str | None = Field(default=None, min_length=1, validation_alias="DELIVERY_DLQ_URL")
    #: webhook retries: the first delay (doubling, at most 900 s) and how long a delivery is retried in all
    webhook_base_delay_s: float = Field(default=30.0, gt=0, le=900, validation_alias="WEBHOOK_BASE_DELAY_SECONDS")
    webhook_retry_window_s: float = Field(
        default=6 * 3600.0, gt=0, le=7 * 86400, validation_alias="WEBHOOK_RETRY_WINDOW_SECONDS"
    )
    #: the public API's base URL, for the links in webhook bodies (empty: links are paths)
    api_base_url: str = Field(default="", max_length=500, validation_alias="API_BASE_URL")

    @classmethod
    def from_environment(cls) -> "Settings":
        """The settings in the process environment; an out-of-range value raises pydantic's ValidationError."""
        return cls.model_validate(dict(os.environ))

    @property
    def scored_importer_codes(self) -> tuple[str, ...]:
        """The SCORED_IMPORTERS override; empty when unset (then shared.services.importers decides)."""
        return tuple(sorted({code.strip().upper() for code in self.scored_importers.split() if code.strip()}))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()


# ----------------------------------------------------------------------------------------- per function
# Each function's model: `Settings` with the resource names it uses made required (no default). A handler module
# validates its model once, at import (the Lambda init), with `require_settings`; infra tests check that
# template.yaml gives each function every variable its model requires.


class FunctionSettings(Settings):
    """What every function needs: the table. The read and portfolio APIs need nothing more."""

    table_name: str = Field(min_length=1, validation_alias="TABLE_NAME")


class RunPlannerSettings(FunctionSettings):
    """Functions that plan rescoring runs onto the queue: the admin API, the nightly planner."""

    rescore_queue_url: str = Field(min_length=1, validation_alias="RESCORE_QUEUE_URL")


class PublisherSettings(FunctionSettings):
    """Functions that publish ScoreChanged: the stream rescorer, the rescore worker (runs of bulk loads)."""

    event_bus_name: str = Field(min_length=1, validation_alias="EVENT_BUS_NAME")


class StreamRescoreSettings(PublisherSettings):
    """The stream rescorer: publishes ScoreChanged, and queues the chunks of a change too big for one invocation."""

    rescore_queue_url: str = Field(min_length=1, validation_alias="RESCORE_QUEUE_URL")


class SubscriptionSettings(FunctionSettings):
    """Functions that seal or open webhook signing secrets: the portfolio API (subscriptions), the delivery side."""

    subscription_key_id: str = Field(min_length=1, validation_alias="SUBSCRIPTION_KEY_ID")
    #: POST /v1/subscriptions/{id}/test queues its delivery there
    delivery_queue_url: str = Field(min_length=1, validation_alias="DELIVERY_QUEUE_URL")


class DeliverySettings(SubscriptionSettings):
    """The alert delivery function: matches ScoreChanged events and sends the webhooks (issue 16)."""

    delivery_dlq_url: str = Field(min_length=1, validation_alias="DELIVERY_DLQ_URL")


class ConfigurationError(RuntimeError):
    """The environment lacks a variable the function requires, or holds an invalid value; names them all."""


S = TypeVar("S", bound=Settings)


def describe_errors(error: ValidationError) -> str:
    """`TABLE_NAME is not set; CHUNK_PAIRS: Input should be ...`: one clause per variable, by its name."""
    clauses = []
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ())) or "environment"
        clauses.append(f"{name} is not set" if item.get("type") == "missing" else f"{name}: {item.get('msg')}")
    return "; ".join(clauses)


def required_variables(model: type[Settings]) -> frozenset[str]:
    """The environment variables `model` cannot do without (the names template.yaml must give the function)."""
    names = set()
    for field in model.model_fields.values():
        if field.is_required():
            alias = field.validation_alias
            names.add(alias if isinstance(alias, str) else str(field.alias))
    return frozenset(names)


def require_settings(model: type[S]) -> S:
    """Validate the function's settings from os.environ at init: on a missing or bad variable, log ONE error line
    naming every such variable and raise ConfigurationError, which fails the Lambda init (the function never
    serves). Imported lazily, so that this module stays free of Powertools for the tools that read settings."""
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as exc:
        from shared.observability import logger

        message = f"{model.__name__}: {describe_errors(exc)}"
        variables = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        logger.error(f"function configuration invalid: {message}", variables=variables)
        raise ConfigurationError(message) from None
