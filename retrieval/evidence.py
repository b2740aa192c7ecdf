"""Cited evidence: numbered citations bound to exact source spans, and the claims that use them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from medgraphrag.retrieval.hybrid import ChunkHit


class Citation(BaseModel):
    """One numbered piece of evidence: a chunk, where it sits in its document, and its text."""

    n: int = Field(description="the number claims cite, [n]")
    doc_id: str
    title: str
    source: str
    tier: str
    chunk_id: str
    start: int = Field(description="character offset of the chunk in its document")
    end: int
    quote: str = Field(description="the chunk text, exactly document[start:end]")
    score: float = Field(description="rank-fusion score that orders the evidence (1.0: first in both searches)")
    similarity: float = Field(description="cosine similarity of the chunk and the question embeddings")


class Claim(BaseModel):
    """A sentence of the answer, the citation it rests on, and the exact span it quotes."""

    text: str
    citation: int
    doc_id: str
    start: int = Field(description="character offset of the quoted span in its document")
    end: int


class Answer(BaseModel):
    """A question's answer: claims, each bound to a numbered citation."""

    question: str
    text: str
    mode: Literal["extractive", "llm"]
    claims: list[Claim]
    citations: list[Citation]


def citations_from_hits(hits: list[ChunkHit]) -> list[Citation]:
    """Number the hits 1..n in rank order."""
    return [
        Citation(
            n=n, doc_id=h.doc_id, title=h.title, source=h.source, tier=h.tier, chunk_id=h.chunk_id,
            start=h.start, end=h.end, quote=h.text, score=round(h.score, 4), similarity=round(h.similarity, 4),
        )
        for n, h in enumerate(hits, start=1)
    ]
