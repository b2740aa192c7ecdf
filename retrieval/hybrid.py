"""Chunk search: the vector index, the full-text index, or both fused by reciprocal rank (hybrid)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from neo4j import Driver

from medgraphrag import cypher

RRF_K = 60
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves""".split()
)


@dataclass(frozen=True)
class ChunkHit:
    """A retrieved chunk with its provenance and scores: `score` orders the hits (fused rank, 1.0
    when first in both searches); `similarity` is the cosine of chunk and question embeddings."""

    chunk_id: str
    doc_id: str
    external_id: str | None
    title: str
    source: str
    tier: str
    ord: int
    start: int
    end: int
    text: str
    score: float
    similarity: float
    vector_score: float | None
    fulltext_score: float | None


def lucene_query(question: str) -> str | None:
    """A full-text query of the question's content words joined by OR; None if it has none.

    Only letters and digits survive, so no Lucene operator or syntax error can come from user text.
    """
    words = [w for w in (m.group(0).lower() for m in _WORD.finditer(question)) if w not in _STOPWORDS]
    unique = list(dict.fromkeys(w for w in words if len(w) > 1 or w.isdigit()))
    return " OR ".join(unique) if unique else None


SEARCH_MODES: tuple[str, ...] = ("hybrid", "vector", "fulltext")


def search_chunks(
    driver: Driver, database: str, *, question: str, embedding: Sequence[float], k: int, tier: str | None = None,
    mode: str = "hybrid",
) -> list[ChunkHit]:
    """The `k` best chunks for the question: by fused vector and full-text rank (`hybrid`), or by
    one of the two alone (`vector`, `fulltext`)."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}, got {mode!r}")
    candidates = max(4 * k, 50)
    params = {"k": candidates, "candidates": candidates * 4, "tier": tier}
    vector = []
    if mode != "fulltext":
        vector, _, _ = driver.execute_query(
            cypher.load("vector_chunks"), embedding=list(map(float, embedding)), database_=database, routing_="r",
            **params,
        )
    fulltext = []
    if mode != "vector" and (query := lucene_query(question)) is not None:
        fulltext, _, _ = driver.execute_query(
            cypher.load("fulltext_chunks"), query=query, database_=database, routing_="r", **params
        )
    vector_scores = {r["chunk_id"]: float(r["score"]) for r in vector}
    fulltext_scores = {r["chunk_id"]: float(r["score"]) for r in fulltext}
    fused: dict[str, float] = {}
    for ranking in (list(vector_scores), list(fulltext_scores)):
        for rank, chunk in enumerate(ranking, start=1):
            fused[chunk] = fused.get(chunk, 0.0) + 1.0 / (RRF_K + rank)
    # Scaled so a chunk ranked first by every search used scores 1.0.
    best_possible = (1 + (mode == "hybrid")) / (RRF_K + 1)
    top = sorted(fused, key=lambda c: (-fused[c], c))[:k]
    details, _, _ = driver.execute_query(
        cypher.load("chunk_details"), chunk_ids=top, embedding=list(map(float, embedding)), database_=database,
        routing_="r",
    )
    by_id = {r["chunk_id"]: r for r in details}
    return [
        ChunkHit(
            chunk_id=c, doc_id=by_id[c]["doc_id"], external_id=by_id[c]["external_id"], title=by_id[c]["title"], source=by_id[c]["source"],
            tier=by_id[c]["tier"], ord=by_id[c]["ord"], start=by_id[c]["start"], end=by_id[c]["end"],
            text=by_id[c]["text"], score=fused[c] / best_possible, similarity=_cosine(by_id[c]["similarity"]),
            vector_score=vector_scores.get(c), fulltext_score=fulltext_scores.get(c),
        )
        for c in top
        if c in by_id
    ]


def _cosine(score: float) -> float:
    """Neo4j reports cosine similarity rescaled to [0, 1] as (1 + cos) / 2; undo that."""
    return 2.0 * float(score) - 1.0
