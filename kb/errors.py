"""The one exception tree of genekb.

Every error raised on purpose by ``kb``, ``ingest`` or ``api`` derives from
:class:`KBError`. Errors of third-party libraries (sqlite3, Entrez, HTTP,
Elasticsearch) are translated at the boundary with ``raise ... from exc``.

::

    KBError
    ├── ConfigError                 unsafe or invalid settings
    ├── DataError                   bad input data
    │   ├── ParseError              malformed XML / TSV / JSON / gzip
    │   ├── SchemaError             a file lacks required columns or keys
    │   └── InvalidRecord           a submitted record breaks the domain model (names the field)
    ├── NotFoundError               an entity or id is unknown
    ├── QueryError                  a query is empty, too long or hostile
    ├── PayloadTooLarge             a request body over the size limit
    ├── AuthError                   no valid credentials (token, password or API key)
    │   └── RateLimited             too many requests or login attempts
    ├── PermissionDenied            valid credentials, but the role or scope does not allow it
    ├── ConflictError               the state forbids it (double accept, stale base version)
    │   ├── PreconditionFailed      If-Match names an old ETag
    │   └── PreconditionRequired    a write without If-Match
    ├── StoreError                  the store cannot be read or written
    │   ├── MigrationError          schema version unknown or newer than code
    │   └── StoreUnavailable        the store's server cannot be reached
    └── SourceError                 a remote source (NCBI, download URL) failed
        └── SourceUnavailable       it stayed unreachable after the retries
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AuthError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "InvalidRecord",
    "KBError",
    "MigrationError",
    "NotFoundError",
    "ParseError",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionFailed",
    "PreconditionRequired",
    "QueryError",
    "RateLimited",
    "SchemaError",
    "SourceError",
    "SourceUnavailable",
    "StoreError",
    "StoreUnavailable",
]


class KBError(Exception):
    """Base of every error genekb raises on purpose."""

    code = "kb_error"

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})


class ConfigError(KBError):
    code = "config_error"


class DataError(KBError):
    code = "data_error"


class ParseError(DataError):
    code = "parse_error"


class SchemaError(DataError):
    code = "schema_error"


class InvalidRecord(DataError):
    """A submission's ``data`` breaks the domain model: a wrong type, an unknown field, code or
    value, a PMID of the wrong form, unsafe text, too deep or too large. ``details["field"]``
    names the first offending field (``data.citations.0.pmid``)."""

    code = "invalid_record"


class NotFoundError(KBError):
    code = "not_found"


class QueryError(KBError):
    code = "invalid_query"


class PayloadTooLarge(KBError):
    code = "payload_too_large"


class AuthError(KBError):
    code = "unauthorized"


class RateLimited(AuthError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message, details={"retry_after": retry_after, **(details or {})})
        self.retry_after = retry_after


class PermissionDenied(KBError):
    code = "forbidden"


class ConflictError(KBError):
    code = "conflict"


class PreconditionFailed(ConflictError):
    code = "precondition_failed"


class PreconditionRequired(ConflictError):
    code = "precondition_required"


class StoreError(KBError):
    code = "store_error"


class MigrationError(StoreError):
    code = "migration_error"


class StoreUnavailable(StoreError):
    """The store's server cannot be reached (connection refused, timeout, cluster unavailable)."""

    code = "store_unavailable"


class SourceError(KBError):
    code = "source_error"


class SourceUnavailable(SourceError):
    code = "source_unavailable"
