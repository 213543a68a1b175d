"""Reference data (materials, importer dependencies, governance, policy signals) and the importer index."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DOC_ONLY, DynamoTable, cancellation_codes, version_condition, version_conflict
from shared.adapters.dynamodb.keys import LOAD_ID_ATTRIBUTE, s
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.ports import Pair, ReferenceItem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


def reference_item_key(item: ReferenceItem) -> keys.Key:
    match item:
        case MaterialProfile():
            return keys.material_key(item.id)
        case ImporterDependency():
            return keys.dependency_key(item.importer, item.material)
        case CountryGovernance():
            return keys.governance_key(item.country)
        case PolicySignal():
            return keys.signal_key(item.id)


def reference_item(item: ReferenceItem, load_id: str | None = None) -> dict[str, AttributeValueTypeDef]:
    marker: dict[str, AttributeValueTypeDef] = {LOAD_ID_ATTRIBUTE: s(load_id)} if load_id else {}
    return {**reference_item_key(item), "version": keys.n(item.version), "doc": keys.doc(item), **marker}


class DynamoReferenceRepository(DynamoTable):
    """Implements shared.ports.ReferenceDataStore and ImporterIndexStore."""

    def get_material(self, material_id: str) -> MaterialProfile | None:
        item = self._get(keys.material_key(material_id))
        return self._parse_shared(MaterialProfile, item) if item else None

    def list_materials(self) -> list[MaterialProfile]:
        items = self._query_partition(keys.MATERIAL_PK, ProjectionExpression=DOC_ONLY)
        return [self._parse_shared(MaterialProfile, item) for item in items]

    def get_materials(self, material_ids: Sequence[str]) -> list[MaterialProfile]:
        items = self.batch_get([keys.material_key(m) for m in dict.fromkeys(material_ids)], DOC_ONLY)
        return sorted((self._parse_shared(MaterialProfile, item) for item in items), key=lambda m: m.id)

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None:
        item = self._get(keys.dependency_key(importer, material_id))
        return self._parse_shared(ImporterDependency, item) if item else None

    def get_dependencies(self, pairs: Sequence[Pair]) -> dict[Pair, ImporterDependency]:
        items = self.batch_get([keys.dependency_key(p.importer, p.material) for p in dict.fromkeys(pairs)], DOC_ONLY)
        parsed = (self._parse_shared(ImporterDependency, item) for item in items)
        return {Pair(d.importer, d.material): d for d in parsed}

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]:
        items = self._query_partition(keys.dependency_partition(material_id), ProjectionExpression=DOC_ONLY)
        return [self._parse_shared(ImporterDependency, item) for item in items]

    def list_governance(self) -> dict[str, CountryGovernance]:
        items = self._query_partition(keys.GOVERNANCE_PK, ProjectionExpression=DOC_ONLY)
        parsed = (self._parse_shared(CountryGovernance, item) for item in items)
        return {g.country: g for g in parsed}

    def get_governance(self, country: str) -> CountryGovernance | None:
        item = self._get(keys.governance_key(country))
        return self._parse_shared(CountryGovernance, item) if item else None

    def list_signals(self) -> list[PolicySignal]:
        items = self._query_partition(keys.SIGNAL_PK, ProjectionExpression=DOC_ONLY)
        return [self._parse_shared(PolicySignal, item) for item in items]

    def get_signal(self, signal_id: str) -> PolicySignal | None:
        item = self._get(keys.signal_key(signal_id))
        return self._parse_shared(PolicySignal, item) if item else None

    def save_reference_items(self, items: Sequence[ReferenceItem], load_id: str | None = None) -> None:
        self.batch_write([{"PutRequest": {"Item": reference_item(item, load_id)}} for item in items])

    def put_reference_item(self, item: ReferenceItem, expected_version: int | None, load_id: str | None = None) -> None:
        if isinstance(item, ImporterDependency):
            self._put_dependency_and_index(item, expected_version, load_id)
            return
        self._conditional("put_item", expected_version, Item=reference_item(item, load_id))

    def _put_dependency_and_index(
        self, item: ImporterDependency, expected_version: int | None, load_id: str | None = None
    ) -> None:
        """The dependency (guarded by its version, as `_conditional`) and the index ADD in one transaction."""
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": reference_item(item, load_id),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **version_condition(expected_version),
        }
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": keys.importer_key(item.importer),
            "UpdateExpression": "ADD materials :m",
            "ExpressionAttributeValues": {":m": {"SS": [item.material]}},
        }
        try:
            self._with_conflict_retries("transact_write_items", TransactItems=[{"Put": put}, {"Update": update}])
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if not codes or codes[0] != "ConditionalCheckFailed":
                raise
            reasons: list[Any] = list(exc.response.get("CancellationReasons") or [])
            stored = (reasons[0].get("Item") or {}).get("version", {}).get("N")
            if stored is None and expected_version is not None:  # the reason may come without the item
                current = self._get(keys.dependency_key(item.importer, item.material))
                stored = current["version"]["N"] if current else None
            raise version_conflict(expected_version, stored) from None

    # the importer index (IMPORTER / <code>)

    def list_importer_index(self) -> dict[str, frozenset[str]]:
        items = self._query_partition(keys.IMPORTER_INDEX_PK, ProjectionExpression="sk, materials")
        return {item["sk"]["S"]: frozenset(item.get("materials", {}).get("SS", [])) for item in items}

    def add_importer_materials(self, additions: Mapping[str, Iterable[str]]) -> None:
        """One UpdateItem `ADD materials :set` per economy. A set union is idempotent, so an update that collides
        with a concurrent transaction on the same item (TransactionConflictException) is simply sent again."""
        for importer, materials in sorted(additions.items()):
            values = sorted(set(materials))
            if not values:
                continue  # DynamoDB has no empty sets
            self._with_conflict_retries(
                "update_item",
                TableName=self.table_name,
                Key=keys.importer_key(importer),
                UpdateExpression="ADD materials :m",
                ExpressionAttributeValues={":m": {"SS": values}},
            )
