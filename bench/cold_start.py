"""1. Cold start: a fresh Python process answering GET /v1/scores/JP/dysprosium vs a bare boto3 GetItem process.

Both children get the same environment (the ReadApiFunction's, as `sam local invoke` gives it, with
LAMBDA_TASK_ROOT set), are started alternately (api, floor, floor, api, ...) to cancel drift, and report their own
clock from the first line of the child module; the parent also times the whole process (spawn to exit, which
adds the interpreter's start-up to both sides).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, BenchResult, Goal, LocalDynamo, Stats, ratio_stats, score_default_pairs
from bench.runtime_python import runtime_python

GOAL_RATIO = 1.5
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


@dataclass(frozen=True)
class ChildRun:
    init: float
    first_call: float
    total: float
    wall: float
    gc_collections: int
    gc_seconds: float


def _run_child(
    mode: str, env: dict[str, str], extra_args: tuple[str, ...] = (), python: str = sys.executable
) -> tuple[ChildRun, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [python, *extra_args, "-m", "bench.cold_child", mode],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall = time.perf_counter() - started
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"cold-start child {mode} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    if not result["ok"]:
        raise RuntimeError(f"cold-start child {mode} did not get the score (status {result['status']})")
    return (
        ChildRun(
            result["init"], result["first_call"], result["total"], wall, result["gc_collections"], result["gc_seconds"]
        ),
        done.stderr,
    )


def parse_importtime(stderr: str) -> list[tuple[str, int, float, float]]:
    """(module, depth, self ms, cumulative ms) for each line of `python -X importtime`."""
    rows = []
    for line in stderr.splitlines():
        found = _IMPORT_LINE.match(line)
        if found:
            self_us, cumulative_us, indent, module = found.groups()
            rows.append((module, len(indent) // 2, int(self_us) / 1e3, int(cumulative_us) / 1e3))
    return rows


def median_importtime(runs: list[list[tuple[str, int, float, float]]]) -> list[tuple[str, int, float, float]]:
    """Per module, the median self and cumulative time over several `-X importtime` runs (one run is noisy)."""
    first = runs[0]
    by_module: dict[str, list[tuple[float, float]]] = {}
    for rows in runs:
        for module, _, self_ms, cumulative_ms in rows:
            by_module.setdefault(module, []).append((self_ms, cumulative_ms))
    return [
        (
            module,
            depth,
            statistics.median(v[0] for v in by_module[module]),
            statistics.median(v[1] for v in by_module[module]),
        )
        for module, depth, _, _ in first
    ]


def _compile_ms(modules: list[str]) -> float:
    """Time to compile the repository's own modules the api imports (Lambda has no bytecode cache for them)."""
    started = time.perf_counter()
    for module in modules:
        path = REPO_ROOT / Path(*module.split("."))
        source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if source.is_file():
            compile(source.read_text(encoding="utf-8"), str(source), "exec")
    return (time.perf_counter() - started) * 1e3


def _proposals(
    rows: list[tuple[str, int, float, float]], groups: dict[str, float], api_s: float, floor_s: float, met: bool
) -> list[str]:
    ours = [r for r in rows if r[0].split(".")[0] in {"shared", "functions"}]
    own_ms = sum(r[2] for r in ours)
    biggest_own = sorted(ours, key=lambda r: r[2], reverse=True)[:3]
    powertools_ms = groups.get("aws_lambda_powertools", 0.0) + groups.get("asyncio", 0.0)
    pydantic_ms = sum(groups.get(k, 0.0) for k in ("pydantic", "pydantic_core", "annotated_types", "typing_inspection"))
    lines = [
        "",
        "Where the api's extra time goes (what was cut, and by how much, is in docs/decisions.md 18):",
        "",
        f"- Powertools (+ `asyncio`, which `aws_lambda_powertools.event_handler` imports for its AppSync resolver): "
        f"{powertools_ms:.0f} ms of imports; pydantic itself {pydantic_ms:.0f} ms. This is the mandated stack "
        "(the resolver with validation and OpenAPI, pydantic models) and only changes upstream.",
        f"- the repository's own modules: {own_ms:.0f} ms of self time, mostly "
        + ", ".join(f"`{m}` {s_ms:.0f} ms" for m, _, s_ms, _ in biggest_own)
        + ": building the model and dataclass classes (pydantic models use `defer_build`, so a request builds "
        "the validators of only the models it touches).",
        "- the first call is mostly botocore building the DynamoDB client (service model, endpoint rules, "
        "handlers), which the floor pays too; `shared.adapters.aws` skips botocore's scan of ~420 service "
        "folders and its OrderedDict decoding of the model files.",
        "- the cyclic GC is paused while a function's modules load (`functions/__init__.py`) and what they built "
        "is frozen, so the api's collections (before that package loads, and in the first call) are short; the "
        "floor, a plain script, runs its usual ones (GC row above).",
        "- both sides run with warm bytecode caches here. In Lambda (/var/task is read-only) only what the package "
        "ships is cached: `sam build` runs scripts/build_lambda.py, which compiles everything (ours and the "
        f"dependencies) with CPython 3.13. Without it, compiling just the repository's modules the api imports "
        f"would add {_compile_ms([r[0] for r in ours]):.0f} ms, and the whole package ~430 ms (decision 18).",
    ]
    if not met:
        lines.append(
            f"- To reach {GOAL_RATIO} the api must lose ~{(api_s - GOAL_RATIO * floor_s) * 1e3:.0f} ms in this run."
        )
    return lines


