"""Every seed file's content, and its exact text."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.seed.common import DEFAULT_SOURCES_DIR, DEPENDENCIES_JSON, GOVERNANCE_JSON, MATERIALS_JSON, SIGNALS_JSON
from scripts.seed.dependencies import build_dependencies
from scripts.seed.governance import build_governance
from scripts.seed.materials import build_materials
from scripts.seed.signals import build_signals


def build_all(reference_dir: Path = DEFAULT_SOURCES_DIR) -> dict[str, object]:
    """Every seed file's JSON content, keyed by file name (raw files from `reference_dir`)."""
    materials = build_materials(reference_dir)
    dependencies, partners = build_dependencies(reference_dir, materials)
    governance = build_governance(reference_dir, set(materials.producers) | partners)
    signals = build_signals(reference_dir, materials)
    return {
        MATERIALS_JSON: materials.document,
        GOVERNANCE_JSON: governance,
        DEPENDENCIES_JSON: dependencies,
        SIGNALS_JSON: signals,
    }


def render(content: object) -> str:
    """The exact text of a seed file (stable across runs and machines)."""
    return json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
