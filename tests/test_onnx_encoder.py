"""The ONNX Runtime encoder (kb.onnx_encoder) against the torch model it is exported from: the packaged MiniLM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.embedding import Embedder
from kb.errors import ConfigError

TEXTS = [
    "EGFR T790M confers resistance to erlotinib in non-small cell lung cancer",
    "HER2低表达乳腺癌 德曲妥珠单抗",
    "MSI-H",
    "BRAF V600E " * 80,  # longer than the model's 256 tokens: both truncate alike
    "",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_the_onnx_encoder_gives_the_torch_models_vectors(cache: Path) -> None:
    onnx = Embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache, batch_size=2)
    torch = Embedder("all-MiniLM-L6-v2", backend="torch", batch_size=2)
    a, b = onnx.encode(TEXTS), torch.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    assert onnx.model_name == torch.model_name == "all-MiniLM-L6-v2"  # the same stored vectors serve both


def test_the_model_is_exported_once_into_the_cache(cache: Path) -> None:
    Embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache).encode(["one"])
    exported = cache / "onnx" / "all-minilm-l6-v2" / "model.onnx"
    stamp = exported.stat().st_mtime_ns
    Embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache).encode(["two"])
    assert exported.stat().st_mtime_ns == stamp and not list(exported.parent.glob("*.part"))


def test_int8_weights_are_a_model_of_their_own(cache: Path) -> None:
    small = Embedder("all-MiniLM-L6-v2", backend="onnx", quantize=True, cache_dir=cache)
    full = Embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=cache)
    assert small.model_name == "all-MiniLM-L6-v2+int8"  # its vectors are stored apart
    a, b = small.encode(TEXTS[:3]), full.encode(TEXTS[:3])
    assert (cache / "onnx" / "all-minilm-l6-v2" / "model.int8.onnx").is_file()
    cosine = (a * b).sum(axis=1)
    assert 0.9 < float(cosine.min()) < 1.0  # close, not equal: quality is measured in docs/benchmarks.md
    assert not Embedder("all-MiniLM-L6-v2", backend="torch", quantize=True).quantize  # torch has no int8 here


def test_auto_picks_onnx_for_a_local_model_folder_and_torch_otherwise(tmp_path: Path) -> None:
    assert Embedder("all-MiniLM-L6-v2", backend="auto").backend == "onnx"
    assert Embedder("some-org/some-hub-model", backend="auto").backend == "torch"
    assert Embedder(str(tmp_path), backend="auto").backend == "torch"  # a folder without a fast tokenizer
    with pytest.raises(ConfigError, match="auto, onnx or torch"):
        Embedder("all-MiniLM-L6-v2", backend="tensorflow")
