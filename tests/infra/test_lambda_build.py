"""The deployment package `sam build` makes (BuildMethod makefile -> scripts/build_lambda.py)."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import marshal
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts import build_lambda
from scripts.generate_requirements import REQUIREMENTS_PATH, project_name

REPO_ROOT = Path(__file__).resolve().parents[2]
_UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked
#: what the functions never import and the package must not carry (boto3: Lambda's own copy is not ours to pin;
#: aws_xray_sdk/wrapt: Powertools' [tracer] extra, for a Tracer no function creates)
NOT_SHIPPED = {"boto3", "s3transfer", "aws_xray_sdk", "wrapt", "yaml", "moto", "pytest"}


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_top_level_modules() -> set[str]:
    """Every top-level module that functions/ and shared/ import at run time (not under `if TYPE_CHECKING:`)."""
    names: set[str] = set()
    for package in build_lambda.CODE_PACKAGES:
        for source in (REPO_ROOT / package).rglob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            skipped = {id(n) for block in ast.walk(tree) if _is_type_checking_block(block) for n in ast.walk(block)}
            for node in ast.walk(tree):
                if id(node) in skipped:
                    continue
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names


def third_party_imports() -> set[str]:
    return imported_top_level_modules() - set(sys.stdlib_module_names) - set(build_lambda.CODE_PACKAGES)


def requirement_names() -> set[str]:
    lines = REQUIREMENTS_PATH.read_text(encoding="utf-8").splitlines()
    return {project_name(line) for line in lines if line.strip() and not line.startswith("#")}


def test_the_functions_import_exactly_the_runtime_dependencies() -> None:
    """requirements.txt (what every package installs) == the distributions of what functions/ and shared/ import."""
    distributions = importlib.metadata.packages_distributions()
    imported = {project_name(dist) for module in third_party_imports() for dist in distributions.get(module, [module])}

    assert imported - requirement_names() == set(), "imported but not a runtime dependency (requirements.txt)"
    assert requirement_names() - imported == set(), "shipped in every package but imported by no function"


def _pyc_flags(pyc: Path) -> int:
    header = pyc.read_bytes()[:8]
    return int.from_bytes(header[4:8], "little")


def test_every_function_is_built_by_the_makefile_target(template) -> None:
    functions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert len(functions) == 7
    for name, fn in functions.items():
        assert fn.get("Metadata", {}).get("BuildMethod") == "makefile", f"{name} is built by SAM's default builder"
        dry_run = subprocess.run(
            ["make", "--dry-run", f"build-{name}", "ARTIFACTS_DIR=/tmp/artifacts"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert 'scripts/build_lambda.py "/tmp/artifacts"' in dry_run.stdout, f"make build-{name}: {dry_run.stdout}"


@pytest.fixture(scope="module")
def code_package(tmp_path_factory) -> Path:
    """The package without dependencies, its bytecode compiled by the running interpreter (CI has no 3.13 on PATH)."""
    target: Path = tmp_path_factory.mktemp("artifacts")
    build_lambda.build(target, dependencies=False, compile_with=sys.executable)
    return target


def test_the_package_holds_the_handler_code_and_nothing_else(code_package) -> None:
    expected = {
        path.relative_to(REPO_ROOT)
        for package in ("functions", "shared")
        for path in (REPO_ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    sources = {path.relative_to(code_package) for path in code_package.rglob("*.py")}

    assert sources == expected
    assert sorted(p.name for p in code_package.iterdir()) == ["functions", "shared"]  # no tests, docs, .venv
    shipped = "\n".join(p.read_text(encoding="utf-8") for p in code_package.rglob("*.py"))
    assert "class InProcessChunkQueue" not in shipped and "class RecordingPublisher" not in shipped  # test doubles


def test_every_module_has_unchecked_hash_bytecode(code_package) -> None:
    tag = sys.implementation.cache_tag
    for source in code_package.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert pyc.is_file(), f"no bytecode for {source.relative_to(code_package)}"
        assert _pyc_flags(pyc) == _UNCHECKED_HASH, f"{pyc.name}: bytecode checked against the source"
        assert pyc.read_bytes()[:4] == importlib.util.MAGIC_NUMBER


def test_the_bytecode_is_what_runs_whatever_the_source_timestamps(code_package, tmp_path) -> None:
    # Zip packaging does not keep timestamps. Prove the shipped bytecode is used without looking at the source:
    # replace a source file by one that would fail, import from a read-only-like tree (-B: nothing written).
    package = tmp_path / "task"
    shutil.copytree(code_package, package)
    (package / "shared" / "config.py").write_text("raise RuntimeError('the source was compiled')\n", encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-B", "-c", "import shared.config as c; print(c.__file__, c.DEFAULT_SCORED_IMPORTERS[:2])"],
        cwd=package,
        env={"PYTHONPATH": str(package), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1] == "EU"


def test_tracebacks_name_the_lambda_task_root(code_package) -> None:
    pyc = code_package / "shared" / "__pycache__" / f"config.{sys.implementation.cache_tag}.pyc"

    code: Any = marshal.loads(pyc.read_bytes()[16:])

    assert code.co_filename == "/var/task/shared/config.py"


def test_without_a_python_313_the_build_stops_with_the_fix(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setattr(build_lambda, "_python_version", lambda executable: (3, 11))

    with pytest.raises(build_lambda.BuildError, match="sam build --use-container"):
        build_lambda.build(tmp_path / "out", dependencies=False)
    assert not (tmp_path / "out").exists()  # stopped before doing anything
    assert build_lambda.main([str(tmp_path / "out"), "--no-dependencies"]) == 2


def test_the_full_package_has_arm64_wheels_for_313_and_no_dev_dependencies(tmp_path) -> None:
    """The real build: pip fetches the arm64 / CPython 3.13 wheels of requirements.txt (PyPI, like make test)."""
    target = tmp_path / "artifacts"
    build_lambda.build(target, compile_with=sys.executable)

    top_level = {p.name for p in target.iterdir()}
    assert {"functions", "shared", "aws_lambda_powertools", "pydantic", "pydantic_core", "botocore"} <= top_level
    assert not {"pytest", "moto", "hypothesis", "schemathesis", "mypy", "ruff"} & top_level
    assert not NOT_SHIPPED & top_level, sorted(NOT_SHIPPED & top_level)
    for module in third_party_imports():  # every import resolves from the package alone
        assert (target / module).is_dir() or (target / f"{module}.py").is_file(), f"{module} is not in the package"
    extensions = [p.name for p in (target / "pydantic_core").glob("*.so")]
    assert extensions and all("cpython-313-aarch64-linux-gnu" in name for name in extensions), extensions
    # Lambda's limit is 250 MB unzipped; the package is ~60 MB (CodeUri "." with .venv and node_modules was not)
    unzipped = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    assert unzipped < 150 * 1024 * 1024, f"{unzipped / 2**20:.0f} MB unzipped"
