"""Tier links made after all batches are committed, for entities no shared concept links (links by
shared concept are made inside the write transaction: graph/documents.py): REFERENCE_OF through the
vocabulary hierarchy, then by content embedding; SAME_AS between near-duplicate entities without a
concept.
"""

from __future__ import annotations

from collections.abc import Sequence

from medgraphrag.graph.connection import Connection


class TierLinkStore:
    """Links between the entities of the user and reference tiers, and among near-duplicates."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def by_hierarchy(self, *, score: float = 0.9) -> int:
        """Link every user-tier entity whose concept no reference entity shares to the reference
        entities of its concept's parents and children; return the links that exist for them."""
        record = self._db.write_one("link_references_by_hierarchy", score=score)
        return int(record["links"]) if record else 0

    def by_embedding(self, *, threshold: float, k: int = 3, candidates: int = 25) -> int:
        """Link every user-tier entity without a concept or hierarchy reference to its `k` nearest
        reference-tier entities of similarity >= `threshold`; return the links that exist for them."""
        record = self._db.write_one("link_references_by_embedding", threshold=threshold, k=k, candidates=candidates)
        return int(record["links"]) if record else 0

    def same_as(self, entity_ids: Sequence[str], *, threshold: float, candidates: int = 10) -> int:
        """SAME_AS between each of the entities (those without a concept) and same-tier entities of
        similarity >= `threshold`; return the links that exist for them."""
        if not entity_ids:
            return 0
        record = self._db.write_one(
            "link_same_as", entity_ids=list(entity_ids), threshold=threshold, candidates=candidates
        )
        return int(record["links"]) if record else 0
