"""A tenant's portfolios: the tenant is the partition, so one tenant's key can never name another's item."""

from __future__ import annotations

import gzip
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoTable
from shared.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from shared.adapters.dynamodb.keys import PORTFOLIO_PREFIX, n, s
from shared.adapters.dynamodb.parsed import PORTFOLIOS
from shared.domain.errors import TooLargeError
from shared.ports.common import Page
from shared.ports.portfolios import PortfolioSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from shared.domain.portfolio import Portfolio

#: compressed portfolio document limit, under DynamoDB's 400 KB item size with room for the other attributes
MAX_PORTFOLIO_DOC_BYTES = 350_000


def _load_portfolio(docz: bytes) -> Portfolio:
    from shared.domain.portfolio import Portfolio

    return Portfolio.model_validate_json(gzip.decompress(docz))


class DynamoPortfolioRepository(DynamoTable):
    """Implements shared.ports.PortfolioStore."""

    def get_portfolio(self, tenant: str, portfolio_id: str) -> Portfolio | None:
        item = self._get(keys.portfolio_key(tenant, portfolio_id))
        if item is None:
            return None
        # imported here: the read API holds this family for scenarios only, and GET /v1/scores should not pay
        # for the portfolio models at cold start (decision 86)
        from shared.domain.portfolio import Portfolio

        # the same stored document: the portfolio parsed from it before (a warm function re-reads it; decision 84)
        return PORTFOLIOS.parse(Portfolio, item["docz"]["B"], _load_portfolio)

    def list_portfolios(self, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]:
        partition = keys.tenant_partition(tenant)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": s(partition), ":prefix": s(PORTFOLIO_PREFIX)},
            "ProjectionExpression": "pk, sk, #name, currency, item_count, version, updated_at",
            "ExpressionAttributeNames": {"#name": "name"},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor,
                partition,
                {},
                {"pk", "sk"},
                lambda key: key["pk"] == partition and key["sk"].startswith(PORTFOLIO_PREFIX),
            )
        page = self._call("query", TableName=self.table_name, **kwargs)
        summaries = [
            PortfolioSummary(
                id=item["sk"]["S"].removeprefix(PORTFOLIO_PREFIX),
                name=item["name"]["S"],
                currency=item["currency"]["S"],
                item_count=int(item["item_count"]["N"]),
                version=int(item["version"]["N"]),
                updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
            )
            for item in page.get("Items", [])
        ]
        last = page.get("LastEvaluatedKey")
        return Page(items=summaries, next_cursor=encode_cursor(last, partition, {}) if last else None)

    def put_portfolio(self, portfolio: Portfolio, expected_version: int | None) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            **keys.portfolio_key(portfolio.tenant, portfolio.id),
            "name": s(portfolio.name),
            "currency": s(portfolio.currency),
            "item_count": n(len(portfolio.items)),
            "version": n(portfolio.version),
            "updated_at": s(portfolio.updated_at.isoformat()),
            # gzip: a 1,000-line bill of materials is ~200 KB of JSON but ~20 KB compressed (item limit 400 KB)
            "docz": {"B": gzip.compress(portfolio.model_dump_json().encode(), mtime=0)},
        }
        if len(item["docz"]["B"]) > MAX_PORTFOLIO_DOC_BYTES:
            raise TooLargeError(
                f"portfolio is too large to store ({len(item['docz']['B'])} bytes compressed, at most "
                f"{MAX_PORTFOLIO_DOC_BYTES}): split it into several portfolios"
            )
        self._conditional("put_item", expected_version, Item=item)

    def delete_portfolio(self, tenant: str, portfolio_id: str, expected_version: int | None) -> bool:
        key = keys.portfolio_key(tenant, portfolio_id)
        if expected_version is None:
            response = self._call("delete_item", TableName=self.table_name, Key=key, ReturnValues="ALL_OLD")
            return bool(response.get("Attributes"))
        self._conditional("delete_item", expected_version, Key=key)
        return True
