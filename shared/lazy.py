"""Package attributes loaded on first use (PEP 562), for packages whose `__init__` re-exports many modules.

`shared.ports` and `shared.adapters.dynamodb` name their exports here instead of importing every module, so a
function that needs one port or item family does not import all of them and the domain models they name (the
read API's cold start, docs/decisions.md 86). mypy sees the same names through `TYPE_CHECKING` imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `name` comes from the submodule `homes[name]`, imported then."""

    def load(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{homes[name]}"), name)

    return load
