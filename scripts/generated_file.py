"""The `--check` / write step every generator script shares (docs/openapi.json, requirements.txt)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def generate(
    argv: list[str] | None, description: str | None, default_output: Path, render: Callable[[], str], stale: str
) -> int:
    """Write `render()` to the output, or with --check exit 1 (printing `stale`) when the file differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    parser.add_argument("--output", type=Path, default=default_output)
    args = parser.parse_args(argv)

    text = render()
    output: Path = args.output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output} {stale}", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0
