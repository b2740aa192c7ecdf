"""The stored documents: list them, show one with its entities and links, delete them exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from neo4j import Driver, ManagedTransaction

from medgraphrag import cypher
from medgraphrag.graph.writer import remove_document_content, remove_orphan_entities


@dataclass(frozen=True)
class Deletion:
    """What deleting documents removed."""

    documents: int
    entities_removed: int
    entities_kept: int


def list_documents(driver: Driver, database: str, *, tier: str | None = None, skip: int = 0,
                   limit: int = 100) -> list[dict[str, object]]:
    """Stored documents (id, tier, title, source, external id, chunks, ingest time), by source."""
    records, _, _ = driver.execute_query(
        cypher.load("list_documents"), tier=tier, skip=skip, limit=limit, database_=database, routing_="r"
    )
    return [r.data() for r in records]


def document_detail(driver: Driver, database: str, doc_id: str) -> dict[str, object] | None:
    """A document's properties, chunk count and entities (mentions, concept, tier links); None if
    there is no such document."""
    records, _, _ = driver.execute_query(
        cypher.load("document_detail"), doc_id=doc_id, database_=database, routing_="r"
    )
    if not records:
        return None
    record = records[0]
    document = dict(record["document"])
    document.pop("ingested_at", None)
    return {"document": document, "chunks": record["chunks"], "relations": record["relations"],
            "entities": record["entities"]}


def delete_documents(driver: Driver, database: str, doc_ids: Sequence[str]) -> Deletion:
    """Delete documents and what only they supported, in one transaction; entities that other
    documents also mention stay, with that provenance."""
    with driver.session(database=database) as session:
        return session.execute_write(_delete, list(doc_ids))


def _delete(tx: ManagedTransaction, doc_ids: list[str]) -> Deletion:
    mentioned = remove_document_content(tx, doc_ids)
    removed = remove_orphan_entities(tx, mentioned)
    record = tx.run(cypher.load("delete_documents"), doc_ids=doc_ids).single()
    return Deletion(int(record["deleted"]) if record else 0, removed, len(mentioned) - removed)