def _dev_row(dev: _Samples | None) -> list[str]:
    """The same in-process totals on the dev venv's interpreter, reported beside the goal's (not the goal)."""
    if dev is None:
        return []
    ratio = ratio_stats([a.total for a in dev.api], [f.total for f in dev.floor])
    api, floor = Stats.of([a.total for a in dev.api]), Stats.of([f.total for f in dev.floor])
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [
        f"| in-process total on the dev venv's python {version} (reported, not the goal) | {api.ms()} "
        f"| {floor.ms()} | {ratio.median:.2f} ({ratio.minimum:.2f}-{ratio.maximum:.2f}) |"
    ]


def _gc_cell(runs: list[ChildRun]) -> str:
    collections = statistics.median(r.gc_collections for r in runs)
    return f"{collections:.0f} ({Stats.of([r.gc_seconds for r in runs]).median * 1e3:.1f} ms)"


def self_time_by_package(rows: list[tuple[str, int, float, float]]) -> dict[str, float]:
    groups: dict[str, float] = {}
    for module, _, self_ms, _ in rows:
        top = module.split(".")[0]
        groups[top] = groups.get(top, 0.0) + self_ms
    return groups


def _child_environment(ddb: LocalDynamo, table: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    env.update(ddb.function_environment("ReadApiFunction", table))
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(REPO_ROOT),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONHASHSEED": "0",
        }
    )
    env.pop("AWS_SAM_LOCAL", None)  # behave as in Lambda, not as under sam local
    return env


@dataclass(frozen=True)
class _Samples:
    api: list[ChildRun]
    floor: list[ChildRun]
    api_imports: list[list[tuple[str, int, float, float]]]
    floor_imports: list[list[tuple[str, int, float, float]]]


def _sample(env: dict[str, str], python: str, repeats: int, importtime_runs: int) -> _Samples:
    # one discarded run of each: bytecode caches written, DynamoDB Local's JIT warm for this item
    _run_child("api", env, python=python)
    _run_child("floor", env, python=python)
    api: list[ChildRun] = []
    floor: list[ChildRun] = []
    for i in range(repeats):
        order = ("api", "floor") if i % 2 == 0 else ("floor", "api")
        for mode in order:
            (api if mode == "api" else floor).append(_run_child(mode, env, python=python)[0])
    return _Samples(
        api,
        floor,
        [parse_importtime(_run_child("api", env, ("-X", "importtime"), python)[1]) for _ in range(importtime_runs)],
        [parse_importtime(_run_child("floor", env, ("-X", "importtime"), python)[1]) for _ in range(importtime_runs)],
    )


