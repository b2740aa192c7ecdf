"""U-retrieve (paper 2.3): tags top-down to meta-graphs, then entities bottom-up across the tiers.

1. The question is summarized like a meta-graph: the concepts its words name (the vocabulary
   ruler, as at ingest) are looked up as entities of each tier. Its tag vector is the mean of the
   question embedding and those entities' content embeddings, as a leaf tag's vector is the mean of
   its meta-graph's entities.
2. Top-down: a beam search from the top-layer tags nearest to that vector, each step keeping the
   `beam` most similar tags among the children of the frontier, until only leaf tags (meta-graphs)
   remain. When the best leaf is less similar than `fallback_threshold`, or the graph has no tags,
   global entity search stands in for the route.
3. Bottom-up: the `entities` (N_u) entities of the chosen meta-graphs most similar to the question,
   and the question's own concepts, each expanded by up to `neighbours` (k) neighbours through
   RELATED, REFERENCE_OF and SAME_AS across tiers, most similar to the question first; DEFINITION_OF
   gives their concepts. A hub (more than `expand_degree` relationships) is expanded only to the
   entities nearest the question it links to, so no query scans a hub's thousands of edges.
4. Evidence chunks: those of the chosen meta-graphs, those mentioning the rarer entities found,
   and the chunks nearest to the question by vector and full-text search. They are ranked
   (KG-Rank, retrieval/ranking.py) by fusing three rankings: vector similarity, full-text match,
   and graph evidence (the summed weight of the entities found that a chunk mentions: relevance to
   the question times an idf); then, when configured, a cross-encoder, and MMR for diversity.

The global searches (chunk vectors, full text, nearest entities) run concurrently with the walk.
"""

from __future__ import annotations

import math
import time
from functools import cache
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from neo4j import Driver, Record

from medgraphrag import cypher
from medgraphrag.embeddings import unit
from medgraphrag.graph.connection import query_vector, read
from medgraphrag.graph.writer import entity_id
from medgraphrag.graph.model import DOCUMENT_TIERS
from medgraphrag.ingest.extraction import VocabularyRuler, extract_mentions
from medgraphrag.ingest.negation import NEGATED
from medgraphrag.ingest.nlp import parse
from medgraphrag.retrieval.hybrid import ChunkHit, chunk_hits, fulltext_ranking, index_cosine, vector_ranking
from medgraphrag.retrieval.ranking import CrossEncoderReranker, mmr, reciprocal_rank_fusion

# A neighbour is evidence by association, not by the question's own words: it counts for less.
NEIGHBOUR_DECAY = 0.5
MAX_DEPTH = 64


@dataclass(frozen=True)
class URetrieveConfig:
    """U-retrieve's parameters (settings `MEDGRAPH_U_*`); the paper's N_u = 60 and k = 16."""

    beam: int = 4
    entities: int = 60
    neighbours: int = 16
    expand_degree: int = 64
    fallback_threshold: float = 0.5
    candidates: int = 50
    rare_entity_chunks: int = 10
    mmr_penalty: float = 0.1
    rerank_depth: int = 30


@dataclass(frozen=True)
class TagStep:
    """A tag the top-down walk kept: its layer, cosine similarity to the question's tag vector,
    summary, its meta-graph (leaves only) and the tag it was reached from."""

    tag_id: str
    layer: int
    similarity: float
    summary: str
    size: int
    graph_id: str | None
    parent_id: str | None


@dataclass(frozen=True)
class Route:
    """The top-down walk: every tag kept per step, the best root-to-leaf path, the meta-graphs
    reached, and whether global entity search stood in (`fallback`)."""

    steps: list[list[TagStep]]
    path: list[TagStep]
    graph_ids: list[str]
    fallback: bool


@dataclass(frozen=True)
class EntityHit:
    """An entity gathered bottom-up: how it was found (`question`, `meta-graph`, `global`, or the
    relationship type from `source_id`), its cosine similarity to the question, its weight in
    ranking, and how many chunks mention it."""

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


