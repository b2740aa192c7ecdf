"""The stored documents: write them, list them, show one with its entities, delete them exactly.

A batch of documents is written in one transaction (batched UNWIND): each document's previous
content is removed, the new content created, and entities that lost their last mention removed,
so a crash leaves no half-written document and a rerun completes the batch. A document too large
for one transaction is staged: its chunks are written in bounded parts, hidden from every search,
then published in one small write that also retires (unlinks and hides) its previous chunks;
retired chunks, and the staged chunks of a run that stopped, are removed afterwards in bounded
batches. Deleting retires too. Entities are shared within a tier (one per concept), so a
document's delete or update removes only its own mentions, meta-graphs and relations; shared
entities keep their other provenance.

Every transaction that changes documents first takes the write lock (one node), so concurrent runs
and deletes take turns instead of colliding; a write also marks the post-write work (tier links,
tags) as pending, durably, for whichever run comes next if this one stops.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from medgraphrag.core.ids import DocumentTier, chunk_id, graph_id
from medgraphrag.graph.connection import Connection, Transaction
from medgraphrag.graph.mesh_headings import mesh_headings
from medgraphrag.nlp.assertion import Assertion

PURGE_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk ready to store: span, text, embedding, the pages it lies on (PDFs) and the context
    (title, headings) that was embedded and is full-text indexed with its text."""

    ord: int
    start: int
    end: int
    text: str
    embedding: Sequence[float]
    page_start: int | None = None
    page_end: int | None = None
    context: str = ""


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An entity of a tier; `embedding` is None when the graph already holds the entity."""

    entity_id: str
    tier: str
    name: str
    norm_name: str
    type: str
    concept_id: str | None
    context: str
    embedding: Sequence[float] | None = None


@dataclass(frozen=True, slots=True)
class MentionRecord:
    """One mention of an entity in the chunk `chunk_ord` of its document."""

    chunk_ord: int
    entity_id: str
    start: int
    end: int
    surface: str
    assertion: Assertion
    method: str


@dataclass(frozen=True, slots=True)
class RelationRecord:
    """A relation the meta-graph of chunk `chunk_ord` states between two of its entities."""

    chunk_ord: int
    source_id: str
    target_id: str
    phrase: str
    kind: str


@dataclass(frozen=True, slots=True)
class DefinitionLink:
    """An entity's link to the concept it stands for."""

    entity_id: str
    concept_id: str
    score: float
    method: str


