"""Backends behind one Protocol, chosen by a typed factory from the ``KB_STORE`` URL."""

from __future__ import annotations

from kb.errors import ConfigError
from kb.settings import Settings
from kb.store.base import Backend, UpsertResult
from kb.store.documents import text_hash
from kb.store.sqlite import SQLiteStore
from kb.store.vectors import AnnParams

__all__ = ["Backend", "SQLiteStore", "UpsertResult", "open_store", "text_hash"]


def open_store(settings: Settings) -> Backend:
    """The backend named by ``settings.store``: ``sqlite:///path`` (embedded) or ``http://host:9200``."""
    if settings.store.startswith("sqlite:///"):
        ann = AnnParams(settings.ann_threshold, settings.ann_connectivity, expansion_search=settings.ann_ef_search)
        return SQLiteStore(settings.sqlite_path, ann=ann)
    if settings.store.startswith(("http://", "https://")):
        from kb.store.es import ElasticsearchStore  # the client is only imported when used

        return ElasticsearchStore(settings)
    raise ConfigError(f"KB_STORE={settings.store!r}: expected sqlite:///path or http(s)://host:9200")
