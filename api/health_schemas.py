"""Response schemas of the health and readiness routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["EmbeddedOut", "EmbeddingsOut", "HealthOut", "ReadyOut"]


class HealthOut(BaseModel):
    status: str


class EmbeddedOut(BaseModel):
    embedded: int = Field(description="records of the kind that have a vector")
    total: int = Field(description="records of the kind (active articles only)")


class EmbeddingsOut(BaseModel):
    state: Literal["off", "running", "done", "elsewhere"] = Field(
        description="off: no background embedder (dense retrieval off, KB_EMBED_IN_BACKGROUND=false, or stopped); "
        "running: records lack vectors (or it is looking); done: every record had a vector at its last look; "
        "elsewhere: another server process of this `kb serve` (KB_WORKERS) embeds"
    )
    model: str | None = None
    kinds: dict[str, EmbeddedOut] = Field(default_factory=dict, description="evidence and articles")
    rate: float | None = Field(default=None, description="records per second in the current pass")
    eta_seconds: float | None = Field(default=None, description="time left at that rate")
    error: str | None = Field(default=None, description="the last failure, while the embedder retries")


class ReadyOut(BaseModel):
    status: str
    backend: str
    data_version: str | None
    counts: dict[str, int]
    embeddings: EmbeddingsOut = Field(
        default_factory=lambda: EmbeddingsOut(state="off"),
        description="the background embedder: dense retrieval joins in as the vectors arrive",
    )
