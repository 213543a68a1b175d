"""Build one function's deployment package for Lambda (python3.13, arm64): what `sam build` runs per function.

template.yaml gives every function `Metadata: BuildMethod: makefile`, so `sam build` runs
`make build-<LogicalId>` with ARTIFACTS_DIR set, and the Makefile runs this script. It writes:

1. the runtime dependencies of requirements.txt, as arm64 / CPython 3.13 wheels (pip --platform, binary only);
2. the code the handlers import: `functions/` and `shared/`, source files only (no tests, docs, .venv,
   node_modules, which `CodeUri: .` with the default builder would have copied into every package);
3. bytecode for all of it, compiled by CPython 3.13 with `--invalidation-mode unchecked-hash`.

Why 3: /var/task is read-only, so without bytecode in the package Python compiles every module it imports (ours,
pydantic, Powertools, botocore) on every cold start and throws the result away. Wheels carry no bytecode and
pip's own compile step would use the build machine's Python, whose bytecode 3.13 ignores. Zip packaging does not
keep the source timestamps that default .pyc files are checked against, so the bytecode is checked by nothing:
the package is immutable once built. See docs/decisions.md 18.

    python scripts/build_lambda.py ARTIFACTS_DIR                  # what sam build runs
    python scripts/build_lambda.py ARTIFACTS_DIR --no-dependencies --compile-with "$(which python3)"   # tests

CPython 3.13 is found as `python3.13`, or this interpreter when it is 3.13 (as in `sam build --use-container`),
or given with --compile-with / LAMBDA_PYTHON.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess  # runs pip and compileall with fixed argument lists, never a shell  # nosec B404
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS_PATH = REPO_ROOT / "requirements.txt"
CODE_PACKAGES = ("functions", "shared")
LAMBDA_PYTHON_VERSION = (3, 13)
LAMBDA_PLATFORM = "manylinux2014_aarch64"  # template.yaml: Architectures [arm64]
#: where Lambda unpacks the package: tracebacks name /var/task/shared/... instead of the build folder
LAMBDA_TASK_ROOT = "/var/task"


class BuildError(RuntimeError):
    pass


def _python_version(executable: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(  # a fixed argv: the interpreter asked about prints its version  # nosec B603
            [executable, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None  # e.g. a pyenv shim for a version that is installed but not selected
    major, minor = done.stdout.split()
    return int(major), int(minor)


def find_lambda_python(explicit: str | None) -> str:
    """A CPython of the Lambda runtime's version, to compile the bytecode with."""
    if explicit:
        return explicit  # the caller's choice, not checked (the tests compile with the running interpreter)
    configured = os.environ.get("LAMBDA_PYTHON")
    candidates = [configured] if configured else [sys.executable, *filter(None, [shutil.which("python3.13")])]
    for candidate in candidates:
        if _python_version(candidate) == LAMBDA_PYTHON_VERSION:
            return candidate
    raise BuildError(
        "compiling the package's bytecode needs CPython 3.13, the Lambda runtime's version: run "
        "`sam build --use-container` (its build image has it), or set LAMBDA_PYTHON=/path/to/python3.13"
    )


def install_dependencies(target: Path) -> None:
    subprocess.run(  # fixed pip argv, no shell  # nosec B603
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--requirement",
            str(REQUIREMENTS_PATH),
            "--target",
            str(target),
            "--platform",
            LAMBDA_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            ".".join(map(str, LAMBDA_PYTHON_VERSION)),
            "--only-binary=:all:",
            "--no-compile",  # compiled below, by 3.13
            "--upgrade",
        ],
        check=True,
    )


def copy_code(target: Path) -> list[Path]:
    """Copy the source of the handler packages; returns the files copied (relative to target)."""
    copied = []
    for package in CODE_PACKAGES:
        for source in sorted((REPO_ROOT / package).rglob("*.py")):
            if "__pycache__" in source.parts:
                continue
            relative = source.relative_to(REPO_ROOT)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            copied.append(relative)
    return copied


def compile_bytecode(target: Path, python: str) -> None:
    subprocess.run(  # fixed compileall argv, no shell  # nosec B603
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(target),
            "-p",
            LAMBDA_TASK_ROOT,
            str(target),
        ],
        check=True,
    )


def build(target: Path, *, dependencies: bool = True, compile_with: str | None = None) -> list[Path]:
    python = find_lambda_python(compile_with)  # fail before a long install when no 3.13 is at hand
    target.mkdir(parents=True, exist_ok=True)
    if dependencies:
        install_dependencies(target)
    copied = copy_code(target)
    compile_bytecode(target, python)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("artifacts_dir", type=Path, help="where the package goes (sam build's ARTIFACTS_DIR)")
    parser.add_argument("--no-dependencies", action="store_true", help="only the code and its bytecode")
    parser.add_argument("--compile-with", help="the Python that compiles the bytecode (default: a CPython 3.13)")
    args = parser.parse_args(argv)
    try:
        copied = build(args.artifacts_dir, dependencies=not args.no_dependencies, compile_with=args.compile_with)
    except BuildError as error:
        print(f"build_lambda: {error}", file=sys.stderr)
        return 2
    print(f"built {args.artifacts_dir}: {len(copied)} source files of {', '.join(CODE_PACKAGES)}, compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
