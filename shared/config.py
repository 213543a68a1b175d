"""Settings read from the environment, lazily: importing this module reads nothing.

A plain pydantic model validated from `os.environ`, not pydantic-settings' BaseSettings: the same aliases, defaults
and bounds, without importing pydantic-settings and python-dotenv into every cold start (docs/decisions.md 18;
numbers in docs/performance.md). Nothing here reads .env files or secrets directories, which we never used.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

#: The EU plus the G20 economies and Taiwan: the scored set before every economy with trade data was (issue 11).
#: Tests and benchmarks use it as a fixed, representative set (SCORED_IMPORTERS); the product's default is below.
DEFAULT_SCORED_IMPORTERS = "EU AR AU BR CA CN DE FR GB ID IN IT JP KR MX RU SA TR TW US ZA"
#: the same set as codes, for callers that pass a fixed importer set (tests, benchmarks)
DEFAULT_IMPORTERS: tuple[str, ...] = tuple(sorted(DEFAULT_SCORED_IMPORTERS.split()))


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(default="RiskTable-local", validation_alias="TABLE_NAME")
    #: Set for DynamoDB Local (make run, local_stack tests); unset in AWS.
    dynamodb_endpoint_url: str | None = Field(default=None, validation_alias="DYNAMODB_ENDPOINT_URL")
    aws_region: str = Field(default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    history_retention_days: int = Field(default=400, ge=1, validation_alias="HISTORY_RETENTION_DAYS")
    #: Importers scored by every full rescoring, space-separated. Empty (the default): every economy with its own
    #: dependency data for at least 5 materials, plus the EU (shared/services/importers.py, from the importer index).
    scored_importers: str = Field(default="", validation_alias="SCORED_IMPORTERS")
    rescore_queue_url: str | None = Field(default=None, validation_alias="RESCORE_QUEUE_URL")
    event_bus_name: str = Field(default="default", validation_alias="EVENT_BUS_NAME")
    #: score points (0..100) a score must move, or a band change, before a ScoreChanged alert is published
    score_change_threshold: float = Field(default=5.0, ge=0, le=100, validation_alias="SCORE_CHANGE_THRESHOLD")
    #: about this many (importer, material) pairs per nightly chunk message
    chunk_pairs: int = Field(default=1000, ge=1, validation_alias="CHUNK_PAIRS")
    #: how long one container trusts its last look at the store for /v1/health (seconds)
    health_cache_seconds: float = Field(default=10.0, ge=0, le=300, validation_alias="HEALTH_CACHE_SECONDS")
    #: must equal the queue's maxReceiveCount: the last delivery of a failing chunk records it as failed
    max_receive_count: int = Field(default=3, ge=1, validation_alias="MAX_RECEIVE_COUNT")

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings in the process environment; an out-of-range value raises pydantic's ValidationError."""
        return cls.model_validate(dict(os.environ))

    @property
    def scored_importer_codes(self) -> tuple[str, ...]:
        """The SCORED_IMPORTERS override; empty when unset (then shared.services.importers decides)."""
        return tuple(sorted({code.strip().upper() for code in self.scored_importers.split() if code.strip()}))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
