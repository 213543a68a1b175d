"""The read API's init imports only what a stored-score read needs (docs/decisions.md 86): the scoring engine, the
what-if engine, the portfolio, draft, subscription and webhook models load in the functions (or on the routes) that
use them. A regression here shows up as a slower cold start in `make bench`; this names the module at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: modules a cold start of the read API must not import (the first scenario request loads the what-if ones)
NOT_AT_INIT = (
    "shared.domain.scoring",
    "shared.domain.portfolio",
    "shared.domain.drafts",
    "shared.domain.subscriptions",
    "shared.domain.webhooks",
    "shared.services.scenarios",
    "shared.services.portfolios",
    "shared.services.rescoring",
    "shared.services.importers",
    "shared.schemas_admin",
    "shared.schemas_drafts",
    "shared.schemas_portfolios",
    "shared.adapters.dynamodb.drafts",
    "shared.adapters.dynamodb.subscriptions",
    "shared.adapters.dynamodb.delivery_attempts",
    "boto3",
)


def _modules_after(code: str) -> set[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))},
        "TABLE_NAME": "risk",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105: a placeholder, no request is sent
        "PYTHONPATH": str(REPO),
    }
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_read_api_init_and_its_repository_leave_the_other_functions_modules_alone() -> None:
    loaded = _modules_after(
        "import functions.read_api.app\nfrom shared.adapters import factory\nfactory.get_read_repository()"
    )
    assert "functions.read_api.scenarios" in loaded and "shared.adapters.dynamodb.read" in loaded
    assert not loaded & set(NOT_AT_INIT), sorted(loaded & set(NOT_AT_INIT))


def test_the_full_repository_still_loads_every_family() -> None:
    loaded = _modules_after("from shared.adapters import factory\nfactory.get_repository()")
    assert {"shared.adapters.dynamodb.drafts", "shared.domain.webhooks", "shared.domain.subscriptions"} <= loaded
