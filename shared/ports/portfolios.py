"""A tenant's portfolios."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.ports.common import Page

if TYPE_CHECKING:  # annotations only (the read API's cold start skips the portfolio models)
    from shared.domain.portfolio import Portfolio


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    id: str
    name: str
    currency: str
    item_count: int
    version: int
    updated_at: datetime


class PortfolioReader(Protocol):
    """Reads one tenant's portfolio; the tenant is part of every key, so one tenant can never address another's."""

    def get_portfolio(self, tenant: str, portfolio_id: str) -> Portfolio | None: ...


class PortfolioStore(PortfolioReader, Protocol):
    """A tenant's portfolios: read, list, conditional writes."""

    def list_portfolios(self, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]: ...

    def put_portfolio(self, portfolio: Portfolio, expected_version: int | None) -> None:
        """Conditional like put_reference_item: VersionConflictError when the stored version differs."""
        ...

    def delete_portfolio(self, tenant: str, portfolio_id: str, expected_version: int | None) -> bool:
        """False when there was nothing to delete; VersionConflictError when the version is stale."""
        ...
