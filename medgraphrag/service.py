"""The service: one object that the CLI, the HTTP API and Python callers share.

It holds the settings, the graph store and the models, and wires the pipelines to them: every
surface calls these methods and nothing below them. Errors are `MedGraphError`s.
"""

from __future__ import annotations

import functools
import logging
import shlex
import shutil
import threading
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from medgraphrag.core.errors import InvalidRequest, LLMError, NotFound
from medgraphrag.core.ids import DOCUMENT_TIERS, DocumentTier
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.graph.bulk_import import (
    BulkLoad,
    import_command,
    import_local,
    own_server_admin,
    refuse_occupied,
    run_import,
)
from medgraphrag.graph.documents import Deletion, DocumentDetail, DocumentMention, DocumentSummary, DocumentText
from medgraphrag.graph.exploration import CypherResult
from medgraphrag.graph.import_csv import write_import_files
from medgraphrag.graph.inventory import GraphStatus
from medgraphrag.graph.saved_queries import SavedQuery, saved_queries, saved_query
from medgraphrag.graph.schema import SchemaIndex, apply_schema, stored_dimension
from medgraphrag.graph.search import ChunkHit
from medgraphrag.graph.server import LocalNeo4j, answers, local_home, local_managed
from medgraphrag.graph.server import down as server_down
from medgraphrag.graph.server import up as server_up
from medgraphrag.graph.store import GraphStore
from medgraphrag.graph.vocab import snomed, umls
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, SOURCE_ORDER, read_open_vocabulary
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.graph.vocab.snomed import read_snomed
from medgraphrag.graph.vocab.umls import UmlsOptions, UmlsRelease
from medgraphrag.graph.vocabulary import ConceptDetail, VocabularyLoad, VocabularySourceStatus
from medgraphrag.ingest import stages
from medgraphrag.ingest.construction import OnError
from medgraphrag.ingest.distributed import RayIngest
from medgraphrag.ingest.linking import ConceptLinker, ConceptMatch
from medgraphrag.ingest.pipeline import IngestPipeline, IngestReport
from medgraphrag.ingest.tags import TagTree, rebuild_tags
from medgraphrag.models.embeddings import Embedder, model_dimension, model_name
from medgraphrag.models.llm import ChatModel, answer_model, construction_model
from medgraphrag.nlp.lexicon import build_lexicon
from medgraphrag.nlp.ruler import VocabularyRuler, question_concepts
from medgraphrag.retrieval.answer import extractive_answer
from medgraphrag.retrieval.evidence import Answer, Evidence, citations_from_hits
from medgraphrag.retrieval.evidence_graph import EvidenceGraph, evidence_graph
from medgraphrag.retrieval.llm_answer import llm_answer_events, question_terms
from medgraphrag.retrieval.ranking import CrossEncoderReranker
from medgraphrag.retrieval.retriever import MODES, Mode, Query, Retrieval, Retriever
from medgraphrag.retrieval.search import ChunkSearch
from medgraphrag.retrieval.u_retrieve import URetriever
from medgraphrag.web.evidence_page import render_html

VOCABULARY_KINDS = ("umls", "snomed", "open")
# Building the indexes of a full UMLS release after a bulk import takes minutes.
BULK_INDEX_TIMEOUT_S = 3600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VocabularyStreams:
    """A vocabulary release as a reader gives it: per source its version, the concept and relation
    streams, and the rows skipped (complete once both streams are consumed)."""

    versions: dict[str, str | None]
    concepts: Iterable[ConceptRecord]
    relations: Iterable[ConceptRelation]
    skipped: SkipCounter


