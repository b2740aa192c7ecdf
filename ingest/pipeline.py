"""The construction pipeline: files -> documents -> chunks -> meta-graphs -> Neo4j, with progress.

Per batch of documents: sentences (spaCy), hybrid static-semantic chunks, entity mentions with
negation status, concept links (DEFINITION_OF), relations, then one write transaction that also
links user and reference entities sharing a concept (REFERENCE_OF). After all batches, user entities
no shared concept links are linked through the vocabulary hierarchy, then by content-embedding
similarity (REFERENCE_OF); entities without a concept get SAME_AS to near-duplicates.

Offline (the default) the mentions come from the vocabulary ruler, relations from co-occurrence in
a sentence typed by the vocabulary's own relation where there is one. With a construction LLM the
chunk boundaries, entities and relation phrases come from the model (ingest/llm_construction.py).
"""

from __future__ import annotations

import bisect
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from neo4j import Driver

from medgraphrag.embeddings import Embedder
from medgraphrag.graph.tier_links import (
    link_references_by_embedding, link_references_by_hierarchy, link_same_as,
)
from medgraphrag.graph.vocab.lexicon import concept_relations, reference_contents
from medgraphrag.graph.vocab.names import normalize
from medgraphrag.graph.writer import (
    ChunkRecord, DefinitionLink, DocumentRecord, EntityRecord, MentionRecord, RelationRecord, entity_id,
    stored_documents, stored_entities, write_documents,
)
from medgraphrag.ids import digest
from medgraphrag.ingest.chunking import TextChunk, semantic_chunks, topic_chunks, units
from medgraphrag.ingest.extraction import (
    Mention, VocabularyRuler, cooccurring_pairs, entity_content, extract_mentions,
)
from medgraphrag.ingest.linking import ConceptLinker
from medgraphrag.ingest.llm_construction import EntityContent, LLMConstruction, locate
from medgraphrag.ingest.loaders import LoadError, SourceDocument, discover, load_all
from medgraphrag.ingest.negation import NEGATED, UNCERTAIN, statuses
from medgraphrag.ingest.nlp import Sentence, parse
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress

# Bump when chunking, extraction or stored properties change meaning, so stored documents are rebuilt.
PIPELINE_VERSION = 2
CO_OCCURS = "co-occurs with"


@dataclass(frozen=True)
class IngestError:
    """A file (or a unit of one) that was not ingested, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """The outcome of one ingest run."""

    files: int = 0
    documents_written: int = 0
    documents_unchanged: int = 0
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
    errors: list[IngestError] = field(default_factory=list)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def chunks_per_second(self) -> float:
        """Chunks written per wall-clock second of the whole run."""
        return self.chunks_written / self.seconds if self.seconds > 0 else 0.0

    def timed(self, stage: str, seconds: float) -> None:
        """Add `seconds` to the time spent in `stage`."""
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


@dataclass(frozen=True)
class IngestConfig:
    """What shapes the stored result; a change of any of it re-ingests every document."""

    tier: str
    chunk_tokens: int
    batch_documents: int
    unit_tokens: int = 64
    topic_threshold: float = 0.25
    reference_threshold: float = 0.9
    same_as_threshold: float = 0.92

    def fingerprint(self, embedder: Embedder, vocabulary: str, construction: str | None) -> str:
        """Identity of the pipeline that built a document (not of its content): chunking, model,
        the vocabulary it linked against and the construction LLM, if any."""
        key = (f"v{PIPELINE_VERSION}|chunk_tokens={self.chunk_tokens}|unit_tokens={self.unit_tokens}"
               f"|topic={self.topic_threshold}|model={embedder.name}|dim={embedder.dimension}"
               f"|vocabulary={vocabulary}|llm={construction or 'offline'}")
        return digest(key, length=16)


@dataclass
class Construction:
    """How mentions and relations are made: the offline ruler, or an LLM with the concept linker."""

    ruler: VocabularyRuler
    vocabulary: str
    llm: LLMConstruction | None = None
    linker: ConceptLinker | None = None

    @property
    def name(self) -> str | None:
        """The construction model's name, None offline."""
        return self.llm.model.model if self.llm else None


