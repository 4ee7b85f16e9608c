"""The HTTP access log keeps no personal data: uvicorn's access records lose their query string (a
doctor's search words travel as ``?q=``), the secret of a feed URL (``/v1/feeds/<token>.atom``: whoever holds it
reads that doctor's feed) and the client's address before any handler sees them."""

from __future__ import annotations

import logging
import re

__all__ = ["ACCESS_LOGGER", "PrivateAccessLog", "install_private_access_log"]

ACCESS_LOGGER = "uvicorn.access"
_FEED_SECRET = re.compile(r"(/v1/feeds/)[^/?\s]+(\.atom)")


class PrivateAccessLog(logging.Filter):
    """Rewrites uvicorn's access record ``(client, method, path?query, http_version, status)`` to
    ``("-", method, path, http_version, status)``; any other record loses its query strings the same way."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _client, method, path, version, status = args
            record.args = ("-", method, _private(str(path)), version, status)
        else:  # an unexpected shape: keep the record, drop its arguments rather than risk a query string
            record.msg, record.args = _private(str(record.msg)), None
        return True


def _private(path: str) -> str:
    return _FEED_SECRET.sub(r"\1<token>\2", path.split("?", 1)[0])


def install_private_access_log() -> None:
    """Attach the filter to uvicorn's access logger once (whoever starts uvicorn: ``kb serve``, tests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, PrivateAccessLog) for f in logger.filters):
        logger.addFilter(PrivateAccessLog())
