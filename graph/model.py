"""The fixed vocabulary of the graph: node labels and relationship types (DESIGN.md)."""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "Document",
    "Chunk",
    "MetaGraph",
    "Entity",
    "Concept",
    "Tag",
    "TagTree",
    "VocabularySource",
    "Job",
    "Answer",
    "Marker",
)

RELATIONSHIP_TYPES: tuple[str, ...] = (
    "HAS_CHUNK",
    "NEXT",
    "FROM_CHUNK",
    "IN_GRAPH",
    "MENTIONS",
    "RELATED",
    "REFERENCE_OF",
    "DEFINITION_OF",
    "SAME_AS",
    "IS_A",
    "CONCEPT_REL",
    "SUMMARIZES",
    "PARENT_OF",
)
