"""What-if scenarios: baseline and scenario scores side by side, computed live and never stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.http import build_router, caller_of
from shared.observability import metrics
from shared.ports import Pair
from shared.schemas import ScenarioRequest, ScenarioResponse

router = build_router()


@router.post(
    "/v1/scenarios", summary="What-if: baseline and scenario scores side by side (not stored)", tags=["scenarios"]
)
def run_scenario(request: Annotated[ScenarioRequest, Body()]) -> ScenarioResponse:
    # the what-if engine (portfolio, company scoring) loads with the first scenario, not in every cold start:
    # most containers of this function only read stored scores (docs/decisions.md)
    from shared.services import scenarios

    now = datetime.now(UTC).replace(microsecond=0)
    changes = [change.to_change(i, now.date()) for i, change in enumerate(request.changes)]
    pairs = [Pair(p.importer, p.material) for p in request.pairs] if request.pairs else None
    result = scenarios.run_scenario(
        get_read_repository(), caller_of(router).client_id, changes, pairs, request.portfolio_id, now
    )
    metrics.add_metric(name="ScenarioRun", unit=MetricUnit.Count, value=1)
    return ScenarioResponse.of(result, now.date())
