"""The measured hot keys (bench/hot_keys.py, data/cost/hot_keys.json) beside the paper limits of
docs/cost-and-scale.md."""

from __future__ import annotations

from scripts.cost.key_rate import PARTITION_WCU, HotKeys, PhaseKeys, ProjectedKey
from scripts.cost.limits import Limit

#: the paper row (scripts/cost/limits.py, size 1) each measured (phase, index) sits next to: its `what` starts so
PAPER_ROWS = {
    ("nightly", "table"): "nightly: hottest base partition",
    ("nightly", "gsi2"): "nightly: hottest GSI partition gsi2",
    ("group_signal", "gsi2"): "signal burst: gsi2 partition",
}


def _paper(phase: str, index: str, paper: list[Limit]) -> str:
    start = PAPER_ROWS.get((phase, index))
    row = next((limit for limit in paper if start and limit.what.startswith(start)), None)
    return f"{row.need:,.0f} {row.unit} ({row.use:.0%})" if row else "-"


def _rows(phase: PhaseKeys, paper: list[Limit]) -> list[str]:
    first: dict[str, ProjectedKey] = {}
    for k in phase.hottest:  # hottest first within each index
        first.setdefault(k.index, k)
    shown = [*first.values(), *[k for k in phase.named if k not in first.values()]]
    out = []
    for k in shown:
        flag = " **over**" if k.use > 1 else (" (close)" if k.use > 0.7 else "")
        named = "" if k in first.values() else " (named)"
        out.append(
            f"| {phase.name} | {k.index} | `{k.key}`{named} | {k.units:,} ({k.share:.1%}) | "
            f"{k.max_units_one_request:,} | {k.projected_wcu_per_s:,.0f} | {k.use:.0%}{flag} | "
            f"{_paper(phase.name, k.index, paper) if not named else '-'} |"
        )
    return out


def hot_keys_section(found: HotKeys | None, paper: list[Limit]) -> str:
    """The measured hot keys of today's default size, next to the paper rows (`paper`: size 1's limits)."""
    if found is None:
        return "No measured hot keys yet: run `.venv/bin/python -m bench.run --only hot_keys`.\n"
    out = [
        "### Measured hot keys (DynamoDB Local replay, today's default size)\n",
        f"`{found.command}` (docs/performance.md, section 7, measured {found.measured}; written to "
        "`data/cost/hot_keys.json`) replays the real write paths against DynamoDB Local with a recorder on the "
        "clients: "
        + "; ".join(f"**{p.name}**: {p.what} ({p.pairs:,} pairs)" for p in found.phases)
        + ". Every written item's table and GSI partition keys (from template.yaml) take its write units "
        "(`scripts/cost/key_rate.py`: transactions x2 on the table, a moved index key is a delete and a put). "
        "`projected` is the key's most units in any 1-second window of the local run x the workers that can write "
        "it at once (min(the chunks that wrote it, the nightly's concurrency), 1 for the stream); DynamoDB Local "
        "writes slower than AWS, so for keys one worker writes in a burst it is a floor, and `most in one request` "
        "arrives at once whatever the speed. Shown: the hottest key of each index and the named ones.",
        "",
        "| work | index | partition key | units (share of the index) | most in one request | projected WCU/s | "
        f"of {PARTITION_WCU:,} | paper row above (size 1) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase in found.phases:
        out += _rows(phase, paper)
    hottest = [(p.name, p.top()) for p in found.phases]
    out += [
        "",
        "Measured hottest: "
        + "; ".join(f"{name}: {k.index} `{k.key}` ~{k.projected_wcu_per_s:,.0f} WCU/s" for name, k in hottest)
        + ". The paper rows take the sample's largest items (5 materials); the replay finds the hottest rank "
        "partition over the whole catalogue, and on an ordinary night (scores mostly unchanged) a rank entry is one "
        "put, not a delete and a put. The SIGNAL partition takes one write per signal: it is a stream-ordering "
        "limit (above), not a write-rate one.",
        "",
    ]
    return "\n".join(out)
