"""browser tier: the console in headless Chromium (Debian's package) against the whole local stack over HTTP.

One local stack for the tier (as tests/e2e: the session's DynamoDB Local, then local.stack.LocalStack on free
ports, seeded and scored), a portfolio for `team-a`, and one browser per module. Without chromium,
chromium-driver or the npm assets (`make browser-deps web-assets`) the tier is skipped naming what is missing,
except under CI (env CI set), where that is a failure.

Screenshots go to .local/screenshots/, or to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (README shows one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.messaging import missing_messaging_prerequisites
from local.stack import LocalStack
from tests.browser.chromium import Browser, missing_browser_prerequisites
from tests.conftest import unavailable_in_this_environment
from tests.e2e.client import ApiClient
from tests.e2e.stack import running_stack

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCREENSHOTS = REPO / ("docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else ".local/screenshots")

PORTFOLIO_ID = "aichi-motors"
PORTFOLIO = {
    "name": "Aichi motor plant",
    "currency": "JPY",
    "items": [
        {"material": "dysprosium", "importer": "JP", "annual_spend": 120000000, "part": "N52SH magnets"},
        {"material": "neodymium", "importer": "JP", "annual_spend": 90000000, "part": "rotor magnets"},
        {"material": "copper", "importer": "JP", "annual_spend": 300000000, "part": "windings"},
        {"material": "cobalt", "importer": "JP", "annual_spend": 40000000, "part": "batteries"},
    ],
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def console_stack(shared_dynamodb_local: str) -> Iterator[LocalStack]:
    missing = missing_browser_prerequisites() + missing_messaging_prerequisites()
    if missing:
        unavailable_in_this_environment("browser", "missing " + "; ".join(missing))
    with running_stack(shared_dynamodb_local, "browser") as stack:
        with ApiClient(stack.base_url) as client:
            reply = client.request("PUT", f"/v1/portfolios/{PORTFOLIO_ID}", token="team-a", json=PORTFOLIO)
            assert reply.status in (200, 201), reply.body
        yield stack


@pytest.fixture(scope="package")
def api(console_stack: LocalStack) -> Iterator[ApiClient]:
    with ApiClient(console_stack.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def browser(console_stack: LocalStack) -> Iterator[Browser]:
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
