"""Company scores are unchanged by the scoring caches (issue 15's performance goal, decision 83).

The service scores a portfolio's lines from inputs it reads again on every request: objects with equal values and
new identities. Whatever the caches key on (identity within a request, values across them), a company score's value
and inputs hash must be the ones computed from scratch: pinned here from the model before the caching changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest

from shared.domain import scoring
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal, Stage
from shared.domain.scoring import CompanySourcing, ScoringInputs, compute_company_score
from tests.unit.fixtures import dysprosium, governance, shares, signal

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

#: (score, inputs_hash, sha256 of the company RiskScore's JSON) per line below, importer DE: computed before the
#: caching changes (model 1.x; a new MODEL_VERSION changes the hashes, and these are re-pinned with it)
PINNED: dict[str, tuple[float, str, str]] = {
    "partial processing": (
        89.1575,
        "6e6d8ef607baa60cb271ebb2f75ebee040a32f430cf4d20416677f26342b894d",
        "c6774a548488317972cdba776a8e3da29b002231f4fa0ff24a936453d4e71e04",
    ),
    "two countries, all known": (
        85.924,
        "6d5a6197636a675b36868d21ad87b947f92070182c0256a9396e691d1cca0f9b",
        "8a344c5d1633e57c2c36c785731b2f4d0e74312251ee3754e66cc508d720be00",
    ),
    "both stages": (
        76.2649,
        "6ee2aaf7ed7acc8cf23bbfd6e2df743aec821579620029d70ccc10e94850d626",
        "e46b6cf58e5194eb3b0d4baf5da26508f708c44e2dff7079cb5220fa8937ed31",
    ),
}

LINES: dict[str, CompanySourcing] = {
    "partial processing": CompanySourcing({Stage.PROCESSING: (("AU", 0.6),)}, Stage.PROCESSING),
    "two countries, all known": CompanySourcing({Stage.PROCESSING: (("AU", 0.5), ("MM", 0.5))}, Stage.PROCESSING),
    "both stages": CompanySourcing(
        {Stage.EXTRACTION: (("AU", 0.7), ("CN", 0.2)), Stage.PROCESSING: (("DE", 0.3), ("CN", 0.3))},
        Stage.PROCESSING,
    ),
}


def _fresh_inputs(importer: str = "DE") -> ScoringInputs:
    """New objects every call, as the store gives them on every request (equal values, new identities)."""
    gov: dict[str, CountryGovernance] = governance(CN=5.667, MM=8.9, AU=1.6, DE=1.2, FI=0.9)
    dependency = ImporterDependency(
        importer=importer,
        material="dysprosium",
        import_reliance=1.0,
        sourcing={Stage.PROCESSING: shares(("CN", 0.9), ("MM", 0.1))},
        source="fixture trade",
    )
    material: MaterialProfile = dysprosium()
    signals: tuple[PolicySignal, ...] = (signal(), signal(id="sig-2", issuer="MM", stages=(Stage.EXTRACTION,)))
    return ScoringInputs(
        importer=importer,
        material=material,
        dependency=dependency,
        governance=gov,
        signals=signals,
        as_of=date(2026, 5, 1),
    )


def _fingerprint(inputs: ScoringInputs, sourcing: CompanySourcing) -> tuple[float, str, str]:
    company = compute_company_score(inputs, sourcing, NOW)
    body = company.score.model_dump_json().encode()
    return company.score.score, company.score.inputs_hash, hashlib.sha256(body).hexdigest()


def _clear_caches() -> None:
    for name in dir(scoring):
        cache: Any = getattr(scoring, name)
        if isinstance(cache, scoring._IdentityCache):
            cache._entries.clear()


@pytest.mark.parametrize("line", sorted(LINES))
def test_a_company_score_is_the_pinned_one_cold_warm_and_on_re_read_inputs(line: str) -> None:
    _clear_caches()
    cold = _fingerprint(_fresh_inputs(), LINES[line])
    same_objects = _fresh_inputs()
    warm = [_fingerprint(same_objects, LINES[line]) for _ in range(2)]  # identity hits
    re_read = [_fingerprint(_fresh_inputs(), LINES[line]) for _ in range(2)]  # new objects, equal values
    assert cold == PINNED[line]
    assert warm == [PINNED[line]] * 2
    assert re_read == [PINNED[line]] * 2


def test_lines_of_other_importers_and_mixes_in_between_change_no_score() -> None:
    # the caches shared by a request's lines (one governance, one profile) hold values of other lines too
    _clear_caches()
    for importer in ("FR", "DE", "US"):
        for sourcing in LINES.values():
            _fingerprint(_fresh_inputs(importer), sourcing)
    assert {line: _fingerprint(_fresh_inputs(), sourcing) for line, sourcing in LINES.items()} == PINNED


def test_a_changed_input_value_is_never_served_from_a_cache() -> None:
    # equal keys for equal values only: a governance, profile or signal edit changes the hash
    _clear_caches()
    line = LINES["partial processing"]
    base = _fingerprint(_fresh_inputs(), line)
    changed_governance = _fresh_inputs()
    gov = dict(changed_governance.governance)
    gov["AU"] = gov["AU"].model_copy(update={"governance_risk": gov["AU"].governance_risk + 0.1})
    edited_material = _fresh_inputs()
    material = edited_material.material.model_copy(update={"substitution_index": 0.5})
    edited_signal = _fresh_inputs()
    signals = (edited_signal.signals[0].model_copy(update={"severity": 0.1}), *edited_signal.signals[1:])
    hashes = {
        base[1],
        _fingerprint(replace(changed_governance, governance=gov), line)[1],
        _fingerprint(replace(edited_material, material=material), line)[1],
        _fingerprint(replace(edited_signal, signals=signals), line)[1],
    }
    assert len(hashes) == 4


def test_the_identity_cache_is_bounded_and_drops_the_oldest_entry() -> None:
    cache = scoring._IdentityCache(3)
    keys = [object() for _ in range(5)]
    for n, key in enumerate(keys):
        assert cache.get((key,), partial(int, n)) == n
    assert cache.get((keys[4],), lambda: -1) == 4  # a hit: not computed again
    assert cache.get((keys[0],), lambda: -1) == -1  # the oldest went
    assert len(cache._entries) == 3


def test_a_company_line_leaves_nothing_in_the_identity_caches_after_the_first_line() -> None:
    # a line's own dependency is a new object every time: caching by its identity never hits and only pushes the
    # stored inputs' entries out (decision 83); its partners' governance part is shared by value
    _clear_caches()
    inputs = _fresh_inputs()
    line = LINES["both stages"]
    compute_company_score(inputs, line, NOW)
    sizes = {name: len(getattr(scoring, name)._entries) for name in ("_DIGESTS", "_DERIVED", "_PARTNERS")}
    for _ in range(3):
        assert _fingerprint(inputs, line) == PINNED["both stages"]
    assert {name: len(getattr(scoring, name)._entries) for name in sizes} == sizes
