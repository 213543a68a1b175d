"""Unit tier: no I/O beyond files. Sockets are disabled for every test here (pytest-socket, Unix sockets too),
so a unit test that reaches for the network, moto or a local server fails at once; those belong in
tests/integration (moto, loopback servers) or tests/local_stack (DynamoDB Local)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to the folder's modules: mark this folder's items here.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.disable_socket)
