"""The graph of the evidence behind an answer: the question, the cited chunks, the entities they
mention that retrieval found, the concepts those stand for, and the tier links among them (drawn
by medgraphrag/web)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from medgraphrag.graph.evidence import EvidenceConcept, EvidenceStore
from medgraphrag.graph.search import EntityHit
from medgraphrag.retrieval.evidence import Answer, Citation

MAX_NODES = 80
QUESTION_ID = "question"

NodeKind = Literal["question", "chunk", "entity", "concept"]


class GraphNode(BaseModel):
    """A node of the picture; `id` is `<kind>:<graph id>` (the question's is `question`)."""

    id: str
    kind: NodeKind
    label: str
    tier: str | None = Field(None, description="user, reference or vocabulary; None for the question")
    details: dict[str, Any] = {}


class GraphEdge(BaseModel):
    """A link of the picture: a graph relationship (MENTIONS, REFERENCE_OF, SAME_AS, RELATED,
    DEFINITION_OF), or the question's NAMES (its concepts) and CITES (its evidence)."""

    source: str
    target: str
    type: str
    details: dict[str, Any] = {}


class EvidenceGraph(BaseModel):
    """The evidence of one answer as a graph, with the answer and its numbered citations."""

    question: str
    answer: str
    citations: list[Citation]
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    left_out: int = Field(0, description="entities left out to keep the picture within its node cap")


def node_id(kind: NodeKind, key: str) -> str:
    """The picture's id of a chunk, entity or concept (`chunk:<chunk_id>`, ...)."""
    return f"{kind}:{key}"


def citation_node_id(citation: Citation) -> str:
    """The picture's id of the chunk or concept a citation names."""
    if citation.kind == "chunk":
        return node_id("chunk", str(citation.chunk_id))
    return node_id("concept", str(citation.concept_id))


def evidence_graph(store: EvidenceStore, answer: Answer, *, max_nodes: int = MAX_NODES) -> EvidenceGraph:
    """The evidence graph of an answer: the question, its cited chunks and concepts, the entities of
    the trace that the cited chunks mention (and the question's own), their concepts and the links
    among them, read from Neo4j. Beyond `max_nodes`, the lightest entities are left out."""
    chunks = [c for c in answer.citations if c.kind == "chunk" and c.chunk_id]
    found = {e.entity_id: e for e in answer.trace.entities}
    links = [
        (link.source, link.target, link.type, _present(link.details))
        for link in store.links([str(c.chunk_id) for c in chunks], list(found))
    ]
    mentioned = {target for _, target, kind, _ in links if kind == "MENTIONS"}
    definitions: dict[str, list[str]] = {}
    for source, target, kind, _ in links:
        if kind == "DEFINITION_OF":
            definitions.setdefault(source, []).append(target)

    concept_ids = list(
        dict.fromkeys(
            [
                *answer.trace.question_concepts,
                *(c.concept_id for c in answer.citations if c.kind == "concept" and c.concept_id),
            ]
        )
    )
    candidates = sorted(
        (e for e in found.values() if e.entity_id in mentioned or e.via == "question"),
        key=lambda e: (e.via != "question", -e.weight, e.entity_id),
    )
    budget = max_nodes - 1 - len(chunks) - len(concept_ids)
    kept: list[EntityHit] = []
    for entity in candidates:
        new = [c for c in definitions.get(entity.entity_id, []) if c not in concept_ids]
        if 1 + len(new) <= budget:
            kept.append(entity)
            concept_ids += new
            budget -= 1 + len(new)

    concepts = store.concepts(concept_ids)
    cited = {c.concept_id: c.n for c in answer.citations if c.kind == "concept"}

    nodes = [
        GraphNode(
            id=QUESTION_ID,
            kind="question",
            label=answer.question,
            details=_present({"question": answer.question, "answer": answer.text}),
        )
    ]
    nodes += [_chunk_node(c) for c in chunks]
    nodes += [_entity_node(e, found) for e in kept]
    nodes += [_concept_node(concepts[c], cited.get(c)) for c in concept_ids if c in concepts]
    ids = {n.id for n in nodes}

    edges = [
        GraphEdge(source=QUESTION_ID, target=node_id("concept", c), type="NAMES")
        for c in answer.trace.question_concepts
    ]
    edges += [
        GraphEdge(source=QUESTION_ID, target=citation_node_id(c), type="CITES", details={"n": c.n})
        for c in answer.citations
    ]
    kinds: dict[str, tuple[NodeKind, NodeKind]] = {
        "MENTIONS": ("chunk", "entity"),
        "DEFINITION_OF": ("entity", "concept"),
    }
    for source, target, kind, details in links:
        source_kind, target_kind = kinds.get(kind, ("entity", "entity"))
        edges.append(
            GraphEdge(
                source=node_id(source_kind, source), target=node_id(target_kind, target), type=kind, details=details
            )
        )
    return EvidenceGraph(
        question=answer.question,
        answer=answer.text,
        citations=answer.citations,
        nodes=nodes,
        edges=[e for e in edges if e.source in ids and e.target in ids],
        left_out=len(candidates) - len(kept),
    )


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != ""}


def _chunk_node(c: Citation) -> GraphNode:
    return GraphNode(
        id=citation_node_id(c),
        kind="chunk",
        label=f"[{c.n}] {c.title}",
        tier=c.tier,
        details=_present(
            {
                "citation": c.n,
                "title": c.title,
                "source": c.source,
                "start": c.start,
                "end": c.end,
                "page_start": c.page_start,
                "page_end": c.page_end,
                "score": c.score,
                "similarity": c.similarity,
                "quote": c.quote,
                "not_the_patients_present_findings": list(
                    dict.fromkeys(f"{m.surface} ({m.status})" for m in c.qualified)
                ),
                "doc_id": c.doc_id,
                "chunk_id": c.chunk_id,
            }
        ),
    )


def _entity_node(e: EntityHit, found: dict[str, EntityHit]) -> GraphNode:
    source = found.get(e.source_id or "")
    return GraphNode(
        id=node_id("entity", e.entity_id),
        kind="entity",
        label=e.name,
        tier=e.tier,
        details=_present(
            {
                "type": e.type,
                "via": e.via,
                "found_from": f"{source.name} ({source.tier})" if source else None,
                "concept_id": e.concept_id,
                "similarity": e.similarity,
                "weight": e.weight,
                "entity_id": e.entity_id,
                "source_id": e.source_id,
            }
        ),
    )


def _concept_node(concept: EvidenceConcept, cited: int | None) -> GraphNode:
    return GraphNode(
        id=node_id("concept", concept.concept_id),
        kind="concept",
        label=concept.name,
        tier="vocabulary",
        details=_present(
            {
                "citation": cited,
                "concept_id": concept.concept_id,
                "definition": concept.definition,
                "semantic_types": concept.semantic_types,
                "sources": concept.sources,
            }
        ),
    )
