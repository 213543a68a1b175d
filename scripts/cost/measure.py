"""Measured counts: the real services and adapters run in-process against moto (DynamoDB, SQS, EventBridge) with a
`Meter` on each client; the score and history item sizes of the whole default nightly come from scoring every
default pair in-process and sizing the adapter's own items. Nothing is timed (durations come from
docs/performance.md, see `durations.json`).

`measure()` returns `Measurements`; `make cost` writes them to data/cost/measured.json and prices them.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from scripts.cost.item_size import READ_UNIT_BYTES, STORAGE_OVERHEAD_BYTES, item_size, write_units
from scripts.cost.meter import Meter, Usage, combined, hottest

MEASURED_PATH = Path(__file__).resolve().parents[2] / "data" / "cost" / "measured.json"
REGION = "us-east-1"
#: the tiny nightly the call structure is counted on: 4 importers x these materials, 2 materials per chunk
SAMPLE_IMPORTERS = ("DE", "EU", "JP", "US")
SAMPLE_MATERIALS = ("cobalt", "dysprosium", "gallium", "lithium", "neodymium")
SAMPLE_MATERIALS_PER_CHUNK = 2
#: the day the counts are taken at (a fixed instant: the same signals are in force on every run)
AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PORTFOLIO_LINES = 40


class NightlySample(BaseModel):
    """One nightly run of the sample, counted: the planner, then every chunk."""

    model_config = ConfigDict(extra="forbid")

    importers: int
    materials: int
    chunks: int
    pairs_per_chunk: list[int]
    materials_per_chunk: list[int]
    planner: Usage
    chunks_usage: Usage
    #: per chunk, the partition key of the table / gsi1 / gsi2 that took the most write units in that chunk
    #: (one worker writes a chunk as one burst): the hot-key view, before AWS throttles it
    hottest_per_chunk: list[dict[str, tuple[str, float]]]


class EventSample(BaseModel):
    """A new signal on one material for every scored importer: the admin PUT, then the stream path's rescoring."""

    model_config = ConfigDict(extra="forbid")

    importers: int
    pairs: int
    admin_put: Usage
    rescoring: Usage


class ApiSample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    get_score: Usage
    rank_page: Usage
    batch_20: Usage
    portfolio_lines: int
    portfolio_risk: Usage


class Sizes(BaseModel):
    """Item sizes over the whole default nightly (every default pair scored in-process, sized as the adapter builds
    its items) and the reference reads every chunk makes."""

    model_config = ConfigDict(extra="forbid")

    default_importers: int
    materials: int
    pairs: int
    score_item_bytes_mean: float
    score_item_bytes_max: int
    score_item_write_units_mean: float
    history_item_bytes_mean: float
    history_item_write_units_mean: float
    #: storage bytes per item (size + DynamoDB's 100-byte overhead)
    score_item_storage_bytes: float
    history_item_storage_bytes: float
    reference_items: int
    reference_storage_bytes: int
    dependency_items_per_material_mean: float
    dependency_query_read_units_mean: float
    governance_query_read_units: float
    signals_query_read_units: float
    materials_batch_get_read_units_per_material: float
    #: the catalogue Query (every material profile) the batch and portfolio routes make
    catalogue_query_read_units: float
    #: share of default pairs whose stored content (score, band, signals) would be the same if scored the next
    #: day with the same inputs: what skipping unchanged scores saves on a quiet night
    unchanged_next_day_share: float


