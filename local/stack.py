"""The whole local stack in one process, wired as template.yaml wires it in AWS (`make run`, the e2e tests).

    with LocalStack(dynamodb_endpoint="http://127.0.0.1:8000").start() as stack:
        stack.api.base_url, stack.alerts.received, ...

`start()`:
1. the local SQS + EventBridge (local.messaging: moto's server in-process on a free loopback port) with the
   template's queues, DLQs (redrive policy from the template) and bus, plus a rule copying ScoreChanged events
   to a local alerts queue;
2. the handlers' environment, applied to os.environ for every function at once: the template's variables with
   RESCORE_QUEUE_URL / EVENT_BUS_NAME resolved to the local queue and bus, TABLE_NAME, DYNAMODB_ENDPOINT_URL,
   AWS_ENDPOINT_URL_DYNAMODB / _SQS / _EVENTBRIDGE (botocore's per-service endpoints: production code is unchanged),
   region and fake credentials;
3. the table from template.yaml, the seed data and every default score (at the minute before the current one:
   DynamoDB Local stamps stream records to the minute, so a change made right after start is newer either way;
   see also local.streams on second precision);
4. the pollers (local.pollers), one per event source in the template plus the alerts printer:
   table stream -> StreamRescoreFunction, RescoreQueue -> RescoreWorkerFunction, alerts queue -> console;
5. the local API (local.api_server) in a background thread.

Every function runs in its own worker processes (local.function_workers), shared by the API and the pollers and
started (one per function) before the seeding, so that their imports overlap with it.

`stop()` stops all of it in reverse order and restores os.environ. `state()` is what `make run` writes to
.local/stack.json so that `make rescore` (another process) can reach the same endpoints.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from local.api_server import RunningApi, make_server
from local.auth import DevToken
from local.dynamodb_local import create_table_from_template, local_client, local_streams_client
from local.function_workers import FunctionWorkers
from local.lambda_runtime import apply_environment, restore_environment, stack_environment
from local.messaging import LOCAL_VISIBILITY_TIMEOUT_S, LocalMessaging, MessagingResources, local_sqs_client
from local.pollers import AlertsPoller, Log, Poller, QueuePoller, StreamPoller, log_to_stderr, print_to_console
from local.streams import StreamReader
from local.template_values import LOCAL_STACK_NAME, LOCAL_TABLE_NAME
from tooling.sam_template import (
    DEFAULT_TEMPLATE_PATH,
    REPO_ROOT,
    api_routes,
    dynamodb_event_sources,
    function_handlers,
    function_spec,
    load_template,
    sqs_event_sources,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from shared.services.seeding import SeedData, VintageLoad

SEED_DIR = REPO_ROOT / "data" / "seed"
DEFAULT_STACK_FILE = REPO_ROOT / ".local" / "stack.json"
STACK_FILE_ENV = "LOCAL_STACK_FILE"
TABLE_LOGICAL_ID = "RiskTable"


# ----------------------------------------------------------------------------------------- seeding


def seed_time(now: datetime | None = None) -> datetime:
    """When the seeded scores are computed: the start of the previous minute (UTC).

    DynamoDB Local stamps stream records (ApproximateCreationDateTime) to the minute, and the stream handler
    scores a change at its record's time, never replacing a later score with an earlier one. Seeding a minute
    back keeps a change made right after start newer than the seed, so it is rescored and gets its history point.
    """
    current = (now or datetime.now(UTC)).astimezone(UTC)
    return current.replace(second=0, microsecond=0) - timedelta(minutes=1)


def seed_and_score(
    client: DynamoDBClient, table_name: str, seed_dir: Path = SEED_DIR, as_of: datetime | None = None
) -> dict[str, Any]:
    """Load the seed data into the table (one bulk load: the stream filter drops its records) and compute every
    scored pair in-process, so the stack is ready when start() returns (the services do the work)."""
    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.adapters.seed_files import read_seed
    from shared.services.seeding import new_load_id, seed_reference_data

    repo = DynamoRiskRepository(table_name, client=client)
    at = as_of or seed_time()
    counts = seed_reference_data(repo, read_seed(seed_dir), new_load_id(at))
    return {"seeded": counts, "rescored": rescore_everything(client, table_name, at)}


def rescore_everything(client: DynamoDBClient, table_name: str, as_of: datetime | None = None) -> Any:
    """One full in-process rescoring pass over the scored set (SCORED_IMPORTERS, else every economy in the importer
    index with enough own data; default time: now, UTC, whole seconds); returns the service's summary."""
    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.config import Settings
    from shared.services.importers import scored_importers
    from shared.services.rescoring import rescore_all

    repo = DynamoRiskRepository(table_name, client=client)
    importers = scored_importers(repo, Settings.from_environment().scored_importer_codes)
    return rescore_all(repo, as_of=as_of or datetime.now(UTC).replace(microsecond=0), importers=importers)