@dataclass(frozen=True)
class ConceptHit:
    """A vocabulary concept that retrieved entities stand for (DEFINITION_OF), with its definition."""

    concept_id: str
    name: str
    definition: str | None
    sources: list[str]
    entity_ids: list[str]
    weight: float


@dataclass
class Retrieval:
    """What U-retrieve found: ranked chunk hits, the route, entities, concepts, and per-stage
    milliseconds."""

    hits: list[ChunkHit]
    route: Route
    entities: list[EntityHit]
    concepts: list[ConceptHit]
    question_concepts: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)


def question_concepts(question: str, ruler: VocabularyRuler) -> list[str]:
    """The vocabulary concepts the question names (not negated), in order of mention."""
    sentences = parse([question])[0]
    found = [m.concept_id for m in extract_mentions(question, sentences, ruler) if m.status != NEGATED]
    return list(dict.fromkeys(found))


def u_retrieve(
    driver: Driver, database: str, *, question: str, vector: Sequence[float], concept_ids: Sequence[str], k: int,
    tier: str | None = None, config: URetrieveConfig = URetrieveConfig(),
    reranker: CrossEncoderReranker | None = None,
) -> Retrieval:
    """The `k` best evidence chunks for the question by U-retrieve, with the route and entities."""
    clock = _Clock()
    q = unit(np.asarray(vector, dtype=np.float32))
    qf = query_vector(q)  # the form every query takes, converted once
    # The global searches need nothing from the walk: they run while it does.
    pool = _search_pool()
    searches = _Searches(
        vector=pool.submit(vector_ranking, driver, database, embedding=qf, k=config.candidates, tier=tier,
                           oversample=1 if tier is None else 2),
        fulltext=pool.submit(fulltext_ranking, driver, database, question=question, k=config.candidates,
                             tier=tier),
        entities=pool.submit(read, driver, database, cypher.load("vector_entities"), vector=qf,
                             n=config.entities, candidates=2 * config.entities, tier=tier),
    )
    tiers = [tier] if tier else list(DOCUMENT_TIERS)
    ids = [entity_id(t, c, "", "") for c in concept_ids for t in tiers]
    records = read(driver, database, cypher.load("question_entities"), entity_ids=ids, tier=tier, vector=qf)
    asked = [_entity(r, "question", weight=1.0) for r in records]
    clock.lap("question")

    tag_vector = unit(np.mean([q, *(unit(np.asarray(r["embedding"], dtype=np.float32)) for r in records)], axis=0))
    route = walk_tags(driver, database, tag_vector, beam=config.beam, threshold=config.fallback_threshold)
    clock.lap("top-down")

    nearest = [_entity(r, "global") for r in searches.entities.result()[0]["entities"]]
    given = asked + (nearest[: config.entities] if route.fallback else [])
    (found,) = read(driver, database, cypher.load("bottom_up"), graph_ids=[] if route.fallback else route.graph_ids,
                    seed_ids=[e.entity_id for e in given], near=[e.entity_id for e in nearest], vector=qf,
                    n=config.entities, k=config.neighbours, max_degree=config.expand_degree, tier=tier)
    seeds = _distinct(given + [_entity(r, "meta-graph") for r in found["retrieved"]])
    neighbours, concepts = _expand(seeds, found["expanded"], found["links"], config.neighbours)
    entities = _distinct(seeds + neighbours)
    clock.lap("bottom-up")

    hits = _rank(driver, database, question=question, q=qf, k=k, tier=tier, route=route, entities=entities,
                 config=config, reranker=reranker, searches=searches, clock=clock)
    return Retrieval(hits=hits, route=route, entities=entities, concepts=concepts,
                     question_concepts=list(concept_ids), timings_ms=clock.laps)


