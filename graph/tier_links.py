"""Tier links made after all batches are committed, for entities no shared concept links (links by
shared concept are made inside the write transaction: graph/documents.py): REFERENCE_OF through the
vocabulary hierarchy, then by content embedding; SAME_AS between near-duplicate entities without a
concept.
"""

from __future__ import annotations

from typing import Any

from neo4j import Record

from medgraphrag.graph.connection import Connection, Transaction


class TierLinkStore:
    """Links between the entities of the user and reference tiers, and among near-duplicates."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def by_hierarchy(self, *, score: float = 0.9) -> int:
        """Link every user-tier entity whose concept no reference entity shares to the reference
        entities of its concept's parents and children; return the links that exist for them."""
        record = self._linked("link_references_by_hierarchy", score=score)
        return int(record["links"]) if record else 0

    def by_embedding(self, *, threshold: float, k: int = 3, candidates: int = 25) -> int:
        """Link every user-tier entity without a concept or hierarchy reference to its `k` nearest
        reference-tier entities of similarity >= `threshold`; return the links that exist for them."""
        record = self._linked("link_references_by_embedding", threshold=threshold, k=k, candidates=candidates)
        return int(record["links"]) if record else 0

    def same_as(self, *, threshold: float, candidates: int = 10, batch: int = 1000) -> int:
        """SAME_AS between the entities without a concept that are new since the last time (marked
        when written) and same-tier entities of similarity >= `threshold`, in transactions of
        `batch` entities; return the links that exist for them."""
        links = 0
        while True:
            record = self._linked("link_same_as", threshold=threshold, candidates=candidates, limit=batch)
            if record is None or not record["entities"]:
                return links
            links += int(record["links"] or 0)

    def _linked(self, name: str, /, **parameters: Any) -> Record | None:
        """The first record of the link query `name`, run in a transaction that holds the link lock."""

        def work(tx: Transaction) -> Record | None:
            tx.run("lock_links")
            return tx.single(name, **parameters)

        return self._db.transaction(work)
