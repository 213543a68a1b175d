"""The handler rules of docs/architecture.md, checked on the code: functions/ parse, call one service, map the
result; run ids come from one scheme (shared/services/runs.py)."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from shared.domain.ids import LOAD_ID_PATTERN, RUN_ID_PATTERN
from shared.services import runs

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HANDLER_MODULES = sorted(p for p in FUNCTIONS.rglob("*.py") if "__pycache__" not in p.parts)
#: what a handler may take from the adapters: the factory (composition) and the queue's message model (parsing)
ALLOWED_ADAPTER_MODULES = {"shared.adapters.factory", "shared.adapters.messaging"}


def _imported_modules(tree: ast.AST) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_there_are_handler_modules_to_check() -> None:
    assert len(HANDLER_MODULES) >= 7 and (FUNCTIONS / "read_api" / "scores.py") in HANDLER_MODULES


def test_handlers_reach_adapters_only_through_the_factory() -> None:
    for path in HANDLER_MODULES:
        adapters = {m for m in _imported_modules(ast.parse(path.read_text())) if m.startswith("shared.adapters")}
        assert adapters <= ALLOWED_ADAPTER_MODULES, f"{path.relative_to(FUNCTIONS)} imports {adapters}"


def test_handlers_build_no_ids() -> None:
    for path in HANDLER_MODULES:
        assert not {"hashlib", "uuid"} & _imported_modules(ast.parse(path.read_text())), path


def test_handlers_never_call_the_store_themselves() -> None:
    # get_repository() is handed to a service; get_repository().<method>(...) in a handler is a use case there
    for path in HANDLER_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
                func = node.value.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name != "get_repository", f"{path.relative_to(FUNCTIONS)}:{node.lineno} calls the store"


def test_run_ids_follow_the_one_scheme() -> None:
    night = datetime(2026, 3, 1, 2, 0, 41, tzinfo=UTC)
    ids = [
        runs.nightly_run_id(runs.nightly_as_of(night, night)),
        runs.manual_run_id("client-a", "key-1"),
        runs.manual_run_id("client-a", None),
        runs.load_run_id("20260301T020000abcdef12"),
    ]
    assert ids[0] == "nightly-20260301T0200"
    assert all(re.match(RUN_ID_PATTERN, run_id) for run_id in ids), ids
    assert re.match(LOAD_ID_PATTERN, ids[3].removeprefix("load-"))


def test_a_manual_run_id_is_the_same_for_the_same_client_and_key_only() -> None:
    assert runs.manual_run_id("client-a", "key-1") == runs.manual_run_id("client-a", "key-1")
    assert runs.manual_run_id("client-a", "key-1") != runs.manual_run_id("client-b", "key-1")
    assert runs.manual_run_id("client-a", None) != runs.manual_run_id("client-a", None)


def test_the_nightly_run_is_keyed_by_the_scheduled_minute_else_now() -> None:
    scheduled = datetime(2026, 3, 1, 2, 0, 59, 123, tzinfo=UTC)
    later = datetime(2026, 3, 1, 2, 7, 3, tzinfo=UTC)
    assert runs.nightly_as_of(scheduled, later) == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert runs.nightly_as_of(None, later) == datetime(2026, 3, 1, 2, 7, tzinfo=UTC)
