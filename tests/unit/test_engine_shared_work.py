"""The engine's per-material shared work (decision 87) gives the bytes a pair scored on its own gives.

score_material computes the numbers of the pairs without a dependency once per (import reliance, signals that
apply, day), the driver texts around the importer's name once per such numbers, a material's own fallbacks,
the signals' status factors and the governance pieces of the inputs hash once per run. Every score must be
byte-for-byte the one compute_score gives for that pair alone with every cache cold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain import scoring
from shared.domain.scoring import ScoringInputs, compute_score
from shared.services.rescoring import ScoringContext, score_material

AS_OF = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
# producers, non-producers with and without their own dependencies, issuers of signals, the EU
IMPORTERS = ("US", "EU", "DE", "JP", "KR", "CN", "IN", "BR", "ID", "AU", "CA", "ZA", "TR", "MX", "VN", "CL")


def _clear_caches() -> None:
    for name in dir(scoring):
        if isinstance(found := getattr(scoring, name), scoring._IdentityCache):
            found._entries.clear()
    scoring._LAST_TERMS[0] = None


def _seed_inputs() -> tuple[ScoringContext, list[Any], dict[str, list[Any]]]:
    seed = read_seed()  # new objects on every call
    context = ScoringContext(governance={g.country: g for g in seed.governance}, signals=list(seed.signals))
    deps: dict[str, list[Any]] = {}
    for d in seed.dependencies:
        deps.setdefault(d.material, []).append(d)
    return context, sorted(seed.materials, key=lambda m: m.id), deps


@pytest.fixture(scope="module")
def batch() -> dict[tuple[str, str], str]:
    """Every seed material x IMPORTERS scored as a run scores them (one material's importers in a row)."""
    _clear_caches()
    context, materials, deps = _seed_inputs()
    return {
        (s.importer, s.material): s.model_dump_json()
        for m in materials
        for s in score_material(context, m, deps.get(m.id, []), IMPORTERS, AS_OF)
    }


def test_a_run_scores_every_pair_as_the_pair_alone_with_cold_caches(batch: dict[tuple[str, str], str]) -> None:
    context, materials, deps = _seed_inputs()
    by_pair = {(d.importer, d.material): d for ds in deps.values() for d in ds}
    checked = 0
    for material in materials:  # each pair alone, caches cleared before it
        signals = [s for s in context.signals if s.touches_material(material.id, material.groups)]
        for importer in IMPORTERS:
            _clear_caches()
            alone = compute_score(
                ScoringInputs(
                    importer=importer,
                    material=material,
                    dependency=by_pair.get((importer, material.id)),
                    governance=context.governance,
                    signals=signals,
                    as_of=AS_OF.date(),
                ),
                computed_at=AS_OF,
            )
            assert alone.model_dump_json() == batch[(importer, material.id)], (importer, material.id)
            checked += 1
    assert checked == len(materials) * len(IMPORTERS)


def test_the_importers_order_changes_no_score(batch: dict[tuple[str, str], str]) -> None:
    """The shared numbers are filled by whichever importer comes first: the order must not matter."""
    _clear_caches()
    context, materials, deps = _seed_inputs()
    reverse = {
        (s.importer, s.material): s.model_dump_json()
        for m in materials
        for s in score_material(context, m, deps.get(m.id, []), IMPORTERS[::-1], AS_OF)
    }
    assert reverse == batch


def test_pairs_without_a_dependency_share_their_numbers_but_name_their_importer(
    batch: dict[tuple[str, str], str],
) -> None:
    _clear_caches()
    context, materials, deps = _seed_inputs()
    material = next(m for m in materials if m.id == "gallium")
    without = [i for i in IMPORTERS if i not in {d.importer for d in deps.get(material.id, [])}]
    assert len(without) >= 5
    scores = score_material(context, material, deps.get(material.id, []), without, AS_OF)
    last = scoring._LAST_TERMS[0]
    assert last is not None and last[0] is material
    assert 0 < len(last[4].bare) < len(without)  # the shared numbers were used
    for s in scores:
        assert s.model_dump_json() == batch[(s.importer, material.id)]
        assert any(s.importer in f for f in s.fallbacks)