class Measurements(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured_on: str
    nightly: NightlySample
    event: EventSample
    api: ApiSample
    sizes: Sizes
    custom_metrics: list[str]


@contextmanager
def _aws() -> Iterator[tuple[Any, Any, Any]]:
    """moto for DynamoDB, SQS and EventBridge, with fake credentials (never real ones)."""
    import boto3
    from moto import mock_aws

    from shared.adapters.dynamodb_repository import CLIENT_CONFIG

    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's placeholder, not a secret  # nosec B105
        "AWS_SESSION_TOKEN": "testing",  # nosec B105
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    saved = {k: os.environ.get(k) for k in fake}
    os.environ.update(fake)
    try:
        with mock_aws():
            yield (
                boto3.client("dynamodb", region_name=REGION, config=CLIENT_CONFIG),
                boto3.client("sqs", region_name=REGION),
                boto3.client("events", region_name=REGION),
            )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _nightly(repo: Any, meter: Meter, sqs: Any, events_publisher: Any, importers: Sequence[str]) -> NightlySample:
    from shared.adapters.messaging import ChunkMessage, SqsChunkQueue
    from shared.services.rescoring import process_chunk
    from shared.services.runs import start_nightly_run

    queue_url = sqs.create_queue(QueueName="cost-rescore")["QueueUrl"]
    queue = SqsChunkQueue(queue_url, client=sqs)
    meter.reset()
    run = start_nightly_run_for(start_nightly_run, repo, queue, importers)
    planner = meter.reset()
    chunks = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        for message in got:
            chunks.append(ChunkMessage.model_validate_json(message["Body"]).to_chunk())
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    chunks.sort(key=lambda c: c.index)
    meter.reset()
    per_chunk: list[Usage] = []
    for chunk in chunks:
        process_chunk(repo, chunk, publisher=events_publisher)
        per_chunk.append(meter.reset())
    chunk_usage = combined(per_chunk)
    if run.chunks_total != len(chunks):
        raise RuntimeError(f"the run planned {run.chunks_total} chunks but queued {len(chunks)}")
    return NightlySample(
        importers=len(importers),
        materials=sum(len(c.materials) for c in chunks),
        chunks=len(chunks),
        pairs_per_chunk=[len(c.materials) * len(c.importers) for c in chunks],
        materials_per_chunk=[len(c.materials) for c in chunks],
        planner=planner,
        chunks_usage=chunk_usage,
        hottest_per_chunk=[{p: hottest(u, p) for p in ("table", "gsi1", "gsi2")} for u in per_chunk],
    )


def start_nightly_run_for(start: Any, repo: Any, queue: Any, importers: Sequence[str]) -> Any:
    """The planner's service with the sample's importers and chunk size (its materials: the sample catalogue)."""
    return start(
        repo,
        queue,
        scheduled_time=AS_OF,
        now=AS_OF,
        override_importers=importers,
        chunk_pairs=SAMPLE_MATERIALS_PER_CHUNK * len(importers),
    )


def _event(repo: Any, meter: Meter, publisher: Any, importers: Sequence[str]) -> EventSample:
    from shared.ports import ReferenceChange
    from shared.services.admin import upsert_signal
    from shared.services.rescoring import affected_pairs, rescore_change_pairs

    body = {
        "issuer": "CN",
        "measure": "export_ban",
        "materials": ["dysprosium"],
        "targets": ["ALL"],
        "severity": 1,
        "announced": "2026-11-27",
        "status": "in_force",
        "source": "https://example.org/cost-model",
    }
    meter.reset()
    result = upsert_signal(repo, "COST-MODEL-BAN", body, None)
    admin_put = meter.reset()
    change = ReferenceChange("signal", result.item.id, None, result.item, AS_OF + timedelta(hours=1))
    rescore_change_pairs(repo, publisher, change, affected_pairs(repo, change, importers))
    rescoring = meter.reset()
    return EventSample(
        importers=len(importers),
        pairs=len([i for i in importers if i != "CN"]),  # the issuer is never a target
        admin_put=admin_put,
        rescoring=rescoring,
    )


def _api(repo: Any, meter: Meter, importers: Sequence[str]) -> ApiSample:
    from shared.ports import Pair, RankedBy, RankQuery
    from shared.services.portfolios import portfolio_risk, upsert_portfolio
    from shared.services.queries import batch_scores, get_score, rank_scores

    pairs = [Pair(i, m) for m in SAMPLE_MATERIALS for i in importers]
    meter.reset()
    get_score(repo, "JP", "dysprosium")
    got = meter.reset()
    rank_scores(repo, RankQuery(by=RankedBy.IMPORTER, key="JP", limit=50))
    ranked = meter.reset()
    batch_scores(repo, pairs[:20])
    batch = meter.reset()
    lines = [
        {"material": pairs[i % len(pairs)].material, "importer": pairs[i % len(pairs)].importer, "annual_spend": i}
        for i in range(PORTFOLIO_LINES)
    ]
    upsert_portfolio(repo, "cost-tenant", "p1", {"name": "cost model", "items": lines}, None, AS_OF)
    meter.reset()
    portfolio_risk(repo, "cost-tenant", "p1", AS_OF)
    risk = meter.reset()
    return ApiSample(get_score=got, rank_page=ranked, batch_20=batch, portfolio_lines=len(lines), portfolio_risk=risk)


def _sizes(repo: Any, meter: Meter, seed: Any, importers: Sequence[str]) -> Sizes:
    """Every default pair scored in-process (no writes), each score and history item built by the adapter and sized."""
    from shared.adapters.dynamodb.scores import DynamoScoreRepository
    from shared.services.rescoring import ScoringContext, history_expiry, score_material

    context = ScoringContext(governance={g.country: g for g in seed.governance}, signals=list(seed.signals))
    deps_by_material: dict[str, list[Any]] = {}
    for dependency in seed.dependencies:
        deps_by_material.setdefault(dependency.material, []).append(dependency)
    expires = history_expiry(AS_OF, 400)
    score_sizes: list[int] = []
    history_sizes: list[int] = []
    unchanged = 0
    for material in seed.materials:
        deps = deps_by_material.get(material.id, [])
        today = score_material(context, material, deps, importers, AS_OF)
        tomorrow = score_material(context, material, deps, importers, AS_OF + timedelta(days=1))
        for a, b in zip(today, tomorrow, strict=True):
            # building the adapter's own items (static builders) is the exact bytes the nightly writes
            score_sizes.append(item_size(DynamoScoreRepository._score_item(a)))
            history_sizes.append(item_size(DynamoScoreRepository._history_item(a, expires)))
            unchanged += (a.score, a.band, a.signal_ids) == (b.score, b.band, b.signal_ids)
    # reference reads, as a chunk makes them (real Query/BatchGetItem through the repository, metered)
    meter.reset()
    repo.list_governance()
    governance = meter.reset()
    repo.list_signals()
    signals = meter.reset()
    dependency_units: list[float] = []
    for material in seed.materials:
        repo.list_dependencies(material.id)
        dependency_units.append(meter.reset().read_units)
    repo.get_materials([m.id for m in seed.materials])
    materials = meter.reset()
    repo.list_materials()
    catalogue = meter.reset()
    reference = [*seed.materials, *seed.dependencies, *seed.governance, *seed.signals]
    reference_bytes = sum(len(x.model_dump_json()) + 200 + STORAGE_OVERHEAD_BYTES for x in reference)
    return Sizes(
        default_importers=len(importers),
        materials=len(seed.materials),
        pairs=len(score_sizes),
        score_item_bytes_mean=statistics.fmean(score_sizes),
        score_item_bytes_max=max(score_sizes),
        score_item_write_units_mean=statistics.fmean(write_units(s) for s in score_sizes),
        history_item_bytes_mean=statistics.fmean(history_sizes),
        history_item_write_units_mean=statistics.fmean(write_units(s) for s in history_sizes),
        score_item_storage_bytes=statistics.fmean(score_sizes) + STORAGE_OVERHEAD_BYTES,
        history_item_storage_bytes=statistics.fmean(history_sizes) + STORAGE_OVERHEAD_BYTES,
        reference_items=len(reference),
        reference_storage_bytes=reference_bytes,
        dependency_items_per_material_mean=len(seed.dependencies) / len(seed.materials),
        dependency_query_read_units_mean=statistics.fmean(dependency_units),
        governance_query_read_units=governance.read_units,
        signals_query_read_units=signals.read_units,
        materials_batch_get_read_units_per_material=materials.read_units / len(seed.materials),
        catalogue_query_read_units=catalogue.read_units,
        unchanged_next_day_share=unchanged / len(score_sizes),
    )


def custom_metric_names(root: Path | None = None) -> list[str]:
    """The EMF metric names the functions emit (each a custom metric per dimension set: here the service only)."""
    import re

    base = root or Path(__file__).resolve().parents[2] / "functions"
    names: set[str] = set()
    for path in base.rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r'add_metric\(\s*name="([A-Za-z]+)"', text))
        for template in re.findall(r'add_metric\(\s*name=f"([A-Za-z]+)\{', text):
            names.add(f"{template}*")
    return sorted(names)


