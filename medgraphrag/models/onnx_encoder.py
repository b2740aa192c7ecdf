"""The sentence-transformers model run by ONNX Runtime on the CPU: the same vectors as torch's
(to about 1e-7) in less than half the CPU time.

The model is exported from torch once and cached; only a plain transformer with mean pooling
(and optional normalization), such as all-MiniLM-L6-v2, qualifies. Anything else stays on torch.

Why not sentence-transformers' own `backend="onnx"`: it exports through optimum-onnx, whose release
(0.1.0, with optimum 2.1) requires transformers < 4.58 while sentence-transformers 6 requires
transformers >= 5, so the two cannot be installed together (checked 2026-12-01). This export needs
only torch and onnxruntime, which the project has anyway.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

_INPUTS = ("input_ids", "attention_mask")
_EXPORTING = threading.Lock()  # torch's exporter keeps global state: one export at a time


class OnnxSentenceEncoder:
    """Mean-pooled, L2-normalized sentence vectors from an ONNX export of a transformer."""

    def __init__(self, onnx_path: Path, tokenizer: Any, max_length: int, threads: int | None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        self._max_length = max_length

    @classmethod
    def for_model(cls, model: Any, cache_dir: Path, threads: int | None) -> OnnxSentenceEncoder | None:
        """An encoder for a loaded `SentenceTransformer`, exporting it to `cache_dir` on first use;
        None when the model is not a plain transformer with mean pooling."""
        modules = [type(m).__name__ for m in model]
        if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        transformer, pooling = model[0], model[1]
        if getattr(transformer, "do_lower_case", False) or pooling.get_config_dict().get("pooling_mode") != "mean":
            return None
        path = cache_dir / f"{_fingerprint(transformer)}.onnx"
        with _EXPORTING:
            if not path.is_file():
                _export(transformer.auto_model, path)
        return cls(path, transformer.tokenizer, int(model.max_seq_length), threads)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """One unit-length float32 row per text."""
        # Similar lengths batched together waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            batch = self._encode([texts[i].strip() for i in part])
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(texts), batch.shape[1]), dtype=np.float32)
            vectors[part] = batch
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="np")
        feed = {name: tokens[name].astype(np.int64) for name in _INPUTS}
        (hidden,) = self._session.run(None, feed)
        hidden = np.asarray(hidden, dtype=np.float32)
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit_rows: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit_rows


def _fingerprint(transformer: Any) -> str:
    """Identifies the weights and the exporter: a changed model or torch gets a new export."""
    import torch

    digest = hashlib.sha256(torch.__version__.encode())
    for name, tensor in sorted(transformer.auto_model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().numpy().tobytes()[:4096])
        digest.update(str(tuple(tensor.shape)).encode())
    return digest.hexdigest()[:24]


def _export(module: Any, path: Path) -> None:
    """Export the transformer's last hidden state for (input_ids, attention_mask), atomically."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return hidden

    path.parent.mkdir(parents=True, exist_ok=True)
    example = (torch.ones((1, 8), dtype=torch.long), torch.ones((1, 8), dtype=torch.long))
    axes = {"batch": 0, "tokens": 1}
    dynamic = {name: {axis: label for label, axis in axes.items()} for name in (*_INPUTS, "last_hidden_state")}
    handle, scratch = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(module.eval()),
                example,
                scratch,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=dynamic,
                opset_version=17,
                dynamo=False,
            )
        os.replace(scratch, path)  # concurrent exports (server workers) each land whole
    finally:
        Path(scratch).unlink(missing_ok=True)
