"""The construction pipeline: files -> documents -> chunks -> meta-graphs -> Neo4j, with progress.

Per batch of documents: sentences (spaCy), chunks (the `Chunker`), entity mentions with their
concepts and assertion status (the `MentionExtractor`), entities and their concept links
(DEFINITION_OF), relations (the `RelationExtractor`), then one write transaction that also links
user and reference entities sharing a concept (REFERENCE_OF). After all batches, user entities no
shared concept links are linked through the vocabulary hierarchy, then by content-embedding
similarity (REFERENCE_OF); entities without a concept get SAME_AS to near-duplicates.

A document a stage cannot build is left out of its batch and reported with its reason (its stored
version, if any, stays as it was); with `OnError.RAISE` it ends the run instead. A bad file is that
file's error; the others are ingested.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from medgraphrag.core.errors import MedGraphError
from medgraphrag.core.ids import DocumentTier, digest, entity_id
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.core.settings import IngestSettings
from medgraphrag.graph.documents import (
    ChunkRecord,
    DefinitionLink,
    DocumentRecord,
    EntityRecord,
    MentionRecord,
    RelationRecord,
)
from medgraphrag.graph.store import GraphStore
from medgraphrag.ingest.construction import (
    ChunkedDocument,
    ChunkMentions,
    Construction,
    DocumentFailure,
    OnError,
    ParsedDocument,
)
from medgraphrag.ingest.loaders import SourceDocument, discover, load_all
from medgraphrag.models.embeddings import Embedder
from medgraphrag.models.llm import LLMUsage
from medgraphrag.nlp.assertion import NEGATED, UNCERTAIN
from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.ruler import Mention
from medgraphrag.nlp.sentences import parse

# Bump when chunking, extraction or stored properties change meaning, so stored documents are rebuilt.
PIPELINE_VERSION = 2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestError:
    """A file, a unit of one, or a document that was not ingested, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """The outcome of one ingest run, with the construction model's ledger when one was used."""

    files: int = 0
    documents_written: int = 0
    documents_unchanged: int = 0
    documents_failed: int = 0
    chunks_written: int = 0
    entities: int = 0
    entities_new: int = 0
    mentions: int = 0
    mentions_negated: int = 0
    mentions_uncertain: int = 0
    relations: int = 0
    concept_links: int = 0
    reference_links: int = 0
    same_as_links: int = 0
    tags_attached: int = 0
    tag_summaries_extractive: int = 0
    errors: list[IngestError] = field(default_factory=list)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    llm: LLMUsage | None = None

    @property
    def chunks_per_second(self) -> float:
        """Chunks written per wall-clock second of the whole run."""
        return self.chunks_written / self.seconds if self.seconds > 0 else 0.0

    def timed(self, stage: str, seconds: float) -> None:
        """Add `seconds` to the time spent in `stage`."""
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


def fingerprint(settings: IngestSettings, embedder: Embedder, construction: Construction) -> str:
    """Identity of the pipeline that built a document (not of its content): chunking, model, the
    vocabulary it linked against and the construction LLM, if any."""
    key = (
        f"v{PIPELINE_VERSION}|chunk_tokens={settings.chunk_tokens}|unit_tokens={settings.unit_tokens}"
        f"|topic={settings.topic_threshold}|model={embedder.name}|dim={embedder.dimension}"
        f"|vocabulary={construction.vocabulary}|llm={construction.name or 'offline'}"
    )
    return digest(key, length=16)


