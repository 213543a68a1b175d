"""Nightly planner: EventBridge Scheduler -> one run record + chunk messages on SQS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from shared.adapters.factory import get_chunk_queue, get_repository
from shared.config import RunPlannerSettings, get_settings, require_settings
from shared.observability import logger, metrics
from shared.runtime import init_done
from shared.services import runs

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(RunPlannerSettings)


class ScheduleEvent(BaseModel):
    """The schedule's Input: {"scheduled_time": "<aws.scheduler.scheduled-time>"}."""

    model_config = ConfigDict(extra="ignore")

    scheduled_time: datetime | None = None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = ScheduleEvent.model_validate(event or {})
    settings = get_settings()
    run = runs.start_nightly_run(
        get_repository(),
        get_chunk_queue(),
        schedule.scheduled_time,
        datetime.now(UTC).replace(microsecond=0),
        settings.scored_importer_codes,
        settings.chunk_pairs,
    )
    logger.append_keys(run_id=run.run_id)
    metrics.add_metric(name="NightlyChunksPlanned", unit=MetricUnit.Count, value=run.chunks_total)
    return {"run_id": run.run_id, "as_of": run.as_of.isoformat(), "chunks_total": run.chunks_total}


init_done()