def walk_tags(driver: Driver, database: str, vector: np.ndarray, *, beam: int, threshold: float) -> Route:
    """Beam search down the tag tree to leaf tags, keeping the `beam` most similar tags per step."""
    floats = query_vector(vector)
    records = read(driver, database, cypher.load("tag_roots"), vector=floats, beam=beam,
                   candidates=max(10 * beam, 40))
    frontier = [_step(r, None) for r in records]
    steps = [frontier]
    reached: dict[str, TagStep] = {s.tag_id: s for s in frontier}
    known = [child for r in records for child in r["children"]]  # the roots' children came with them
    for _ in range(MAX_DEPTH):
        inner = [s.tag_id for s in frontier if s.graph_id is None]
        if not inner:
            break
        children = known or read(driver, database, cypher.load("tag_children"), tag_ids=inner, vector=floats)
        known = []
        # Leaves already reached compete with the children of the tags still open.
        pool = [s for s in frontier if s.graph_id is not None] + [_step(r, r["parent_id"]) for r in children]
        frontier = sorted(pool, key=lambda s: (-s.similarity, s.tag_id))[:beam]
        reached.update({s.tag_id: s for s in frontier})
        steps.append(frontier)
    leaves = [s for s in frontier if s.graph_id is not None]
    best = max(leaves, key=lambda s: s.similarity, default=None)
    path: list[TagStep] = []
    node = best
    while node is not None:
        path.insert(0, node)
        node = reached.get(node.parent_id) if node.parent_id else None
    return Route(steps=steps, path=path, graph_ids=[s.graph_id for s in leaves if s.graph_id],
                 fallback=best is None or best.similarity < threshold)


def _expand(seeds: list[EntityHit], expanded: list[dict], links: list[dict],
            k: int) -> tuple[list[EntityHit], list[ConceptHit]]:
    """The seeds' neighbours (up to `k` each, hubs' included), weighted by their seed, and the
    concepts the seeds stand for."""
    by_id = {r["entity_id"]: r for r in expanded}
    records = [by_id[e.entity_id] for e in seeds if e.entity_id in by_id]
    found = {r["entity_id"]: list(r["neighbours"]) for r in records}
    for link in links:
        found[link["hub_id"]].append(link["neighbour"])
    weights = {e.entity_id: e.weight for e in seeds}
    neighbours: list[EntityHit] = []
    for source, candidates in found.items():
        for n in sorted(candidates, key=lambda n: (-n["similarity"], n["entity_id"]))[:k]:
            weight = NEIGHBOUR_DECAY * weights[source] * max(index_cosine(n["similarity"]), 0.0)
            neighbours.append(_entity(n, n["via"], weight=weight, source_id=source, phrase=n["phrase"]))
    concepts: dict[str, ConceptHit] = {}
    for record in records:
        source = record["entity_id"]
        if (concept := record["concept"]) is not None:
            known = concepts.get(concept["concept_id"])
            entity_ids = (known.entity_ids if known else []) + [source]
            concepts[concept["concept_id"]] = ConceptHit(
                concept_id=concept["concept_id"], name=concept["name"], definition=concept["definition"],
                sources=list(concept["sources"] or []), entity_ids=entity_ids,
                weight=max(weights[source], known.weight if known else 0.0))
    ranked = sorted(concepts.values(), key=lambda c: (-c.weight, c.concept_id))
    return neighbours, ranked