def run(quick: bool = False) -> BenchResult:
    repeats = 4 if quick else 15
    importtime_runs = 2 if quick else 5
    started = time.perf_counter()
    runtime, runtime_note = runtime_python()
    with LocalDynamo() as ddb:
        table = ddb.seeded_table("cold")
        score_default_pairs(ddb.repository(table))
        env = _child_environment(ddb, table)
        measured = _sample(env, runtime or sys.executable, repeats, importtime_runs)
        dev = _sample(env, sys.executable, repeats, 0) if runtime not in (None, sys.executable) else None
    api, floor = measured.api, measured.floor
    api_imports, floor_imports = measured.api_imports, measured.floor_imports

    total_ratio = ratio_stats([a.total for a in api], [f.total for f in floor])
    wall_ratio = ratio_stats([a.wall for a in api], [f.wall for f in floor])
    api_total, floor_total = Stats.of([a.total for a in api]), Stats.of([f.total for f in floor])
    api_wall, floor_wall = Stats.of([a.wall for a in api]), Stats.of([f.wall for f in floor])
    api_init, floor_init = Stats.of([a.init for a in api]), Stats.of([f.init for f in floor])
    api_call, floor_call = Stats.of([a.first_call for a in api]), Stats.of([f.first_call for f in floor])

    rows = median_importtime(api_imports)
    top = sorted(rows, key=lambda r: r[3], reverse=True)[:10]
    top_self = sorted(rows, key=lambda r: r[2], reverse=True)[:10]
    all_imports_ms = sum(r[3] for r in rows if r[1] == 0)
    ours = sum(r[2] for r in rows if r[0].split(".")[0] in {"shared", "functions"})
    api_groups = self_time_by_package(rows)
    floor_groups = self_time_by_package(median_importtime(floor_imports))
    extra = sorted(api_groups, key=lambda k: api_groups[k] - floor_groups.get(k, 0.0), reverse=True)[:10]
    extra_total = sum(api_groups.values()) - sum(floor_groups.values())

    met = total_ratio.median <= GOAL_RATIO
    md = [
        "A fresh `python` process per sample, the ReadApiFunction's environment (as `sam local invoke` gives it, "
        "`LAMBDA_TASK_ROOT` set), against DynamoDB Local holding the seed data and the default scores.",
        "",
        "- **api**: `import functions.read_api.app` (the Lambda init phase), then one `lambda_handler` call with "
        "`events/get_score.json` (GET /v1/scores/JP/dysprosium, 200 checked).",
        "- **floor**: `import boto3`, `boto3.client('dynamodb')`, one `GetItem` of pk `SCORE#JP`, sk `dysprosium`.",
        f"- **interpreter** (both sides): {runtime_note}; the goal is measured there.",
        "",
        f"{repeats} samples each, alternating api/floor order; bytecode caches warm (one discarded run each). "
        "'in-process' is the child's own clock from its first line to the answer; 'process wall' is spawn to "
        "exit as seen by the parent (adds interpreter start-up and exit to both).",
        "",
        "| | api | floor | ratio api/floor (median of paired ratios, min-max) |",
        "|---|---|---|---|",
        f"| in-process total | {api_total.ms()} | {floor_total.ms()} | **{total_ratio.median:.2f}** "
        f"({total_ratio.minimum:.2f}-{total_ratio.maximum:.2f}) |",
        f"| of which imports (init) | {api_init.ms()} | {floor_init.ms()} "
        f"| {api_init.median / floor_init.median:.2f} |",
        f"| of which first call | {api_call.ms()} | {floor_call.ms()} | {api_call.median / floor_call.median:.2f} |",
        f"| process wall | {api_wall.ms()} | {floor_wall.ms()} | {wall_ratio.median:.2f} "
        f"({wall_ratio.minimum:.2f}-{wall_ratio.maximum:.2f}) |",
        f"| cyclic-GC collections in the run (time in them) | {_gc_cell(api)} | {_gc_cell(floor)} | |",
        *_dev_row(dev),
        "",
        f"Goal: in-process ratio <= {GOAL_RATIO}: **{'met' if met else 'missed'}** (process wall, which adds "
        f"~{(floor_wall.median - floor_total.median) * 1e3:.0f} ms of interpreter start-up and exit to both sides: "
        f"{wall_ratio.median:.2f}).",
        "",
        f"`python -X importtime` of the api process (median per module of {len(api_imports)} runs; imports total "
        f"{all_imports_ms:.0f} ms, of which "
        f"`shared.*`/`functions.*` own code {ours:.0f} ms self time). Top 10 by cumulative time:",
        "",
        "| module | depth | self ms | cumulative ms |",
        "|---|---|---|---|",
        *[f"| `{m}` | {d} | {s:.1f} | {c:.1f} |" for m, d, s, c in top],
        "",
        f"What the api imports beyond the floor ({extra_total:.0f} ms of self time under `-X importtime`), "
        "by top-level package, 10 largest:",
        "",
        "| package | api self ms | floor self ms | extra ms |",
        "|---|---|---|---|",
        *[
            f"| `{k}` | {api_groups[k]:.1f} | {floor_groups.get(k, 0.0):.1f} "
            f"| {api_groups[k] - floor_groups.get(k, 0.0):.1f} |"
            for k in extra
        ],
        "",
        "Top 10 modules by self time (where the time is actually spent):",
        "",
        "| module | self ms | cumulative ms |",
        "|---|---|---|",
        *[f"| `{m}` | {s:.1f} | {c:.1f} |" for m, _, s, c in top_self],
    ]
    md += _proposals(rows, api_groups, api_total.median, floor_total.median, met)
    summary = [
        f"cold start: api {api_total.ms()} vs floor {floor_total.ms()} -> ratio {total_ratio.median:.2f} "
        f"(goal <= {GOAL_RATIO}: {'met' if met else 'MISSED'}); process wall ratio {wall_ratio.median:.2f}",
        "  top imports (cumulative): " + ", ".join(f"{m} {c:.0f} ms" for m, _, _, c in top[:5]),
    ]
    return BenchResult(
        name="cold_start",
        title="1. Cold start (read API vs bare GetItem)",
        markdown="\n".join(md),
        summary=summary,
        goals=[
            Goal(
                "cold start ratio (api / boto3 GetItem, in-process)",
                f"<= {GOAL_RATIO}",
                f"{total_ratio.median:.2f} ({api_total.median * 1e3:.0f} vs {floor_total.median * 1e3:.0f} ms)",
                met,
            )
        ],
        seconds=time.perf_counter() - started,
    )
