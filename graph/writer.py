"""Writing documents to Neo4j: chunks, meta-graphs, entities, mentions, relations and concept links.

A batch of documents is written in one transaction (batched UNWIND): each document's previous
content is removed, the new content created, and entities that lost their last mention removed,
so a crash leaves no half-written document and a rerun completes the batch. Entities are shared
within a tier (one per concept), so a document's delete or update removes only its own mentions,
meta-graphs and relations; shared entities keep their other provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from neo4j import Driver, ManagedTransaction

from medgraphrag import cypher
from medgraphrag.ids import content_id


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to store: span, text, embedding and the pages it lies on (PDFs)."""

    ord: int
    start: int
    end: int
    text: str
    embedding: Sequence[float]
    page_start: int | None = None
    page_end: int | None = None


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class MentionRecord:
    """One mention of an entity in the chunk `chunk_ord` of its document."""

    chunk_ord: int
    entity_id: str
    start: int
    end: int
    surface: str
    status: str
    method: str


@dataclass(frozen=True)
class RelationRecord:
    """A relation the meta-graph of chunk `chunk_ord` states between two of its entities."""

    chunk_ord: int
    source_id: str
    target_id: str
    phrase: str
    kind: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


def chunk_id(doc_id: str, chunk: ChunkRecord) -> str:
    """Deterministic id of a chunk: its document, position and content."""
    return content_id("chk", doc_id, chunk.ord, chunk.start, chunk.end, chunk.text)


def graph_id(chunk: str) -> str:
    """Id of the meta-graph built from the chunk `chunk` (one per chunk)."""
    return "mg_" + chunk.removeprefix("chk_")


def entity_id(tier: str, concept_id: str | None, norm_name: str, type_: str) -> str:
    """Identity of an entity within a tier: its concept, else its normalized name and type."""
    if concept_id:
        return content_id("ent", tier, "concept", concept_id)
    return content_id("ent", tier, "name", norm_name, type_)


def stored_documents(driver: Driver, database: str, doc_ids: Sequence[str]) -> dict[str, StoredDocument]:
    """The stored state of those of `doc_ids` the graph already has."""
    records, _, _ = driver.execute_query(
        cypher.load("existing_documents"), doc_ids=list(doc_ids), database_=database, routing_="r"
    )
    return {r["doc_id"]: StoredDocument(r["doc_id"], r["sha256"], r["fingerprint"], r["tier"]) for r in records}


def stored_entities(driver: Driver, database: str, entity_ids: Sequence[str]) -> set[str]:
    """Those of `entity_ids` the graph already holds."""
    records, _, _ = driver.execute_query(
        cypher.load("existing_entities"), entity_ids=list(entity_ids), database_=database, routing_="r"
    )
    return {r["entity_id"] for r in records}


def write_documents(
    driver: Driver, database: str, documents: Sequence[DocumentRecord], entities: Sequence[EntityRecord] = (),
    definitions: Sequence[DefinitionLink] = (),
) -> BatchWrite:
    """Replace each document's stored content by this one, all in one transaction."""
    if not documents:
        return BatchWrite()
    with driver.session(database=database) as session:
        return session.execute_write(_write_batch, list(documents), list(entities), list(definitions))


def remove_document_content(tx: ManagedTransaction, doc_ids: list[str]) -> list[str]:
    """Delete the documents' chunks, meta-graphs, mentions and relations; return the ids of the
    entities those chunks mentioned. The meta-graphs' leaf tags go too (graph/tag_tree.py)."""
    tx.run(cypher.load("delete_document_tags"), doc_ids=doc_ids).consume()
    records = tx.run(cypher.load("delete_document_content"), doc_ids=doc_ids)
    return sorted({entity for record in records for entity in record["mentioned"]})


def remove_orphan_entities(tx: ManagedTransaction, entity_ids: list[str]) -> int:
    """Delete those of the entities that no chunk mentions any more; return how many."""
    record = tx.run(cypher.load("delete_orphan_entities"), entity_ids=entity_ids).single()
    return int(record["removed"]) if record else 0


def _write_batch(tx: ManagedTransaction, documents: list[DocumentRecord], entities: list[EntityRecord],
                 definitions: list[DefinitionLink]) -> BatchWrite:
    result = BatchWrite()
    previously_mentioned = remove_document_content(tx, [d.doc_id for d in documents])
    tx.run(cypher.load("merge_documents"), documents=[_document_row(d) for d in documents]).consume()
    chunks, pairs, mentions, relations = [], [], [], []
    for d in documents:
        ids = [chunk_id(d.doc_id, c) for c in d.chunks]
        pairs.extend({"from": a, "to": b} for a, b in zip(ids, ids[1:]))
        chunks.extend(
            {
                "doc_id": d.doc_id, "chunk_id": cid, "graph_id": graph_id(cid), "ord": c.ord,
                "properties": {"tier": d.tier, "start": c.start, "end": c.end, "text": c.text,
                               "page_start": c.page_start, "page_end": c.page_end},
                "embedding": [float(x) for x in c.embedding],
            }
            for cid, c in zip(ids, d.chunks)
        )
        mentions.extend(
            {"chunk_id": ids[m.chunk_ord], "graph_id": graph_id(ids[m.chunk_ord]), "entity_id": m.entity_id,
             "start": m.start, "end": m.end, "surface": m.surface, "status": m.status, "method": m.method}
            for m in d.mentions
        )
        relations.extend(
            {"chunk_id": ids[r.chunk_ord], "graph_id": graph_id(ids[r.chunk_ord]), "source_id": r.source_id,
             "target_id": r.target_id, "phrase": r.phrase, "kind": r.kind}
            for r in d.relations
        )
    tx.run(cypher.load("create_chunks"), chunks=chunks).consume()
    tx.run(cypher.load("link_chunks"), pairs=pairs).consume()
    tx.run(cypher.load("merge_entities"), entities=[
        {"entity_id": e.entity_id,
         "properties": {"tier": e.tier, "name": e.name, "norm_name": e.norm_name, "type": e.type,
                        "concept_id": e.concept_id, "context": e.context},
         "embedding": None if e.embedding is None else [float(x) for x in e.embedding]}
        for e in entities
    ]).consume()
    tx.run(cypher.load("merge_definitions"), links=[
        {"entity_id": l.entity_id, "concept_id": l.concept_id, "score": l.score, "method": l.method}
        for l in definitions
    ]).consume()
    tx.run(cypher.load("create_mentions"), mentions=mentions).consume()
    tx.run(cypher.load("create_relations"), relations=relations).consume()
    result.entities_removed = remove_orphan_entities(tx, previously_mentioned)
    record = tx.run(cypher.load("link_references_by_concept"),
                    entity_ids=sorted({m["entity_id"] for m in mentions})).single()
    result.reference_links = int(record["links"]) if record else 0
    result.chunks, result.mentions, result.relations = len(chunks), len(mentions), len(relations)
    return result


def _document_row(d: DocumentRecord) -> dict[str, object]:
    properties: dict[str, object] = {
        "tier": d.tier, "title": d.title, "source": d.source, "media_type": d.media_type, "sha256": d.sha256,
        "fingerprint": d.fingerprint, "chars": d.chars, "chunk_count": len(d.chunks),
        "external_id": d.unit or None,
    }
    properties.update({f"meta_{key}": value for key, value in d.metadata})
    return {"doc_id": d.doc_id, "properties": properties}
