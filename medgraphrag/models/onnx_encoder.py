"""Sentence encoders on ONNX Runtime on the CPU: a sentence-transformers model exported from torch
(the same vectors as torch's, to about 1e-7, in less than half the CPU time), and a ready-made ONNX
graph with its tokenizer.json (bge-small-en-v1.5 from a Maven jar), which needs no torch at all.

A sentence-transformers model is exported from torch once and cached; only a plain transformer with mean pooling
(and optional normalization), such as all-MiniLM-L6-v2, qualifies. Anything else stays on torch.

Why not sentence-transformers' own `backend="onnx"`: it exports through optimum-onnx, whose release
(0.1.0, with optimum 2.1) requires transformers < 4.58 while sentence-transformers 6 requires
transformers >= 5, so the two cannot be installed together (checked 2026-12-01). This export needs
only torch and onnxruntime, which the project has anyway.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

_Item = TypeVar("_Item")
_INPUTS = ("input_ids", "attention_mask")
_TOKENIZER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Padded tokens per run at most: past this, long texts batched together cost more CPU per text than
# alone (attention's memory grows with the square of the width; measured on NFCorpus abstracts).
TOKEN_BUDGET = 1024
_EXPORTING = threading.Lock()  # torch's exporter keeps global state: one export at a time
# Sessions side by side at most: each holds its own copy of the weights.
MAX_SESSIONS = 4


class SentenceEncoder(Protocol):
    """Unit-length sentence vectors for a list of texts."""

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """One unit-length float32 row per text."""
        ...


def _session(onnx_path: Path, threads: int | None, device: str = "cpu") -> Any:
    """An ONNX Runtime session of the graph at `onnx_path`: on the GPU `device` names (`cuda`,
    `cuda:N`) where ONNX Runtime has CUDA (the onnxruntime-gpu package), else on the CPU."""
    import onnxruntime

    providers: list[Any] = ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(device.partition(":")[2] or 0)}))
        else:
            logging.getLogger(__name__).warning(
                "%s: ONNX Runtime has no CUDA here (install onnxruntime-gpu): embedding on the CPU", device
            )

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: one per core
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads otherwise spin for a while after each run, burning the cores that the
    # database and the other requests need (a third of a 2-core machine's CPU while serving).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_path), options, providers=providers)


def session_layout(threads: int | None, device: str = "cpu") -> tuple[int, int]:
    """How many sessions run side by side, and how many threads each: with `threads` unset on the
    CPU, one single-threaded session per core (at most `MAX_SESSIONS`, the cores shared among them);
    otherwise one session of `threads` threads (0: one per core)."""
    if threads is not None or device != "cpu":
        return 1, threads or 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    sessions = max(1, min(cores, MAX_SESSIONS))
    return sessions, max(1, cores // sessions)


class Sessions:
    """ONNX Runtime sessions of one graph side by side, each run by a worker thread of its own.

    Texts are embedded one run after another, most of them alone (int8 models) or in small batches,
    and a run of one short text cannot keep several threads busy: on 2 cores, two single-threaded
    sessions embed 1.2x the chunks and 2.3x the entity names per second of one two-threaded session.
    They also share the cores gracefully with other work, where the threads of one session wait for
    each other at every operator."""

    def __init__(self, onnx_path: Path, threads: int | None, device: str = "cpu") -> None:
        count, per_session = session_layout(threads, device)
        self._sessions = [_session(onnx_path, per_session, device) for _ in range(count)]
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="onnx") if count > 1 else None
        self._local = threading.local()
        self._numbers = itertools.count()
        first = self._sessions[0]
        self.inputs = {node.name for node in first.get_inputs()}
        self.outputs = [node.name for node in first.get_outputs()]

    def __len__(self) -> int:
        return len(self._sessions)

    def map(
        self, work: Callable[[Any, _Item], np.ndarray], items: Sequence[_Item], cost: Sequence[int]
    ) -> list[np.ndarray]:
        """`work(session, item)` for each item, in order, the items shared among the sessions, the
        costliest first so that no session is left alone with a long one at the end."""
        if self._pool is None or len(items) < 2:
            return [work(self._sessions[0], item) for item in items]
        order = sorted(range(len(items)), key=lambda i: -cost[i])
        results: list[np.ndarray] = [np.zeros(0)] * len(items)
        for i, result in zip(order, self._pool.map(lambda i: work(self._own(), items[i]), order)):
            results[i] = result
        return results

    def _own(self) -> Any:
        """The session of the calling worker thread, one each."""
        number = getattr(self._local, "number", None)
        if number is None:
            number = self._local.number = next(self._numbers) % len(self._sessions)
        return self._sessions[number]


def _unit_rows(pooled: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit_rows: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit_rows


class OnnxSentenceEncoder:
    """Mean-pooled, L2-normalized sentence vectors from an ONNX export of a transformer."""

    def __init__(self, onnx_path: Path, tokenizer: Any, max_length: int, threads: int | None) -> None:
        self._sessions = Sessions(onnx_path, threads)
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
        # Similar lengths batched together waste little on padding. The tokenizer is called here,
        # in one thread: a fast tokenizer called with padding from several threads can fail.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        feeds = []
        for part in parts:
            tokens = self._tokenizer(
                [texts[i].strip() for i in part],
                padding=True,
                truncation=True,
                max_length=self._max_length,
                return_tensors="np",
            )
            feeds.append({name: tokens[name].astype(np.int64) for name in _INPUTS})
        pooled = self._sessions.map(_mean_pooled, feeds, [feed["input_ids"].size for feed in feeds])
        return _in_order(len(texts), parts, pooled)


def _mean_pooled(session: Any, feed: dict[str, np.ndarray]) -> np.ndarray:
    (hidden,) = session.run(None, feed)
    hidden = np.asarray(hidden, dtype=np.float32)
    mask = feed["attention_mask"][..., None].astype(np.float32)
    return _unit_rows((hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None))


def _in_order(count: int, parts: Sequence[Sequence[int]], rows: Sequence[np.ndarray]) -> np.ndarray:
    """The rows of each part put back at the positions the part lists."""
    if not rows:
        return np.zeros((count, 0), dtype=np.float32)
    vectors = np.zeros((count, rows[0].shape[1]), dtype=np.float32)
    for part, own in zip(parts, rows):
        vectors[list(part)] = own
    return vectors


class OnnxTokenizerEncoder:
    """CLS-pooled, L2-normalized sentence vectors from an ONNX transformer graph (outputs
    `last_hidden_state`) and its Hugging Face tokenizer.json, as bge models are pooled.

    With `batch_size` 1 (for a model with dynamically quantized activations, whose scale is taken over
    the whole batch), a text's vector does not depend on the texts embedded with it."""

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        *,
        max_length: int,
        threads: int | None,
        batch_size: int | None,
        device: str = "cpu",
    ) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        pad_id = tokenizer.token_to_id("[PAD]")
        if pad_id is None:
            raise ValueError(f"{tokenizer_path}: the tokenizer has no [PAD] token")
        self._tokenizer = tokenizer
        self._pad_id = pad_id
        self._batch_size = batch_size
        self._sessions = Sessions(onnx_path, threads, device)
        outputs = self._sessions.outputs
        self._output = "last_hidden_state" if "last_hidden_state" in outputs else outputs[0]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """One unit-length float32 row per text."""
        batch_size = min(batch_size, self._batch_size or batch_size)
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        # Batches of similar token counts waste little on padding.
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        parts = _token_batches(order, lengths, batch_size, TOKEN_BUDGET)

        def cls_pooled(session: Any, part: list[int]) -> np.ndarray:
            width = max(lengths[i] for i in part)
            columns = {name: np.zeros((len(part), width), dtype=np.int64) for name in _TOKENIZER_INPUTS}
            columns["input_ids"].fill(self._pad_id)
            for row, i in enumerate(part):
                encoding = encodings[i]
                columns["input_ids"][row, : lengths[i]] = encoding.ids
                columns["attention_mask"][row, : lengths[i]] = encoding.attention_mask
                columns["token_type_ids"][row, : lengths[i]] = encoding.type_ids
            feed = {name: column for name, column in columns.items() if name in self._sessions.inputs}
            (hidden,) = session.run([self._output], feed)
            return _unit_rows(np.asarray(hidden, dtype=np.float32)[:, 0])

        pooled = self._sessions.map(cls_pooled, parts, [len(part) * lengths[part[-1]] for part in parts])
        return _in_order(len(texts), parts, pooled)


def _token_batches(order: list[int], lengths: list[int], batch_size: int, budget: int) -> list[list[int]]:
    """`order` cut into batches of at most `batch_size` texts and, padded, at most `budget` tokens
    (a longer text alone)."""
    batches: list[list[int]] = []
    for i in order:  # by increasing length: the last text of a batch is its widest
        if batches and len(batches[-1]) < batch_size and (len(batches[-1]) + 1) * lengths[i] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


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
