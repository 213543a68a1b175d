"""Counting what the real code asks of AWS: botocore event hooks on one client each for DynamoDB, SQS and
EventBridge record every call, the items it writes and reads (sized with `item_size`) and the messages and events
it sends. Nothing is timed."""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scripts.cost.item_size import item_size, read_units, write_units

#: SQS and EventBridge bill each 64 KB of a request's payload (SQS) or of one event (EventBridge) as one
PAYLOAD_CHUNK_BYTES = 64 * 1024
#: the secondary indexes a score item is written to (template.yaml: gsi1, gsi2, projection ALL)
GSI_KEYS = ("gsi1pk", "gsi2pk")


class Usage(BaseModel):
    """What one piece of work asked of AWS. Write and read units are on-demand request units."""

    model_config = ConfigDict(extra="forbid")

    calls: dict[str, int] = Field(default_factory=dict)
    #: items written per kind: "transact_put", "transact_update", "batch_put", "put", "update"
    items_written: dict[str, int] = Field(default_factory=dict)
    table_write_units: float = 0.0
    #: writes to the GSIs, one per index per written score item (a changed sort key adds one more: the model)
    gsi_write_units: float = 0.0
    gsi_item_writes: int = 0
    read_units: float = 0.0
    items_read: int = 0
    #: items read with a projection (their read units are the whole item's: the model prices them as such)
    projected_items_read: int = 0
    sqs_messages: int = 0
    sqs_requests: int = 0
    sqs_bytes: int = 0
    events: int = 0
    event_chunks: int = 0
    event_bytes: int = 0
    #: write units per partition key (table pk, and each GSI's partition key), the hot-key view of this work
    key_write_units: dict[str, float] = Field(default_factory=dict)
    #: bytes of each score item written (for sizes)
    score_item_bytes: list[int] = Field(default_factory=list)
    history_item_bytes: list[int] = Field(default_factory=list)


def _is_score(item: Mapping[str, Any]) -> bool:
    return all(k in item for k in GSI_KEYS)


def _is_history(item: Mapping[str, Any]) -> bool:
    return "expires_at" in item