def measure(full_sizes: bool = True) -> Measurements:
    """Runs the samples on moto; `full_sizes=False` (tests) sizes the sample importers only."""
    from shared.adapters.dynamodb import DynamoRiskRepository
    from shared.adapters.messaging import EventBridgePublisher
    from shared.adapters.seed_files import read_seed
    from shared.services.importers import scored_importers
    from shared.services.seeding import seed_reference_data

    def create_table(client: Any, name: str) -> str:
        from tooling.sam_template import load_template, table_create_kwargs

        client.create_table(**table_create_kwargs(load_template(), name))
        return name

    seed = read_seed()
    with _aws() as (dynamodb, sqs, events):
        table = create_table(dynamodb, "cost-model")
        repo = DynamoRiskRepository(table, dynamodb)
        bus = events.create_event_bus(Name="cost-events")["EventBusArn"].rsplit("/", 1)[-1]
        publisher = EventBridgePublisher(bus, client=events)
        meter = Meter(dynamodb, sqs, events)
        seed_reference_data(repo, seed)
        default_importers = scored_importers(repo)
        sizes = _sizes(repo, meter, seed, default_importers if full_sizes else SAMPLE_IMPORTERS)
        # the tiny nightly: the sample catalogue only (moto copies the table per transaction item: keep it small)
        sample_table = create_table(dynamodb, "cost-sample")
        sample_repo = DynamoRiskRepository(sample_table, dynamodb)
        from shared.domain.seed import SeedData

        keep = set(SAMPLE_MATERIALS)
        seed_reference_data(
            sample_repo,
            SeedData(
                materials=[m for m in seed.materials if m.id in keep],
                dependencies=[d for d in seed.dependencies if d.material in keep],
                governance=list(seed.governance),
                signals=list(seed.signals),
            ),
        )
        nightly = _nightly(sample_repo, meter, sqs, publisher, SAMPLE_IMPORTERS)
        event = _event(sample_repo, meter, publisher, SAMPLE_IMPORTERS)
        api = _api(sample_repo, meter, SAMPLE_IMPORTERS)
    return Measurements(
        measured_on=datetime.now(UTC).date().isoformat(),
        nightly=nightly,
        event=event,
        api=api,
        sizes=sizes,
        custom_metrics=custom_metric_names(),
    )


__all__ = ["MEASURED_PATH", "READ_UNIT_BYTES", "Measurements", "measure"]