class MedGraph:
    """medgraphrag over one Neo4j database: ingest documents, ask questions, inspect the graph.

    The graph store and the embedding model are opened on first use and shared; the schema is
    applied once per instance, before the first read or write, without loading the model when its
    files say its dimension.
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.settings = settings or load_settings()
        self._embedder = embedder
        self._store: GraphStore | None = None
        self._lock = threading.Lock()
        self._embedder_lock = threading.Lock()
        self._ruler: tuple[str, VocabularyRuler] | None = None
        self._retrievers: dict[Mode, Retriever] | None = None

    def __enter__(self) -> MedGraph:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def database(self) -> str:
        """The Neo4j database in use (NEO4J_DATABASE)."""
        return self.settings.neo4j.database

    @property
    def store(self) -> GraphStore:
        """The graph store, with the schema in place."""
        with self._lock:
            if self._store is None:
                store = GraphStore.connect(self.settings.neo4j)
                try:
                    store.apply_schema(self._dimension(store), model=self._model_name())
                except BaseException:
                    store.close()
                    raise
                self._store = store
            return self._store

    @property
    def embedder(self) -> Embedder:
        """The embedding model of the settings, loaded once."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = Embedder.from_settings(self.settings.embedding)
            return self._embedder

    def close(self) -> None:
        """Close the graph store."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # Documents

    def ingest(
        self,
        paths: Iterable[Path | str],
        *,
        tier: DocumentTier = "user",
        on_progress: ProgressCallback | None = None,
        on_error: OnError = OnError.SKIP,
        names: Mapping[Path, str] | None = None,
        ray: str | None = None,
        workers: int | None = None,
    ) -> IngestReport:
        """Ingest documents (.txt, .md, .html, .pdf, .jsonl, MedQuAD .xml, PubMedQA .json; folders
        recursively) into `tier`: chunks, meta-graphs, entities linked to the vocabulary, relations,
        links between tiers and tags for the new meta-graphs. Unchanged documents are skipped; a
        document that cannot be built is reported and, by `on_error`, skipped or fatal. `names`
        gives files a stable source name (their identity) in place of their path. With `ray` (a
        cluster address, `auto` for the one running here, `local` to start one) the building is
        spread over `workers` Ray workers (default: one per CPU); the graph is the same."""
        self._check_tier(tier)
        model = construction_model(self.settings.llm, self.settings.paths)
        try:
            pipeline = self._pipeline(tier, on_error, on_progress, model)
            if ray is None:
                return pipeline.run(paths, names)
            gpus = 1.0 if self.settings.embedding.device.startswith("cuda") else 0.0
            distributed = RayIngest(
                pipeline,
                functools.partial(worker_pipeline, self.settings, tier, on_error),
                address=ray,
                workers=workers,
                files_per_task=self.settings.ingest.ray_files_per_task,
                gpus_per_worker=gpus,
            )
            return distributed.run(paths, names)
        finally:
            if model is not None:
                model.close()

    def _pipeline(
        self,
        tier: DocumentTier,
        on_error: OnError,
        on_progress: ProgressCallback | None,
        model: ChatModel | None,
    ) -> IngestPipeline:
        """The ingest pipeline of this service's settings into `tier`."""
        store, embedder = self.store, self.embedder
        signature, ruler = self._vocabulary_ruler()
        construction = stages.construction(
            store.vocabulary, embedder, self.settings.ingest, ruler=ruler, signature=signature, model=model
        )
        return IngestPipeline(
            store,
            embedder,
            construction,
            self.settings.ingest,
            self.settings.tags,
            tier=tier,
            on_error=on_error,
            on_progress=on_progress,
        )

    def documents(self, *, tier: DocumentTier | None = None, skip: int = 0, limit: int = 100) -> list[DocumentSummary]:
        """Stored documents, by source: id, tier, title, source, external id, chunks, ingest time."""
        if tier is not None:
            self._check_tier(tier)
        return self.store.documents.summaries(tier=tier, skip=skip, limit=limit)

    def document(self, doc_id: str) -> DocumentDetail:
        """A document with its entities, their concepts and links to the other tier; `NotFound`."""
        detail = self.store.documents.detail(doc_id)
        if detail is None:
            raise NotFound(f"no document {doc_id}")
        return detail

    def document_text(self, doc_id: str) -> DocumentText:
        """A document's text as its chunks hold it, with every mention's span, status and concept;
        `NotFound`."""
        text = self.store.documents.text(doc_id)
        if text is None:
            raise NotFound(f"no document {doc_id}")
        return text

    def document_mentions(self, doc_ids: Sequence[str]) -> list[DocumentMention]:
        """Every mention of the documents (span, words, status, type, concept and its ids), by
        document and then position; unknown ids give nothing."""
        return self.store.documents.mentions(doc_ids)

    def delete_documents(self, doc_ids: Sequence[str]) -> Deletion:
        """Delete documents and whatever only they supported; shared entities keep their other
        provenance. Unknown ids are ignored (the result counts what was deleted)."""
        return self.store.documents.delete(doc_ids)

    def rebuild_tags(self, *, on_progress: ProgressCallback | None = None) -> TagTree:
        """Replace the tag tree by one built from every meta-graph now (paper 2.2), published in
        one write; with a construction LLM, the LLM writes the tags' summaries. `Conflict` while
        another rebuild runs."""
        model = construction_model(self.settings.llm, self.settings.paths)
        try:
            return rebuild_tags(
                self.store.tags,
                self.settings.tags,
                stages.summarizer(model),
                dimension=self.embedder.dimension,
                model=self.embedder.name,
                on_progress=on_progress,
            )
        finally:
            if model is not None:
                model.close()

    # Questions

    def search(
        self, question: str, *, k: int = 5, tier: DocumentTier | None = None, mode: Mode = "u-retrieve"
    ) -> list[ChunkHit]:
        """The `k` best chunks for `question` by `mode`: u-retrieve, hybrid, vector or fulltext."""
        return self.retrieval(question, k=k, tier=tier, mode=mode).hits

    def retrieval(
        self, question: str, *, k: int = 5, tier: DocumentTier | None = None, mode: Mode = "u-retrieve"
    ) -> Retrieval:
        """Everything `mode` finds for `question`: the `k` best chunks, the concepts, the trace and
        the rankings it fused (what bench/fusion.py fits the fusion's weights on)."""
        return self._retrieve(question, k=k, tier=tier, mode=mode, model=None)[1]

    def retrieve(
        self, question: str, *, k: int = 5, tier: DocumentTier | None = None, mode: Mode = "u-retrieve"
    ) -> Evidence:
        """The numbered evidence for `question` (the `k` best chunks found by `mode` and, by
        u-retrieve, the definitions of the concepts it gathered) with its trace; no answer."""
        events = self.query_events(question, k=k, tier=tier, mode=mode, answer=False)
        try:
            evidence = next(events)
        finally:
            events.close()
        assert isinstance(evidence, Evidence)
        return evidence

    def query(
        self, question: str, *, k: int = 5, tier: DocumentTier | None = None, mode: Mode = "u-retrieve"
    ) -> Answer:
        """Answer `question` from the evidence `retrieve` finds: every claim cites numbered
        evidence, and the answer carries its trace. With an answer LLM the answer is written,
        refined with the route's tag summaries and validated; offline it is extractive."""
        *_, answer = self.query_events(question, k=k, tier=tier, mode=mode)
        assert isinstance(answer, Answer)
        return answer

    def query_events(
        self,
        question: str,
        *,
        k: int = 5,
        tier: DocumentTier | None = None,
        mode: Mode = "u-retrieve",
        answer: bool = True,
    ) -> Generator[Evidence | str | Answer, None, None]:
        """The evidence as soon as it is found, then (unless `answer` is false) the pieces of the
        answer's text as an answer LLM generates them, and the answer."""
        model = answer_model(self.settings.llm, self.settings.paths)
        try:
            query, retrieval = self._retrieve(question, k=k, tier=tier, mode=mode, model=model)
            concepts = retrieval.concepts[: self.settings.retrieval.concept_evidence]
            evidence = Evidence(
                question=query.question, citations=citations_from_hits(retrieval.hits, concepts), trace=retrieval.trace
            )
            yield evidence
            if not answer:
                return
            if model is None or not evidence.citations:
                yield extractive_answer(query.question, query.vector, evidence.citations, self.embedder, evidence.trace)
            else:
                summaries = retrieval.summaries[: self.settings.retrieval.levels - 1]
                streamed = False
                try:
                    for event in llm_answer_events(
                        model, evidence.question, evidence.citations, evidence.trace, summaries
                    ):
                        streamed = streamed or isinstance(event, str)
                        yield event
                except LLMError as exc:
                    if streamed:
                        raise  # a stream the model abandons ends with an error, not with another answer
                    log.warning("the answer model failed (%s); answering extractively", exc)
                    trace = evidence.trace.model_copy(update={"llm": model.usage, "degraded": str(exc)})
                    yield extractive_answer(query.question, query.vector, evidence.citations, self.embedder, trace)
        finally:
            if model is not None:
                model.close()

    def evidence_graph(self, answer: Answer) -> EvidenceGraph:
        """The graph of an answer's evidence: the question, cited chunks, the entities they mention
        that retrieval found, their concepts and the tier links among them."""
        return evidence_graph(self.store.evidence, answer)

    def evidence_graph_html(self, answer: Answer) -> str:
        """The evidence graph of an answer as a self-contained interactive HTML page."""
        return render_html(self.evidence_graph(answer), title=f"Evidence: {answer.question}")

    # Vocabulary

    def search_concepts(self, text: str, *, semantic_type: str | None = None, k: int = 10) -> list[ConceptMatch]:
        """Vocabulary concepts for a text span, best first, each with its score and match method."""
        if not text.strip():
            raise InvalidRequest("the text to link is empty")
        return ConceptLinker(self.store.vocabulary, self.embedder).link(text, semantic_type, k=k)

    def concept(self, concept_id: str) -> ConceptDetail:
        """A concept with names, cross-references, definition, parents and children; `NotFound`."""
        detail = self.store.vocabulary.concept(concept_id)
        if detail is None:
            raise NotFound(f"no concept {concept_id}")
        return detail

    def load_vocabulary(
        self,
        kind: str,
        path: Path | str | None = None,
        *,
        umls_sources: Sequence[str] | None = None,
        open_sources: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> VocabularyLoad:
        """Load a vocabulary into tier 3: `umls` (a META folder, optionally only `umls_sources`),
        `snomed` (an RF2 Snapshot folder) or `open` (HPO, Disease Ontology, MONDO, ICD-10-CM, MeSH,
        or only `open_sources` of them; `path` is the open data folder)."""
        if kind not in VOCABULARY_KINDS:
            raise InvalidRequest(f"vocabulary must be one of {', '.join(VOCABULARY_KINDS)}; got {kind!r}")
        notify = on_progress or ignore_progress
        read = self._vocabulary_streams(kind, path, umls_sources, open_sources, notify)
        return self.store.vocabulary.write(
            versions=read.versions,
            concepts=read.concepts,
            relations=read.relations,
            skipped=read.skipped,
            on_progress=notify,
        )

    def bulk_load_vocabulary(
        self,
        kind: str,
        path: Path | str | None = None,
        *,
        umls_sources: Sequence[str] | None = None,
        open_sources: Sequence[str] | None = None,
        import_dir: Path | None = None,
        neo4j_home: Path | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> BulkLoad:
        """Load a vocabulary (as `load_vocabulary` reads it) into an empty database through
        `neo4j-admin database import full`: the same graph, written offline, the indexes built
        afterwards. `Conflict` naming the database when it is not empty.

        For the neo4j-local that `medgraph db up` runs (or would start), the server is stopped for
        the import and started again, and the import files are removed after (kept in `import_dir`
        when given). For another server the files are written to `import_dir` (default: under
        MEDGRAPH_DATA_DIR) and the result holds the command to run while the database is stopped;
        with `neo4j_home` it is run there. Either way the schema comes with the first connection."""
        started = time.perf_counter()
        notify = on_progress or ignore_progress
        settings, database = self.settings, self.database
        read = self._vocabulary_streams(kind, path, umls_sources, open_sources, notify)
        local = local_managed(settings)
        home = local_home(settings)
        checked = False
        if answers(settings) or (local and (home / "data" / "databases" / database).exists()):
            if local:
                server_up(settings)
            with GraphStore.connect(settings.neo4j) as store:
                refuse_occupied(store.connection)
            checked = True
        folder = import_dir or settings.paths.data_dir / "bulk-import" / database
        files = write_import_files(
            folder,
            versions=read.versions,
            concepts=read.concepts,
            relations=read.relations,
            skipped=read.skipped,
            on_progress=notify,
        )
        if not local:
            command = import_command(own_server_admin(neo4j_home), files, database, overwrite=checked)
            if neo4j_home is not None:
                run_import(
                    command, log=folder / "import.log", database=database, neo4j_home=neo4j_home, on_progress=notify
                )
            return BulkLoad(files.load, folder, shlex.join(command), imported=neo4j_home is not None)
        self.close()
        server_down(settings)
        run = import_local(
            LocalNeo4j.from_settings(settings),
            files,
            home=home,
            database=database,
            overwrite=True,
            on_progress=notify,
        )
        server_up(settings)
        notify(ProgressEvent("indexes", 0, 1))
        self.complete_bulk_import()
        notify(ProgressEvent("indexes", 1, 1))
        if import_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
        files.load.seconds = time.perf_counter() - started
        return BulkLoad(files.load, folder if import_dir else None, run.shell, imported=True)

    def complete_bulk_import(self) -> None:
        """Complete a database that `neo4j-admin database import` wrote: build its constraints and
        indexes (as the first connection would), waiting as long as a full UMLS release takes."""
        with GraphStore.connect(self.settings.neo4j) as store:
            apply_schema(
                store.connection, self._dimension(store), model=self._model_name(), timeout_s=BULK_INDEX_TIMEOUT_S
            )

    def vocabularies(self) -> list[VocabularySourceStatus]:
        """Per loaded vocabulary source: version, load time, concepts and relations."""
        return self.store.vocabulary.sources()

    # Exploration and status

    def saved_queries(self) -> list[SavedQuery]:
        """The saved exploration queries (cypher/queries), by name, with their parameters."""
        return saved_queries()

    def run_cypher(self, query: str, parameters: Mapping[str, object] | None = None) -> CypherResult:
        """Run user-written Cypher read-only (allow-listed clauses and procedures), stopped after
        MEDGRAPH_CYPHER_TIMEOUT_S and cut at MEDGRAPH_CYPHER_MAX_ROWS rows or MEDGRAPH_CYPHER_MAX_BYTES
        bytes of JSON; `CypherRefused` says why a query or parameter was refused or failed."""
        limits = self.settings.cypher
        return self.store.cypher.run(
            query, parameters, timeout_s=limits.timeout_s, max_rows=limits.max_rows, max_bytes=limits.max_bytes
        )

    def run_saved_query(self, name: str, parameters: Mapping[str, object] | None = None) -> CypherResult:
        """Run the saved query `name`; `parameters` may be strings (`limit="10"`), converted to the
        declared types, and omitted ones take their defaults."""
        query = saved_query(name)
        return self.run_cypher(query.text, query.bind(parameters or {}))

    def schema_status(self) -> list[SchemaIndex]:
        """Every index and constraint of the schema with its state (ONLINE when usable)."""
        return self.store.indexes()

    def health(self) -> GraphStatus:
        """Neo4j's version and node counts by label; `GraphUnavailable` if Neo4j does not answer."""
        return self.store.inventory.status()

    # Internals

    def _retrieve(
        self, question: str, *, k: int, tier: DocumentTier | None, mode: Mode, model: ChatModel | None
    ) -> tuple[Query, Retrieval]:
        question = question.strip()
        if not question:
            raise InvalidRequest("the question is empty")
        if mode not in MODES:
            raise InvalidRequest(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if tier is not None:
            self._check_tier(tier)
        retriever = self._retriever(mode)
        concepts: list[str] = []
        if retriever.uses_concepts:
            _, ruler = self._vocabulary_ruler()
            concepts = question_concepts(question, ruler)
            if model is not None:
                try:
                    terms = question_terms(model, question)
                except LLMError as exc:  # the question's own concepts still route it
                    log.warning("the answer model gave no question terms (%s); routing by the question alone", exc)
                    terms = []
                concepts = list(dict.fromkeys(concepts + question_concepts(". ".join(terms), ruler)))
        query = Query(
            question=question, vector=self.embedder.embed_query(question), k=k, tier=tier, concept_ids=concepts
        )
        return query, retriever.retrieve(query)

    def _retriever(self, mode: Mode) -> Retriever:
        with self._lock:
            retrievers = self._retrievers
        if retrievers is None:
            store, settings = self.store, self.settings
            reranker = (
                CrossEncoderReranker(settings.ranking.rerank_model, device=settings.embedding.device)
                if settings.ranking.rerank_model
                else None
            )
            retrievers = {
                "u-retrieve": URetriever(
                    store, settings.retrieval, settings.ranking, reranker, model=self._model_name()
                ),
                "hybrid": ChunkSearch(store.search, "hybrid"),
                "vector": ChunkSearch(store.search, "vector"),
                "fulltext": ChunkSearch(store.search, "fulltext"),
            }
            with self._lock:
                self._retrievers = self._retrievers or retrievers
                retrievers = self._retrievers
        return retrievers[mode]

    def _vocabulary_ruler(self) -> tuple[str, VocabularyRuler]:
        vocabulary = self.store.vocabulary
        signature = vocabulary.signature()
        cached = self._ruler
        if cached is None or cached[0] != signature:
            cached = (signature, VocabularyRuler(build_lexicon(vocabulary.concept_names())))
            self._ruler = cached
        return cached

    def _model_name(self) -> str:
        """The name of the embedding model: the given embedder's, else the settings'."""
        return self._embedder.name if self._embedder is not None else model_name(self.settings.embedding.model)

    def _dimension(self, store: GraphStore) -> int:
        """The vector indexes' dimension: the model's files, else the stored indexes', else the
        loaded model's (loading it only then)."""
        dimension = model_dimension(self.settings.embedding)
        if dimension is None and self._embedder is not None:
            dimension = self._embedder.dimension
        if dimension is None:
            dimension = stored_dimension(store.connection)
        return dimension if dimension is not None else self.embedder.dimension

    def _vocabulary_streams(
        self,
        kind: str,
        path: Path | str | None,
        umls_sources: Sequence[str] | None,
        open_sources: Sequence[str] | None,
        notify: ProgressCallback,
    ) -> VocabularyStreams:
        if kind not in VOCABULARY_KINDS:
            raise InvalidRequest(f"vocabulary must be one of {', '.join(VOCABULARY_KINDS)}; got {kind!r}")
        notify(ProgressEvent("read", 0, 1))
        if kind == "open":
            vocabulary = read_open_vocabulary(
                Path(path) if path else self.settings.paths.vocab_dir or DEFAULT_VOCAB_DIR,
                sources=open_sources or SOURCE_ORDER,
            )
            read = VocabularyStreams(
                dict(vocabulary.versions), vocabulary.concepts, vocabulary.relations, vocabulary.skipped
            )
        else:
            if path is None:
                raise InvalidRequest(f"{kind} needs the folder of its release files")
            release = (
                UmlsRelease(
                    Path(path),
                    UmlsOptions(sources=frozenset(umls_sources) if umls_sources else None),
                    on_progress=notify,
                )
                if kind == "umls"
                else read_snomed(Path(path))
            )
            read = VocabularyStreams(
                {umls.SOURCE if kind == "umls" else snomed.SOURCE: release.version},
                release.concepts,
                release.relations,
                release.skipped,
            )
        notify(ProgressEvent("read", 1, 1))
        return read

    @staticmethod
    def _check_tier(tier: str) -> None:
        if tier not in DOCUMENT_TIERS:
            raise InvalidRequest(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {tier!r}")


def worker_pipeline(settings: Settings, tier: DocumentTier, on_error: OnError) -> IngestPipeline:
    """A distributed ingest worker's pipeline: its own service over the same database, one model
    thread unless the settings say otherwise (a worker has one CPU)."""
    if settings.embedding.threads is None:
        settings = settings.replace(embedding={"threads": 1})
    service = MedGraph(settings)
    return service._pipeline(tier, on_error, None, construction_model(settings.llm, settings.paths))
