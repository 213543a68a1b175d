"""Development code stays out of the Lambda packages, and template reading stays out of the dev stack.

scripts/build_lambda.py packages functions/ and shared/ only (tests/infra/test_lambda_build.py checks the package),
so a handler or service importing tooling/, local/, tests/, scripts/ or bench/ would work here and fail in Lambda.
tooling/ is what scripts, bench, tests and the local stack share: it must not need the local stack (or shared/).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_PACKAGES = {"tooling", "local", "tests", "scripts", "bench"}


def imported_top_level(package: str) -> dict[str, set[str]]:
    """Module file -> the top-level packages it imports (absolute imports, anywhere in the file)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO_ROOT))] = names
    return found


@pytest.mark.parametrize("package", ["functions", "shared"])
def test_shipped_code_imports_no_development_package(package: str) -> None:
    offenders = {path: sorted(names & DEV_PACKAGES) for path, names in imported_top_level(package).items()}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_template_reading_depends_on_neither_the_local_stack_nor_the_product() -> None:
    modules = imported_top_level("tooling")
    assert "tooling/sam_template.py" in modules
    offenders = {path: sorted(names & {"local", "shared", "functions"}) for path, names in modules.items()}
    assert {path: names for path, names in offenders.items() if names} == {}
