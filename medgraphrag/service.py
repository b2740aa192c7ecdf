"""The service layer: one object that the CLI, the HTTP API and Python callers share."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from neo4j import Driver

from medgraphrag.embeddings import Embedder
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.documents import Deletion, delete_documents, document_detail, list_documents
from medgraphrag.graph.inventory import concept_detail, label_counts, server_version, vocabulary_status
from medgraphrag.graph.model import DOCUMENT_TIERS
from medgraphrag.graph.schema import apply_schema
from medgraphrag.graph.tag_tree import TagTree, rebuild_tags
from medgraphrag.graph.vocab import snomed, umls
from medgraphrag.graph.vocab.lexicon import load_lexicon, vocabulary_signature
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, SOURCE_ORDER, read_open_vocabulary
from medgraphrag.graph.vocab.snomed import read_snomed
from medgraphrag.graph.vocab.umls import UmlsOptions, read_umls
from medgraphrag.graph.vocab.writer import VocabularyLoad, write_vocabulary
from medgraphrag.ingest.extraction import VocabularyRuler
from medgraphrag.ingest.linking import ConceptLinker, ConceptMatch
from medgraphrag.ingest.llm_construction import LLMConstruction
from medgraphrag.ingest.pipeline import Construction, IngestConfig, IngestReport, ingest_paths
from medgraphrag.llm import construction_model
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.retrieval.answer import extractive_answer
from medgraphrag.retrieval.evidence import Answer, citations_from_hits
from medgraphrag.retrieval.hybrid import ChunkHit, search_chunks
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
        self._ruler: tuple[str, VocabularyRuler] | None = None

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
        """Ingest documents (.txt, .md, .html, .pdf, .jsonl, MedQuAD .xml, PubMedQA .json; folders
        recursively) into `tier`: chunks, meta-graphs, entities linked to the vocabulary, relations
        and links between tiers. Unchanged documents are skipped."""
        self._check_tier(tier)
        config = IngestConfig(
            tier=tier, chunk_tokens=self.settings.chunk_tokens, batch_documents=self.settings.ingest_batch_documents,
            topic_threshold=self.settings.chunk_topic_threshold,
            reference_threshold=self.settings.reference_link_threshold,
        )
        model = construction_model(self.settings)
        signature, ruler = self._vocabulary_ruler()
        construction = Construction(
            ruler=ruler, vocabulary=signature, llm=LLMConstruction(model) if model else None,
            linker=ConceptLinker(self.driver, self.database, self.embedder) if model else None,
        )
        try:
            return ingest_paths(
                paths, config, driver=self.driver, database=self.database, embedder=self.embedder,
                construction=construction, on_progress=on_progress,
            )
        finally:
            if model is not None:
                model.close()

    def documents(self, *, tier: str | None = None, skip: int = 0, limit: int = 100) -> list[dict[str, object]]:
        """Stored documents, by source: id, tier, title, source, external id, chunks, ingest time."""
        if tier is not None:
            self._check_tier(tier)
        return list_documents(self.driver, self.database, tier=tier, skip=skip, limit=limit)

    def document(self, doc_id: str) -> dict[str, object] | None:
        """A document with its entities, their concepts and links to the other tier; None if unknown."""
        return document_detail(self.driver, self.database, doc_id)

    def delete_documents(self, doc_ids: Sequence[str]) -> Deletion:
        """Delete documents and whatever only they supported; shared entities keep their other
        provenance. Unknown ids are ignored (the result counts what was deleted)."""
        return delete_documents(self.driver, self.database, doc_ids)

    def rebuild_tags(self, *, on_progress: ProgressCallback | None = None) -> TagTree:
        """Replace the tag tree by one built from every meta-graph now (paper 2.2)."""
        return rebuild_tags(
            self.driver, self.database, dimension=self.embedder.dimension, top_fraction=self.settings.tag_top_fraction,
            delta=self.settings.tag_merge_threshold, max_layers=self.settings.tag_max_layers, on_progress=on_progress,
        )

    def _vocabulary_ruler(self) -> tuple[str, VocabularyRuler]:
        signature = vocabulary_signature(self.driver, self.database)
        if self._ruler is None or self._ruler[0] != signature:
            self._ruler = (signature, VocabularyRuler(load_lexicon(self.driver, self.database)))
        return self._ruler

    @staticmethod
    def _check_tier(tier: str) -> None:
        if tier not in DOCUMENT_TIERS:
            raise ValueError(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {tier!r}")

    def search(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "hybrid") -> list[ChunkHit]:
        """The `k` best chunks for `question` by `mode`: hybrid, vector or fulltext."""
        question, vector = self._question(question, tier)
        return search_chunks(self.driver, self.database, question=question, embedding=vector, k=k, tier=tier,
                             mode=mode)

    def query(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "hybrid") -> Answer:
        """Answer `question` from the `k` best chunks (found by `mode`), every claim cited to a span."""
        question, vector = self._question(question, tier)
        hits = search_chunks(self.driver, self.database, question=question, embedding=vector, k=k, tier=tier,
                             mode=mode)
        return extractive_answer(question, vector, citations_from_hits(hits), self.embedder)

    def _question(self, question: str, tier: str | None) -> tuple[str, np.ndarray]:
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        if tier is not None:
            self._check_tier(tier)
        return question, self.embedder.embed([question])[0]

    def search_concepts(self, text: str, *, semantic_type: str | None = None, k: int = 10) -> list[ConceptMatch]:
        """Vocabulary concepts for a text span, best first, each with its score and match method."""
        if not text.strip():
            raise ValueError("the text to link is empty")
        return ConceptLinker(self.driver, self.database, self.embedder).link(text, semantic_type, k=k)

    def concept(self, concept_id: str) -> dict[str, object] | None:
        """A concept with names, cross-references, definition, parents and children; None if unknown."""
        return concept_detail(self.driver, self.database, concept_id)

    def load_vocabulary(
        self, kind: str, path: Path | str | None = None, *, umls_sources: Sequence[str] | None = None,
        open_sources: Sequence[str] | None = None, on_progress: ProgressCallback | None = None,
    ) -> VocabularyLoad:
        """Load a vocabulary into tier 3: `umls` (a META folder, optionally only `umls_sources`),
        `snomed` (an RF2 Snapshot folder) or `open` (HPO, Disease Ontology, MONDO, ICD-10-CM, MeSH,
        or only `open_sources` of them; `path` is the open data folder)."""
        notify = on_progress or ignore_progress
        notify(ProgressEvent("read", 0, 1))
        if kind == "open":
            vocabulary = read_open_vocabulary(
                Path(path) if path else self.settings.vocab_dir or DEFAULT_VOCAB_DIR,
                sources=open_sources or SOURCE_ORDER,
            )
            concepts, relations, skipped = vocabulary.concepts, vocabulary.relations, vocabulary.skipped
            versions: dict[str, str | None] = dict(vocabulary.versions)
        elif kind in ("umls", "snomed"):
            if path is None:
                raise ValueError(f"{kind} needs the folder of its release files")
            release = (
                read_umls(Path(path), UmlsOptions(sources=frozenset(umls_sources) if umls_sources else None))
                if kind == "umls"
                else read_snomed(Path(path))
            )
            concepts, relations, skipped = release.concepts, release.relations, release.skipped
            versions = {umls.SOURCE if kind == "umls" else snomed.SOURCE: release.version}
        else:
            raise ValueError(f"vocabulary must be one of umls, snomed, open; got {kind!r}")
        notify(ProgressEvent("read", 1, 1))
        return write_vocabulary(self.driver, self.database, versions=versions, concepts=concepts,
                                relations=relations, skipped=skipped, on_progress=notify)

    def vocabularies(self) -> list[dict[str, object]]:
        """Per loaded vocabulary source: version, load time, concepts and relations."""
        return vocabulary_status(self.driver, self.database)

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
