"""The embedding model: ONNX Runtime agrees with torch, its export is cached, and concurrent
single-text requests are batched without mixing up whose vector is whose."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from medgraphrag.models.embeddings import Embedder

TEXTS = [
    "heart attack",
    "  What are the treatments for type 2 diabetes, and how does metformin affect the kidneys?  ",
    "troponin " * 400,  # longer than the model's 256 tokens: truncated alike
    "",
    "Is metformin safe in pregnancy?",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder("all-MiniLM-L6-v2")  # no cache folder: torch only


def test_onnx_vectors_equal_torch_vectors(embedder: Embedder, torch_embedder: Embedder) -> None:
    assert embedder._onnx is not None, "the bundled model should run on ONNX Runtime"
    assert torch_embedder._onnx is None
    onnx, torch = embedder.embed(TEXTS), torch_embedder.embed(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384) and onnx.dtype == np.float32
    assert np.abs(onnx - torch).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    # Batches sorted by length come back in the caller's order.
    assert np.abs(embedder.embed(TEXTS[::-1]) - onnx[::-1]).max() < 1e-6


def test_the_export_is_made_once_per_cache_folder(tmp_path: Path) -> None:
    first = Embedder("all-MiniLM-L6-v2", cache_dir=tmp_path)
    (export,) = tmp_path.glob("*.onnx")
    stamp = export.stat().st_mtime_ns
    second = Embedder("all-MiniLM-L6-v2", cache_dir=tmp_path)
    assert list(tmp_path.glob("*.onnx")) == [export] and export.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("tmp*")), "no half-written export is left behind"
    assert np.abs(first.embed(TEXTS) - second.embed(TEXTS)).max() == 0.0


def test_concurrent_single_texts_each_get_their_own_vector(embedder: Embedder) -> None:
    texts = [f"question {i} about {'asthma' if i % 2 else 'gout'} and dose {i * 7}" for i in range(24)]
    expected = embedder.embed(texts)
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(texts))

    def ask(i: int) -> None:
        start.wait()
        results[i] = embedder.embed_one(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, vector in results.items():
        assert np.abs(vector - expected[i]).max() < 1e-5, texts[i]
    assert len(results) == len(texts)


def test_an_unwritable_cache_folder_falls_back_to_torch(tmp_path: Path, torch_embedder: Embedder) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    embedder = Embedder("all-MiniLM-L6-v2", cache_dir=blocker / "models")
    assert embedder._onnx is None
    assert np.abs(embedder.embed(TEXTS) - torch_embedder.embed(TEXTS)).max() == 0.0


def test_an_idle_embedder_leaves_the_cores_to_others(embedder: Embedder) -> None:
    # ONNX Runtime's worker threads spin after each run unless told not to; on a small machine
    # serving questions that took a core from the database between requests.
    assert embedder._onnx is not None
    embedder.embed_query("warm up")
    busy = 0.0
    for i in range(10):
        embedder.embed_query(f"chest pain {i}")
        started = time.process_time()
        time.sleep(0.02)
        busy += time.process_time() - started
    assert busy / 10 < 0.005, f"{1000 * busy / 10:.1f} ms of CPU in each 20 ms idle"