@dataclass
class _Built:
    document: SourceDocument
    chunks: list[TextChunk]
    vectors: np.ndarray
    sentences: list[Sentence]
    mentions: list[Mention] = field(default_factory=list)


def ingest_paths(
    paths: Iterable[Path | str],
    config: IngestConfig,
    *,
    driver: Driver,
    database: str,
    embedder: Embedder,
    construction: Construction,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest the supported files under `paths`; bad files are reported, the others stored."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    report = IngestReport()
    files, discover_errors = discover(paths)
    report.errors.extend(IngestError(e.path, e.reason) for e in discover_errors)
    report.files = len(files)

    documents: list[SourceDocument] = []
    seen_files: set[str] = set()
    clock = time.perf_counter()
    for item in load_all(files):
        if isinstance(item, LoadError):
            report.errors.append(IngestError(item.path, item.reason))
            seen_files.add(item.path)
        else:
            documents.append(item)
            seen_files.add(item.source)
        notify(ProgressEvent("read", min(len(seen_files), len(files)), len(files)))
    notify(ProgressEvent("read", len(files), len(files)))

    fingerprint = config.fingerprint(embedder, construction.vocabulary, construction.name)
    stored = stored_documents(driver, database, [d.doc_id for d in documents])
    pending = []
    for document in documents:
        previous = stored.get(document.doc_id)
        if previous and (previous.sha256, previous.fingerprint, previous.tier) == (
            document.sha256, fingerprint, config.tier
        ):
            report.documents_unchanged += 1
        else:
            pending.append(document)
    report.timed("read", time.perf_counter() - clock)

    new_unlinked: list[str] = []
    embedded: set[str] = set()
    # One write in flight while the next batch is chunked and embedded: Neo4j's work overlaps ours.
    with ThreadPoolExecutor(max_workers=1) as writer:
        in_flight: Future[None] | None = None
        for first in range(0, len(pending), config.batch_documents):
            batch = pending[first : first + config.batch_documents]
            built = _chunk(batch, config, embedder, construction, report)
            _extract(built, construction, report)
            records, entities, definitions = _records(built, config, fingerprint, driver, database, embedder,
                                                      construction, report, embedded)
            if in_flight is not None:
                in_flight.result()
            new_unlinked.extend(e.entity_id for e in entities if e.embedding is not None and e.concept_id is None)
            in_flight = writer.submit(_write, driver, database, records, entities, definitions, report, notify,
                                      first + len(batch), len(pending))
        if in_flight is not None:
            in_flight.result()

    if report.documents_written:
        clock = time.perf_counter()
        notify(ProgressEvent("link", 0, 1))
        report.reference_links += link_references_by_hierarchy(driver, database)
        report.reference_links += link_references_by_embedding(driver, database, threshold=config.reference_threshold)
        report.same_as_links += link_same_as(driver, database, new_unlinked, threshold=config.same_as_threshold)
        notify(ProgressEvent("link", 1, 1))
        report.timed("link", time.perf_counter() - clock)
    report.seconds = time.perf_counter() - started
    return report


def _write(driver: Driver, database: str, records: list[DocumentRecord], entities: list[EntityRecord],
           definitions: list[DefinitionLink], report: IngestReport, notify: ProgressCallback, done: int,
           total: int) -> None:
    clock = time.perf_counter()
    written = write_documents(driver, database, records, entities, definitions)
    report.timed("write", time.perf_counter() - clock)
    report.documents_written += len(records)
    report.chunks_written += written.chunks
    report.mentions += written.mentions
    report.relations += written.relations
    report.reference_links += written.reference_links
    notify(ProgressEvent("build", done, total))


def _chunk(batch: Sequence[SourceDocument], config: IngestConfig, embedder: Embedder,
           construction: Construction, report: IngestReport) -> list[_Built]:
    clock = time.perf_counter()
    parsed = parse([d.text for d in batch])
    pieces = [units(s, max_tokens=min(config.unit_tokens, config.chunk_tokens)) for s in parsed]
    report.timed("parse", time.perf_counter() - clock)
    clock = time.perf_counter()
    built = []
    if construction.llm is not None:
        llm = construction.llm
        chunked = [topic_chunks(d.text, p, llm.same_topic, max_tokens=config.chunk_tokens)
                   for d, p in zip(batch, pieces)]
        vectors = embedder.embed([c.text for chunks in chunked for c in chunks])
        offset = 0
        for document, sentences, chunks in zip(batch, parsed, chunked):
            built.append(_Built(document, chunks, vectors[offset : offset + len(chunks)], sentences))
            offset += len(chunks)
    else:
        vectors = embedder.embed([d.text[u.start : u.end] for d, p in zip(batch, pieces) for u in p])
        offset = 0
        for document, sentences, document_units in zip(batch, parsed, pieces):
            own = vectors[offset : offset + len(document_units)]
            offset += len(document_units)
            pairs = semantic_chunks(document.text, document_units, own, max_tokens=config.chunk_tokens,
                                    topic_threshold=config.topic_threshold, min_tokens=config.chunk_tokens // 3)
            built.append(_Built(document, [c for c, _ in pairs],
                                np.array([v for _, v in pairs]).reshape(len(pairs), embedder.dimension),
                                sentences))
    report.timed("chunk+embed", time.perf_counter() - clock)
    return built


def _extract(built: list[_Built], construction: Construction, report: IngestReport) -> None:
    clock = time.perf_counter()
    for item in built:
        if construction.llm is None:
            item.mentions = extract_mentions(item.document.text, item.sentences, construction.ruler)
        else:
            item.mentions = _llm_mentions(item, construction)
    report.timed("extract", time.perf_counter() - clock)


def _llm_mentions(item: _Built, construction: Construction) -> list[Mention]:
    assert construction.llm is not None and construction.linker is not None
    text = item.document.text
    starts = [s.start for s in item.sentences]
    mentions: dict[tuple[int, int], Mention] = {}
    for chunk in item.chunks:
        for extracted in construction.llm.entities(chunk.text):
            where = locate(chunk.text, extracted)
            if where is None:
                continue  # the model named something the passage does not say
            start, end = chunk.start + where[0], chunk.start + where[1]
            sentence = item.sentences[max(0, bisect.bisect_right(starts, start) - 1)]
            links = construction.linker.link(extracted.name, k=1)
            link = links[0] if links and links[0].score >= 0.8 else None
            relative = (start - sentence.start, end - sentence.start)
            status = statuses(text[sentence.start : sentence.end], [relative])[0]
            mentions[(start, end)] = Mention(
                start, end, text[start:end], link.concept_id if link else "", link.cui if link else None,
                link.name if link else extracted.name, extracted.type, status, sentence.start, sentence.end,
                "llm+" + link.method if link else "llm",
            )
    return [mentions[key] for key in sorted(mentions)]


def _records(
    built: list[_Built], config: IngestConfig, fingerprint: str, driver: Driver, database: str, embedder: Embedder,
    construction: Construction, report: IngestReport, embedded: set[str],
) -> tuple[list[DocumentRecord], list[EntityRecord], list[DefinitionLink]]:
    clock = time.perf_counter()
    entities: dict[str, EntityRecord] = {}
    definitions: dict[str, DefinitionLink] = {}
    per_document: list[tuple[_Built, list[MentionRecord], dict[int, list[tuple[Mention, str]]]]] = []
    for item in built:
        starts = [c.start for c in item.chunks]
        mention_records: list[MentionRecord] = []
        by_chunk: dict[int, list[tuple[Mention, str]]] = {}
        for m in item.mentions:
            ord_ = max(0, bisect.bisect_right(starts, m.start) - 1)
            norm = normalize(m.name)
            eid = entity_id(config.tier, m.concept_id or None, norm, m.type)
            if eid not in entities:
                entities[eid] = EntityRecord(eid, config.tier, m.name, norm, m.type, m.concept_id or None,
                                             item.document.text[m.sentence_start : m.sentence_end][:500])
            if m.concept_id:
                definitions.setdefault(eid, DefinitionLink(eid, m.concept_id, 1.0, m.method))
            mention_records.append(MentionRecord(ord_, eid, m.start, m.end, m.surface, m.status, m.method))
            by_chunk.setdefault(ord_, []).append((m, eid))
            report.mentions_negated += m.status == NEGATED
            report.mentions_uncertain += m.status == UNCERTAIN
        per_document.append((item, mention_records, by_chunk))
    # Entities embedded earlier in this run may still be in the write in flight.
    known = embedded | stored_entities(driver, database, [eid for eid in entities if eid not in embedded])
    fresh = [e for eid, e in entities.items() if eid not in known]
    embedded.update(e.entity_id for e in fresh)
    vectors = embedder.embed([entity_content(e.name, e.type) for e in fresh])
    for e, vector in zip(fresh, vectors):
        entities[e.entity_id] = EntityRecord(e.entity_id, e.tier, e.name, e.norm_name, e.type, e.concept_id,
                                             e.context, vector)
    report.entities += len(entities)
    report.entities_new += len(fresh)
    report.concept_links += len(definitions)
    report.timed("entities", time.perf_counter() - clock)

    clock = time.perf_counter()
    relations = _relations(per_document, entities, driver, database, construction)
    report.timed("relations", time.perf_counter() - clock)
    records = [
        DocumentRecord(
            doc_id=item.document.doc_id, tier=config.tier, title=item.document.title, source=item.document.source,
            media_type=item.document.media_type, sha256=item.document.sha256, fingerprint=fingerprint,
            chars=len(item.document.text), unit=item.document.unit, metadata=item.document.metadata,
            chunks=[ChunkRecord(c.ord, c.start, c.end, c.text, v, item.document.page_of(c.start),
                                item.document.page_of(c.end - 1))
                    for c, v in zip(item.chunks, item.vectors)],
            mentions=mention_records, relations=document_relations,
        )
        for (item, mention_records, _), document_relations in zip(per_document, relations)
    ]
    return records, list(entities.values()), list(definitions.values())


def _relations(
    per_document: list[tuple[_Built, list[MentionRecord], dict[int, list[tuple[Mention, str]]]]],
    entities: dict[str, EntityRecord], driver: Driver, database: str, construction: Construction,
) -> list[list[RelationRecord]]:
    if construction.llm is not None:
        references = reference_contents(driver, database, [e.concept_id for e in entities.values() if e.concept_id])
        return [_llm_relations(item, by_chunk, entities, references, construction.llm)
                for item, _, by_chunk in per_document]
    candidates = []
    for _, _, by_chunk in per_document:
        pairs = []
        for ord_, mentions in by_chunk.items():
            ids = {id(m): eid for m, eid in mentions}
            pairs.extend((ord_, a, b, ids[id(a)], ids[id(b)])
                         for a, b in cooccurring_pairs([m for m, _ in mentions]))
        candidates.append(pairs)
    phrases = concept_relations(driver, database, [(a.concept_id, b.concept_id) for pairs in candidates
                                                   for _, a, b, _, _ in pairs])
    relations = []
    for pairs in candidates:
        found: dict[tuple[int, str, str], RelationRecord] = {}
        for ord_, a, b, ea, eb in pairs:
            if (phrase := phrases.get((a.concept_id, b.concept_id))) is not None:
                record = RelationRecord(ord_, ea, eb, phrase, "vocabulary")
            elif (phrase := phrases.get((b.concept_id, a.concept_id))) is not None:
                record = RelationRecord(ord_, eb, ea, phrase, "vocabulary")
            else:
                record = RelationRecord(ord_, ea, eb, CO_OCCURS, "co-occurrence")
            found.setdefault((ord_, record.source_id, record.target_id), record)
        relations.append(list(found.values()))
    return relations


def _llm_relations(item: _Built, by_chunk: dict[int, list[tuple[Mention, str]]], entities: dict[str, EntityRecord],
                   references: dict[str, list[str]], llm: LLMConstruction) -> list[RelationRecord]:
    relations = []
    for ord_, mentions in sorted(by_chunk.items()):
        ids = dict.fromkeys(eid for _, eid in mentions)
        contents = [EntityContent(entities[eid].name, entities[eid].type, entities[eid].context,
                                  tuple(references.get(entities[eid].concept_id or "", ()))) for eid in ids]
        by_name = {entities[eid].name: eid for eid in ids}
        for r in llm.relations(item.chunks[ord_].text, contents):
            relations.append(RelationRecord(ord_, by_name[r.source], by_name[r.target], r.phrase, "llm"))
    return relations
