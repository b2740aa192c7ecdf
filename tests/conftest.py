"""Shared fixtures: a real Neo4j for the session, a clean graph for every test that uses it.

Neo4j comes from, in order: NEO4J_URI (and NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE) if
set; testcontainers where a Docker engine runs; else the embedded server of `neo4j-local/`, started
on a free port with its data in a temporary folder and stopped when the session ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.server import docker_engine, project_root, scratch_local_server
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.models.embeddings import Embedder, model_cache_dir
from medgraphrag.service import MedGraph
from tests.openai_server import openai_server  # noqa: F401  (a fixture: a local OpenAI-protocol server)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The suite's graphs are embedded with all-MiniLM-L6-v2 (the `embedder` fixture), and a `medgraph`
# process it starts must embed questions with the same model; the default model (bge-small-en-v1.5-q)
# has its own tests (test_embeddings_bge.py).
os.environ["MEDGRAPH_EMBEDDING_MODEL"] = "all-MiniLM-L6-v2"
TEST_PASSWORD = "medgraph-test-pw"
REPO = project_root()


def make_settings(**groups: dict[str, object]) -> Settings:
    """Settings that ignore any `.env` of the developer running the tests, with values per group:
    `make_settings(neo4j={"uri": ...}, paths={"data_dir": ...})`."""
    return load_settings(env_file=None, **groups)


def neo4j_env(settings: Settings) -> dict[str, str]:
    """The environment variables that point a `medgraph` process at the Neo4j of `settings`, with
    the embedding model of the suite's graphs."""
    neo4j = settings.neo4j
    return {
        "MEDGRAPH_EMBEDDING_MODEL": os.environ["MEDGRAPH_EMBEDDING_MODEL"],
        "NEO4J_URI": neo4j.uri,
        "NEO4J_USERNAME": neo4j.username,
        "NEO4J_PASSWORD": neo4j.password.get_secret_value(),
        "NEO4J_DATABASE": neo4j.database,
    }


def serve(
    env: dict[str, str],
    cwd: Path,
    *,
    port: int,
    workers: int = 1,
    host: str | None = None,
    stderr: int | None = subprocess.DEVNULL,
) -> subprocess.Popen[str]:
    """`medgraph serve` in its own process, with `env` added to this one's environment."""
    command = [sys.executable, "-m", "medgraphrag", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(
        command + (["--host", host] if host else []),
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at the session's Neo4j."""
    data_dir = tmp_path_factory.mktemp("medgraph")
    if os.environ.get("NEO4J_URI"):
        yield make_settings(paths={"data_dir": data_dir})
        return
    if docker_engine():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community", password=TEST_PASSWORD) as container:
            yield make_settings(
                neo4j={"uri": container.get_connection_url(), "password": TEST_PASSWORD}, paths={"data_dir": data_dir}
            )
        return
    with scratch_local_server(TEST_PASSWORD) as uri:
        yield make_settings(neo4j={"uri": uri, "password": TEST_PASSWORD}, paths={"data_dir": data_dir})


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedding model, loaded once."""
    return Embedder("all-MiniLM-L6-v2", cache_dir=model_cache_dir())


@pytest.fixture
def driver(neo4j_settings: Settings) -> Iterator[Driver]:
    """A driver on a graph emptied of all nodes (the schema stays)."""
    driver = open_driver(neo4j_settings.neo4j)
    with driver.session(database=neo4j_settings.neo4j.database) as session:
        session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    yield driver
    driver.close()


@pytest.fixture
def service(neo4j_settings: Settings, driver: Driver, embedder: Embedder) -> Iterator[MedGraph]:
    """The service layer on a clean graph."""
    with MedGraph(neo4j_settings, embedder=embedder) as medgraph:
        yield medgraph


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus: two notes and one reference text in a folder tree."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mi.md").write_text(
        "# Chest pain\n\nCrushing chest pain radiating to the left arm.\n\n"
        "ECG shows ST elevation in II, III and aVF. Troponin is raised.\n",
        encoding="utf-8",
    )
    (tmp_path / "notes" / "pneumonia.txt").write_text(
        "Productive cough and fever for five days. Chest X-ray: right lower lobe consolidation.\n"
        "Plan: amoxicillin for community-acquired pneumonia.\n",
        encoding="utf-8",
    )
    (tmp_path / "reference.md").write_text(
        "# Metformin\n\nMetformin is first-line drug therapy for type 2 diabetes. "
        "It lowers hepatic glucose production and rarely causes hypoglycemia.\n",
        encoding="utf-8",
    )
    return tmp_path


# A small clinical vocabulary: concepts with CUIs, synonyms and types, a CONCEPT_REL and an IS_A.
CLINICAL_CONCEPTS = [
    ConceptRecord(
        "C0032285",
        "Pneumonia",
        cui="C0032285",
        synonyms=["lung infection"],
        semantic_types=["T047:Disease or Syndrome"],
        sources=["test"],
    ),
    ConceptRecord(
        "C0027051",
        "Myocardial infarction",
        cui="C0027051",
        synonyms=["heart attack"],
        semantic_types=["T047:Disease or Syndrome"],
        sources=["test"],
    ),
    ConceptRecord("C0008031", "Chest pain", cui="C0008031", semantic_types=["T184:Sign or Symptom"], sources=["test"]),
    ConceptRecord("C0015967", "Fever", cui="C0015967", semantic_types=["T184:Sign or Symptom"], sources=["test"]),
    ConceptRecord("C0010200", "Cough", cui="C0010200", semantic_types=["T184:Sign or Symptom"], sources=["test"]),
    ConceptRecord("C0002645", "Amoxicillin", cui="C0002645", semantic_types=["T195:Antibiotic"], sources=["test"]),
    ConceptRecord(
        "C0011860",
        "Type 2 diabetes mellitus",
        cui="C0011860",
        synonyms=["type 2 diabetes"],
        semantic_types=["T047:Disease or Syndrome"],
        sources=["test"],
    ),
    ConceptRecord(
        "C0025598", "Metformin", cui="C0025598", semantic_types=["T121:Pharmacologic Substance"], sources=["test"]
    ),
    ConceptRecord(
        "C0020615", "Hypoglycemia", cui="C0020615", semantic_types=["T047:Disease or Syndrome"], sources=["test"]
    ),
    ConceptRecord(
        "C0155626",
        "Acute myocardial infarction",
        cui="C0155626",
        semantic_types=["T047:Disease or Syndrome"],
        sources=["test"],
    ),
    ConceptRecord(
        "C0018802",
        "Congestive heart failure",
        cui="C0018802",
        semantic_types=["T047:Disease or Syndrome"],
        sources=["test"],
    ),
]
CLINICAL_RELATIONS = [
    ConceptRelation("C0002645", "C0032285", "CONCEPT_REL", "test", "RO", "may_treat"),
    ConceptRelation("C0155626", "C0027051", "IS_A", "test"),
]


@pytest.fixture
def clinical_vocabulary(service: MedGraph) -> None:
    """A small clinical vocabulary in tier 3."""
    service.store.vocabulary.write(
        versions={"test": "1"}, concepts=CLINICAL_CONCEPTS, relations=CLINICAL_RELATIONS, skipped=SkipCounter()
    )