# ----------------------------------------------------------------------------------------- stack.json


@dataclass(frozen=True)
class StackInfo:
    """What a running `make run` publishes in .local/stack.json for other processes (`make rescore`)."""

    pid: int
    started_at: str
    api_url: str
    dynamodb_endpoint: str
    table_name: str
    stack_name: str
    messaging: MessagingResources

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "started_at": self.started_at,
            "api_url": self.api_url,
            "dynamodb_endpoint": self.dynamodb_endpoint,
            "table_name": self.table_name,
            "stack_name": self.stack_name,
            "messaging": self.messaging.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StackInfo:
        return cls(
            pid=int(data["pid"]),
            started_at=str(data["started_at"]),
            api_url=str(data["api_url"]),
            dynamodb_endpoint=str(data["dynamodb_endpoint"]),
            table_name=str(data["table_name"]),
            stack_name=str(data.get("stack_name", LOCAL_STACK_NAME)),
            messaging=MessagingResources.from_json(data["messaging"]),
        )


def default_stack_file() -> Path:
    """$LOCAL_STACK_FILE, else <repo>/.local/stack.json."""
    value = os.environ.get(STACK_FILE_ENV)
    return Path(value) if value else DEFAULT_STACK_FILE


def write_stack_file(path: Path, info: StackInfo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(info.to_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a file


def read_stack_file(path: Path) -> StackInfo | None:
    """The stack a `make run` published, or None when there is no (readable) file."""
    try:
        return StackInfo.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_stack_file(path: Path, pid: int | None = None) -> None:
    """Remove the file if it is ours (pid matches) or whoever's when pid is None."""
    info = read_stack_file(path)
    if info is not None and pid is not None and info.pid != pid:
        return
    path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------------------- the stack


class LocalStack:
    """Messaging, environment, table, seed, pollers and API around an already running DynamoDB Local."""

    def __init__(
        self,
        *,
        dynamodb_endpoint: str,
        table_name: str = LOCAL_TABLE_NAME,
        template: Mapping[str, Any] | None = None,
        template_path: Path = DEFAULT_TEMPLATE_PATH,
        api_port: int = 0,
        messaging_port: int = 0,
        visibility_timeout_s: int | None = LOCAL_VISIBILITY_TIMEOUT_S,
        stack_name: str = LOCAL_STACK_NAME,
        tokens: Mapping[str, DevToken] | None = None,
        quiet: bool = False,
        echo: Log = print_to_console,
        log: Log = log_to_stderr,
    ):
        self.dynamodb_endpoint = dynamodb_endpoint
        self.table_name = table_name
        self.template = template if template is not None else load_template(template_path)
        self.api_port = api_port
        self.stack_name = stack_name
        self.tokens = tokens
        self.quiet = quiet
        self.echo = echo
        self.log = log
        self.messaging = LocalMessaging(
            self.template, port=messaging_port, visibility_timeout_s=visibility_timeout_s, stack_name=stack_name
        )
        self.resources: MessagingResources | None = None
        self.environment: dict[str, str] = {}
        self.seed_result: dict[str, Any] | None = None
        self.stream_pollers: list[StreamPoller] = []
        self.queue_pollers: list[QueuePoller] = []
        self.alerts: AlertsPoller | None = None
        self._api: RunningApi | None = None
        self._previous_env: dict[str, str | None] | None = None
        self.started_at: datetime | None = None
        #: the functions' worker processes, shared by the API and the pollers (local.function_workers)
        self.workers: FunctionWorkers | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(
        self,
        *,
        create_table: bool = True,
        seed: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> LocalStack:
        """Start everything (see the module docstring); on any failure stop what was started and re-raise."""
        say = progress or (lambda _line: None)
        try:
            self.resources = self.messaging.start()
            say(f"local SQS + EventBridge (moto) on {self.resources.endpoint_url}")
            self.environment = stack_environment(
                self.template,
                table_name=self.table_name,
                endpoint_url=self.dynamodb_endpoint,
                resource_values=self.resources.resource_values(),
                service_endpoints=self.resources.environment(),
            )
            self._previous_env = apply_environment(self.environment)
            self.workers = FunctionWorkers(self.environment)
            self.workers.prewarm(function_spec(self.template, i) for i in self.invoked_functions())  # imports overlap
            say(f"worker processes for {', '.join(self.invoked_functions())}")  # with the seeding below
            client = local_client(self.dynamodb_endpoint)
            if create_table:
                create_table_from_template(client, self.table_name, template=self.template)
                say(f"created table {self.table_name} from the template")
            if seed:
                self.seed_result = seed_and_score(client, self.table_name)
            self._start_pollers(client)
            self._api = RunningApi(
                make_server(
                    self.api_port,
                    self.table_name,
                    self.dynamodb_endpoint,
                    template=self.template,
                    tokens=self.tokens,
                    quiet=self.quiet,
                    environment=self.environment,
                    workers=self.workers,
                )
            )
            self.started_at = datetime.now(UTC)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_pollers(self, client: DynamoDBClient) -> None:
        if self.resources is None:  # start() creates them before the pollers
            raise RuntimeError("local messaging resources are not created yet")
        resources = self.resources
        sqs = local_sqs_client(resources.endpoint_url)
        table_sources = [s for s in dynamodb_event_sources(self.template) if s.table_logical_id == TABLE_LOGICAL_ID]
        for source in table_sources:
            streams = local_streams_client(self.dynamodb_endpoint)
            reader = StreamReader.for_table(client, streams, self.table_name, second_precision=True)
            reader.skip_existing()  # the seed's own records (see StreamReader.skip_existing)
            on_failure = None
            if source.on_failure_logical_id in resources.queue_urls:
                dlq_url = resources.queue_urls[source.on_failure_logical_id]

                def on_failure(info: dict[str, Any], url: str = dlq_url) -> None:
                    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(info))

            invoke = self._invoker(source.function_logical_id)
            self.stream_pollers.append(StreamPoller(reader, source, invoke, on_failure=on_failure, log=self.log))
        for queue_source in sqs_event_sources(self.template):
            self.queue_pollers.append(
                QueuePoller(
                    sqs,
                    resources.queue_urls[queue_source.queue_logical_id],
                    resources.queue_arn(queue_source.queue_logical_id),
                    queue_source,
                    self._invoker(queue_source.function_logical_id),
                    log=self.log,
                )
            )
        self.alerts = AlertsPoller(sqs, resources.alerts_queue_url, echo=self.echo, log=self.log)
        for poller in self.pollers:
            poller.start()

    def invoked_functions(self) -> list[str]:
        """The functions this stack invokes: the API's and the event sources' (not the scheduled planner)."""
        known = function_handlers(self.template)
        ids = {r.function_logical_id for r in api_routes(self.template)}
        ids |= {s.function_logical_id for s in dynamodb_event_sources(self.template)}
        ids |= {s.function_logical_id for s in sqs_event_sources(self.template)}
        return sorted(ids & set(known))

    def _invoker(self, logical_id: str) -> Callable[[dict[str, Any]], Any]:
        spec = function_spec(self.template, logical_id)
        workers = self.workers
        if workers is None:  # start() creates them before the pollers
            raise RuntimeError("the local stack's worker processes are not started")
        return lambda event: workers.invoke(spec, event)

    def stop(self) -> None:
        """Stop the pollers, the workers, the API and the messaging server; restore os.environ. Safe to call twice.

        The worker processes stop right after the pollers are asked to: an invocation in progress (a long
        rescoring) ends at once instead of holding up Ctrl-C."""
        pollers = self.pollers
        for poller in pollers:
            poller.request_stop()  # all at once: each long-polls up to a second
        if self.workers is not None:
            self.workers.close()
        for poller in pollers:
            poller.stop()
        self.stream_pollers, self.queue_pollers, self.alerts = [], [], None
        if self._api is not None:
            self._api.stop()
            self._api = None
        self.workers = None
        self.messaging.stop()
        if self._previous_env is not None:
            restore_environment(self._previous_env)
            self._previous_env = None

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ loading a data vintage

    def load_vintage(self, seed: SeedData | None = None) -> VintageLoad:
        """Bulk-loads `seed` (default: the committed seed files) as a new data vintage and queues ONE rescoring run
        for it on the local RescoreQueue, which the worker poller processes, as scripts/seed_table.py --queue-url
        does in AWS. The items carry a load id, so the stream poller's filter (the template's) drops them."""
        from shared.adapters.dynamodb_repository import DynamoRiskRepository
        from shared.adapters.messaging import SqsChunkQueue
        from shared.adapters.seed_files import read_seed
        from shared.config import Settings
        from shared.services.seeding import load_vintage, new_load_id

        if self.resources is None:
            raise RuntimeError("the local stack is not started")
        settings = Settings.from_environment()  # the stack's environment is applied to os.environ
        repo = DynamoRiskRepository(self.table_name, client=local_client(self.dynamodb_endpoint))
        queue = SqsChunkQueue(
            self.resources.queue_urls["RescoreQueue"], client=local_sqs_client(self.resources.endpoint_url)
        )
        now = datetime.now(UTC).replace(microsecond=0)
        data = seed if seed is not None else read_seed(SEED_DIR)
        return load_vintage(
            repo, queue, data, new_load_id(now), now, settings.scored_importer_codes, settings.chunk_pairs
        )

    # ------------------------------------------------------------------ what tests and run.py look at

    @property
    def pollers(self) -> list[Poller]:
        alerts: list[Poller] = [self.alerts] if self.alerts is not None else []
        return [*self.stream_pollers, *self.queue_pollers, *alerts]

    def wait_until_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until every poller has polled once more and found nothing to do: the stream is read to its end and
        the queues have nothing visible (in-flight failures waiting out their visibility timeout do not count).
        True when idle, False on timeout. Tests use it to start from a quiet stack."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if all(p.idle_since > started for p in self.pollers):
                return True
            time.sleep(0.02)
        return False

    @property
    def api(self) -> RunningApi:
        if self._api is None:
            raise RuntimeError("the local stack is not started")
        return self._api

    @property
    def base_url(self) -> str:
        return self.api.base_url

    def state(self) -> StackInfo:
        """What `make run` writes to .local/stack.json."""
        if self.resources is None or self.started_at is None:
            raise RuntimeError("the local stack is not started")
        return StackInfo(
            pid=os.getpid(),
            started_at=self.started_at.isoformat(),
            api_url=self.base_url,
            dynamodb_endpoint=self.dynamodb_endpoint,
            table_name=self.table_name,
            stack_name=self.stack_name,
            messaging=self.resources,
        )