class IngestPipeline:
    """Ingests files into one tier of a graph store with one construction."""

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        construction: Construction,
        settings: IngestSettings,
        *,
        tier: DocumentTier,
        on_error: OnError = OnError.SKIP,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.construction = construction
        self.settings = settings
        self.tier = tier
        self.on_error = on_error
        self.notify = on_progress or ignore_progress
        self.fingerprint = fingerprint(settings, embedder, construction)

    def run(self, paths: Iterable[Path | str]) -> IngestReport:
        """Ingest the supported files under `paths`; bad files and failed documents are reported,
        the others stored."""
        started = time.perf_counter()
        report = IngestReport()
        pending = self._read(paths, report)
        new_unlinked: list[str] = []
        embedded: set[str] = set()
        # One write in flight while the next batch is built: Neo4j's work overlaps ours.
        with ThreadPoolExecutor(max_workers=1) as writer:
            in_flight: Future[None] | None = None
            for first in range(0, len(pending), self.settings.batch_documents):
                batch = pending[first : first + self.settings.batch_documents]
                records, entities, definitions = self._build(batch, report, embedded)
                if in_flight is not None:
                    in_flight.result()
                new_unlinked.extend(e.entity_id for e in entities if e.embedding is not None and e.concept_id is None)
                in_flight = writer.submit(
                    self._write, records, entities, definitions, report, first + len(batch), len(pending)
                )
            if in_flight is not None:
                in_flight.result()
        if report.documents_written:
            clock = time.perf_counter()
            self.notify(ProgressEvent("link", 0, 1))
            links = self.store.tier_links
            report.reference_links += links.by_hierarchy()
            report.reference_links += links.by_embedding(threshold=self.settings.reference_threshold)
            report.same_as_links += links.same_as(new_unlinked, threshold=self.settings.same_as_threshold)
            self.notify(ProgressEvent("link", 1, 1))
            report.timed("link", time.perf_counter() - clock)
        report.llm = self.construction.usage
        report.seconds = time.perf_counter() - started
        return report

    def _read(self, paths: Iterable[Path | str], report: IngestReport) -> list[SourceDocument]:
        """The documents under `paths` that are new or changed (errors reported, unchanged counted)."""
        clock = time.perf_counter()
        files, discover_errors = discover(paths)
        report.errors.extend(IngestError(e.path, e.reason) for e in discover_errors)
        report.files = len(files)
        documents: list[SourceDocument] = []
        seen_files: set[str] = set()
        for item in load_all(files):
            if isinstance(item, SourceDocument):
                documents.append(item)
                seen_files.add(item.source)
            else:
                report.errors.append(IngestError(item.path, item.reason))
                seen_files.add(item.path)
            self.notify(ProgressEvent("read", min(len(seen_files), len(files)), len(files)))
        self.notify(ProgressEvent("read", len(files), len(files)))
        stored = self.store.documents.stored([d.doc_id for d in documents])
        pending = []
        for document in documents:
            previous = stored.get(document.doc_id)
            if previous and (previous.sha256, previous.fingerprint, previous.tier) == (
                document.sha256,
                self.fingerprint,
                self.tier,
            ):
                report.documents_unchanged += 1
            else:
                pending.append(document)
        report.timed("read", time.perf_counter() - clock)
        log.info(
            "%d files: %d documents, %d unchanged, %d to build (%d errors)",
            len(files),
            len(documents),
            report.documents_unchanged,
            len(pending),
            len(report.errors),
        )
        return pending

    def _build(
        self, batch: Sequence[SourceDocument], report: IngestReport, embedded: set[str]
    ) -> tuple[list[DocumentRecord], list[EntityRecord], list[DefinitionLink]]:
        """A batch's records, without the documents a stage could not build."""
        clock = time.perf_counter()
        parsed = [ParsedDocument(d, s) for d, s in zip(batch, parse([d.text for d in batch]))]
        report.timed("parse", time.perf_counter() - clock)
        clock = time.perf_counter()
        built = []
        for outcome in self.construction.chunker.chunk(parsed):
            if isinstance(outcome, DocumentFailure):
                self._failed(outcome, report)
            else:
                built.append(outcome)
        report.timed("chunk+embed", time.perf_counter() - clock)
        clock = time.perf_counter()
        extracted = []
        for item in built:
            try:
                item.mentions = self.construction.extractor.mentions(item)
            except MedGraphError as exc:
                self._failed(DocumentFailure(item.document, "extract", str(exc)), report)
                continue
            extracted.append(item)
        report.timed("extract", time.perf_counter() - clock)
        return self._records(extracted, report, embedded)

    def _failed(self, outcome: DocumentFailure, report: IngestReport) -> None:
        """Report a document a stage could not build (or end the run, by `OnError.RAISE`)."""
        document = outcome.document
        where = document.source + (f"#{document.unit}" if document.unit else "")
        if self.on_error is OnError.RAISE:
            raise MedGraphError(f"{where}: {outcome.stage} failed: {outcome.reason}")
        log.warning("%s not ingested: %s failed: %s", where, outcome.stage, outcome.reason)
        report.errors.append(IngestError(where, f"{outcome.stage} failed: {outcome.reason}"))
        report.documents_failed += 1

    def _records(
        self, built: list[ChunkedDocument], report: IngestReport, embedded: set[str]
    ) -> tuple[list[DocumentRecord], list[EntityRecord], list[DefinitionLink]]:
        clock = time.perf_counter()
        entities: dict[str, EntityRecord] = {}
        per_document: list[tuple[ChunkMentions, list[MentionRecord]]] = []
        for item in built:
            starts = [c.start for c in item.chunks]
            mention_records: list[MentionRecord] = []
            by_chunk: dict[int, list[tuple[Mention, str]]] = {}
            for m in item.mentions:
                ord_ = max(0, bisect.bisect_right(starts, m.start) - 1)
                norm = normalize(m.name)
                eid = entity_id(self.tier, m.concept_id or None, norm, m.type)
                if eid not in entities:
                    entities[eid] = EntityRecord(
                        eid,
                        self.tier,
                        m.name,
                        norm,
                        m.type,
                        m.concept_id or None,
                        item.document.text[m.sentence_start : m.sentence_end][:500],
                    )
                mention_records.append(MentionRecord(ord_, eid, m.start, m.end, m.surface, m.status, m.method))
                by_chunk.setdefault(ord_, []).append((m, eid))
            per_document.append((ChunkMentions(item, by_chunk), mention_records))
        report.timed("entities", time.perf_counter() - clock)

        clock = time.perf_counter()
        relations = self.construction.relations.relations([mentions for mentions, _ in per_document], entities)
        report.timed("relations", time.perf_counter() - clock)
        clock = time.perf_counter()
        records = []
        definitions: dict[str, DefinitionLink] = {}
        for (mentions, mention_records), document_relations in zip(per_document, relations):
            if isinstance(document_relations, DocumentFailure):
                self._failed(document_relations, report)
                continue
            records.append(self._record(mentions.item, mention_records, document_relations))
            for m in mentions.item.mentions:
                report.mentions_negated += m.status == NEGATED
                report.mentions_uncertain += m.status == UNCERTAIN
            for chunk_mentions in mentions.by_chunk.values():
                for m, eid in chunk_mentions:
                    if m.concept_id:
                        definitions.setdefault(eid, DefinitionLink(eid, m.concept_id, 1.0, m.method))
        # Only the entities of documents that are written are written.
        used = {m.entity_id for record in records for m in record.mentions}
        kept = {eid: e for eid, e in entities.items() if eid in used}
        # Entities embedded earlier in this run may still be in the write in flight.
        known = embedded | self.store.documents.stored_entities([eid for eid in kept if eid not in embedded])
        fresh = [e for eid, e in kept.items() if eid not in known]
        embedded.update(e.entity_id for e in fresh)
        vectors = self.embedder.embed([entity_content(e.name, e.type) for e in fresh])
        for e, vector in zip(fresh, vectors):
            kept[e.entity_id] = EntityRecord(
                e.entity_id, e.tier, e.name, e.norm_name, e.type, e.concept_id, e.context, vector
            )
        report.entities += len(kept)
        report.entities_new += len(fresh)
        report.concept_links += len(definitions)
        report.timed("entities", time.perf_counter() - clock)
        return records, list(kept.values()), list(definitions.values())

    def _record(
        self, item: ChunkedDocument, mentions: list[MentionRecord], relations: list[RelationRecord]
    ) -> DocumentRecord:
        document = item.document
        return DocumentRecord(
            doc_id=document.doc_id,
            tier=self.tier,
            title=document.title,
            source=document.source,
            media_type=document.media_type,
            sha256=document.sha256,
            fingerprint=self.fingerprint,
            chars=len(document.text),
            unit=document.unit,
            metadata=document.metadata,
            chunks=[
                ChunkRecord(c.ord, c.start, c.end, c.text, v, document.page_of(c.start), document.page_of(c.end - 1))
                for c, v in zip(item.chunks, item.vectors)
            ],
            mentions=mentions,
            relations=relations,
        )

    def _write(
        self,
        records: list[DocumentRecord],
        entities: list[EntityRecord],
        definitions: list[DefinitionLink],
        report: IngestReport,
        done: int,
        total: int,
    ) -> None:
        clock = time.perf_counter()
        written = self.store.documents.write(records, entities, definitions)
        report.timed("write", time.perf_counter() - clock)
        log.info(
            "wrote %d documents (%d chunks) in %.1f s; %d of %d done",
            len(records),
            written.chunks,
            time.perf_counter() - clock,
            done,
            total,
        )
        report.documents_written += len(records)
        report.chunks_written += written.chunks
        report.mentions += written.mentions
        report.relations += written.relations
        report.reference_links += written.reference_links
        self.notify(ProgressEvent("build", done, total))


def entity_content(name: str, type_: str, context: str = "") -> str:
    """The text an entity is embedded as (paper: name, type, context); offline entities are
    concept-identified, so their name and type say what they are."""
    return f"{name} ({type_})" + (f": {context}" if context else "")
