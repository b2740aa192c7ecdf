"""Tier links made after all batches are committed, for entities no shared concept links (links
by shared concept are made inside the write transaction: graph/writer.py): REFERENCE_OF through the
vocabulary hierarchy, then by content embedding; SAME_AS between near-duplicate entities without a
concept.
"""

from __future__ import annotations

from collections.abc import Sequence

from neo4j import Driver

from medgraphrag import cypher


def link_references_by_hierarchy(driver: Driver, database: str, *, score: float = 0.9) -> int:
    """Link every user-tier entity whose concept no reference entity shares to the reference
    entities of its concept's parents and children; return the links that exist for them."""
    records, _, _ = driver.execute_query(
        cypher.load("link_references_by_hierarchy"), score=score, database_=database,
    )
    return int(records[0]["links"]) if records else 0


def link_references_by_embedding(driver: Driver, database: str, *, threshold: float, k: int = 3,
                                 candidates: int = 25) -> int:
    """Link every user-tier entity without a concept or hierarchy reference to its `k` nearest
    reference-tier entities of similarity ≥ `threshold`; return the links that exist for them."""
    records, _, _ = driver.execute_query(
        cypher.load("link_references_by_embedding"), threshold=threshold, k=k, candidates=candidates,
        database_=database,
    )
    return int(records[0]["links"]) if records else 0


def link_same_as(driver: Driver, database: str, entity_ids: Sequence[str], *, threshold: float,
                 candidates: int = 10) -> int:
    """SAME_AS between each of the entities (those without a concept) and same-tier entities of
    similarity ≥ `threshold`; return the links that exist for them."""
    if not entity_ids:
        return 0
    records, _, _ = driver.execute_query(
        cypher.load("link_same_as"), entity_ids=list(entity_ids), threshold=threshold, candidates=candidates,
        database_=database,
    )
    return int(records[0]["links"]) if records else 0
