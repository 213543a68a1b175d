"""The one-table key design: every partition and sort key the adapter writes, and nothing outside this package.

Item families (pk / sk):
  MATERIAL / <material>                 material profile
  DEPENDENCY#<material> / <importer>    importer dependency (one Query per material for bulk rescoring)
  IMPORTER / <importer>                 importer index: `materials`, a string set of the materials that economy
                                        has a dependency item for (ADD only, so concurrent writers commute)
  GOVERNANCE / <country>                governance
  SIGNAL / <signal id>                  policy signal
  SCORE#<importer> / <material>         current score; gsi1 ranks an importer's scores, gsi2 a material's
  HISTORY#<importer>#<material> / <iso computed_at>   score history, expires via TTL (expires_at)
  RUN#<run id> / RUN                    rescoring run counters; RUN#<run id> / CHUNK#<n>#DONE|FAILED markers
  TENANT#<client id> / PORTFOLIO#<id>   a tenant's portfolio (gzip-compressed document)
  TENANT#<client id> / DRAFT#<id>       a tenant's draft signal (expires via TTL: expires_at)
  TENANT#<client id> / SUBSCRIPTION#<id>#          an alert subscription; gsi1 SUBSCRIPTIONS / <tenant>#<id>
                                        (sparse: every tenant's subscriptions, one Query, for matching events)
  TENANT#<client id> / SUBSCRIPTION#<id>#FAILURE   the subscription's last failed delivery (the worker's item)
  TENANT#<client id> / DELIVERY#<subscription id>#<delivery id>   a delivered webhook (idempotency; TTL 30 days)
  TENANT#<client id> / ATTEMPT#<subscription id>#<UTC time>#<delivery id>#<attempt>   one HTTP attempt (TTL 7 days)
  HEALTH / HEALTH                       never written: the health check's GetItem

Reference sets that are small and read whole (materials, governance, signals) share one partition each,
so each is one Query (never a Scan). Each item keeps its domain model as a compact JSON document (`doc`)
beside the native attributes that keys, filters and conditions need (score, band, version as numbers).
Reference items written by a bulk load carry `load_id`: the table stream's filter (template.yaml) drops them, and
one rescoring run follows the load (docs/decisions.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Key = dict[str, "AttributeValueTypeDef"]

#: the attribute that marks a reference item as written by a bulk load (the stream filter drops such records)
LOAD_ID_ATTRIBUTE = "load_id"
MATERIAL_PK = "MATERIAL"
DEPENDENCY_PREFIX = "DEPENDENCY"
IMPORTER_INDEX_PK = "IMPORTER"
GOVERNANCE_PK = "GOVERNANCE"
SIGNAL_PK = "SIGNAL"
PORTFOLIO_PREFIX = "PORTFOLIO#"
DRAFT_PREFIX = "DRAFT#"


def s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def n(value: float | int) -> AttributeValueTypeDef:
    # Decimal via str keeps the exact decimal text of the float (boto3 rejects floats).
    return {"N": str(Decimal(str(value)))}


def doc(model: BaseModel) -> AttributeValueTypeDef:
    return {"S": model.model_dump_json()}


def key(pk: str, sk: str) -> Key:
    return {"pk": s(pk), "sk": s(sk)}


def material_key(material_id: str) -> Key:
    return key(MATERIAL_PK, material_id)


def dependency_partition(material_id: str) -> str:
    return f"{DEPENDENCY_PREFIX}#{material_id}"


def dependency_key(importer: str, material_id: str) -> Key:
    return key(dependency_partition(material_id), importer)


def importer_key(importer: str) -> Key:
    return key(IMPORTER_INDEX_PK, importer)


def governance_key(country: str) -> Key:
    return key(GOVERNANCE_PK, country)


def signal_key(signal_id: str) -> Key:
    return key(SIGNAL_PK, signal_id)


SCORE_PREFIX = "SCORE#"


def score_key(importer: str, material_id: str) -> Key:
    return key(f"{SCORE_PREFIX}{importer}", material_id)


def importer_rank_partition(importer: str) -> str:
    return f"RANK#IMPORTER#{importer}"


def material_rank_partition(material_id: str) -> str:
    return f"RANK#MATERIAL#{material_id}"


def score_sort_key(score: float, suffix: str) -> str:
    """Zero-padded so lexical order is numeric order: 91.726 -> '091.7260#<suffix>'."""
    return f"{score:08.4f}#{suffix}"


def history_partition(importer: str, material_id: str) -> str:
    return f"HISTORY#{importer}#{material_id}"


def run_partition(run_id: str) -> str:
    return f"RUN#{run_id}"


def run_key(run_id: str) -> Key:
    return key(run_partition(run_id), "RUN")


def chunk_marker(chunk_index: int, outcome: str) -> str:
    return f"CHUNK#{chunk_index:06d}#{outcome}"


def tenant_partition(tenant: str) -> str:
    return f"TENANT#{tenant}"


def portfolio_key(tenant: str, portfolio_id: str) -> Key:
    return key(tenant_partition(tenant), f"{PORTFOLIO_PREFIX}{portfolio_id}")


def draft_key(tenant: str, draft_id: str) -> Key:
    return key(tenant_partition(tenant), f"{DRAFT_PREFIX}{draft_id}")


HEALTH_KEY: Key = key("HEALTH", "HEALTH")


SUBSCRIPTION_PREFIX = "SUBSCRIPTION#"
#: the gsi1 partition every subscription is projected into (the delivery side reads it whole)
SUBSCRIPTION_DIRECTORY_PK = "SUBSCRIPTIONS"


def subscription_sort_prefix(subscription_id: str) -> str:
    """Every item of one subscription sorts under this (ids have no '#', so no other subscription's does)."""
    return f"{SUBSCRIPTION_PREFIX}{subscription_id}#"


def subscription_key(tenant: str, subscription_id: str) -> Key:
    return key(tenant_partition(tenant), subscription_sort_prefix(subscription_id))


def subscription_failure_key(tenant: str, subscription_id: str) -> Key:
    return key(tenant_partition(tenant), f"{subscription_sort_prefix(subscription_id)}FAILURE")


def subscription_directory_sort(tenant: str, subscription_id: str) -> str:
    return f"{tenant}#{subscription_id}"


def delivery_key(tenant: str, subscription_id: str, delivery_id: str) -> Key:
    """A delivered webhook's idempotency record (expires with the table's TTL)."""
    return key(tenant_partition(tenant), f"DELIVERY#{subscription_id}#{delivery_id}")


def attempt_sort_prefix(subscription_id: str) -> str:
    """Every attempt of one subscription sorts under this, oldest first (ids have no '#')."""
    return f"ATTEMPT#{subscription_id}#"


def attempt_key(tenant: str, subscription_id: str, at: datetime, delivery_id: str, attempt: int) -> Key:
    """One HTTP attempt of a delivery: the fixed-width UTC time sorts them; delivery id + attempt make it unique."""
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return key(tenant_partition(tenant), f"{attempt_sort_prefix(subscription_id)}{stamp}#{delivery_id}#{attempt:04d}")
