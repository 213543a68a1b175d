"""Typed domain errors. Handlers map each family to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, details: list[dict[str, object]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or ([{"field": field, "message": message}] if field else [])

    def under(self, prefix: str) -> DomainError:
        """The same error with every field located under `prefix` (e.g. changes.2.signal)."""

        def located(field: object) -> str:
            return f"{prefix}.{field}" if field else prefix

        details = [{**d, "field": located(d.get("field"))} for d in self.details]
        error = type(self)(self.message, field=located(self.field), details=details)
        return error


class InvalidInputError(DomainError):
    """Input that breaks a domain rule (shares above 1, unknown stage or country...)."""

    code = "invalid_input"


class TooLargeError(InvalidInputError):
    """Input within every per-field limit whose whole is still too large to process or store."""

    code = "payload_too_large"


class NotFoundError(DomainError):
    """An id that names nothing stored (material, importer, score, signal...)."""

    code = "not_found"


class VersionConflictError(DomainError):
    """An update carried a stale version: the stored item changed since it was read."""

    code = "version_conflict"


class StoreUnavailableError(DomainError):
    """The data store cannot be reached or keeps throttling after retries."""

    code = "service_unavailable"