@dataclass(frozen=True)
class DocumentRecord:
    """A document ready to store, with all its content; replaces any stored version of itself."""

    doc_id: str
    tier: str
    title: str
    source: str
    media_type: str
    sha256: str
    fingerprint: str
    chars: int
    unit: str = ""
    metadata: tuple[tuple[str, str], ...] = ()
    chunks: list[ChunkRecord] = field(default_factory=list)
    mentions: list[MentionRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    chunk_count: int | None = None  # set when `chunks` holds a part of the document, or none of it


@dataclass(frozen=True, slots=True)
class HiddenChunks:
    """Chunks of a document hidden from search: `retired` (replaced or deleted, to remove) or
    `staged` by `run` (to publish, or to remove once that run has stopped)."""

    doc_id: str
    state: str
    run: str | None
    idle_s: float = 0.0  # seconds since the run wrote its last part (staged chunks)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """What the graph holds about a document, enough to decide whether and how to rewrite it."""

    doc_id: str
    sha256: str
    fingerprint: str
    tier: str
    chunks: int = 0


@dataclass
class BatchWrite:
    """What one batch transaction changed."""

    chunks: int = 0
    mentions: int = 0
    relations: int = 0
    entities_removed: int = 0
    reference_links: int = 0


class Deletion(BaseModel):
    """What deleting documents removed: documents, entities only they mentioned, and shared
    entities kept with their other provenance."""

    documents: int
    entities_removed: int
    entities_kept: int


class DocumentSummary(BaseModel):
    """A stored document as listed: id, tier, title, source (and the unit within a multi-document
    file), media type, chunks, distinct entities mentioned and when it was ingested."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    tier: DocumentTier
    title: str
    source: str
    external_id: str | None = None
    media_type: str | None = None
    chunks: int | None = None
    entities: int | None = None
    ingested_at: str | None = None


class EntityReference(BaseModel):
    """An entity of the other document tier linked by REFERENCE_OF, with how and how strongly."""

    entity_id: str
    name: str
    tier: str
    method: str | None = None
    score: float | None = None


class DocumentEntity(BaseModel):
    """An entity a document mentions: its mention counts by status, its concept, and its links to
    the other tier."""

    entity_id: str
    name: str
    type: str
    surface: str | None = None
    mentions: int
    negated: int
    uncertain: int
    historical: int = 0
    family: int = 0
    conditional: int = 0
    concept_id: str | None = None
    concept_name: str | None = None
    link_method: str | None = None
    references: list[EntityReference] = []


class DocumentMention(BaseModel):
    """A mention as stored: its document, span in the document's text, words, one-word status,
    entity type (semantic group) and the concept it stands for, with the concept's other ids and
    its MeSH headings: its own MeSH descriptors; else those of the one other concept carrying a
    descriptor that has its preferred name among its names (a MeSH entry term, mostly); else those
    of its nearest ancestors that have one, at most three IS_A steps up (how MeSH indexes a concept
    finer than its headings)."""

    doc_id: str
    external_id: str | None = None
    start: int
    end: int
    surface: str
    status: str
    type: str
    concept_id: str | None = None
    xrefs: list[str] = []
    mesh_headings: list[str] = []


class ChunkText(BaseModel):
    """A stored chunk's span in its document's text, and its words (exactly text[start:end])."""

    start: int
    end: int
    text: str


class DocumentText(BaseModel):
    """A document's text as its stored chunks hold it, with every mention on it (what a reader
    sees highlighted)."""

    doc_id: str
    chunks: list[ChunkText]
    mentions: list[DocumentMention]


class DocumentDetail(BaseModel):
    """A document's stored properties, its chunk and relation counts, and its entities."""

    document: dict[str, str | int | float | bool | None]
    chunks: int
    relations: int
    entities: list[DocumentEntity]


