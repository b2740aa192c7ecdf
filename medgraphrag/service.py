"""The service layer: one object that the CLI, the HTTP API and Python callers share."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from neo4j import Driver

from medgraphrag.cypher.runner import CypherResult, run_read_only
from medgraphrag.cypher.saved import SavedQuery, saved_queries, saved_query
from medgraphrag.embeddings import Embedder
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.documents import Deletion, delete_documents, document_detail, list_documents
from medgraphrag.graph.inventory import concept_detail, label_counts, server_version, vocabulary_status
from medgraphrag.graph.model import DOCUMENT_TIERS
from medgraphrag.graph.schema import apply_schema, schema_objects
from medgraphrag.graph.tag_tree import TagTree, attach_tags, rebuild_tags
from medgraphrag.graph.vocab import snomed, umls
from medgraphrag.graph.vocab.lexicon import load_lexicon, vocabulary_signature
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, SOURCE_ORDER, read_open_vocabulary
from medgraphrag.graph.vocab.snomed import read_snomed
from medgraphrag.graph.vocab.umls import UmlsOptions, UmlsRelease
from medgraphrag.graph.vocab.writer import VocabularyLoad, write_vocabulary
from medgraphrag.ingest.extraction import VocabularyRuler
from medgraphrag.ingest.linking import ConceptLinker, ConceptMatch
from medgraphrag.ingest.llm_construction import LLMConstruction
from medgraphrag.ingest.pipeline import Construction, IngestConfig, IngestReport, ingest_paths
from medgraphrag.llm import ChatModel, answer_model, construction_model
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.retrieval.answer import extractive_answer
from medgraphrag.retrieval.evidence import Answer, Evidence, Trace, citations_from_hits, trace_of
from medgraphrag.retrieval.evidence_graph import EvidenceGraph, evidence_graph, render_html
from medgraphrag.retrieval.hybrid import SEARCH_MODES, ChunkHit, search_chunks
from medgraphrag.retrieval.llm_answer import llm_answer_events, question_terms
from medgraphrag.retrieval.ranking import CrossEncoderReranker
from medgraphrag.retrieval.u_retrieve import Retrieval, URetrieveConfig, question_concepts, u_retrieve
from medgraphrag.settings import Settings, load_settings

U_RETRIEVE = "u-retrieve"
MODES: tuple[str, ...] = (U_RETRIEVE, *SEARCH_MODES)


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
        self._embedder_lock = threading.Lock()
        self._ruler: tuple[str, VocabularyRuler] | None = None
        self._cross_encoder: CrossEncoderReranker | None = None

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
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = Embedder.from_settings(self.settings)
            return self._embedder

    def ingest(
        self, paths: Iterable[Path | str], *, tier: str = "user", on_progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Ingest documents (.txt, .md, .html, .pdf, .jsonl, MedQuAD .xml, PubMedQA .json; folders
        recursively) into `tier`: chunks, meta-graphs, entities linked to the vocabulary, relations,
        links between tiers and tags for the new meta-graphs. Unchanged documents are skipped."""
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
            report = ingest_paths(
                paths, config, driver=self.driver, database=self.database, embedder=self.embedder,
                construction=construction, on_progress=on_progress,
            )
            if report.documents_written:
                clock = time.perf_counter()
                report.tags_attached = attach_tags(self.driver, self.database, on_progress=on_progress,
                                                   summarizer=construction.llm, **self._tag_options())
                report.timed("tags", time.perf_counter() - clock)
                report.seconds += report.stage_seconds["tags"]
        finally:
            if model is not None:
                model.close()
        return report

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
        """Replace the tag tree by one built from every meta-graph now (paper 2.2); with a
        construction LLM, the LLM writes the tags' summaries."""
        model = construction_model(self.settings)
        try:
            return rebuild_tags(self.driver, self.database, on_progress=on_progress,
                                summarizer=LLMConstruction(model) if model else None, **self._tag_options())
        finally:
            if model is not None:
                model.close()

    def _tag_options(self) -> dict[str, Any]:
        return {"dimension": self.embedder.dimension, "top_fraction": self.settings.tag_top_fraction,
                "delta": self.settings.tag_merge_threshold, "max_layers": self.settings.tag_max_layers}

    def _vocabulary_ruler(self) -> tuple[str, VocabularyRuler]:
        signature = vocabulary_signature(self.driver, self.database)
        if self._ruler is None or self._ruler[0] != signature:
            self._ruler = (signature, VocabularyRuler(load_lexicon(self.driver, self.database)))
        return self._ruler

    @staticmethod
    def _check_tier(tier: str) -> None:
        if tier not in DOCUMENT_TIERS:
            raise ValueError(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {tier!r}")

    def search(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "u-retrieve") -> list[ChunkHit]:
        """The `k` best chunks for `question` by `mode`: u-retrieve, hybrid, vector or fulltext."""
        question, vector = self._question(question, tier, mode)
        if mode == U_RETRIEVE:
            return self._u_retrieve(question, vector, k=k, tier=tier, model=None).hits
        return search_chunks(self.driver, self.database, question=question, embedding=vector, k=k, tier=tier,
                             mode=mode)

    def retrieve(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "u-retrieve") -> Evidence:
        """The numbered evidence for `question` (the `k` best chunks found by `mode` and, by
        u-retrieve, the definitions of the concepts it gathered) with its trace; no answer."""
        events = self.query_events(question, k=k, tier=tier, mode=mode, answer=False)
        try:
            evidence = next(events)
        finally:
            events.close()
        assert isinstance(evidence, Evidence)
        return evidence

    def query(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "u-retrieve") -> Answer:
        """Answer `question` from the evidence `retrieve` finds: every claim cites numbered
        evidence, and the answer carries its trace. With an answer LLM the answer is written,
        refined with the route's tag summaries and validated; offline it is extractive."""
        *_, answer = self.query_events(question, k=k, tier=tier, mode=mode)
        assert isinstance(answer, Answer)
        return answer

    def query_events(self, question: str, *, k: int = 5, tier: str | None = None, mode: str = "u-retrieve",
                     answer: bool = True) -> Iterator[Evidence | str | Answer]:
        """The evidence as soon as it is found, then (unless `answer` is false) the pieces of the
        answer's text as an answer LLM generates them, and the answer."""
        question, vector = self._question(question, tier, mode)
        model = answer_model(self.settings)
        try:
            if mode == U_RETRIEVE:
                retrieval = self._u_retrieve(question, vector, k=k, tier=tier, model=model)
                hits, trace = retrieval.hits, trace_of(retrieval)
                concepts = retrieval.concepts[: self.settings.u_concept_evidence]
                route = retrieval.route
                # Bottom-up refinement climbs the path from the chosen leaf, nearest ancestor first.
                summaries = [] if route.fallback else [s.summary for s in reversed(route.path[:-1])]
                summaries = summaries[: self.settings.u_levels - 1]
            else:
                started = time.perf_counter()
                hits = search_chunks(self.driver, self.database, question=question, embedding=vector, k=k,
                                     tier=tier, mode=mode)
                trace = Trace(mode=mode, timings_ms={"search": round(1000 * (time.perf_counter() - started), 2)})
                concepts, summaries = [], []
            evidence = Evidence(question=question, citations=citations_from_hits(hits, concepts), trace=trace)
            yield evidence
            if not answer:
                return
            if model is None or not evidence.citations:
                yield extractive_answer(question, vector, evidence.citations, self.embedder, trace)
            else:
                yield from llm_answer_events(model, question, evidence.citations, trace, summaries)
        finally:
            if model is not None:
                model.close()

    def _u_retrieve(self, question: str, vector: np.ndarray, *, k: int, tier: str | None,
                    model: ChatModel | None) -> Retrieval:
        _, ruler = self._vocabulary_ruler()
        concepts = question_concepts(question, ruler)
        if model is not None:
            terms = question_terms(model, question)
            concepts = list(dict.fromkeys(concepts + question_concepts(". ".join(terms), ruler)))
        return u_retrieve(self.driver, self.database, question=question, vector=vector, concept_ids=concepts, k=k,
                          tier=tier, config=self._u_config, reranker=self._reranker())

    @property
    def _u_config(self) -> URetrieveConfig:
        s = self.settings
        return URetrieveConfig(beam=s.u_beam, entities=s.u_entities, neighbours=s.u_neighbours,
                               expand_degree=s.u_expand_degree,
                               fallback_threshold=s.u_fallback_threshold, candidates=s.u_candidates,
                               mmr_penalty=s.mmr_penalty, rerank_depth=s.rerank_depth)

    def _reranker(self) -> CrossEncoderReranker | None:
        if self.settings.rerank_model is None:
            return None
        with self._lock:
            if self._cross_encoder is None:
                self._cross_encoder = CrossEncoderReranker(self.settings.rerank_model,
                                                           device=self.settings.embedding_device)
            return self._cross_encoder

    def _question(self, question: str, tier: str | None, mode: str) -> tuple[str, np.ndarray]:
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if tier is not None:
            self._check_tier(tier)
        return question, self.embedder.embed_one(question)

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
                UmlsRelease(Path(path), UmlsOptions(sources=frozenset(umls_sources) if umls_sources else None),
                            on_progress=notify)
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

    def schema_status(self) -> list[dict[str, object]]:
        """Every index and constraint of the schema with its state (ONLINE when usable)."""
        return schema_objects(self.driver, self.database)

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

    def evidence_graph(self, answer: Answer) -> EvidenceGraph:
        """The graph of an answer's evidence: the question, cited chunks, the entities they mention
        that retrieval found, their concepts and the tier links among them."""
        return evidence_graph(self.driver, self.database, answer)

    def evidence_graph_html(self, answer: Answer) -> str:
        """The evidence graph of an answer as a self-contained interactive HTML page."""
        return render_html(self.evidence_graph(answer), title=f"Evidence: {answer.question}")

    def saved_queries(self) -> list[SavedQuery]:
        """The saved exploration queries (cypher/queries), by name, with their parameters."""
        return saved_queries()

    def run_cypher(self, query: str, parameters: dict[str, object] | None = None) -> CypherResult:
        """Run user-written Cypher read-only, stopped after MEDGRAPH_CYPHER_TIMEOUT_S and cut at
        MEDGRAPH_CYPHER_MAX_ROWS rows; `CypherError` says why a query was refused or failed."""
        return run_read_only(self.driver, self.database, query, parameters,
                             timeout_s=self.settings.cypher_timeout_s, max_rows=self.settings.cypher_max_rows)

    def run_saved_query(self, name: str, parameters: dict[str, object] | None = None) -> CypherResult:
        """Run the saved query `name`; `parameters` may be strings (`limit="10"`), converted to the
        declared types, and omitted ones take their defaults."""
        query = saved_query(name)
        return self.run_cypher(query.text, query.bind(parameters or {}))
