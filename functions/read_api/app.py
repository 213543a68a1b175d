"""Read API: materials, scores, ranked lists, history, signals, governance (scope risk/read; health needs none).

The entry point (template.yaml Handler: functions.read_api.app.lambda_handler): one resolver, its routes in one
Router per group (health, materials, scores, signals, importers, scenarios, countries), joined here.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.read_api import countries, health, importers, materials, scenarios, scores, signals
from functions.read_api.health import STORE_HEALTH
from shared.config import FunctionSettings, require_settings
from shared.http import build_resolver, resolve
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.runtime import init_done
from shared.schemas import SCORE_CSV_COLUMNS

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(FunctionSettings)

app = build_resolver()
for group in (health, materials, scores, signals, importers, scenarios, countries):
    app.include_router(group.router)

__all__ = ["SCORE_CSV_COLUMNS", "STORE_HEALTH", "app", "lambda_handler"]


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)


init_done()
