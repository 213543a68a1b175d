"""Per-partition-key write accounting: which table and GSI partition keys a piece of work writes, how many write
units each takes, and the most any key takes in one request and in any 1-second window.

`WriteRecorder.attach(client)` hooks a boto3 DynamoDB client (botocore's provide-client-params keeps the request,
after-call stamps it when DynamoDB has answered: the moment the write is done) and `record()` accounts one
successful write request; the unit test feeds `record()` directly with hand-made timestamps.

Rules (DynamoDB Developer Guide, "Item sizes and formats", "Managing throughput settings on GSIs"):
- a Put costs ceil(size / 1 KB) units on its table partition, the larger of the old and the new item's size when it
  replaces one (x2 in a transaction); an Update or a Delete whose item this recorder has not seen costs 1 unit
  (the counters and markers this code updates are small), a Delete of a seen item its old size;
- every GSI whose key attributes the item carries takes a write on the index's partition: a put of the new entry
  (projection ALL: the whole item's units, not doubled by a transaction); when an older entry of the same table
  item was there under another index key (the sort key moved with the score), a delete of it first, charged to
  the old entry's partition at its size; a write that drops the key attributes deletes the entry.
- a failed call (condition not met, transaction cancelled) writes nothing here; items a BatchWriteItem hands back
  unprocessed are not counted (they come back in the retry). DynamoDB Local never throttles, so neither happens
  on the bench's ordinary runs.

The recorder learns the old entries only from writes it saw: attach it before the items are first written (the
bench records the night before the measured one for that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from scripts.cost.item_size import item_size, write_units

TABLE = "table"
#: AWS's published per-partition write limit (base table and each GSI partition)
PARTITION_WCU = 1000
WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class KeySchema:
    """The table's hash and range attributes and each GSI's, as the template declares them."""

    hash_key: str
    range_key: str | None
    indexes: Mapping[str, tuple[str, str | None]]  # index name -> (hash attribute, range attribute)

    @classmethod
    def of(cls, create_kwargs: Mapping[str, Any]) -> KeySchema:
        """From `tooling.sam_template.table_create_kwargs(...)` (the template's table)."""

        def keys(schema: Sequence[Mapping[str, str]]) -> tuple[str, str | None]:
            by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
            return by_type["HASH"], by_type.get("RANGE")

        hash_key, range_key = keys(create_kwargs["KeySchema"])
        indexes = {str(i["IndexName"]): keys(i["KeySchema"]) for i in create_kwargs.get("GlobalSecondaryIndexes", [])}
        return cls(hash_key, range_key, indexes)

    @classmethod
    def from_template(cls) -> KeySchema:
        from tooling.sam_template import load_template, table_create_kwargs

        return cls.of(table_create_kwargs(load_template(), "key-schema"))


@dataclass(frozen=True)
class KeyWrite:
    """Write units one request put on one partition key (of the table or of an index) at one moment."""

    at: float
    index: str  # "table" or a GSI's name
    key: str
    units: int
    request: int  # the request's number in this recorder
    tag: str  # what wrote it (e.g. the chunk), to count how many workers write a key


class KeyStats(BaseModel):
    """One partition key over a piece of work."""

    model_config = ConfigDict(extra="forbid")

    index: str
    key: str
    units: int
    #: this key's units / all units written to its index (or the table) in the work
    share: float
    requests: int
    #: distinct tags (chunks) that wrote the key: how many workers can write it at once
    writers: int
    #: the most units one request put on the key: they arrive at once, whatever the speed
    max_units_one_request: int
    #: the most units the key took in any WINDOW_SECONDS window of the recorded (local) timestamps
    peak_window_units: int


def _entry_key(item: Mapping[str, Any], attrs: tuple[str, str | None]) -> tuple[str, str] | None:
    hash_attr, range_attr = attrs
    if hash_attr not in item or (range_attr is not None and range_attr not in item):
        return None  # a sparse index: the item is not in it
    hash_value = next(iter(item[hash_attr].values()))
    range_value = next(iter(item[range_attr].values())) if range_attr is not None else ""
    return str(hash_value), str(range_value)


@dataclass
class _Stored:
    units: int
    entries: dict[str, tuple[str, str]]  # index -> (hash, range) of the item's entry there


@dataclass
class WriteRecorder:
    """Records every write request of the clients it is attached to; thread-safe."""

    schema: KeySchema
    clock: Callable[[], float] = time.perf_counter
    writes: list[KeyWrite] = field(default_factory=list)
    failed_requests: int = 0
    tag: str = ""
    _items: dict[tuple[str, str], _Stored] = field(default_factory=dict)
    _requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- hooks ------------------------------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._on_params)
        client.meta.events.register("after-call.dynamodb", self._on_done)

    def _on_params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            context["hot_keys_request"] = (model.name, params)

    def _on_done(self, http_response: Any, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        request = context.pop("hot_keys_request", None)
        if request is None:
            return
        if http_response.status_code >= 300:
            with self._lock:
                self.failed_requests += 1
            return
        operation, params = request
        self.record(operation, params, self.clock(), parsed.get("UnprocessedItems") or {})

    # --- accounting -------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets the writes recorded so far (not the items seen: their old entries still count)."""
        with self._lock:
            self.writes = []
            self.failed_requests = 0

    def record(
        self, operation: str, params: Mapping[str, Any], at: float, unprocessed: Mapping[str, Any] | None = None
    ) -> None:
        """Accounts one successful write request done at `at` (the low-level request parameters)."""
        with self._lock:
            self._requests += 1
            n = self._requests
            if operation == "TransactWriteItems":
                for entry in params.get("TransactItems", []):
                    self._one(n, at, entry, transactional=True)
            elif operation == "BatchWriteItem":
                skipped = unprocessed or {}
                for requests in params.get("RequestItems", {}).values():
                    for request in requests:
                        if not any(request in back for back in skipped.values()):
                            self._one(n, at, {"Put" if "PutRequest" in request else "Delete": _batch(request)})
            else:
                kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[operation]
                self._one(n, at, {kind: params})

    def _one(self, request: int, at: float, entry: Mapping[str, Any], transactional: bool = False) -> None:
        (kind, body), *_ = entry.items()
        if kind == "ConditionCheck":
            return  # a read: no write units on any partition's write limit
        key = body["Item"] if kind == "Put" else body["Key"]
        table_key = _entry_key(key, (self.schema.hash_key, self.schema.range_key))
        if table_key is None:
            raise ValueError(f"a {kind} without the table's key: {key}")
        old = self._items.get(table_key)
        if kind == "Put":
            item = body["Item"]
            new = _Stored(write_units(item_size(item)), {})
            for index, attrs in self.schema.indexes.items():
                entry_key = _entry_key(item, attrs)
                if entry_key is not None:
                    new.entries[index] = entry_key
            units = max(new.units, old.units if old else 0)
            self._items[table_key] = new
        elif kind == "Delete":
            new = None
            units = old.units if old else 1
            self._items.pop(table_key, None)
        else:  # Update: small counters and markers; their index entries (none here) are left as they were
            new = old
            units = 1
        self._add(at, TABLE, table_key[0], units * (2 if transactional else 1), request)
        if kind == "Update":
            return  # the items this code updates (counters, markers) are in no index
        for index in self.schema.indexes:
            before = old.entries.get(index) if old else None
            after = new.entries.get(index) if new else None
            if old is not None and before is not None and after != before:
                self._add(at, index, before[0], old.units, request)  # the old entry's delete
            if new is not None and after is not None:
                self._add(at, index, after[0], new.units, request)

    def _add(self, at: float, index: str, key: str, units: int, request: int) -> None:
        self.writes.append(KeyWrite(at, index, key, units, request, self.tag))


def _batch(request: Mapping[str, Any]) -> Mapping[str, Any]:
    body: Mapping[str, Any] = request["PutRequest"] if "PutRequest" in request else request["DeleteRequest"]
    return body


# ----------------------------------------------------------------------------------------- per-key statistics


def peak_window(times_units: Iterable[tuple[float, int]], seconds: float = WINDOW_SECONDS) -> int:
    """The most units in any window [t, t + seconds) of the given (time, units) points (a sliding window that
    starts at each point: the maximum is always reached at one)."""
    points = sorted(times_units)
    best = running = start = 0
    for t, units in points:
        running += units
        while points[start][0] <= t - seconds:
            running -= points[start][1]
            start += 1
        best = max(best, running)
    return best


def key_stats(writes: Sequence[KeyWrite], seconds: float = WINDOW_SECONDS) -> list[KeyStats]:
    """Per (index, key), hottest first within each index (by peak window units, then total units)."""
    by_key: dict[tuple[str, str], list[KeyWrite]] = {}
    index_units: dict[str, int] = {}
    for w in writes:
        by_key.setdefault((w.index, w.key), []).append(w)
        index_units[w.index] = index_units.get(w.index, 0) + w.units
    out: list[KeyStats] = []
    for (index, key), ws in by_key.items():
        per_request: dict[int, int] = {}
        for w in ws:
            per_request[w.request] = per_request.get(w.request, 0) + w.units
        units = sum(w.units for w in ws)
        out.append(
            KeyStats(
                index=index,
                key=key,
                units=units,
                share=units / index_units[index],
                requests=len(per_request),
                writers=len({w.tag for w in ws}),
                max_units_one_request=max(per_request.values()),
                peak_window_units=peak_window([(w.at, w.units) for w in ws], seconds),
            )
        )
    return sorted(out, key=lambda s: (s.index, -s.peak_window_units, -s.units, s.key))


def hottest_per_index(stats: Sequence[KeyStats], top: int = 3) -> dict[str, list[KeyStats]]:
    out: dict[str, list[KeyStats]] = {}
    for s in stats:  # already hottest first within each index
        if len(out.setdefault(s.index, [])) < top:
            out[s.index].append(s)
    return out


# ----------------------------------------------------------------------------------------- the bench's findings

#: written by `python -m bench.run --only hot_keys` (a full run), read by `make cost` into docs/cost-and-scale.md
HOT_KEYS_PATH = Path(__file__).resolve().parents[2] / "data" / "cost" / "hot_keys.json"


class ProjectedKey(KeyStats):
    """A key's local figures and its rate projected to AWS: the peak 1-second window x the workers that can write
    it at once (min(its writers, the phase's concurrency)), at the local per-worker pace."""

    projected_wcu_per_s: float

    @property
    def use(self) -> float:
        return self.projected_wcu_per_s / PARTITION_WCU


class PhaseKeys(BaseModel):
    """One replayed piece of work (a night, a group signal) and its hottest keys per index."""

    model_config = ConfigDict(extra="forbid")

    name: str
    what: str
    pairs: int
    local_seconds: float
    #: workers writing at once in AWS (the measured nightly concurrency; 1 for the stream: one shard, in order)
    at_once: int
    units_by_index: dict[str, int]
    hottest: list[ProjectedKey]
    #: keys named beforehand whatever their rank (dysprosium's rank partition, the SIGNAL partition)
    named: list[ProjectedKey]

    def top(self) -> ProjectedKey:
        return max(self.hottest, key=lambda k: (k.projected_wcu_per_s, k.units))


class HotKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured: str
    command: str
    phases: list[PhaseKeys]


def projected(stats: Sequence[KeyStats], at_once: int) -> list[ProjectedKey]:
    return [
        ProjectedKey(**s.model_dump(), projected_wcu_per_s=float(s.peak_window_units * min(s.writers, at_once)))
        for s in stats
    ]


def named_keys(stats: Sequence[KeyStats], at_once: int, names: Iterable[tuple[str, str]]) -> list[ProjectedKey]:
    """The given (index, key)s that were written, projected, in the order given."""
    by_key = {(k.index, k.key): k for k in projected(stats, at_once)}
    return [by_key[name] for name in names if name in by_key]


def project(stats: Sequence[KeyStats], at_once: int, top: int = 3) -> list[ProjectedKey]:
    """The `top` keys of each index by projected rate (see ProjectedKey), hottest first."""
    projected_keys = projected(stats, at_once)
    projected_keys.sort(key=lambda k: (k.index, -k.projected_wcu_per_s, -k.units, k.key))
    counts: dict[str, int] = {}
    out: list[ProjectedKey] = []
    for k in projected_keys:
        counts[k.index] = counts.get(k.index, 0) + 1
        if counts[k.index] <= top:
            out.append(k)
    return out


def load_hot_keys(path: Path = HOT_KEYS_PATH) -> HotKeys | None:
    return HotKeys.model_validate_json(path.read_text()) if path.exists() else None
