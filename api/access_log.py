"""The HTTP access log keeps no personal data: uvicorn's access records lose their query string (a
doctor's search words travel as ``?q=``) and the client's address before any handler sees them."""

from __future__ import annotations

import logging

__all__ = ["ACCESS_LOGGER", "PrivateAccessLog", "install_private_access_log"]

ACCESS_LOGGER = "uvicorn.access"


class PrivateAccessLog(logging.Filter):
    """Rewrites uvicorn's access record ``(client, method, path?query, http_version, status)`` to
    ``("-", method, path, http_version, status)``; any other record loses its query strings the same way."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _client, method, path, version, status = args
            record.args = ("-", method, str(path).split("?", 1)[0], version, status)
        else:  # an unexpected shape: keep the record, drop its arguments rather than risk a query string
            record.msg, record.args = str(record.msg).split("?", 1)[0], None
        return True


def install_private_access_log() -> None:
    """Attach the filter to uvicorn's access logger once (whoever starts uvicorn: ``kb serve``, tests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, PrivateAccessLog) for f in logger.filters):
        logger.addFilter(PrivateAccessLog())