class Meter:
    """Registers on the given clients' event systems; `usage` is what was asked since the last `reset()`."""

    def __init__(self, dynamodb: Any, sqs: Any | None = None, events: Any | None = None) -> None:
        self._lock = threading.Lock()
        self.usage = Usage()
        dynamodb.meta.events.register("provide-client-params.dynamodb", self._on_dynamodb_params)
        dynamodb.meta.events.register("after-call.dynamodb", self._on_dynamodb_response)
        if sqs is not None:
            sqs.meta.events.register("provide-client-params.sqs", self._on_sqs_params)
        if events is not None:
            events.meta.events.register("provide-client-params.events", self._on_events_params)

    def reset(self) -> Usage:
        with self._lock:
            done, self.usage = self.usage, Usage()
        return done

    # --- DynamoDB --------------------------------------------------------------------------------------------

    def _count(self, counter: dict[str, int], key: str, by: int = 1) -> None:
        counter[key] = counter.get(key, 0) + by

    def _written(self, kind: str, item: Mapping[str, Any] | None, transactional: bool) -> None:
        u = self.usage
        self._count(u.items_written, kind)
        size = item_size(item) if item is not None else 0
        u.table_write_units += write_units(size, transactional)
        if item is not None:
            self._count_key(f"table {item['pk']['S']}", write_units(size, transactional))
            for gsi in GSI_KEYS:
                if gsi in item:
                    self._count_key(f"{gsi[:4]} {item[gsi]['S']}", write_units(size))
        if item is not None and _is_score(item):
            u.score_item_bytes.append(size)
            u.gsi_item_writes += len(GSI_KEYS)
            u.gsi_write_units += len(GSI_KEYS) * write_units(size)
        if item is not None and _is_history(item):
            u.history_item_bytes.append(size)

    def _count_key(self, key: str, units: int) -> None:
        keys = self.usage.key_write_units
        keys[key] = keys.get(key, 0) + units

    def _on_dynamodb_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = str(model.name)
        with self._lock:
            self._count(self.usage.calls, name)
            if name == "TransactWriteItems":
                for entry in params.get("TransactItems", []):
                    if "Put" in entry:
                        self._written("transact_put", entry["Put"]["Item"], True)
                    elif "Update" in entry:
                        # the counters and markers this code updates are small items (< 1 KB): one unit each
                        self._written("transact_update", None, True)
                    else:
                        self._written("transact_other", None, True)
            elif name == "BatchWriteItem":
                for requests in params.get("RequestItems", {}).values():
                    for request in requests:
                        if "PutRequest" in request:
                            self._written("batch_put", request["PutRequest"]["Item"], False)
                        else:
                            self._written("batch_delete", None, False)
            elif name == "PutItem":
                self._written("put", params["Item"], False)
            elif name == "UpdateItem":
                self._written("update", None, False)
            elif name == "DeleteItem":
                self._written("delete", None, False)

    def _on_dynamodb_response(self, parsed: Mapping[str, Any], model: Any, **_: Any) -> None:
        name = str(model.name)
        with self._lock:
            u = self.usage
            if name == "Query":
                items = parsed.get("Items", [])
                u.items_read += len(items)
                u.read_units += read_units(sum(item_size(i) for i in items))
            elif name == "GetItem":
                item = parsed.get("Item")
                u.items_read += 1 if item else 0
                u.read_units += read_units(item_size(item) if item else 0)
            elif name == "BatchGetItem":
                for items in parsed.get("Responses", {}).values():
                    for item in items:
                        u.items_read += 1
                        if set(item) <= {"pk", "sk", "computed_at"}:
                            u.projected_items_read += 1  # priced by the model at the whole score item's size
                        else:
                            u.read_units += read_units(item_size(item))

    # --- SQS and EventBridge ---------------------------------------------------------------------------------

    def _on_sqs_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in ("SendMessageBatch", "SendMessage"):
            return
        bodies = [e["MessageBody"] for e in params.get("Entries", [])] or [params.get("MessageBody", "")]
        size = sum(len(b.encode()) for b in bodies)
        with self._lock:
            self.usage.sqs_messages += len(bodies)
            self.usage.sqs_bytes += size
            self.usage.sqs_requests += max(1, math.ceil(size / PAYLOAD_CHUNK_BYTES))

    def _on_events_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name != "PutEvents":
            return
        with self._lock:
            for entry in params.get("Entries", []):
                size = len(json.dumps(entry).encode())
                self.usage.events += 1
                self.usage.event_bytes += size
                self.usage.event_chunks += max(1, math.ceil(size / PAYLOAD_CHUNK_BYTES))


def combined(usages: list[Usage]) -> Usage:
    """The sum of several pieces of work."""
    total = Usage()
    for u in usages:
        for name in ("calls", "items_written", "key_write_units"):
            into: dict[str, Any] = getattr(total, name)
            for k, v in getattr(u, name).items():
                into[k] = into.get(k, 0) + v
        for name in (
            "table_write_units",
            "gsi_write_units",
            "gsi_item_writes",
            "read_units",
            "items_read",
            "projected_items_read",
            "sqs_messages",
            "sqs_requests",
            "sqs_bytes",
            "events",
            "event_chunks",
            "event_bytes",
        ):
            setattr(total, name, getattr(total, name) + getattr(u, name))
        total.score_item_bytes += u.score_item_bytes
        total.history_item_bytes += u.history_item_bytes
    return total


def hottest(usage: Usage, prefix: str) -> tuple[str, float]:
    """The partition key (of the table: "table", or a GSI: "gsi1", "gsi2") that took the most write units."""
    candidates = {k: v for k, v in usage.key_write_units.items() if k.startswith(prefix + " ")}
    if not candidates:
        return "", 0.0
    key = max(candidates, key=lambda k: (candidates[k], k))
    return key.split(" ", 1)[1], candidates[key]


def merged_calls(*usages: Usage) -> Counter[str]:
    total: Counter[str] = Counter()
    for usage in usages:
        total.update(usage.calls)
    return total
