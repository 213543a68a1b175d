"""The Lambda runtime's Python for the cold-start children: the interpreter version template.yaml deploys
(Globals.Function.Runtime, e.g. python3.13) with exactly the packages the functions ship (requirements.txt) plus
boto3 for the floor, in a venv under .local/bench/ built on first use.

The dev venv may run another version (3.11 here); import and class-creation costs differ between versions
(3.13 builds a dataclass with one exec), so a cold start measured on the dev interpreter alone would measure
something Lambda never runs (docs/decisions.md, cold start on the runtime's Python).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import REPO_ROOT
from tooling.sam_template import load_template

VENVS = REPO_ROOT / ".local" / "bench"


def runtime_version() -> str:
    """'3.13' for Runtime: python3.13 in the template's function globals."""
    runtime = str(load_template()["Globals"]["Function"]["Runtime"])
    return runtime.removeprefix("python")


def _interpreter(version: str) -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    pyenv = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]
    candidates = [*reversed(pyenv), shutil.which(f"python{version}")]
    # a pyenv shim on PATH may name a version it will not run: take the first candidate that starts
    return next((c for c in candidates if c and _starts(c)), None)


def _starts(python: str) -> bool:
    return subprocess.run([python, "-c", "pass"], capture_output=True, check=False).returncode == 0


def runtime_python() -> tuple[str | None, str]:
    """(path of a python with the runtime's version and the shipped packages, or None; what was used or why not)."""
    version = runtime_version()
    base = _interpreter(version)
    if base is None:
        return None, f"no python{version} on this machine (the dev interpreter was used instead)"
    if base == sys.executable:
        return sys.executable, f"the dev venv's python {version}"
    requirements = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8")
    boto3_pin = f"boto3=={importlib.metadata.version('boto3')}"
    stamp_key = hashlib.sha256((requirements + boto3_pin + base).encode()).hexdigest()[:12]
    venv = VENVS / f"python{version}"
    python = venv / "bin" / "python"
    stamp = venv / f".installed-{stamp_key}"
    if not stamp.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(REPO_ROOT / "requirements.txt"), boto3_pin],
            check=True,
        )
        stamp.touch()
    return str(python), f"python {version} ({base}) with requirements.txt + {boto3_pin}, as Lambda runs it"
