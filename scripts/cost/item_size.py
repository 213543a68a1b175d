"""DynamoDB item-size arithmetic, as the DynamoDB developer guide states it ("Item sizes and formats"), and the
capacity units a request consumes on an on-demand table.

- a string is its UTF-8 length; a number ~1 byte per two significant digits + 1; binary its length; a bool or
  null 1 byte; a set the sum of its elements; a map or list 3 bytes + its elements + 1 byte per element;
- every attribute adds the UTF-8 length of its name;
- a write costs ceil(size / 1 KB) write units (twice that in a transaction), a read ceil(size / 4 KB) read units
  (half for an eventually consistent read; a Query sums its items' sizes before rounding; BatchGetItem rounds per
  item; a projection does not reduce it: the whole item's size counts).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
#: storage counts each item's size plus this much for indexing (DynamoDB pricing page, "Data storage")
STORAGE_OVERHEAD_BYTES = 100


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (max(1, len(digits)) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one low-level AttributeValue ({"S": ...}, {"N": ...}, ...)."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        return _number_size(str(raw))
    if kind == "B":
        return len(raw) if isinstance(raw, bytes | bytearray) else len(base64.b64decode(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(x).encode()) for x in raw)
    if kind == "NS":
        return sum(_number_size(str(x)) for x in raw)
    if kind == "BS":
        return sum(len(x) if isinstance(x, bytes | bytearray) else len(base64.b64decode(x)) for x in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of one item in DynamoDB's accounting (attribute names + values)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2
