"""Chunk search: the vector index, the full-text index, or both fused by reciprocal rank (hybrid)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from medgraphrag.graph.search import SearchStore
from medgraphrag.nlp.stopwords import STOP_WORDS
from medgraphrag.retrieval.evidence import Trace
from medgraphrag.retrieval.ranking import reciprocal_rank_fusion
from medgraphrag.retrieval.retriever import Query, Retrieval, SearchMode

_WORD = re.compile(r"[^\W_]+")


def lucene_query(question: str) -> str | None:
    """A full-text query of the question's content words joined by OR; None if it has none.

    Only letters and digits survive, so no Lucene operator or syntax error can come from user text.
    """
    words = [w for w in (m.group(0).lower() for m in _WORD.finditer(question)) if w not in STOP_WORDS]
    unique = list(dict.fromkeys(w for w in words if len(w) > 1 or w.isdigit()))
    return " OR ".join(unique) if unique else None


def fulltext_ranking(search: SearchStore, question: str, *, k: int, tier: str | None = None) -> dict[str, float]:
    """The `k` chunks that best match the question's words (Lucene BM25), best first."""
    query = lucene_query(question)
    return {} if query is None else search.fulltext_chunks(query, k=k, candidates=4 * k, tier=tier)


# Phrases one expansion query may hold: enough for a few concepts' names, bounded for Lucene.
MAX_PHRASES = 48


def phrase_query(names: Sequence[str]) -> str | None:
    """A full-text query matching any of `names` as a phrase (their letters and digits, in order),
    joined by OR; None if no name has a word. Like `lucene_query`, nothing of Lucene's syntax
    survives from the names."""
    phrases = []
    for name in names:
        words = [m.group(0).lower() for m in _WORD.finditer(name)]
        if words and not (len(words) == 1 and words[0] in STOP_WORDS):
            phrases.append('"' + " ".join(words) + '"')
    unique = list(dict.fromkeys(phrases))[:MAX_PHRASES]
    return " OR ".join(unique) if unique else None


def phrase_ranking(search: SearchStore, names: Sequence[str], *, k: int, tier: str | None = None) -> dict[str, float]:
    """The `k` chunks that best match any of `names` as a phrase, best first."""
    query = phrase_query(names)
    return {} if query is None else search.fulltext_chunks(query, k=k, candidates=4 * k, tier=tier)


class ChunkSearch:
    """A retriever over chunks alone: by fused vector and full-text rank (`hybrid`), or by one of
    the two (`vector`, `fulltext`)."""

    uses_concepts = False

    def __init__(self, search: SearchStore, mode: SearchMode) -> None:
        self.search = search
        self.mode = mode

    def retrieve(self, query: Query) -> Retrieval:
        """The `k` best chunks for the question."""
        started = time.perf_counter()
        candidates = max(4 * query.k, 50)
        vector = (
            self.search.vector_chunks(query.vector, k=candidates, candidates=4 * candidates, tier=query.tier)
            if self.mode != "fulltext"
            else {}
        )
        fulltext = (
            fulltext_ranking(self.search, query.question, k=candidates, tier=query.tier)
            if self.mode != "vector"
            else {}
        )
        fused = reciprocal_rank_fusion({"vector": list(vector), "fulltext": list(fulltext)})
        top = sorted(fused, key=lambda c: (-fused[c], c))[: query.k]
        hits = self.search.chunk_hits(
            top, vector=query.vector, scores=fused, vector_scores=vector, fulltext_scores=fulltext
        )
        timings = {"search": round(1000 * (time.perf_counter() - started), 2)}
        return Retrieval(hits=hits, trace=Trace(mode=self.mode, timings_ms=timings))
