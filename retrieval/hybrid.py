"""Chunk search: the vector index, the full-text index, or both fused by reciprocal rank (hybrid)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.connection import query_vector, read
from medgraphrag.retrieval.ranking import reciprocal_rank_fusion

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
    when first in every ranking used); `similarity` is the cosine of chunk and question embeddings;
    `graph_score` is the weight of the retrieved entities it mentions (u-retrieve only)."""

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
    graph_score: float | None = None
    page_start: int | None = None
    page_end: int | None = None
    embedding: list[float] | None = field(default=None, repr=False, compare=False)


def lucene_query(question: str) -> str | None:
    """A full-text query of the question's content words joined by OR; None if it has none.

    Only letters and digits survive, so no Lucene operator or syntax error can come from user text.
    """
    words = [w for w in (m.group(0).lower() for m in _WORD.finditer(question)) if w not in _STOPWORDS]
    unique = list(dict.fromkeys(w for w in words if len(w) > 1 or w.isdigit()))
    return " OR ".join(unique) if unique else None


SEARCH_MODES: tuple[str, ...] = ("hybrid", "vector", "fulltext")


def vector_ranking(driver: Driver, database: str, *, embedding: Sequence[float], k: int,
                   tier: str | None = None, oversample: int = 4) -> dict[str, float]:
    """The `k` chunks nearest to the embedding, best first: chunk id -> rescaled cosine score. The
    index is asked for `oversample` times `k` (room for the tier filter, and a wider search)."""
    (row,) = read(driver, database, cypher.load("vector_chunks"), embedding=query_vector(embedding), k=k,
                  candidates=oversample * k, tier=tier)
    return dict(zip(row["chunk_ids"], map(float, row["scores"])))


def fulltext_ranking(driver: Driver, database: str, *, question: str, k: int,
                     tier: str | None = None) -> dict[str, float]:
    """The `k` chunks that best match the question's words (Lucene BM25), best first."""
    query = lucene_query(question)
    if query is None:
        return {}
    (row,) = read(driver, database, cypher.load("fulltext_chunks"), query=query, k=k, candidates=4 * k, tier=tier)
    return dict(zip(row["chunk_ids"], map(float, row["scores"])))


def chunk_hits(driver: Driver, database: str, chunk_ids: Sequence[str], *, embedding: Sequence[float],
               scores: Mapping[str, float], vector_scores: Mapping[str, float] | None = None,
               fulltext_scores: Mapping[str, float] | None = None,
               graph_scores: Mapping[str, float] | None = None, with_embeddings: bool = False) -> list[ChunkHit]:
    """Hits for chunks, in the given order, with their provenance and scores (unknown ids dropped);
    `with_embeddings` also fetches each chunk's embedding."""
    (row,) = read(driver, database, cypher.load("chunk_details"), chunk_ids=list(chunk_ids),
                  embedding=query_vector(embedding), with_embeddings=with_embeddings)
    by_id = {r["chunk_id"]: r for r in row["chunks"]}
    return [
        ChunkHit(
            chunk_id=c, doc_id=r["doc_id"], external_id=r["external_id"], title=r["title"], source=r["source"],
            tier=r["tier"], ord=r["ord"], start=r["start"], end=r["end"], text=r["text"], score=scores[c],
            similarity=index_cosine(r["similarity"]), vector_score=(vector_scores or {}).get(c),
            fulltext_score=(fulltext_scores or {}).get(c), graph_score=(graph_scores or {}).get(c),
            page_start=r["page_start"], page_end=r["page_end"], embedding=r["embedding"],
        )
        for c in chunk_ids
        if (r := by_id.get(c)) is not None
    ]


def search_chunks(
    driver: Driver, database: str, *, question: str, embedding: Sequence[float], k: int, tier: str | None = None,
    mode: str = "hybrid",
) -> list[ChunkHit]:
    """The `k` best chunks for the question: by fused vector and full-text rank (`hybrid`), or by
    one of the two alone (`vector`, `fulltext`)."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}, got {mode!r}")
    candidates = max(4 * k, 50)
    vector = vector_ranking(driver, database, embedding=embedding, k=candidates, tier=tier) if mode != "fulltext" else {}
    fulltext = fulltext_ranking(driver, database, question=question, k=candidates, tier=tier) if mode != "vector" else {}
    fused = reciprocal_rank_fusion({"vector": list(vector), "fulltext": list(fulltext)})
    top = sorted(fused, key=lambda c: (-fused[c], c))[:k]
    return chunk_hits(driver, database, top, embedding=embedding, scores=fused, vector_scores=vector,
                      fulltext_scores=fulltext)


def index_cosine(score: float) -> float:
    """Neo4j reports cosine similarity rescaled to [0, 1] as (1 + cos) / 2; undo that."""
    return 2.0 * float(score) - 1.0
