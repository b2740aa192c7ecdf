"""The reads of retrieval: chunk and entity searches, the bottom-up neighbourhood, chunk details.

Each returns one row of lists from Neo4j (a record per hit costs more Python time than the query)
and typed hits. Similarities are cosines in [-1, 1]; Neo4j's vector functions report them rescaled
to [0, 1], which is undone here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medgraphrag.graph.connection import Connection, query_vector


def cosine(score: float) -> float:
    """Neo4j reports cosine similarity rescaled to [0, 1] as (1 + cos) / 2; undo that."""
    return 2.0 * float(score) - 1.0


@dataclass(slots=True)
class EntityHit:
    """An entity found for a question: its cosine similarity to the question, how many chunks
    mention it, and how it was found: `question`, `meta-graph`, `global`, or the relationship
    (RELATED, REFERENCE_OF, SAME_AS, with its phrase) from `source_id`. Retrieval sets its `weight`
    in ranking."""

    entity_id: str
    name: str
    type: str
    tier: str
    concept_id: str | None
    similarity: float
    weight: float
    chunks: int
    via: str
    source_id: str | None = None
    phrase: str | None = None


@dataclass(frozen=True, slots=True)
class ConceptDefinition:
    """The concept an entity stands for (DEFINITION_OF), with its definition and sources."""

    concept_id: str
    name: str
    definition: str | None
    sources: list[str]


@dataclass(frozen=True, slots=True)
class Expansion:
    """An entity's neighbourhood: up to k neighbours (none for a hub, whose neighbours come from
    `BottomUp.hub_links`) and its concept."""

    entity_id: str
    hub: bool
    neighbours: list[EntityHit]
    concept: ConceptDefinition | None


@dataclass(frozen=True, slots=True)
class BottomUp:
    """What U-retrieve's bottom-up query found: the meta-graphs' entities nearest the question, the
    neighbourhood of those and the seeds, and hubs' neighbours among the entities nearest the
    question (hub id, neighbour)."""

    retrieved: list[EntityHit]
    expanded: list[Expansion]
    hub_links: list[tuple[str, EntityHit]]


@dataclass(frozen=True, slots=True)
class QualifiedMention:
    """A mention in a chunk that the text does not state as a present finding of the patient: its
    words, entity, one-word status (negated, family, conditional, uncertain, historical) and offsets
    in the document."""

    surface: str
    name: str
    status: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
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
    context: str = ""
    qualified: list[QualifiedMention] = field(default_factory=list)
    embedding: list[float] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class CandidateChunks:
    """Candidate chunks with the entities each mentions (not negated) and the meta-graph each is
    of, and the chunks in the graph."""

    total: int
    entities: dict[str, list[str]]
    graph_ids: dict[str, str] = field(default_factory=dict)


class SearchStore:
    """Searches over chunks and entities."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def vector_chunks(
        self, vector: Iterable[float], *, k: int, candidates: int, tier: str | None = None
    ) -> dict[str, float]:
        """The `k` chunks nearest to `vector` among the index's `candidates` nearest (room for the
        tier filter), best first: chunk id -> the index's score."""
        (row,) = self._db.read("vector_chunks", embedding=query_vector(vector), k=k, candidates=candidates, tier=tier)
        return dict(zip(row["chunk_ids"], map(float, row["scores"])))

    def fulltext_chunks(self, query: str, *, k: int, candidates: int, tier: str | None = None) -> dict[str, float]:
        """The `k` chunks that best match a Lucene query (BM25), best first."""
        (row,) = self._db.read("fulltext_chunks", query=query, k=k, candidates=candidates, tier=tier)
        return dict(zip(row["chunk_ids"], map(float, row["scores"])))

    def chunk_hits(
        self,
        chunk_ids: Sequence[str],
        *,
        vector: Iterable[float],
        scores: Mapping[str, float],
        vector_scores: Mapping[str, float] | None = None,
        fulltext_scores: Mapping[str, float] | None = None,
        graph_scores: Mapping[str, float] | None = None,
        with_embeddings: bool = False,
    ) -> list[ChunkHit]:
        """Hits for chunks, in the given order, with their provenance and the given scores (unknown
        ids dropped); `with_embeddings` also fetches each chunk's embedding."""
        (row,) = self._db.read(
            "chunk_details", chunk_ids=list(chunk_ids), embedding=query_vector(vector), with_embeddings=with_embeddings
        )
        by_id = {r["chunk_id"]: r for r in row["chunks"]}
        return [
            ChunkHit(
                chunk_id=c,
                doc_id=r["doc_id"],
                external_id=r["external_id"],
                title=r["title"],
                source=r["source"],
                tier=r["tier"],
                ord=r["ord"],
                start=r["start"],
                end=r["end"],
                text=r["text"],
                score=scores[c],
                similarity=cosine(r["similarity"]),
                vector_score=(vector_scores or {}).get(c),
                fulltext_score=(fulltext_scores or {}).get(c),
                graph_score=(graph_scores or {}).get(c),
                page_start=r["page_start"],
                page_end=r["page_end"],
                context=r["context"],
                qualified=[QualifiedMention(**m) for m in r["qualified"]],
                embedding=r["embedding"],
            )
            for c in chunk_ids
            if (r := by_id.get(c)) is not None
        ]

    def entities(
        self, entity_ids: Sequence[str], *, vector: Iterable[float], tier: str | None = None
    ) -> list[tuple[EntityHit, list[float]]]:
        """Those of the entities the graph holds (in `tier`), each with its embedding."""
        records = self._db.read(
            "question_entities", entity_ids=list(entity_ids), tier=tier, vector=query_vector(vector)
        )
        return [(entity_hit(r, "question"), list(r["embedding"])) for r in records]

    def nearest_entities(
        self, vector: Iterable[float], *, n: int, candidates: int, tier: str | None = None
    ) -> list[EntityHit]:
        """The `n` entities nearest to `vector` in the whole graph (or `tier`), best first."""
        (row,) = self._db.read("vector_entities", vector=query_vector(vector), n=n, candidates=candidates, tier=tier)
        return [entity_hit(r, "global") for r in row["entities"]]

    def bottom_up(
        self,
        *,
        graph_ids: Sequence[str],
        seed_ids: Sequence[str],
        near_ids: Sequence[str],
        vector: Iterable[float],
        n: int,
        k: int,
        max_degree: int,
        tier: str | None = None,
    ) -> BottomUp:
        """The `n` entities of the meta-graphs nearest the question; for those and the seeds, up to
        `k` neighbours each through RELATED, REFERENCE_OF and SAME_AS and their concepts; a hub (more
        than `max_degree` such relationships) is expanded only towards the entities `near_ids`."""
        (row,) = self._db.read(
            "bottom_up",
            graph_ids=list(graph_ids),
            seed_ids=list(seed_ids),
            near=list(near_ids),
            vector=query_vector(vector),
            n=n,
            k=k,
            max_degree=max_degree,
            tier=tier,
        )
        expanded = [
            Expansion(
                entity_id=x["entity_id"],
                hub=bool(x["hub"]),
                neighbours=[
                    entity_hit(nb, nb["via"], phrase=nb["phrase"], source_id=x["entity_id"]) for nb in x["neighbours"]
                ],
                concept=None
                if x["concept"] is None
                else ConceptDefinition(
                    x["concept"]["concept_id"],
                    x["concept"]["name"],
                    x["concept"]["definition"],
                    list(x["concept"]["sources"] or []),
                ),
            )
            for x in row["expanded"]
        ]
        links = [
            (
                link["hub_id"],
                entity_hit(
                    link["neighbour"],
                    link["neighbour"]["via"],
                    phrase=link["neighbour"]["phrase"],
                    source_id=link["hub_id"],
                ),
            )
            for link in row["links"] or []
        ]
        return BottomUp([entity_hit(r, "meta-graph") for r in row["retrieved"]], expanded, links)

    def concept_terms(
        self, concept_ids: Sequence[str], *, synonyms: int = 10, kin: int = 5
    ) -> tuple[list[str], list[str]]:
        """The vocabulary's names for the concepts (preferred names and up to `synonyms` synonyms
        each), and those of their kin (up to `kin` children and `kin` parents each)."""
        if not concept_ids:
            return [], []
        record = self._db.read_one("concept_terms", concept_ids=list(concept_ids), synonyms=synonyms, kin=kin)
        if record is None:
            return [], []
        return [str(n) for n in record["synonyms"] if n], [str(n) for n in record["kin"] if n]

    def candidate_chunks(
        self, *, graph_ids: Sequence[str], entity_ids: Sequence[str], chunk_ids: Sequence[str], tier: str | None = None
    ) -> CandidateChunks:
        """The chunks of the meta-graphs, those mentioning the entities and the given chunks, each
        with the entities it mentions (not negated); and how many chunks the graph holds."""
        record = self._db.read_one(
            "candidate_entities",
            graph_ids=list(graph_ids),
            entity_ids=list(entity_ids),
            chunk_ids=list(chunk_ids),
            tier=tier,
        )
        if record is None:
            return CandidateChunks(1, {})
        return CandidateChunks(
            int(record["total"]),
            {r["chunk_id"]: r["entity_ids"] for r in record["chunks"]},
            {r["chunk_id"]: r["graph_id"] for r in record["chunks"] if r["graph_id"]},
        )


def entity_hit(
    row: Mapping[str, Any], via: str, *, phrase: str | None = None, source_id: str | None = None
) -> EntityHit:
    """An entity row of a search query as a hit: cosine similarity (unrounded), weight not yet set."""
    return EntityHit(
        entity_id=row["entity_id"],
        name=row["name"],
        type=row["type"],
        tier=row["tier"],
        concept_id=row["concept_id"],
        similarity=cosine(row["similarity"]),
        weight=0.0,
        chunks=int(row["chunks"]),
        via=via,
        source_id=source_id,
        phrase=phrase,
    )
