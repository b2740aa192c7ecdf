"""Cited evidence: numbered items bound to a chunk span or a concept, the claims that cite them,
the answer, and the trace of how the evidence was found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from medgraphrag.graph.search import ChunkHit, ConceptDefinition, EntityHit, QualifiedMention
from medgraphrag.graph.tags import TagStep
from medgraphrag.models.llm import LLMUsage


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
    qualified: list[QualifiedMention] = Field(
        default=[],
        description="mentions in the chunk not stated as present findings of the patient (negated, a relative's, "
        "conditional, uncertain, historical), in text order",
    )


class Claim(BaseModel):
    """A sentence of the answer and the evidence numbers it cites; an extractive claim also gives
    the exact span it quotes."""

    text: str
    citations: list[int]
    doc_id: str | None = None
    start: int | None = Field(None, description="character offset of the quoted span in its document")
    end: int | None = None


class Trace(BaseModel):
    """How the evidence was found: the retrieval mode, the question's concepts, the tags walked per
    step, the best path, the meta-graphs chosen, whether global entity search stood in, the
    heaviest entities, per-stage milliseconds, and what the LLM calls of the answer cost."""

    mode: str
    question_concepts: list[str] = []
    tags: list[list[TagStep]] = []
    path: list[str] = []
    graph_ids: list[str] = []
    fallback: bool = False
    entities: list[EntityHit] = []
    timings_ms: dict[str, float] = {}
    llm: LLMUsage | None = Field(None, description="calls, tokens and seconds of the answer model, if one answered")
    degraded: str | None = Field(
        None, description="why the answer is extractive although an answer model is configured (its failure)"
    )


class ConceptHit(BaseModel):
    """A vocabulary concept that retrieved entities stand for (DEFINITION_OF): its definition, the
    entities standing for it, and the largest of their weights."""

    concept: ConceptDefinition
    entity_ids: list[str]
    weight: float


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


# What a chunk citation takes from its hit as it is (the quote, scores and numbering are its own).
_FROM_HIT = (
    "title",
    "source",
    "tier",
    "doc_id",
    "external_id",
    "chunk_id",
    "start",
    "end",
    "page_start",
    "page_end",
)


def citations_from_hits(hits: Sequence[ChunkHit], concepts: Sequence[ConceptHit] = ()) -> list[Citation]:
    """Number the chunk hits 1..n in rank order, then the concepts that have a definition."""
    citations = [
        Citation(
            n=n,
            kind="chunk",
            quote=h.text,
            score=round(h.score, 4),
            similarity=round(h.similarity, 4),
            qualified=sorted(h.qualified, key=lambda m: (m.start, m.end)),
            **{name: getattr(h, name) for name in _FROM_HIT},
        )
        for n, h in enumerate(hits, start=1)
    ]
    defined = [c for c in concepts if c.concept.definition]
    citations += [
        Citation(
            n=n,
            kind="concept",
            title=c.concept.name,
            source=", ".join(c.concept.sources) or "vocabulary",
            tier="vocabulary",
            quote=str(c.concept.definition),
            score=round(c.weight, 4),
            concept_id=c.concept.concept_id,
        )
        for n, c in enumerate(defined, start=len(citations) + 1)
    ]
    return citations
