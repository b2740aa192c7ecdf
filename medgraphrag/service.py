"""The service layer: one object that the CLI, the HTTP API and Python callers share."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from neo4j import Driver

from medgraphrag.embeddings import Embedder
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.inventory import label_counts, server_version
from medgraphrag.graph.model import DOCUMENT_TIERS
from medgraphrag.graph.schema import apply_schema
from medgraphrag.ingest.pipeline import IngestConfig, IngestReport, ProgressCallback, ingest_paths
from medgraphrag.retrieval.answer import extractive_answer
from medgraphrag.retrieval.evidence import Answer, citations_from_hits
from medgraphrag.retrieval.hybrid import search_chunks
from medgraphrag.settings import Settings, load_settings


class MedGraph:
    """medgraphrag over one Neo4j database: ingest documents, ask questions, inspect the graph.

    The driver and the embedding model are opened on first use and shared; the schema is applied
    once per instance before the first read or write.
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.settings = settings or load_settings()
        self._embedder = embedder
        self._driver: Driver | None = None
        self._schema_ready = False
        self._lock = threading.Lock()

    def __enter__(self) -> MedGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def database(self) -> str:
        """The Neo4j database in use (NEO4J_DATABASE)."""
        return self.settings.neo4j_database

    @property
    def driver(self) -> Driver:
        """The shared Neo4j driver, with the schema in place."""
        with self._lock:
            if self._driver is None:
                self._driver = open_driver(self.settings)
            if not self._schema_ready:
                apply_schema(self._driver, self.database, self.embedder.dimension)
                self._schema_ready = True
            return self._driver

    @property
    def embedder(self) -> Embedder:
        """The embedding model of the settings, loaded once."""
        if self._embedder is None:
            self._embedder = Embedder.from_settings(self.settings)
        return self._embedder

    def ingest(
        self, paths: Iterable[Path | str], *, tier: str = "user", on_progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Ingest .txt and .md files (folders recursively) into `tier`; unchanged files are skipped."""
        if tier not in DOCUMENT_TIERS:
            raise ValueError(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {tier!r}")
        config = IngestConfig(
            tier=tier, chunk_tokens=self.settings.chunk_tokens, batch_documents=self.settings.ingest_batch_documents
        )
        return ingest_paths(
            paths, config, driver=self.driver, database=self.database, embedder=self.embedder,
            on_progress=on_progress,
        )

    def query(self, question: str, *, k: int = 5, tier: str | None = None) -> Answer:
        """Answer `question` from the `k` best chunks, every claim cited to a document span."""
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        if tier is not None and tier not in DOCUMENT_TIERS:
            raise ValueError(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {tier!r}")
        vector = self.embedder.embed([question])[0]
        hits = search_chunks(self.driver, self.database, question=question, embedding=vector, k=k, tier=tier)
        return extractive_answer(question, vector, citations_from_hits(hits), self.embedder)

    def health(self) -> dict[str, object]:
        """Neo4j version and node counts by label; raises if Neo4j does not answer."""
        version, edition = server_version(self.driver, self.database)
        return {"neo4j": version, "edition": edition, "database": self.database,
                "counts": label_counts(self.driver, self.database)}

    def close(self) -> None:
        """Close the Neo4j driver."""
        with self._lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None
