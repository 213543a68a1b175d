"""Build the seed datasets (data/seed/*.json) from the public files and mapping tables in data/sources/.

Run `python scripts/build_seed.py` (or `make data`). It reads only data/sources/, so a clean clone can
rebuild the seed files, and its output is deterministic so a test can compare it with the committed files.
The build itself is the package scripts/seed/ (one module per seed file); this is its command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running as `python scripts/build_seed.py` puts scripts/ (not the repo root) on sys.path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from scripts.seed.build import build_all, render  # noqa: E402
from scripts.seed.common import DEFAULT_SEED_DIR, DEFAULT_SOURCES_DIR  # noqa: E402


def main() -> None:
    DEFAULT_SEED_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in build_all(DEFAULT_SOURCES_DIR).items():
        (DEFAULT_SEED_DIR / name).write_text(render(content), encoding="utf-8")
        print(f"wrote {DEFAULT_SEED_DIR / name}")


if __name__ == "__main__":
    main()
