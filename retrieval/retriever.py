"""What every retrieval mode takes and gives: a `Query` in, a `Retrieval` out.

The modes: `u-retrieve` (tags top-down, entities bottom-up; retrieval/u_retrieve.py) and the chunk
searches `hybrid`, `vector` and `fulltext` (retrieval/search.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from medgraphrag.core.ids import DocumentTier
from medgraphrag.graph.search import ChunkHit
from medgraphrag.retrieval.evidence import ConceptHit, Trace

Mode = Literal["u-retrieve", "hybrid", "vector", "fulltext"]
SearchMode = Literal["hybrid", "vector", "fulltext"]
U_RETRIEVE: Mode = "u-retrieve"
MODES: tuple[Mode, ...] = ("u-retrieve", "hybrid", "vector", "fulltext")


@dataclass(frozen=True)
class Query:
    """A question to find evidence for: its text, unit vector, the concepts it names, how many
    chunks are wanted, and from which tier (None: both)."""

    question: str
    vector: np.ndarray
    k: int
    tier: DocumentTier | None = None
    concept_ids: list[str] = field(default_factory=list)


@dataclass
class Retrieval:
    """What a retriever found: chunk hits best first; the concepts whose definitions are evidence
    too; the summaries of the route's tags that bottom-up answer refinement climbs, nearest first;
    the trace; and the rankings of chunk ids it fused, by signal (what a fusion is fitted on)."""

    hits: list[ChunkHit]
    trace: Trace
    concepts: list[ConceptHit] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    rankings: dict[str, list[str]] = field(default_factory=dict)


class Retriever(Protocol):
    """A retrieval mode; `uses_concepts` when it wants the concepts the question names."""

    uses_concepts: bool

    @property
    def mode(self) -> Mode:
        """The mode's name."""
        ...

    def retrieve(self, query: Query) -> Retrieval:
        """The evidence for `query`."""
        ...
