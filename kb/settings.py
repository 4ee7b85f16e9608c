"""The one settings object. Built by ``create_app`` and by the CLI, never at import."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kb.errors import ConfigError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Every knob of genekb; each field is read from ``KB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    store: str = Field(
        default="sqlite:///./var/kb.sqlite3",
        description="Store URL: sqlite:///path for the embedded store, http://host:9200 for Elasticsearch.",
    )
    data_dir: Path = Field(default=Path("../shared/data"), description="Folder of source data files.")
    work_dir: Path = Field(default=Path("./var"), description="Folder for checkpoints, reject files and reports.")
    embed_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="sentence-transformers model name or path; the offline MiniLM package is found automatically.",
    )
    embed_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="Encoder runtime: onnx (ONNX Runtime, exported once from the local model into the work dir), "
        "torch, or auto (onnx for a local model folder with a fast tokenizer, such as the packaged MiniLM).",
    )
    model_dir: Path | None = Field(
        default=None, description="Where exported encoder models are cached (default: KB_WORK_DIR/models)."
    )
    embed_quantize: bool = Field(
        default=False, description="ONNX only: int8 weights (faster; vectors kept under their own model key)."
    )
    embed_batch_size: int = Field(
        default=16, ge=1, le=4096, description="Texts per embedding batch (small batches keep peak memory low)."
    )
    embed_in_background: bool = Field(
        default=True,
        description="kb serve (with dense retrieval) embeds the records that lack vectors in a background thread, "
        "evidence first, then articles newest first, while it serves; dense retrieval joins in as vectors arrive.",
    )
    embed_poll_seconds: float = Field(
        default=30.0,
        ge=0.1,
        le=3600,
        description="How often the background embedder looks for records without vectors once it has caught up.",
    )
    ncbi_email: str = Field(default="", description="E-mail sent to NCBI E-utilities (required by NCBI).")
    ncbi_api_key: str = Field(default="", description="NCBI API key; raises the rate limit to 10 requests/s.")
    ncbi_tool: str = Field(default="genekb", description="Tool name sent to NCBI E-utilities.")
    ncbi_base_url: str = Field(
        default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
        description="E-utilities base URL (a local replay server in tests).",
    )
    ncbi_batch_size: int = Field(default=200, ge=1, le=10000, description="PMIDs per efetch request.")
    ncbi_max_retries: int = Field(default=5, ge=0, le=20, description="Retries for 429 / 5xx answers.")
    ncbi_backoff: float = Field(default=1.0, ge=0.0, le=60.0, description="First retry delay, seconds (doubles).")
    update_lookback_days: int = Field(
        default=30, ge=1, le=3650, description="kb update's first window: this many days of PubMed entry dates."
    )
    update_query: str = Field(
        default="", description="kb update's PubMed query; empty: built from followed topics and evidence."
    )
    es_index_prefix: str = Field(
        default="genekb",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$",
        description="Elasticsearch index prefix: aliases are <prefix>-<kind> over versioned indices.",
    )
    es_shards: int = Field(default=1, ge=1, le=1024, description="Primary shards of each new Elasticsearch index.")
    es_replicas: int = Field(default=0, ge=0, le=16, description="Replicas of each new Elasticsearch index.")
    es_vector_index: str = Field(
        default="int8_hnsw",
        pattern=r"^(hnsw|int8_hnsw|int4_hnsw|bbq_hnsw|flat|int8_flat)$",
        description="dense_vector index type for embeddings (int8_hnsw: quantized HNSW; hnsw: float32).",
    )
    es_timeout: float = Field(default=30.0, gt=0, le=600, description="Elasticsearch request timeout, seconds.")
    es_retry_seconds: float = Field(
        default=600.0,
        ge=0,
        le=86400,
        description="How long a write waits for an unreachable Elasticsearch to come back before failing.",
    )
    es_bulk_docs: int = Field(default=500, ge=1, le=10000, description="Documents per Elasticsearch bulk request.")
    workers: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Processes `kb serve` runs (uvicorn workers): searches are CPU-bound Python, so one per core "
        "gives the throughput (docs/benchmarks.md, Load); each holds the model and the vocabularies (~1.4 GB).",
    )
    search_concurrency: int = Field(
        default=2,
        ge=0,
        le=256,
        description="Searches one process runs at once (0: no limit); the others wait their turn. Searches are "
        "CPU-bound Python: more at once share the interpreter lock and all finish late (docs/benchmarks.md, Load).",
    )
    ann_threshold: int = Field(
        default=50_000,
        ge=1,
        le=1_000_000_000,
        description="Embedded store: vectors of one kind at and above which kNN uses the HNSW graph instead of an "
        "exact scan (docs/scaling.md, Approximate kNN).",
    )
    ann_connectivity: int = Field(
        default=16, ge=4, le=64, description="Embedded store: HNSW links per node (changing it rebuilds the graph)."
    )
    ann_ef_search: int = Field(
        default=512,
        ge=8,
        le=4096,
        description="Embedded store: HNSW candidate list per search (recall against speed; a search for k results "
        "uses at least k; docs/scaling.md, Approximate kNN).",
    )
    db_url: str = Field(
        default="sqlite:///./var/editorial.sqlite3",
        description="Editorial database (accounts, curated entries, workflow, audit, feed): "
        "sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        default="",
        description="Signs tokens and API-key digests (32 characters or more); when empty, one is generated once "
        "into <work_dir>/secret.key.",
    )
    token_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="Idle lifetime of a login token, minutes: POST /v1/auth/refresh renews it (the pages do, "
        "past half of it), within KB_SESSION_HOURS of the sign-in.",
    )
    session_hours: float = Field(
        default=10,
        gt=0,
        le=168,
        description="Absolute lifetime of a signed-in session, hours from the sign-in (a working day): "
        "refreshing never takes a token past it.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="Failed logins per user name within 15 minutes before logins are refused."
    )
    key_rate_limit: int = Field(default=120, ge=1, le=100000, description="Default requests per minute of an API key.")
    anon_rate_limit: int = Field(
        default=300,
        ge=0,
        le=100000,
        description="Requests per minute per client address for anonymous reads, shared by every API process "
        "through the editorial database; 0 turns the limit off.",
    )
    login_ip_limit: int = Field(
        default=20,
        ge=0,
        le=10000,
        description="Failed logins per client address within 15 minutes before its logins wait (each attempt "
        "made while waiting pushes the next one further); 0 turns the limit off.",
    )
    max_body_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        le=100_000_000,
        description="Largest request body, bytes; a larger one is refused with 413 before it is read.",
    )
    max_follows: int = Field(default=200, ge=1, le=100000, description="Topics one user may follow.")
    api_docs: bool = Field(
        default=False,
        description="Serve /docs and /redoc (they load scripts from a CDN); /openapi.json is always served.",
    )
    search_log_days: int = Field(
        default=180, ge=0, le=3650, description="Days searches are kept (pseudonymous); 0 keeps none."
    )
    gap_min_doctors: int = Field(
        default=5,
        ge=1,
        le=10000,
        description="Distinct doctors (pseudonyms) who must have searched a term before the content-gap report "
        "lists it.",
    )
    submission_max_bytes: int = Field(
        default=65536,
        ge=1024,
        le=16_777_216,
        description="Largest record a submission may carry (its data as UTF-8 JSON), bytes; a larger one is 422.",
    )
    webhook_max_attempts: int = Field(
        default=50, ge=1, le=1000, description="Delivery attempts per webhook event before it is marked failed."
    )
    webhook_allow_loopback: bool = Field(
        default=False,
        description="Let webhooks target loopback addresses (the test suite's own receivers); other private, "
        "link-local and metadata addresses stay refused.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on.")

    @field_validator("store")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "http://", "https://")):
            raise ValueError("KB_STORE must start with sqlite:///, http:// or https://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if value and len(value.encode("utf-8")) < 32:
            raise ValueError("KB_SECRET_KEY needs at least 32 bytes")
        return value

    @field_validator("db_url")
    @classmethod
    def _known_db(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError("KB_DB_URL must start with sqlite:/// or postgresql")
        return value

    def signing_key(self) -> bytes:
        """``secret_key``, or the one generated into ``<work_dir>/secret.key`` on first use."""
        if self.secret_key:
            return self.secret_key.encode("utf-8")
        path = self.work_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text(encoding="utf-8").strip().encode("utf-8")

    @property
    def sqlite_path(self) -> Path:
        """Filesystem path of the embedded store (only for ``sqlite:///`` URLs)."""
        if not self.store.startswith("sqlite:///"):
            raise ConfigError(f"KB_STORE is not a sqlite URL: {self.store}")
        return Path(self.store.removeprefix("sqlite:///"))


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides, translating errors."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
