"""`make run` / `make rescore` end to end: starts, serves the seeded API, publishes its endpoints, reacts to an
admin write through the stream (an alert on the console), rescores the nightly way, stops cleanly, twice in a row."""

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
from local.run import SAMPLE_SIGNAL

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 120


def _get(url: str, token: str | None = None, *, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _start(api_port: int, ddb_port: int, stack_file: Path) -> tuple[subprocess.Popen[str], str, queue.Queue[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "local.run"),
            *("--port", str(api_port), "--ddb-port", str(ddb_port), "--stack-file", str(stack_file)),
        ],
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
            return process, "".join(seen), lines
    process.kill()
    pytest.fail("local.run did not become ready:\n" + "".join(seen))


def _descendants(pid: int) -> set[int]:
    """Every process below pid (Linux /proc): DynamoDB Local's java and the functions' worker processes."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_line(lines: queue.Queue[str], needle: str, timeout_s: float = 20) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if needle in line:
            return line
    return None


def test_make_run_serves_the_seeded_api_and_stops_everything_twice_in_a_row(
    dynamodb_local_endpoint: str, tmp_path: Path
) -> None:
    """Same ports twice: the first run stopped by Ctrl-C (SIGINT), the second by SIGTERM."""
    api_port, ddb_port = find_free_port(), find_free_port()
    stack_file = tmp_path / "stack.json"
    for run, sig in enumerate((signal.SIGINT, signal.SIGTERM)):
        process, banner, lines = _start(api_port, ddb_port, stack_file)
        try:
            base = f"http://127.0.0.1:{api_port}"
            assert "Bearer dev-reader" in banner
            published = json.loads(stack_file.read_text())
            assert published["pid"] == process.pid and published["api_url"] == base
            assert published["dynamodb_endpoint"] == f"http://127.0.0.1:{ddb_port}"

            status, body = _get(f"{base}/v1/scores/JP/dysprosium", "dev-reader")
            assert status == 200, body
            assert isinstance(body, dict) and body["importer"] == "JP" and body["material"] == "dysprosium"
            status, body = _get(f"{base}/v1/scores/JP/dysprosium")
            assert status == 401
            assert isinstance(body, dict) and body["error"] == "unauthorized"
            if run == 0:
                # an admin write: the stream poller rescores, the alerts poller prints the ScoreChanged
                signal_body = json.loads(SAMPLE_SIGNAL)
                status, body = _get(f"{base}/v1/signals/CN-RUN-TEST", "dev-admin", method="PUT", body=signal_body)
                assert status == 201, body
                alert = _wait_for_line(lines, "[alert] ScoreChanged US dysprosium")
                assert alert is not None and "cause signal CN-RUN-TEST" in alert
                # make invoke against the running stack: the admin handler queues a run on the stack's queue
                invoked = subprocess.run(
                    [sys.executable, "-m", "local.invoke", "AdminApiFunction", "events/start_rescore.json"],
                    cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
                    env={**os.environ, "DYNAMODB_ENDPOINT_URL": published["dynamodb_endpoint"],
                         "LOCAL_STACK_FILE": str(stack_file)},
                )  # fmt: skip
                assert invoked.returncode == 0, invoked.stderr
                result = json.loads(invoked.stdout)
                assert result["statusCode"] == 202, result
                run_id = json.loads(result["body"])["run_id"]
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    status, body = _get(f"{base}/v1/rescore/{run_id}", "dev-admin")
                    if isinstance(body, dict) and body.get("status") != "running":
                        break
                    time.sleep(0.2)
                assert status == 200 and isinstance(body, dict), body
                assert (body["status"], body["pairs_scored"]) == ("completed", 2 * 3), body
                # make rescore against the running stack: planner -> SQS -> the stack's workers
                rescore = subprocess.run(
                    [sys.executable, "-m", "local.rescore", "--stack-file", str(stack_file)],
                    cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
                )  # fmt: skip
                assert rescore.returncode == 0, rescore.stderr
                assert "NightlyPlannerFunction planned nightly-" in rescore.stdout
                assert "status=completed" in rescore.stdout and "pairs_scored=" in rescore.stdout
        finally:
            children = _descendants(process.pid) if sys.platform.startswith("linux") else set()
            process.send_signal(sig)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"run {run}: local.run did not stop on {sig.name}")
        assert process.returncode == 0, f"run {run}: exit {process.returncode} after {sig.name}"
        if sys.platform.startswith("linux"):  # java and every function's worker processes, none left behind
            assert len(children) >= 2, f"run {run}: expected java and worker processes, found {children}"
            assert not [pid for pid in children if _alive(pid)], f"run {run}: processes left behind"
        assert not port_in_use(api_port), f"run {run}: API port still in use"
        assert not port_in_use(ddb_port), f"run {run}: DynamoDB Local still running"
        assert not stack_file.exists(), f"run {run}: {stack_file} left behind"
    rescore = subprocess.run(
        [sys.executable, "-m", "local.rescore", "--stack-file", str(stack_file)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert rescore.returncode == 1
    assert "the local stack is not running" in rescore.stderr
