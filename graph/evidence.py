"""The reads behind a picture of an answer's evidence: links among its chunks, entities and
concepts, and the concepts themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medgraphrag.graph.connection import Connection


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    """A relationship of the evidence graph: MENTIONS (chunk to entity), RELATED, REFERENCE_OF,
    SAME_AS (entity to entity) or DEFINITION_OF (entity to concept), with its properties."""

    source: str
    target: str
    type: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvidenceConcept:
    """A concept of the evidence graph: names, types, sources and definition."""

    concept_id: str
    name: str
    semantic_types: list[str]
    sources: list[str]
    definition: str | None


class EvidenceStore:
    """What an answer's evidence graph is drawn from."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def links(self, chunk_ids: Sequence[str], entity_ids: Sequence[str]) -> list[EvidenceLink]:
        """The cited chunks' MENTIONS of the entities, the tier links among the entities, and the
        concepts they stand for."""
        records = self._db.read("evidence_links", chunk_ids=list(chunk_ids), entity_ids=list(entity_ids))
        return [EvidenceLink(r["source"], r["target"], r["type"], dict(r["details"] or {})) for r in records]

    def concepts(self, concept_ids: Sequence[str]) -> dict[str, EvidenceConcept]:
        """The concepts the graph holds of `concept_ids`, by id."""
        found = {}
        for r in self._db.read("evidence_concepts", concept_ids=list(concept_ids)):
            c = r["concept"]
            found[c["concept_id"]] = EvidenceConcept(
                c["concept_id"], c["name"], list(c["semantic_types"] or []), list(c["sources"] or []), c["definition"]
            )
        return found
