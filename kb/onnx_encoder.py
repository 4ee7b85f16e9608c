"""The sentence encoder on ONNX Runtime: the same MiniLM, exported once from its local weights, no torch at query time.

The packaged model (or any local sentence-transformers folder with a BERT-style transformer, mean pooling and
normalisation) is exported with ``torch.onnx`` to ``<work dir>/models/<name>/model.onnx`` the first time it is
needed, and, when asked, quantised to int8 weights with ONNX Runtime's dynamic quantisation
(``model.int8.onnx``). Nothing is downloaded. Queries are tokenised by the model's own fast tokenizer
(``tokenizer.json``, the Hugging Face ``tokenizers`` library), run through an ONNX Runtime session, mean-pooled
over the attention mask and L2-normalised: the pipeline of sentence-transformers' ``Transformer → Pooling →
Normalize`` modules, so vectors match the torch model's (cosine ≥ 0.9999 in fp32; tests/test_onnx_encoder.py).

Why ONNX Runtime and not sentence-transformers' own ONNX backend: that backend needs optimum, whose current
release pins transformers 4.x, an older major than the one installed here; ONNX Runtime with the model's
tokenizer needs neither.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.errors import ConfigError

__all__ = ["OnnxEncoder", "export_onnx"]

_LOCK = threading.Lock()  # one export at a time in a process


def _max_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", 256))
    return 256


def export_onnx(model_dir: Path, target: Path, *, quantize: bool) -> Path:
    """``target/model.onnx`` exported from the transformer in ``model_dir`` (and ``model.int8.onnx`` when
    ``quantize``), unless already there; the path of the one asked for."""
    plain, small = target / "model.onnx", target / "model.int8.onnx"
    wanted = small if quantize else plain
    with _LOCK:
        if wanted.is_file():
            return wanted
        target.mkdir(parents=True, exist_ok=True)
        if not plain.is_file():
            _export(model_dir, plain)
        if quantize and not small.is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            partial = small.with_suffix(".part")
            quantize_dynamic(str(plain), str(partial), weight_type=QuantType.QInt8)
            partial.replace(small)
    return wanted


def _export(model_dir: Path, path: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    class _Hidden(torch.nn.Module):  # keyword arguments: the transformer's positional order differs by version
        def __init__(self) -> None:
            super().__init__()
            self.inner = AutoModel.from_pretrained(str(model_dir)).eval()

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = _Hidden().eval()
    ids = torch.ones((2, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"last_hidden_state": {0: "batch", 1: "tokens"}}
    partial = path.with_suffix(".part")
    # the TorchScript exporter: it needs no onnxscript and exports this BERT with dynamic axes as it is; torch
    # calls it legacy, and tracing warns about shapes it records as constants: both expected here
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(partial),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    partial.replace(path)


class OnnxEncoder:
    """Encodes texts with an exported model on ONNX Runtime; ``threads`` caps the session's intra-op threads."""

    def __init__(self, model_dir: Path, cache_dir: Path, *, quantize: bool = False, threads: int | None = None) -> None:
        self.model_dir = model_dir
        self.cache_dir = cache_dir
        self.quantize = quantize
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: set[str] = set()
        self.max_length = _max_length(model_dir)
        self._load_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._load_lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer_file = self.model_dir / "tokenizer.json"
                if not tokenizer_file.is_file():
                    raise ConfigError(f"the ONNX encoder needs {tokenizer_file} (a fast tokenizer)")
                path = export_onnx(self.model_dir, self.cache_dir, quantize=self.quantize)
                options = ort.SessionOptions()
                if self.threads:
                    options.intra_op_num_threads = self.threads
                    options.inter_op_num_threads = 1
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                tokenizer = Tokenizer.from_file(str(tokenizer_file))
                tokenizer.enable_truncation(self.max_length)
                tokenizer.enable_padding()
                self._inputs = {i.name for i in session.get_inputs()}
                self._tokenizer, self._session = tokenizer, session
        return self._session, self._tokenizer

    @property
    def dim(self) -> int:
        return int(self.encode(["dimension"]).shape[1])

    def encode(self, texts: list[str], batch_size: int = 16) -> npt.NDArray[np.float32]:
        """L2-normalised mean-pooled vectors, one row per text, in batches of ``batch_size``."""
        session, tokenizer = self._load()
        out: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(texts), batch_size):
            batch = tokenizer.encode_batch(texts[start : start + batch_size])
            ids = np.asarray([b.ids for b in batch], dtype=np.int64)
            mask = np.asarray([b.attention_mask for b in batch], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(["last_hidden_state"], {k: v for k, v in feed.items() if k in self._inputs})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out.append((pooled / np.clip(norms, 1e-12, None)).astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)
