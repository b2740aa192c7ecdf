"""The construction pipeline: files -> documents -> chunks -> meta-graphs -> Neo4j, with progress.

Per batch of documents: sentences (spaCy), chunks (the `Chunker`), entity mentions with their
concepts and assertion status (the `MentionExtractor`), entities and their concept links
(DEFINITION_OF), relations (the `RelationExtractor`), the vectors of the chunks and the new
entities, then one write transaction that also links user and reference entities sharing a concept
(REFERENCE_OF). The three overlap: while one batch is built, the one before it is embedded and the
one before that written. After all batches, user entities no
shared concept links are linked through the vocabulary hierarchy, then by content-embedding
similarity (REFERENCE_OF); entities without a concept get SAME_AS to near-duplicates.

A document a stage cannot build is left out of its batch and reported with its reason (its stored
version, if any, stays as it was); with `OnError.RAISE` it ends the run instead. A bad file is that
file's error; the others are ingested.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from medgraphrag.core.errors import Conflict, MedGraphError
from medgraphrag.core.ids import DocumentTier, digest, entity_id
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.core.runs import process_gone, run_token
from medgraphrag.core.settings import IngestSettings, TagSettings
from medgraphrag.graph.documents import (
    PURGE_BATCH,
    ChunkRecord,
    DefinitionLink,
    DocumentRecord,
    EntityRecord,
    HiddenChunks,
    MentionRecord,
    RelationRecord,
    StoredDocument,
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
from medgraphrag.ingest.context import contextual
from medgraphrag.ingest.loaders import SourceDocument, discover, load_all
from medgraphrag.ingest.tags import attach_tags
from medgraphrag.models.embeddings import Embedder
from medgraphrag.models.llm import LLMUsage
from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.ruler import Mention
from medgraphrag.nlp.semantic_groups import DEFAULT_GROUP
from medgraphrag.nlp.sentences import Span, parse, pieces

# Bump when chunking, extraction or stored properties change meaning, so stored documents are rebuilt.
# 4: ConText assertion flags on MENTIONS; 5: short forms in their definitions, heads of long forms;
# 6: names spelled another way (sites, -a plurals, word order), short forms by initials;
# 7: equally weak chunk boundaries told apart by the balance of the sides they leave;
# 8: recognized names no concept matches take the id of the nearest training name;
# 9: ... else, before that, their head's concept; a concept's entity takes its mentions' group;
# 10: short forms used without a definition, an agent's disease as its infection;
# 11: names with sulph- or dilatation match their sulf- and dilation spellings.
PIPELINE_VERSION = 11
# How long post-write work waits for a concurrent run's tag tree before it is left for the next run.
TAG_WAIT_S = 600.0
# Batches built and waiting to be embedded or written, at most: memory holds these and the one being built.
BATCHES_IN_FLIGHT = 2

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
    mentions_historical: int = 0
    mentions_family: int = 0
    mentions_conditional: int = 0
    relations: int = 0
    concept_links: int = 0
    reference_links: int = 0
    same_as_links: int = 0
    tags_attached: int = 0
    tag_summaries_extractive: int = 0
    # Per stage, what the construction LLM failed and the offline stage did instead.
    llm_fallbacks: dict[str, int] = field(default_factory=dict)
    errors: list[IngestError] = field(default_factory=list)
    post_write_error: str | None = None
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    llm: LLMUsage | None = None
    # The processes that built the documents (distributed: the Ray workers) and their peak memory.
    workers: int = 1
    worker_memory_mb: list[float] = field(default_factory=list)

    @property
    def chunks_per_second(self) -> float:
        """Chunks written per wall-clock second of the whole run."""
        return self.chunks_written / self.seconds if self.seconds > 0 else 0.0

    def timed(self, stage: str, seconds: float) -> None:
        """Add `seconds` to the time spent in `stage`."""
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def add(self, other: IngestReport) -> None:
        """Add what another part of the same run (a distributed worker's) counted: its counts,
        errors, stage times, fallbacks and model ledger; the run's files and time stay this one's."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        for stage, seconds in other.stage_seconds.items():
            self.timed(stage, seconds)
        for stage, count in other.llm_fallbacks.items():
            self.llm_fallbacks[stage] = self.llm_fallbacks.get(stage, 0) + count
        if other.llm is not None:
            self.llm = other.llm if self.llm is None else self.llm.plus(other.llm)


# The counts of a report that its parts add up to.
_COUNTS = tuple(
    f.name for f in dataclasses.fields(IngestReport) if f.type == "int" and f.name not in ("files", "workers")
)


@dataclass
class BuiltBatch:
    """A batch of documents built and ready for one write: records, their entities and concept links."""

    records: list[DocumentRecord]
    entities: list[EntityRecord]
    definitions: list[DefinitionLink]


@dataclass
class PreparedBatch:
    """A batch of documents built but for its vectors: per document its chunks, mention records and
    relations; the entities to write and, of them, those to embed; the concept links."""

    documents: list[tuple[ChunkedDocument, list[MentionRecord], list[RelationRecord]]]
    entities: dict[str, EntityRecord]
    fresh: list[str]
    definitions: list[DefinitionLink]


@dataclass
class BuiltFiles:
    """What a builder made of some files, in order: batches to write and documents too large for
    one write (to stage), with what it counted."""

    items: list[BuiltBatch | SourceDocument]
    report: IngestReport


class Writes:
    """The writer of a run: a batch is embedded on one thread and written on another while the next
    is built, so the model, Neo4j and our own work overlap; at most `BATCHES_IN_FLIGHT` batches wait.
    A large document is staged once the writes before it are done. After a failed write nothing more
    is written, and the failure is raised by the next call."""

    def __init__(self, pipeline: IngestPipeline, report: IngestReport) -> None:
        self._pipeline = pipeline
        self._report = report
        self._embedder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-embed")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._in_flight: deque[Future[None]] = deque()

    def __enter__(self) -> Writes:
        return self

    def __exit__(self, error: type[BaseException] | None, *exc: object) -> None:
        try:
            if error is None:
                self.drain()
            else:  # the run's own error is the one to raise; what is in flight still ends first
                wait(self._in_flight)
        finally:
            self._embedder.shutdown()
            self._writer.shutdown()

    def write(self, batch: PreparedBatch | BuiltBatch) -> None:
        """Write a batch after those in flight (embedding it first if it is only prepared), once
        fewer than `BATCHES_IN_FLIGHT` wait."""
        while len(self._in_flight) >= BATCHES_IN_FLIGHT:
            self._in_flight.popleft().result()
        if isinstance(batch, PreparedBatch):
            built = self._embedder.submit(self._pipeline.embedded, batch, self._report)
        else:  # built elsewhere (a distributed worker), vectors and all
            built = Future()
            built.set_result(batch)
        before = self._in_flight[-1] if self._in_flight else None
        self._in_flight.append(self._writer.submit(self._write, built, before))

    def _write(self, built: Future[BuiltBatch], before: Future[None] | None) -> None:
        # The writer runs one write at a time, in order: `before` is done.
        if before is not None and before.exception() is not None:
            raise MedGraphError("not written: an earlier write of this run failed")
        self._pipeline.write_batch(built.result(), self._report)

    def stage(self, document: SourceDocument, embedded: set[str]) -> None:
        """Build and write a document too large for one write, in parts, after the writes in flight."""
        self.drain()
        self._pipeline.stage_document(document, self._report, embedded)

    def drain(self) -> None:
        """Wait for the writes in flight; the first that failed is raised once all have ended."""
        in_flight, self._in_flight = list(self._in_flight), deque()
        wait(in_flight)
        for future in in_flight:
            if (error := future.exception()) is not None:
                raise error


def fingerprint(settings: IngestSettings, embedder: Embedder, construction: Construction) -> str:
    """Identity of the pipeline that built a document (not of its content): chunking, model, the
    vocabulary it linked against and the construction LLM, if any."""
    key = (
        f"v{PIPELINE_VERSION}|chunk_tokens={settings.chunk_tokens}|unit_tokens={settings.unit_tokens}"
        f"|topic={settings.topic_signal}:{settings.topic_for(embedder.name)}|model={embedder.name}|dim={embedder.dimension}"
        f"|vocabulary={construction.vocabulary}|llm={construction.name or 'offline'}"
        f"|extractor={construction.extractor.identity}"
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
        tags: TagSettings,
        *,
        tier: DocumentTier,
        on_error: OnError = OnError.SKIP,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.construction = construction
        self.settings = settings
        self.tags = tags
        self.tier = tier
        self.on_error = on_error
        self.notify = on_progress or ignore_progress
        self.fingerprint = fingerprint(settings, embedder, construction)

    def run(self, paths: Iterable[Path | str], names: Mapping[Path, str] | None = None) -> IngestReport:
        """Ingest the supported files under `paths`; bad files and failed documents are reported,
        the others stored. `names` gives files a stable source name in place of their path. The
        post-write work (tier links, tags) of this run, or left pending by an earlier one, is done
        last. Files are read as they are needed, so memory holds one batch, not the collection."""
        started = time.perf_counter()
        report = IngestReport()
        files = self.discover(paths, report)
        named = resolved(names)
        embedded: set[str] = set()
        with Writes(self, report) as writes:
            for batch, large, files_done in self._pending(files, named, report):
                if large is not None:
                    writes.stage(large, embedded)
                if batch:
                    writes.write(self._prepare(batch, report, embedded))
                self.notify(ProgressEvent("build", files_done, len(files)))
        self.notify(ProgressEvent("build", len(files), len(files)))
        self.finish(report, started)
        return report

    def discover(self, paths: Iterable[Path | str], report: IngestReport) -> list[Path]:
        """The supported files under `paths`, in order; what cannot be read is reported."""
        clock = time.perf_counter()
        files, discover_errors = discover(paths)
        report.errors.extend(IngestError(e.path, e.reason) for e in discover_errors)
        report.files = len(files)
        report.timed("read", time.perf_counter() - clock)
        return files

    def build_files(self, files: Sequence[Path], names: Mapping[Path, str], embedded: set[str]) -> BuiltFiles:
        """The records of the new or changed documents of `files`, in order, built but not written
        (a distributed worker's part), with what building them counted; a document too large for
        one write comes back unbuilt, for the writer to stage. `embedded` holds the entities this
        builder has embedded before (they are not embedded again)."""
        report = IngestReport()
        since = self._ledger()
        items: list[BuiltBatch | SourceDocument] = []
        for batch, large, _ in self._pending(files, names, report):
            if large is not None:
                items.append(large)
            if batch:
                items.append(self._build(batch, report, embedded))
        self._charge(report, since)
        return BuiltFiles(items, report)

    def finish(self, report: IngestReport, started: float) -> None:
        """The end of a run: the post-write work, what this pipeline's construction model cost (on
        top of what workers reported) and the run's time."""
        self._post_write(report)
        self._charge(report)  # each run has a construction model of its own
        report.seconds = time.perf_counter() - started

    def _ledger(self) -> tuple[LLMUsage, dict[str, int]] | None:
        """The construction model's ledger now: usage and fallbacks (None offline)."""
        usage = self.construction.usage
        return None if usage is None else (usage.model_copy(), self.construction.fallbacks)

    def _charge(self, report: IngestReport, since: tuple[LLMUsage, dict[str, int]] | None = None) -> None:
        """Add to `report` what the construction model cost since the ledger read `since` (None: ever)."""
        usage = self.construction.usage
        if usage is None:
            return
        used, fallen = (usage, {}) if since is None else (usage.minus(since[0]), since[1])
        part = IngestReport(llm=used)
        part.llm_fallbacks = {k: n - fallen.get(k, 0) for k, n in self.construction.fallbacks.items()}
        report.add(part)

    def _pending(
        self, files: Sequence[Path], names: Mapping[Path, str], report: IngestReport
    ) -> Iterator[tuple[list[SourceDocument], SourceDocument | None, int]]:
        """The new or changed documents of `files`, read lazily: batches of at most `batch_documents`
        documents and `batch_chars` characters, and each document too large for one write on its own
        (as `large`), with the number of files read so far. Unreadable files and units are reported;
        unchanged documents counted."""
        buffer: list[SourceDocument] = []
        chars = 0
        read = 0

        def flush() -> Iterator[tuple[list[SourceDocument], SourceDocument | None, int]]:
            clock = time.perf_counter()
            stored = self.store.documents.stored([d.doc_id for d in buffer])
            batch: list[SourceDocument] = []
            large: list[SourceDocument] = []
            for document in buffer:
                previous = stored.get(document.doc_id)
                if previous and (previous.sha256, previous.fingerprint, previous.tier) == (
                    document.sha256,
                    self.fingerprint,
                    self.tier,
                ):
                    report.documents_unchanged += 1
                elif self._large(document, previous):
                    large.append(document)
                else:
                    batch.append(document)
            report.timed("read", time.perf_counter() - clock)
            for document in large:
                yield [], document, read
            yield batch, None, read

        for path in files:
            clock = time.perf_counter()
            items = list(load_all([path], names, max_chars=self.settings.max_document_chars))
            read += 1
            report.timed("read", time.perf_counter() - clock)
            self.notify(ProgressEvent("read", read, len(files)))
            for item in items:
                if not isinstance(item, SourceDocument):
                    report.errors.append(IngestError(item.path, item.reason))
                    continue
                if buffer and (
                    len(buffer) >= self.settings.batch_documents or chars + len(item.text) > self.settings.batch_chars
                ):
                    yield from flush()
                    buffer, chars = [], 0
                buffer.append(item)
                chars += len(item.text)
        if buffer:
            yield from flush()

    def _large(self, document: SourceDocument, stored: StoredDocument | None) -> bool:
        """Whether a document, or the version it replaces, is too large for one write transaction."""
        return len(document.text) > self.settings.batch_chars or (stored is not None and stored.chunks > PURGE_BATCH)

    def stage_document(self, document: SourceDocument, report: IngestReport, embedded: set[str]) -> None:
        """Write a large document in parts of at most `batch_chars` characters, hidden, then publish
        it in one write; a part that cannot be built fails the whole document (nothing published).
        Each staging has its own run token, so concurrent runs staging one document never collide:
        the last to publish wins, whole."""
        documents = self.store.documents
        run = run_token()
        sections = pieces(document.text, Span(0, len(document.text)), max_chars=self.settings.batch_chars)
        chunks = mentions = relations = reference_links = 0
        clock = time.perf_counter()
        record = None
        self.notify(ProgressEvent("sections", 0, len(sections)))  # the bar shows before the first part is built
        try:
            for number, section in enumerate(sections, start=1):
                part = dataclasses.replace(document, text=document.text[section.start : section.end], pages=())
                built = self._build([part], report, embedded)
                records, entities, definitions = built.records, built.entities, built.definitions
                if not records:  # the part's failure is reported; nothing of the document is published
                    documents.purge(document.doc_id, "staged", run=run)
                    return
                record = _placed(records[0], document, section.start, chunks, self.fingerprint)
                written = documents.stage(document.doc_id, record, entities, definitions, run=run)
                chunks += written.chunks
                mentions += written.mentions
                relations += written.relations
                reference_links += written.reference_links
                self.notify(ProgressEvent("sections", number, len(sections)))
                log.info("%s: part %d of %d staged (%d chunks)", document.source, number, len(sections), written.chunks)
            if record is None:
                return
            documents.publish(
                dataclasses.replace(record, chunks=[], mentions=[], relations=[], chunk_count=chunks), run=run
            )
        except BaseException:
            # Best effort: what is left (the process may be going down) is hidden, and removed by a
            # later run once it is `staging_stale_s` old.
            with contextlib.suppress(Exception):
                documents.purge(document.doc_id, "staged", run=run)
            raise
        documents.purge(document.doc_id, "retired")
        report.timed("write", time.perf_counter() - clock)
        report.documents_written += 1
        report.chunks_written += chunks
        report.mentions += mentions
        report.relations += relations
        report.reference_links += reference_links

    def _post_write(self, report: IngestReport) -> None:
        """Finish what writes leave to do after them (this run's, or a stopped or concurrent run's):
        remove hidden chunks, link the tiers, tag new meta-graphs. A failure here is reported and
        left marked for the next run; the documents are already committed."""
        documents = self.store.documents
        pending, version = documents.post_write()
        if not pending and not report.documents_written:
            return
        clock = time.perf_counter()
        self.notify(ProgressEvent("link", 0, 1))
        try:
            for hidden in documents.hidden():
                if hidden.state == "retired" or _stopped(hidden, self.settings.staging_stale_s):
                    documents.purge(hidden.doc_id, hidden.state, run=hidden.run)
            links = self.store.tier_links
            report.reference_links += links.by_hierarchy()
            report.reference_links += links.by_embedding(threshold=self.settings.reference_for(self.embedder.name))
            report.same_as_links += links.same_as(threshold=self.settings.same_as_for(self.embedder.name))
            self.notify(ProgressEvent("link", 1, 1))
            report.timed("link", time.perf_counter() - clock)
            clock = time.perf_counter()
            # A concurrent run building the first tree holds its lease: wait for it, then tag
            # what that tree does not cover (this run's meta-graphs).
            for attempt in Retrying(
                retry=retry_if_exception_type(Conflict),
                wait=wait_exponential(multiplier=0.5, max=15),
                stop=stop_after_delay(TAG_WAIT_S),
                reraise=True,
            ):
                with attempt:
                    report.tags_attached = attach_tags(
                        self.store.tags,
                        self.tags,
                        self.construction.summarizer,
                        dimension=self.embedder.dimension,
                        model=self.embedder.name,
                        on_progress=self.notify,
                    )
            report.tag_summaries_extractive = self.construction.summarizer.fallbacks
            report.timed("tags", time.perf_counter() - clock)
            documents.post_write_done(version)
        except MedGraphError as exc:
            log.warning("post-write work left for the next run: %s", exc)
            report.post_write_error = str(exc)

    def _build(self, batch: Sequence[SourceDocument], report: IngestReport, embedded: set[str]) -> BuiltBatch:
        """A batch's records, with their vectors, without the documents a stage could not build."""
        return self.embedded(self._prepare(batch, report, embedded), report)

    def _prepare(self, batch: Sequence[SourceDocument], report: IngestReport, embedded: set[str]) -> PreparedBatch:
        """A batch built but for its vectors, without the documents a stage could not build."""
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
        report.timed("chunk", time.perf_counter() - clock)
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

    def _records(self, built: list[ChunkedDocument], report: IngestReport, embedded: set[str]) -> PreparedBatch:
        clock = time.perf_counter()
        entities: dict[str, EntityRecord] = {}
        types: dict[str, Counter[str]] = {}
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
                types.setdefault(eid, Counter())[m.type] += 1
                mention_records.append(MentionRecord(ord_, eid, m.start, m.end, m.surface, m.assertion, m.method))
                by_chunk.setdefault(ord_, []).append((m, eid))
            per_document.append((ChunkMentions(item, by_chunk), mention_records))
        # A concept's entity takes the group most of its mentions give it, not its first mention's,
        # and any group over none: one "oncology" (no disorder where it stands) does not make
        # Neoplasm a concept of no group, and a drug the recognizer marks once is a drug throughout.
        for eid, counted in types.items():
            grouped = Counter({group: n for group, n in counted.items() if group != DEFAULT_GROUP}) or counted
            if len(counted) > 1:
                entities[eid] = dataclasses.replace(entities[eid], type=grouped.most_common(1)[0][0])
        report.timed("entities", time.perf_counter() - clock)

        clock = time.perf_counter()
        relations = self.construction.relations.relations([mentions for mentions, _ in per_document], entities)
        report.timed("relations", time.perf_counter() - clock)
        clock = time.perf_counter()
        documents = []
        definitions: dict[str, DefinitionLink] = {}
        for (mentions, mention_records), document_relations in zip(per_document, relations):
            if isinstance(document_relations, DocumentFailure):
                self._failed(document_relations, report)
                continue
            documents.append((mentions.item, mention_records, document_relations))
            for m in mentions.item.mentions:
                report.mentions_negated += m.assertion.negated
                report.mentions_uncertain += m.assertion.uncertain
                report.mentions_historical += m.assertion.historical
                report.mentions_family += m.assertion.family
                report.mentions_conditional += m.assertion.conditional
            for chunk_mentions in mentions.by_chunk.values():
                for m, eid in chunk_mentions:
                    if m.concept_id:
                        definitions.setdefault(eid, DefinitionLink(eid, m.concept_id, 1.0, m.method))
        # Only the entities of documents that are written are written.
        used = {m.entity_id for _, mention_records, _ in documents for m in mention_records}
        kept = {eid: e for eid, e in entities.items() if eid in used}
        # Entities embedded earlier in this run may still be in a write in flight.
        known = embedded | self.store.documents.stored_entities([eid for eid in kept if eid not in embedded])
        fresh = [eid for eid in kept if eid not in known]
        embedded.update(fresh)
        report.timed("entities", time.perf_counter() - clock)
        return PreparedBatch(documents, kept, fresh, list(definitions.values()))

    def embedded(self, prepared: PreparedBatch, report: IngestReport) -> BuiltBatch:
        """The batch's records with their vectors: each chunk's embedded in its context, each new
        entity's from its name and type (all in one call to the model)."""
        clock = time.perf_counter()
        chunk_texts = [
            contextual(context, chunk.text)
            for item, _, _ in prepared.documents
            for chunk, context in zip(item.chunks, item.contexts, strict=True)
        ]
        entities = prepared.entities
        fresh = [entities[eid] for eid in prepared.fresh]
        vectors = self.embedder.embed([*chunk_texts, *(entity_content(e.name, e.type) for e in fresh)])
        records, offset = [], 0
        for item, mention_records, relations in prepared.documents:
            own = vectors[offset : offset + len(item.chunks)]
            offset += len(item.chunks)
            records.append(self._record(item, own, mention_records, relations))
        kept = dict(entities)
        for e, vector in zip(fresh, vectors[offset:]):
            kept[e.entity_id] = dataclasses.replace(e, embedding=vector)
        report.entities += len(kept)
        report.entities_new += len(fresh)
        report.concept_links += len(prepared.definitions)
        report.timed("embed", time.perf_counter() - clock)
        return BuiltBatch(records, list(kept.values()), prepared.definitions)

    def _record(
        self,
        item: ChunkedDocument,
        vectors: np.ndarray,
        mentions: list[MentionRecord],
        relations: list[RelationRecord],
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
                ChunkRecord(
                    c.ord,
                    c.start,
                    c.end,
                    c.text,
                    v,
                    document.page_of(c.start),
                    document.page_of(c.end - 1),
                    context,
                )
                for c, v, context in zip(item.chunks, vectors, item.contexts, strict=True)
            ],
            mentions=mentions,
            relations=relations,
        )

    def write_batch(self, built: BuiltBatch, report: IngestReport) -> None:
        """Write a built batch in one transaction and count what it wrote in `report`."""
        clock = time.perf_counter()
        records = built.records
        written = self.store.documents.write(records, built.entities, built.definitions)
        report.timed("write", time.perf_counter() - clock)
        log.info("wrote %d documents (%d chunks) in %.1f s", len(records), written.chunks, time.perf_counter() - clock)
        report.documents_written += len(records)
        report.chunks_written += written.chunks
        report.mentions += written.mentions
        report.relations += written.relations
        report.reference_links += written.reference_links


def resolved(names: Mapping[Path, str] | None) -> dict[Path, str]:
    """Stable source names by resolved path."""
    return {Path(p).resolve(): name for p, name in (names or {}).items()}


def _stopped(hidden: HiddenChunks, stale_s: float) -> bool:
    """Whether the run that staged `hidden` has stopped: its process on this machine is gone, or it
    has written no part for `stale_s` seconds."""
    return process_gone(hidden.run) or hidden.idle_s >= stale_s


def _placed(
    record: DocumentRecord, document: SourceDocument, start: int, first_ord: int, fingerprint: str
) -> DocumentRecord:
    """A part of `document` built on its own (from character `start`) as a record of the whole
    document: chunks numbered from `first_ord`, offsets and pages in the whole text, its identity."""
    chunks = [
        ChunkRecord(
            c.ord + first_ord,
            c.start + start,
            c.end + start,
            c.text,
            c.embedding,
            document.page_of(c.start + start),
            document.page_of(c.end + start - 1),
            c.context,
        )
        for c in record.chunks
    ]
    mentions = [
        dataclasses.replace(m, chunk_ord=m.chunk_ord + first_ord, start=m.start + start, end=m.end + start)
        for m in record.mentions
    ]
    relations = [dataclasses.replace(r, chunk_ord=r.chunk_ord + first_ord) for r in record.relations]
    return dataclasses.replace(
        record,
        title=document.title,
        sha256=document.sha256,
        fingerprint=fingerprint,
        chars=len(document.text),
        chunks=chunks,
        mentions=mentions,
        relations=relations,
    )


def entity_content(name: str, type_: str, context: str = "") -> str:
    """The text an entity is embedded as (paper: name, type, context); offline entities are
    concept-identified, so their name and type say what they are."""
    return f"{name} ({type_})" + (f": {context}" if context else "")
