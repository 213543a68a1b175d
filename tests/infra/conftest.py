"""Infra tier: template.yaml and the generated artefacts, checked without AWS (no table, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.sam_template import load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()
