"""`make bench`: every benchmark, results in docs/performance.md and a summary on stdout.

python -m bench.run                      all benchmarks (about 9 min on 2 cores, the 100k-pair night included)
python -m bench.run --quick              smoke run: small N, few repeats (written to .local/bench/)
python -m bench.run --only nightly       one benchmark (repeatable: --only engine --only warm_request)

Each benchmark runs in a fresh Python process (this module again, with --in-process): one benchmark's heap,
caches and frozen objects must not slow or speed up the next (the engine measured ~15% slower after the
100k-pair night in the same process).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import cold_start, drafts, engine, event_path, hot_keys, nightly, portfolio_company, warm, webhooks
from bench.common import PERFORMANCE_MD, REPO_ROOT, BenchResult, machine_facts
from bench.report import goals_in, section_text, write_sections

QUICK_OUTPUT = REPO_ROOT / ".local" / "bench" / "performance-quick.md"


def _benchmarks(args: argparse.Namespace) -> dict[str, Callable[[], BenchResult]]:
    return {
        "cold_start": lambda: cold_start.run(quick=args.quick),
        "warm_request": lambda: warm.run(quick=args.quick),
        "nightly": lambda: nightly.run(quick=args.quick, budget_s=args.nightly_budget, large=not args.skip_100k),
        "engine": lambda: engine.run(quick=args.quick),
        "event_path": lambda: event_path.run(quick=args.quick),
        "portfolio_company": lambda: portfolio_company.run(quick=args.quick),
        "drafts": lambda: drafts.run(quick=args.quick),
        "hot_keys": lambda: hot_keys.run(quick=args.quick),
        "webhooks": lambda: webhooks.run(quick=args.quick),
    }


def _command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python -m bench.run"]
    if args.quick:
        parts.append("--quick")
    parts += [f"--only {name}" for name in args.only or []]
    if args.nightly_budget != nightly.DEFAULT_BUDGET_S:
        parts.append(f"--nightly-budget {args.nightly_budget:g}")
    if args.skip_100k:
        parts.append("--skip-100k")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small N and few repeats (a smoke run)")
    parser.add_argument(
        "--only", action="append", choices=list(_benchmarks(argparse.Namespace())), help="run only this benchmark"
    )
    parser.add_argument("--output", type=Path, default=None, help="markdown file to update (default: see above)")
    parser.add_argument(
        "--nightly-budget",
        type=float,
        default=nightly.DEFAULT_BUDGET_S,
        help="seconds the 100k-pair night may take; it is skipped when projected to take longer (default 600)",
    )
    parser.add_argument("--skip-100k", action="store_true", help="do not run the 100k-pair night")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)  # a child: run here
    parser.add_argument("--command", help=argparse.SUPPRESS)  # the parent's command line, for the report
    args = parser.parse_args(argv)
    output: Path = args.output or (QUICK_OUTPUT if args.quick else PERFORMANCE_MD)
    if args.in_process:
        return _run_here(args, output)
    command = _command(args)

    print(f"bench: {command}", flush=True)
    print("  " + "; ".join(f"{k}: {v}" for k, v in machine_facts().items()), flush=True)
    started = time.perf_counter()
    failed: list[str] = []
    ran: list[str] = []
    for name in _benchmarks(args):
        if args.only and name not in args.only:
            continue
        child = [sys.executable, "-m", "bench.run", "--in-process", "--only", name, "--output", str(output)]
        child += ["--command", command, "--nightly-budget", f"{args.nightly_budget:g}"]
        child += ["--quick"] * args.quick + ["--skip-100k"] * args.skip_100k
        if subprocess.run(child, cwd=REPO_ROOT, check=False).returncode != 0:
            failed.append(name)
        else:
            ran.append(name)

    total = time.perf_counter() - started
    shown = output.relative_to(REPO_ROOT) if output.is_relative_to(REPO_ROOT) else output
    print(f"\nsummary ({total / 60:.1f} min, written to {shown}):")
    for name in ran:
        for goal in goals_in(output, name):
            verdict = {True: "met", False: "MISSED", None: "-"}[goal.met]
            print(f"  {verdict:7} {goal.name}: {goal.measured} (goal {goal.target})")
    for name in failed:
        print(f"  FAILED  {name} (its error is above)")
    return 1 if failed else 0


def _run_here(args: argparse.Namespace, output: Path) -> int:
    """Run the selected benchmarks in this process and write their sections."""
    command = args.command or _command(args)
    failed = False
    for name, bench in _benchmarks(args).items():
        if args.only and name not in args.only:
            continue
        print(f"\n[{name}] running ...", flush=True)
        facts_before = machine_facts()
        try:
            result = bench()
        except Exception as exc:  # reported by the parent; the other benchmarks still run
            print(f"[{name}] FAILED: {exc.__class__.__name__}: {exc}", file=sys.stderr, flush=True)
            failed = True
            continue
        # written as soon as it is measured: a long run interrupted later keeps it
        write_sections(output, {result.name: section_text(result, command, facts_before)})
        print(f"[{name}] done in {result.seconds:.0f} s", flush=True)
        for line in result.summary:
            print("  " + line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