def _rank(driver: Driver, database: str, *, question: str, q: list[float], k: int, tier: str | None, route: Route,
          entities: list[EntityHit], config: URetrieveConfig, reranker: CrossEncoderReranker | None,
          searches: _Searches, clock: _Clock) -> list[ChunkHit]:
    vector, fulltext = searches.vector.result(), searches.fulltext.result()
    clock.lap("search")
    # Chunks of the entities the question or the route named directly, if few chunks mention them.
    rare = [e.entity_id for e in entities if e.source_id is None and e.chunks <= config.rare_entity_chunks]
    found = read(driver, database, cypher.load("candidate_entities"), graph_ids=route.graph_ids, entity_ids=rare,
                 chunk_ids=list(dict.fromkeys([*vector, *fulltext])), tier=tier)
    records = found[0]["chunks"] if found else []
    total = max(int(found[0]["total"]) if found else 1, 1)
    # Relevance times specificity: an entity a few chunks mention says more about a chunk than one
    # that half of them mention (an idf).
    weight = {e.entity_id: e.weight * math.log(1.0 + total / (1.0 + e.chunks)) for e in entities if e.weight > 0}
    graph_scores = {r["chunk_id"]: sum(weight.get(e, 0.0) for e in r["entity_ids"]) for r in records}
    graph_ranking = sorted((c for c, s in graph_scores.items() if s > 0), key=lambda c: (-graph_scores[c], c))
    fused = reciprocal_rank_fusion({"vector": list(vector), "fulltext": list(fulltext), "graph": graph_ranking})
    clock.lap("rank")
    pool = sorted(fused, key=lambda c: (-fused[c], c))[: max(k, config.rerank_depth)]
    hits = chunk_hits(driver, database, pool, embedding=q, scores=fused, vector_scores=vector,
                      fulltext_scores=fulltext, graph_scores=graph_scores, with_embeddings=config.mmr_penalty > 0)
    if reranker is not None:
        scores = reranker.scores(question, [h.text for h in hits])
        hits = [h for _, h in sorted(zip(scores, hits), key=lambda pair: -pair[0])]
    if config.mmr_penalty > 0 and len(hits) > 1:
        # Relevance by rank, on a cosine-like scale, so the penalty weighs as in KG-Rank.
        relevance = [1.0 - i / len(hits) for i in range(len(hits))]
        vectors = np.asarray([h.embedding for h in hits], dtype=np.float32)
        hits = [hits[i] for i in mmr(relevance, vectors, len(hits), penalty=config.mmr_penalty)]
    clock.lap("re-rank")
    return hits[:k]


def _entity(record: object, via: str, *, weight: float | None = None, source_id: str | None = None,
            phrase: str | None = None) -> EntityHit:
    r = record  # a neo4j Record or a dict: both index by key
    similarity = index_cosine(r["similarity"])  # type: ignore[index]
    return EntityHit(
        entity_id=r["entity_id"], name=r["name"], type=r["type"], tier=r["tier"],  # type: ignore[index]
        concept_id=r["concept_id"], similarity=round(similarity, 4),  # type: ignore[index]
        weight=round(max(similarity, 0.0) if weight is None else weight, 4), chunks=int(r["chunks"]),  # type: ignore[index]
        via=via, source_id=source_id, phrase=phrase,
    )


def _distinct(entities: list[EntityHit]) -> list[EntityHit]:
    """One hit per entity: the first way it was found, with the largest weight of any."""
    best: dict[str, EntityHit] = {}
    for e in entities:
        known = best.get(e.entity_id)
        if known is None:
            best[e.entity_id] = e
        elif e.weight > known.weight:
            best[e.entity_id] = replace(known, weight=e.weight)
    return list(best.values())


def _step(record: object, parent_id: str | None) -> TagStep:
    r = record
    return TagStep(tag_id=r["tag_id"], layer=r["layer"], similarity=round(index_cosine(r["similarity"]), 4),  # type: ignore[index]
                   summary=r["summary"], size=r["size"], graph_id=r["graph_id"], parent_id=parent_id)  # type: ignore[index]


@dataclass(frozen=True)
class _Searches:
    vector: Future[dict[str, float]]
    fulltext: Future[dict[str, float]]
    entities: Future[list[Record]]


@cache
def _search_pool() -> ThreadPoolExecutor:
    # One pool for the process: threads started per question would cost more than the searches
    # they run. Its tasks never wait on each other, so a busy pool only queues, never deadlocks.
    return ThreadPoolExecutor(max_workers=24, thread_name_prefix="u-retrieve-search")


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(1000 * (now - self._last), 2)
        self._last = now

