"""requirements.txt (what `sam build` installs) is pyproject.toml's runtime dependencies, and nothing else."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scripts.generate_requirements import (
    HEADER,
    PYPROJECT_PATH,
    REQUIREMENTS_PATH,
    main,
    project_name,
    render,
    runtime_dependencies,
)

DEV_ONLY = {"pytest", "pytest-xdist", "moto", "hypothesis", "ruff", "mypy", "boto3-stubs", "cfn-lint", "types-pyyaml"}


def requirement_lines() -> list[str]:
    text = REQUIREMENTS_PATH.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_requirements_txt_is_generated_from_pyproject() -> None:
    assert REQUIREMENTS_PATH.exists(), "requirements.txt is missing: run `make requirements`"
    text = REQUIREMENTS_PATH.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    assert text == render(runtime_dependencies()), "requirements.txt is stale: run `make requirements`"


def test_requirements_are_exactly_the_runtime_dependencies() -> None:
    with PYPROJECT_PATH.open("rb") as stream:
        project = tomllib.load(stream)["project"]
    assert sorted(requirement_lines()) == sorted(project["dependencies"])


def test_runtime_dependencies_are_exact_pins() -> None:
    for line in requirement_lines():
        assert "==" in line and not any(op in line for op in (">", "<", "~=", "!=", "*")), line


def test_no_development_package_is_deployed() -> None:
    with PYPROJECT_PATH.open("rb") as stream:
        extras = tomllib.load(stream)["project"].get("optional-dependencies", {})
    dev_names = {project_name(d) for d in extras.get("dev", [])} | DEV_ONLY
    deployed = {project_name(line) for line in requirement_lines()}
    assert deployed & dev_names == set()


def test_project_name_normalises() -> None:
    assert project_name("aws-lambda-powertools[tracer]==3.37.0") == "aws-lambda-powertools"
    assert project_name("Types_PyYAML") == "types-pyyaml"
    assert project_name("moto[dynamodb,sqs]==5.2.5") == "moto"


def test_check_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "requirements.txt"
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8") + "pytest==9.2.0\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", "--output", str(target)]) == 1
    assert "make requirements" in capsys.readouterr().err