class DocumentStore:
    """The documents of the graph, each with its chunks, meta-graphs, mentions and relations."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def stored(self, doc_ids: Sequence[str]) -> dict[str, StoredDocument]:
        """The stored state of those of `doc_ids` the graph already has."""
        records = self._db.read("existing_documents", doc_ids=list(doc_ids))
        return {
            r["doc_id"]: StoredDocument(r["doc_id"], r["sha256"], r["fingerprint"], r["tier"], int(r["chunks"]))
            for r in records
        }

    def stored_entities(self, entity_ids: Sequence[str]) -> set[str]:
        """Those of `entity_ids` the graph already holds."""
        return {r["entity_id"] for r in self._db.read("existing_entities", entity_ids=list(entity_ids))}

    def write(
        self,
        documents: Sequence[DocumentRecord],
        entities: Sequence[EntityRecord] = (),
        definitions: Sequence[DefinitionLink] = (),
    ) -> BatchWrite:
        """Replace each document's stored content by this one, all in one transaction."""
        if not documents:
            return BatchWrite()
        return self._db.transaction(lambda tx: _write_batch(tx, list(documents), list(entities), list(definitions)))

    def delete(self, doc_ids: Sequence[str]) -> Deletion:
        """Delete documents and what only they supported: the documents go in one small write, their
        content in bounded batches after it; entities that other documents also mention stay, with
        that provenance."""
        ids = list(doc_ids)
        record = self._db.transaction(lambda tx: _locked(tx, pending=False).single("retire_documents", doc_ids=ids))
        removed = kept = 0
        for doc_id in ids:
            purge = self.purge(doc_id, "retired")
            removed, kept = removed + purge.entities_removed, kept + purge.entities_kept
        return Deletion(documents=int(record["deleted"]) if record else 0, entities_removed=removed, entities_kept=kept)

    def stage(
        self,
        doc_id: str,
        part: DocumentRecord,
        entities: Sequence[EntityRecord] = (),
        definitions: Sequence[DefinitionLink] = (),
        *,
        run: str,
    ) -> BatchWrite:
        """Write one part of a large document (its chunks with global positions, their mentions and
        relations) hidden until `publish`, as staged by `run` (a token of the staging run: its
        chunk ids are the run's own); parts are written in order and linked to the one before."""
        return self._db.transaction(lambda tx: _write_part(tx, doc_id, part, list(entities), list(definitions), run))

    def publish(self, document: DocumentRecord, *, run: str) -> int:
        """Make the document `run` staged visible in one write (its properties from `document`,
        whose chunk list is ignored), retiring its previous chunks; returns how many chunks it now
        has."""

        def work(tx: Transaction) -> int:
            _locked(tx, pending=True)
            tx.run("merge_documents", documents=[_document_row(document)])
            record = tx.single("publish_document", doc_id=document.doc_id, run=run)
            return int(record["chunks"]) if record else 0

        return self._db.transaction(work)

    def purge(self, doc_id: str, state: str, *, run: str | None = None, batch: int = PURGE_BATCH) -> Deletion:
        """Remove a document's hidden chunks of `state` (`retired`, or `staged`: by `run` when
        given) with what they put in the graph, in transactions of `batch` chunks."""
        mentioned: set[str] = set()
        removed = 0
        while True:
            record = self._db.read_one("owned_chunks", doc_id=doc_id, state=state, run=run, limit=batch)
            chunk_ids = list(record["chunk_ids"]) if record else []
            if not chunk_ids:
                break

            def work(tx: Transaction, chunk_ids: list[str] = chunk_ids) -> tuple[list[str], int]:
                _locked(tx, pending=False)
                entity_ids = _remove_chunks(tx, chunk_ids)
                return entity_ids, _remove_orphans(tx, entity_ids)

            entity_ids, gone = self._db.transaction(work)
            mentioned.update(entity_ids)
            removed += gone
        return Deletion(documents=0, entities_removed=removed, entities_kept=len(mentioned) - removed)

    def hidden(self) -> list[HiddenChunks]:
        """The hidden chunks of each document: retired ones, and those each run staged."""
        records = self._db.read("hidden_owners")
        return [HiddenChunks(r["doc_id"], r["state"], r["run"], float(r["idle_s"])) for r in records]

    def post_write(self) -> tuple[bool, int]:
        """Whether writes left post-write work pending, and the writes' version now."""
        record = self._db.read_one("post_write_state")
        return (bool(record["pending"]), int(record["version"])) if record else (False, 0)

    def post_write_done(self, version: int) -> bool:
        """Clear the post-write mark, unless a write came after `version` (then it stays)."""
        return self._db.write_one("finish_post_write", version=version) is not None

    def summaries(self, *, tier: DocumentTier | None = None, skip: int = 0, limit: int = 100) -> list[DocumentSummary]:
        """Stored documents, by source."""
        records = self._db.read("list_documents", tier=tier, skip=skip, limit=limit)
        return [DocumentSummary.model_validate(r.data()) for r in records]

    def mentions(self, doc_ids: Sequence[str]) -> list[DocumentMention]:
        """Every mention of the documents, by document and then position, with its concept's MeSH
        headings."""
        rows = [r.data() for r in self._db.read("document_mentions", doc_ids=list(doc_ids))]
        # A document names its concepts many times: each concept's headings are worked out once.
        headings = self.mesh_headings(sorted({row["concept_id"] for row in rows if row["concept_id"]}))
        return [
            DocumentMention.model_validate({**row, "mesh_headings": headings.get(row["concept_id"], [])})
            for row in rows
        ]

    def mesh_headings(self, concept_ids: Sequence[str]) -> dict[str, list[str]]:
        """The MeSH headings of each concept (its own descriptors, else those MeSH files it under;
        graph/mesh_headings.py); unknown ids give nothing."""
        return mesh_headings(self._db, concept_ids)

    def text(self, doc_id: str) -> DocumentText | None:
        """A document's chunks in text order with its mentions; None if there is none."""
        chunks = [ChunkText.model_validate(r.data()) for r in self._db.read("document_text", doc_id=doc_id)]
        if not chunks and not self.stored([doc_id]):
            return None
        return DocumentText(doc_id=doc_id, chunks=chunks, mentions=self.mentions([doc_id]))

    def detail(self, doc_id: str) -> DocumentDetail | None:
        """A document with its entities (mentions, concept, tier links); None if there is none."""
        record = self._db.read_one("document_detail", doc_id=doc_id)
        if record is None:
            return None
        document = dict(record["document"])
        document.pop("ingested_at", None)
        return DocumentDetail(
            document=document, chunks=record["chunks"], relations=record["relations"], entities=record["entities"]
        )


