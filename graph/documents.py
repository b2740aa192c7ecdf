"""The stored documents: write a batch, list them, show one with its entities, delete them exactly.

A batch of documents is written in one transaction (batched UNWIND): each document's previous
content is removed, the new content created, and entities that lost their last mention removed,
so a crash leaves no half-written document and a rerun completes the batch. Entities are shared
within a tier (one per concept), so a document's delete or update removes only its own mentions,
meta-graphs and relations; shared entities keep their other provenance.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from medgraphrag.core.ids import DocumentTier, chunk_id, graph_id
from medgraphrag.graph.connection import Connection, Transaction


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk ready to store: span, text, embedding and the pages it lies on (PDFs)."""

    ord: int
    start: int
    end: int
    text: str
    embedding: Sequence[float]
    page_start: int | None = None
    page_end: int | None = None


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
    status: str
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


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """What the graph holds about a document, enough to decide whether to rewrite it."""

    doc_id: str
    sha256: str
    fingerprint: str
    tier: str


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
    file), media type, chunks and when it was ingested."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    tier: DocumentTier
    title: str
    source: str
    external_id: str | None = None
    media_type: str | None = None
    chunks: int | None = None
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
    concept_id: str | None = None
    concept_name: str | None = None
    link_method: str | None = None
    references: list[EntityReference] = []


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
        return {r["doc_id"]: StoredDocument(r["doc_id"], r["sha256"], r["fingerprint"], r["tier"]) for r in records}

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
        """Delete documents and what only they supported, in one transaction; entities that other
        documents also mention stay, with that provenance."""
        return self._db.transaction(lambda tx: _delete(tx, list(doc_ids)))

    def summaries(self, *, tier: DocumentTier | None = None, skip: int = 0, limit: int = 100) -> list[DocumentSummary]:
        """Stored documents, by source."""
        records = self._db.read("list_documents", tier=tier, skip=skip, limit=limit)
        return [DocumentSummary.model_validate(r.data()) for r in records]

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


def _remove_content(tx: Transaction, doc_ids: list[str]) -> list[str]:
    """Delete the documents' chunks, meta-graphs, mentions, relations and leaf tags; return the
    ids of the entities those chunks mentioned."""
    tx.run("delete_document_tags", doc_ids=doc_ids)
    records = tx.run("delete_document_content", doc_ids=doc_ids)
    return sorted({entity for record in records for entity in record["mentioned"]})


def _remove_orphans(tx: Transaction, entity_ids: list[str]) -> int:
    """Delete those of the entities that no chunk mentions any more; return how many."""
    record = tx.single("delete_orphan_entities", entity_ids=entity_ids)
    return int(record["removed"]) if record else 0


def _delete(tx: Transaction, doc_ids: list[str]) -> Deletion:
    mentioned = _remove_content(tx, doc_ids)
    removed = _remove_orphans(tx, mentioned)
    record = tx.single("delete_documents", doc_ids=doc_ids)
    return Deletion(
        documents=int(record["deleted"]) if record else 0,
        entities_removed=removed,
        entities_kept=len(mentioned) - removed,
    )


def _write_batch(
    tx: Transaction, documents: list[DocumentRecord], entities: list[EntityRecord], definitions: list[DefinitionLink]
) -> BatchWrite:
    result = BatchWrite()
    previously_mentioned = _remove_content(tx, [d.doc_id for d in documents])
    tx.run("merge_documents", documents=[_document_row(d) for d in documents])
    chunks: list[dict[str, object]] = []
    pairs: list[dict[str, str]] = []
    mentions: list[dict[str, object]] = []
    relations: list[dict[str, object]] = []
    for d in documents:
        ids = [chunk_id(d.doc_id, c.ord, c.start, c.end, c.text) for c in d.chunks]
        pairs.extend({"from": a, "to": b} for a, b in itertools.pairwise(ids))
        chunks.extend(
            {
                "doc_id": d.doc_id,
                "chunk_id": cid,
                "graph_id": graph_id(cid),
                "ord": c.ord,
                "properties": {
                    "tier": d.tier,
                    "start": c.start,
                    "end": c.end,
                    "text": c.text,
                    "page_start": c.page_start,
                    "page_end": c.page_end,
                },
                "embedding": [float(x) for x in c.embedding],
            }
            for cid, c in zip(ids, d.chunks)
        )
        mentions.extend(
            {
                "chunk_id": ids[m.chunk_ord],
                "graph_id": graph_id(ids[m.chunk_ord]),
                "entity_id": m.entity_id,
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "status": m.status,
                "method": m.method,
            }
            for m in d.mentions
        )
        relations.extend(
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
    tx.run("create_chunks", chunks=chunks)
    tx.run("link_chunks", pairs=pairs)
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
    tx.run("create_mentions", mentions=mentions)
    tx.run("create_relations", relations=relations)
    result.entities_removed = _remove_orphans(tx, previously_mentioned)
    record = tx.single("link_references_by_concept", entity_ids=sorted({m["entity_id"] for m in mentions}))
    result.reference_links = int(record["links"]) if record else 0
    result.chunks, result.mentions, result.relations = len(chunks), len(mentions), len(relations)
    return result


def _document_row(d: DocumentRecord) -> dict[str, object]:
    properties: dict[str, object] = {
        "tier": d.tier,
        "title": d.title,
        "source": d.source,
        "media_type": d.media_type,
        "sha256": d.sha256,
        "fingerprint": d.fingerprint,
        "chars": d.chars,
        "chunk_count": len(d.chunks),
        "external_id": d.unit or None,
    }
    properties.update({f"meta_{key}": value for key, value in d.metadata})
    return {"doc_id": d.doc_id, "properties": properties}
