"""`make run` / `make rescore` end to end: starts, serves the seeded API, rescores, stops cleanly, twice in a row."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from local.dynamodb_local import find_free_port, port_in_use

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 120


def _get(url: str, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _start(api_port: int, ddb_port: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local.run", "--port", str(api_port), "--ddb-port", str(ddb_port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if "Ctrl-C stops" in line:  # the banner's last line
            return process, "".join(seen)
    process.kill()
    pytest.fail("local.run did not become ready:\n" + "".join(seen))


def test_make_run_serves_the_seeded_api_and_stops_everything_twice_in_a_row(dynamodb_local_endpoint: str) -> None:
    """Same ports twice: the first run stopped by Ctrl-C (SIGINT), the second by SIGTERM."""
    api_port, ddb_port = find_free_port(), find_free_port()
    for run, sig in enumerate((signal.SIGINT, signal.SIGTERM)):
        process, banner = _start(api_port, ddb_port)
        try:
            base = f"http://127.0.0.1:{api_port}"
            assert "Bearer dev-reader" in banner

            status, body = _get(f"{base}/v1/scores/JP/dysprosium", "dev-reader")
            assert status == 200, body
            assert isinstance(body, dict) and body["importer"] == "JP" and body["material"] == "dysprosium"
            status, body = _get(f"{base}/v1/scores/JP/dysprosium")
            assert status == 401
            assert isinstance(body, dict) and body["error"] == "unauthorized"
            if run == 0:  # make rescore against the running stack
                rescore = subprocess.run(
                    [sys.executable, "-m", "local.rescore", "--ddb-port", str(ddb_port)],
                    cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
                )  # fmt: skip
                assert rescore.returncode == 0, rescore.stderr
                assert "pairs_scored=" in rescore.stdout
        finally:
            process.send_signal(sig)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"run {run}: local.run did not stop on {sig.name}")
        assert process.returncode == 0, f"run {run}: exit {process.returncode} after {sig.name}"
        assert not port_in_use(api_port), f"run {run}: API port still in use"
        assert not port_in_use(ddb_port), f"run {run}: DynamoDB Local still running"
