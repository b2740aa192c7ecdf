"""Writing documents and their chunks to Neo4j: batched UNWIND, one transaction per batch."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from neo4j import Driver, ManagedTransaction

from medgraphrag import cypher


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to store: span, text and embedding."""

    ord: int
    start: int
    end: int
    text: str
    embedding: Sequence[float]


@dataclass(frozen=True)
class DocumentRecord:
    """A document ready to store, with every chunk; replaces any stored version of itself."""

    doc_id: str
    tier: str
    title: str
    source: str
    media_type: str
    sha256: str
    fingerprint: str
    chars: int
    chunks: list[ChunkRecord] = field(default_factory=list)


@dataclass(frozen=True)
class StoredDocument:
    """What the graph holds about a document, enough to decide whether to rewrite it."""

    doc_id: str
    sha256: str
    fingerprint: str
    tier: str


def chunk_id(doc_id: str, chunk: ChunkRecord) -> str:
    """Deterministic id of a chunk: its document, position and content."""
    key = f"{doc_id}\x1f{chunk.ord}\x1f{chunk.start}\x1f{chunk.end}\x1f{chunk.text}"
    return "chk_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def stored_documents(driver: Driver, database: str, doc_ids: Sequence[str]) -> dict[str, StoredDocument]:
    """The stored state of those of `doc_ids` the graph already has."""
    records, _, _ = driver.execute_query(
        cypher.load("existing_documents"), doc_ids=list(doc_ids), database_=database, routing_="r"
    )
    return {r["doc_id"]: StoredDocument(r["doc_id"], r["sha256"], r["fingerprint"], r["tier"]) for r in records}


def write_documents(driver: Driver, database: str, documents: Sequence[DocumentRecord]) -> int:
    """Replace each document's stored version by this one in one transaction; return chunks written."""
    if not documents:
        return 0
    with driver.session(database=database) as session:
        return session.execute_write(_write_batch, list(documents))


def _write_batch(tx: ManagedTransaction, documents: list[DocumentRecord]) -> int:
    doc_ids = [d.doc_id for d in documents]
    tx.run(cypher.load("delete_document_chunks"), doc_ids=doc_ids).consume()
    tx.run(
        cypher.load("merge_documents"),
        documents=[
            {
                "doc_id": d.doc_id,
                "properties": {
                    "tier": d.tier, "title": d.title, "source": d.source, "media_type": d.media_type,
                    "sha256": d.sha256, "fingerprint": d.fingerprint, "chars": d.chars,
                    "chunk_count": len(d.chunks),
                },
            }
            for d in documents
        ],
    ).consume()
    chunks = []
    pairs = []
    for d in documents:
        ids = [chunk_id(d.doc_id, c) for c in d.chunks]
        pairs.extend({"from": a, "to": b} for a, b in zip(ids, ids[1:]))
        chunks.extend(
            {
                "doc_id": d.doc_id, "chunk_id": cid, "ord": c.ord,
                "properties": {"tier": d.tier, "start": c.start, "end": c.end, "text": c.text},
                "embedding": [float(x) for x in c.embedding],
            }
            for cid, c in zip(ids, d.chunks)
        )
    tx.run(cypher.load("create_chunks"), chunks=chunks).consume()
    tx.run(cypher.load("link_chunks"), pairs=pairs).consume()
    return len(chunks)