def _locked(tx: Transaction, *, pending: bool) -> Transaction:
    """Take the write lock for the rest of the transaction (and mark post-write work pending)."""
    tx.run("lock_writes", pending=pending)
    return tx


def _remove_content(tx: Transaction, doc_ids: list[str], new_chunk_ids: list[str]) -> list[str]:
    """Delete the documents' chunks, meta-graphs, mentions, relations and leaf tags, and any chunk
    left with an id about to be written; return the ids of the entities those chunks mentioned."""
    record = tx.single("document_chunks", doc_ids=doc_ids)
    stored = list(record["chunk_ids"]) if record else []
    # A deleted document's chunks outlive it until the delete's batches reach them (graph delete):
    # ingesting the same document meanwhile would create them again.
    return _remove_chunks(tx, list(dict.fromkeys(stored + new_chunk_ids)))


def _remove_chunks(tx: Transaction, chunk_ids: list[str]) -> list[str]:
    """Delete chunks with their meta-graphs, mentions, relations and leaf tags; return the ids of
    the entities they mentioned."""
    if not chunk_ids:
        return []
    tx.run("delete_chunk_tags", chunk_ids=chunk_ids)
    records = tx.run("delete_chunks", chunk_ids=chunk_ids)
    return sorted({entity for record in records for entity in record["mentioned"]})


def _remove_orphans(tx: Transaction, entity_ids: list[str]) -> int:
    """Delete those of the entities that no chunk mentions any more; return how many."""
    record = tx.single("delete_orphan_entities", entity_ids=entity_ids)
    return int(record["removed"]) if record else 0


@dataclass
class _Rows:
    """A document's content as the write queries take it."""

    version: str = ""  # a staging run's token: its chunks get ids of their own
    chunks: list[dict[str, object]] = field(default_factory=list)
    pairs: list[dict[str, str]] = field(default_factory=list)
    mentions: list[dict[str, object]] = field(default_factory=list)
    relations: list[dict[str, object]] = field(default_factory=list)

    def add(self, d: DocumentRecord) -> None:
        """Add the rows of `d`'s chunks, NEXT links, mentions and relations (by chunk position)."""
        ids = {c.ord: chunk_id(d.doc_id, c.ord, c.start, c.end, c.text, version=self.version) for c in d.chunks}
        ordered = [ids[c.ord] for c in d.chunks]
        self.pairs.extend({"from": a, "to": b} for a, b in itertools.pairwise(ordered))
        self.chunks.extend(
            {
                "doc_id": d.doc_id,
                "chunk_id": ids[c.ord],
                "graph_id": graph_id(ids[c.ord]),
                "ord": c.ord,
                "properties": {
                    "tier": d.tier,
                    "start": c.start,
                    "end": c.end,
                    "text": c.text,
                    "context": c.context,
                    "page_start": c.page_start,
                    "page_end": c.page_end,
                },
                "embedding": [float(x) for x in c.embedding],
            }
            for c in d.chunks
        )
        self.mentions.extend(
            {
                "chunk_id": ids[m.chunk_ord],
                "graph_id": graph_id(ids[m.chunk_ord]),
                "entity_id": m.entity_id,
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "status": m.assertion.status,
                "negated": m.assertion.negated,
                "uncertain": m.assertion.uncertain,
                "historical": m.assertion.historical,
                "family": m.assertion.family,
                "conditional": m.assertion.conditional,
                "method": m.method,
            }
            for m in d.mentions
        )
        self.relations.extend(
            {
                "chunk_id": ids[r.chunk_ord],
                "graph_id": graph_id(ids[r.chunk_ord]),
                "source_id": r.source_id,
                "target_id": r.target_id,
                "phrase": r.phrase,
                "kind": r.kind,
            }
            for r in d.relations
        )


