"""Cited evidence: numbered items bound to a chunk span or a concept, the claims that cite them,
the answer, and the trace of how the evidence was found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from medgraphrag.retrieval.hybrid import ChunkHit
from medgraphrag.retrieval.u_retrieve import ConceptHit, Retrieval


class Citation(BaseModel):
    """One numbered piece of evidence: a chunk of a document (`kind` chunk: where it sits, its exact
    text) or a vocabulary concept (`kind` concept: id, sources, definition)."""

    n: int = Field(description="the number claims cite, [n]")
    kind: Literal["chunk", "concept"]
    title: str = Field(description="the document's title, or the concept's preferred name")
    source: str = Field(description="the document's source, or the vocabularies defining the concept")
    tier: str = Field(description="user, reference or vocabulary")
    quote: str = Field(description="the chunk text (exactly document[start:end]) or the concept's definition")
    score: float = Field(description="the ranking score that orders the evidence (1.0: first in every ranking)")
    similarity: float | None = Field(None, description="cosine similarity of the chunk and question embeddings")
    doc_id: str | None = None
    external_id: str | None = None
    chunk_id: str | None = None
    start: int | None = Field(None, description="character offset of the chunk in its document")
    end: int | None = None
    page_start: int | None = Field(None, description="first page of the chunk (PDFs)")
    page_end: int | None = None
    concept_id: str | None = None


class Claim(BaseModel):
    """A sentence of the answer and the evidence numbers it cites; an extractive claim also gives
    the exact span it quotes."""

    text: str
    citations: list[int]
    doc_id: str | None = None
    start: int | None = Field(None, description="character offset of the quoted span in its document")
    end: int | None = None


class TraceTag(BaseModel):
    """A tag the top-down walk kept."""

    tag_id: str
    layer: int
    similarity: float
    summary: str
    graph_id: str | None


class TraceEntity(BaseModel):
    """An entity gathered bottom-up, and how: `question`, `meta-graph`, `global`, or the
    relationship (RELATED, REFERENCE_OF, SAME_AS) from `source_id`."""

    entity_id: str
    name: str
    type: str
    tier: str
    concept_id: str | None
    via: str
    source_id: str | None
    similarity: float
    weight: float


class Trace(BaseModel):
    """How the evidence was found: the retrieval mode, the question's concepts, the tags walked per
    step, the best path, the meta-graphs chosen, whether global entity search stood in, the
    entities and per-stage milliseconds."""

    mode: str
    question_concepts: list[str] = []
    tags: list[list[TraceTag]] = []
    path: list[str] = []
    graph_ids: list[str] = []
    fallback: bool = False
    entities: list[TraceEntity] = []
    timings_ms: dict[str, float] = {}


class Evidence(BaseModel):
    """What retrieval found for a question: the numbered evidence and how it was found."""

    question: str
    citations: list[Citation]
    trace: Trace


class Answer(BaseModel):
    """A question's answer: claims citing numbered evidence, what validation removed or flagged,
    and the trace."""

    question: str
    text: str
    mode: Literal["extractive", "llm"]
    claims: list[Claim]
    citations: list[Citation]
    removed_citations: list[int] = Field(default=[], description="cited numbers that named no evidence (removed)")
    uncited: list[str] = Field(default=[], description="sentences of the answer that cite no evidence (flagged)")
    trace: Trace


def citations_from_hits(hits: Sequence[ChunkHit], concepts: Sequence[ConceptHit] = ()) -> list[Citation]:
    """Number the chunk hits 1..n in rank order, then the concepts that have a definition."""
    citations = [
        Citation(
            n=n, kind="chunk", title=h.title, source=h.source, tier=h.tier, quote=h.text, score=round(h.score, 4),
            similarity=round(h.similarity, 4), doc_id=h.doc_id, external_id=h.external_id, chunk_id=h.chunk_id,
            start=h.start, end=h.end, page_start=h.page_start, page_end=h.page_end,
        )
        for n, h in enumerate(hits, start=1)
    ]
    defined = [c for c in concepts if c.definition]
    citations += [
        Citation(n=n, kind="concept", title=c.name, source=", ".join(c.sources) or "vocabulary", tier="vocabulary",
                 quote=str(c.definition), score=round(c.weight, 4), concept_id=c.concept_id)
        for n, c in enumerate(defined, start=len(citations) + 1)
    ]
    return citations


def trace_of(retrieval: Retrieval, *, max_entities: int = 30) -> Trace:
    """The trace of a U-retrieve run (the `max_entities` heaviest entities)."""
    route = retrieval.route
    entities = sorted(retrieval.entities, key=lambda e: (-e.weight, e.entity_id))[:max_entities]
    return Trace(
        mode="u-retrieve", question_concepts=retrieval.question_concepts,
        tags=[[TraceTag(tag_id=s.tag_id, layer=s.layer, similarity=s.similarity, summary=s.summary,
                        graph_id=s.graph_id) for s in step] for step in route.steps],
        path=[s.tag_id for s in route.path], graph_ids=route.graph_ids, fallback=route.fallback,
        entities=[TraceEntity(entity_id=e.entity_id, name=e.name, type=e.type, tier=e.tier, concept_id=e.concept_id,
                              via=e.via, source_id=e.source_id, similarity=e.similarity, weight=e.weight)
                  for e in entities],
        timings_ms=retrieval.timings_ms,
    )
