"""Answers from evidence. Offline: extractive, the evidence sentences closest to the question."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from medgraphrag.core.settings import similarity_thresholds
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.sentences import parse
from medgraphrag.retrieval.evidence import Answer, Citation, Claim, Trace

NO_EVIDENCE = "The graph holds no evidence for this question."


def extractive_answer(
    question: str,
    question_vector: Iterable[float],
    citations: list[Citation],
    embedder: Embedder,
    trace: Trace,
    *,
    max_claims: int = 3,
    min_similarity: float | None = None,
    relative_floor: float = 0.8,
) -> Answer:
    """Up to `max_claims` evidence sentences most similar to the question, each citing its evidence
    (a chunk span, or a concept's definition).

    A sentence qualifies if its cosine similarity to the question is at least `min_similarity` (by
    default the embedding model's threshold) and at least `relative_floor` times that of the best
    sentence.
    """
    candidates: list[tuple[Citation, int, int]] = []
    for citation, sentences in zip(citations, parse([c.quote for c in citations])):
        for span in sentences:
            # A heading names a topic; it asserts nothing a claim could rest on.
            if not citation.quote.startswith("#", span.start):
                candidates.append((citation, span.start, span.end))
    claims: list[Claim] = []
    if candidates:
        vectors = embedder.embed([c.quote[s:e] for c, s, e in candidates])
        similarity = vectors @ np.asarray(question_vector, dtype=np.float32)
        # Claims far below the best match add words, not support.
        least = similarity_thresholds(embedder.name).extractive if min_similarity is None else min_similarity
        floor = max(least, relative_floor * float(similarity.max()))
        order = [i for i in np.argsort(-similarity, kind="stable") if similarity[i] >= floor][:max_claims]
        for c, s, e in (candidates[i] for i in order):
            located = c.kind == "chunk" and c.start is not None
            claims.append(
                Claim(
                    text=c.quote[s:e],
                    citations=[c.n],
                    doc_id=c.doc_id,
                    start=c.start + s if located and c.start is not None else None,
                    end=c.start + e if located and c.start is not None else None,
                )
            )
    text = " ".join(f"{claim.text} [{claim.citations[0]}]" for claim in claims) or NO_EVIDENCE
    return Answer(question=question, text=text, mode="extractive", claims=claims, citations=citations, trace=trace)