def _write_batch(
    tx: Transaction, documents: list[DocumentRecord], entities: list[EntityRecord], definitions: list[DefinitionLink]
) -> BatchWrite:
    _locked(tx, pending=True)
    result = BatchWrite()
    rows = _Rows()
    for d in documents:
        rows.add(d)
    previously_mentioned = _remove_content(tx, [d.doc_id for d in documents], [str(c["chunk_id"]) for c in rows.chunks])
    tx.run("merge_documents", documents=[_document_row(d) for d in documents])
    tx.run("create_chunks", chunks=rows.chunks)
    tx.run("link_chunks", pairs=rows.pairs)
    _merge_entities(tx, entities, definitions)
    tx.run("create_mentions", mentions=rows.mentions)
    tx.run("create_relations", relations=rows.relations)
    result.entities_removed = _remove_orphans(tx, previously_mentioned)
    result.reference_links = _link_by_concept(tx, rows)
    result.chunks, result.mentions, result.relations = len(rows.chunks), len(rows.mentions), len(rows.relations)
    return result


def _write_part(
    tx: Transaction,
    doc_id: str,
    part: DocumentRecord,
    entities: list[EntityRecord],
    definitions: list[DefinitionLink],
    run: str,
) -> BatchWrite:
    _locked(tx, pending=True)
    rows = _Rows(version=run)
    rows.add(part)
    tx.run("stage_chunks", chunks=rows.chunks, doc_id=doc_id, run=run)
    tx.run("link_chunks", pairs=rows.pairs)
    if part.chunks:
        first = rows.chunks[0]
        tx.run("link_staged_part", doc_id=doc_id, run=run, first=first["chunk_id"], first_ord=first["ord"])
    _merge_entities(tx, entities, definitions)
    tx.run("create_mentions", mentions=rows.mentions)
    tx.run("create_relations", relations=rows.relations)
    return BatchWrite(
        chunks=len(rows.chunks),
        mentions=len(rows.mentions),
        relations=len(rows.relations),
        reference_links=_link_by_concept(tx, rows),
    )


def _merge_entities(tx: Transaction, entities: list[EntityRecord], definitions: list[DefinitionLink]) -> None:
    tx.run(
        "merge_entities",
        entities=[
            {
                "entity_id": e.entity_id,
                "properties": {
                    "tier": e.tier,
                    "name": e.name,
                    "norm_name": e.norm_name,
                    "type": e.type,
                    "concept_id": e.concept_id,
                    "context": e.context,
                },
                "embedding": None if e.embedding is None else [float(x) for x in e.embedding],
            }
            for e in entities
        ],
    )
    tx.run(
        "merge_definitions",
        links=[
            {"entity_id": link.entity_id, "concept_id": link.concept_id, "score": link.score, "method": link.method}
            for link in definitions
        ],
    )


def _link_by_concept(tx: Transaction, rows: _Rows) -> int:
    """REFERENCE_OF between the mentioned entities and those of the other tier sharing their concept."""
    record = tx.single("link_references_by_concept", entity_ids=sorted({str(m["entity_id"]) for m in rows.mentions}))
    return int(record["links"]) if record else 0


def _document_row(d: DocumentRecord) -> dict[str, object]:
    properties: dict[str, object] = {
        "tier": d.tier,
        "title": d.title,
        "source": d.source,
        "media_type": d.media_type,
        "sha256": d.sha256,
        "fingerprint": d.fingerprint,
        "chars": d.chars,
        "chunk_count": len(d.chunks) if d.chunk_count is None else d.chunk_count,
        "external_id": d.unit or None,
    }
    properties.update({f"meta_{key}": value for key, value in d.metadata})
    return {"doc_id": d.doc_id, "properties": properties}
