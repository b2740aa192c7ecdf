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
   and the chunks found by search. They are ranked (KG-Rank, retrieval/ranking.py) by a weighted
   reciprocal-rank fusion of six rankings (`FUSION_SIGNALS`), the weights fitted on development
   queries (bench/fusion.py): `vector` (similarity of chunk and question embeddings), `fulltext`
   (the question's words), `synonyms` (the question's concepts by every name the vocabulary gives
   them, which the question's words alone cannot match), `kin` (the names of those concepts'
   children and parents), `graph` (the summed weight of the entities found that a chunk mentions:
   relevance to the question times an idf) and `route` (the chunks of the meta-graphs the walk
   reached, nearest leaf first); then, when configured, a cross-encoder, and MMR for diversity.

The global searches (chunk vectors, full text, nearest entities) run concurrently with the walk.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from medgraphrag.core.ids import DOCUMENT_TIERS, entity_id
from medgraphrag.core.settings import RankingSettings, RetrievalSettings
from medgraphrag.graph.connection import QueryVector, query_vector
from medgraphrag.graph.search import ChunkHit, EntityHit, Expansion, SearchStore
from medgraphrag.graph.store import GraphStore
from medgraphrag.graph.tags import TagStep
from medgraphrag.models.embeddings import unit
from medgraphrag.retrieval.evidence import ConceptHit, Trace
from medgraphrag.retrieval.ranking import CrossEncoderReranker, mmr, reciprocal_rank_fusion
from medgraphrag.retrieval.retriever import Mode, Query, Retrieval
from medgraphrag.retrieval.search import fulltext_ranking, phrase_ranking

# A neighbour is evidence by association, not by the question's own words: it counts for less.
NEIGHBOUR_DECAY = 0.5
MAX_DEPTH = 64
TRACE_ENTITIES = 30


@dataclass(frozen=True)
class Route:
    """The top-down walk: every tag kept per step, the best root-to-leaf path, the meta-graphs
    reached, and whether global entity search stood in (`fallback`)."""

    steps: list[list[TagStep]]
    path: list[TagStep]
    graph_ids: list[str]
    fallback: bool


class URetriever:
    """U-retrieve over a graph store."""

    mode: Mode = "u-retrieve"
    uses_concepts = True

    def __init__(
        self,
        store: GraphStore,
        settings: RetrievalSettings,
        ranking: RankingSettings,
        reranker: CrossEncoderReranker | None = None,
        *,
        model: str,
    ) -> None:
        self.store = store
        self.fallback_threshold = settings.fallback_for(model)
        self.settings = settings
        self.ranking = ranking
        self.reranker = reranker

    def retrieve(self, query: Query) -> Retrieval:
        """The `k` best evidence chunks for the question, the concepts of the entities found, the
        route's summaries for refinement, and the trace."""
        config, search, tier = self.settings, self.store.search, query.tier
        clock = _Clock()
        q = unit(np.asarray(query.vector, dtype=np.float32))
        qf = query_vector(q)  # the form every query takes, converted once
        # Each search channel offers at least as many chunks as are asked for.
        depth = max(config.candidates, 4 * query.k)
        # The global searches need nothing from the walk: they run while it does.
        pool = _search_pool()
        searches = _Searches(
            vector=pool.submit(
                search.vector_chunks, qf, k=depth, candidates=depth * (1 if tier is None else 2), tier=tier
            ),
            fulltext=pool.submit(fulltext_ranking, search, query.question, k=depth, tier=tier),
            entities=pool.submit(
                search.nearest_entities, qf, n=config.entities, candidates=2 * config.entities, tier=tier
            ),
            expansions=pool.submit(_expansions, search, query.concept_ids, depth, tier),
        )
        tiers = [tier] if tier else list(DOCUMENT_TIERS)
        ids = [entity_id(t, c, "", "") for c in query.concept_ids for t in tiers]
        found_asked = search.entities(ids, vector=qf, tier=tier)
        asked = [_weighted(hit, 1.0) for hit, _ in found_asked]
        clock.lap("question")

        tag_vector = unit(np.mean([q, *(unit(np.asarray(v, dtype=np.float32)) for _, v in found_asked)], axis=0))
        route = self.walk(tag_vector)
        clock.lap("top-down")

        nearest = [_weighted(hit) for hit in searches.entities.result()]
        given = asked + (nearest[: config.entities] if route.fallback else [])
        bottom_up = search.bottom_up(
            graph_ids=[] if route.fallback else route.graph_ids,
            seed_ids=[e.entity_id for e in given],
            near_ids=[e.entity_id for e in nearest],
            vector=qf,
            n=config.entities,
            k=config.neighbours,
            max_degree=config.expand_degree,
            tier=tier,
        )
        seeds = _distinct(given + [_weighted(hit) for hit in bottom_up.retrieved])
        neighbours, concepts = _expand(seeds, bottom_up.expanded, bottom_up.hub_links, config.neighbours)
        entities = _distinct(seeds + neighbours)
        clock.lap("bottom-up")

        hits, rankings = self._rank(query, qf, route, entities, searches, clock)
        heaviest = sorted(entities, key=lambda e: (-e.weight, e.entity_id))[:TRACE_ENTITIES]
        trace = Trace(
            mode=self.mode,
            question_concepts=list(query.concept_ids),
            tags=route.steps,
            path=[s.tag_id for s in route.path],
            graph_ids=route.graph_ids,
            fallback=route.fallback,
            entities=heaviest,
            timings_ms=clock.laps,
        )
        # Bottom-up refinement climbs the path from the chosen leaf, nearest ancestor first.
        summaries = [] if route.fallback else [s.summary for s in reversed(route.path[:-1])]
        return Retrieval(hits=hits, trace=trace, concepts=concepts, summaries=summaries, rankings=rankings)

    def walk(self, vector: np.ndarray) -> Route:
        """Beam search down the tag tree to leaf tags, keeping the `beam` most similar tags per step."""
        beam, tags = self.settings.beam, self.store.tags
        floats = query_vector(vector)
        roots = tags.roots(floats, beam=beam, candidates=max(10 * beam, 40))
        frontier = [r.tag for r in roots]
        steps = [frontier]
        reached: dict[str, TagStep] = {s.tag_id: s for s in frontier}
        known = [child for r in roots for child in r.children]  # the roots' children came with them
        for _ in range(MAX_DEPTH):
            inner = [s.tag_id for s in frontier if s.graph_id is None]
            if not inner:
                break
            children = known or tags.children(inner, floats)
            known = []
            # Leaves already reached compete with the children of the tags still open.
            pool = [s for s in frontier if s.graph_id is not None] + children
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
        return Route(
            steps=steps,
            path=path,
            graph_ids=[s.graph_id for s in leaves if s.graph_id],
            fallback=best is None or best.similarity < self.fallback_threshold,
        )

    def _rank(
        self, query: Query, q: QueryVector, route: Route, entities: list[EntityHit], searches: _Searches, clock: _Clock
    ) -> tuple[list[ChunkHit], dict[str, list[str]]]:
        config, ranking, search = self.settings, self.ranking, self.store.search
        vector, fulltext = searches.vector.result(), searches.fulltext.result()
        synonyms, kin = searches.expansions.result()
        clock.lap("search")
        # Chunks of the entities the question or the route named directly, if few chunks mention them.
        rare = [e.entity_id for e in entities if e.source_id is None and e.chunks <= config.rare_entity_chunks]
        candidates = search.candidate_chunks(
            graph_ids=route.graph_ids,
            entity_ids=rare,
            chunk_ids=list(dict.fromkeys([*vector, *fulltext, *synonyms, *kin])),
            tier=query.tier,
        )
        total = max(candidates.total, 1)
        # Relevance times specificity: an entity a few chunks mention says more about a chunk than one
        # that half of them mention (an idf).
        weight = {e.entity_id: e.weight * math.log(1.0 + total / (1.0 + e.chunks)) for e in entities if e.weight > 0}
        graph_scores = {c: sum(weight.get(e, 0.0) for e in ids) for c, ids in candidates.entities.items()}
        graph_ranking = sorted((c for c, s in graph_scores.items() if s > 0), key=lambda c: (-graph_scores[c], c))
        leaf_order = {graph_id: i for i, graph_id in enumerate(route.graph_ids)}
        routed = [c for c, g in candidates.graph_ids.items() if g in leaf_order]
        rankings = {
            "vector": list(vector),
            "fulltext": list(fulltext),
            "synonyms": list(synonyms),
            "kin": list(kin),
            "graph": graph_ranking,
            "route": sorted(routed, key=lambda c: (leaf_order[candidates.graph_ids[c]], -graph_scores.get(c, 0.0), c)),
        }
        fused = reciprocal_rank_fusion(rankings, weights=config.fusion_weights())
        clock.lap("rank")
        pool = sorted(fused, key=lambda c: (-fused[c], c))[: max(query.k, ranking.rerank_depth)]
        hits = search.chunk_hits(
            pool,
            vector=q,
            scores=fused,
            vector_scores=vector,
            fulltext_scores=fulltext,
            graph_scores=graph_scores,
            with_embeddings=ranking.mmr_penalty > 0,
        )
        # Relevance on a cosine-like scale (the best 1.0), so the MMR penalty weighs as in KG-Rank,
        # and the same for a hit whether 5 or 500 are asked for.
        top = max((h.score for h in hits), default=0.0) or 1.0
        relevance = [h.score / top for h in hits]
        if self.reranker is not None:
            scores = self.reranker.scores(query.question, [h.text for h in hits])
            low, high = min(scores, default=0.0), max(scores, default=0.0)
            order = sorted(range(len(hits)), key=lambda i: -scores[i])
            hits = [hits[i] for i in order]
            relevance = [(scores[i] - low) / (high - low) if high > low else 1.0 for i in order]
        if ranking.mmr_penalty > 0 and len(hits) > 1:
            vectors = np.asarray([h.embedding for h in hits], dtype=np.float32)
            hits = [hits[i] for i in mmr(relevance, vectors, len(hits), penalty=ranking.mmr_penalty)]
        clock.lap("re-rank")
        return hits[: query.k], rankings


def _expansions(
    search: SearchStore, concept_ids: list[str], k: int, tier: str | None
) -> tuple[dict[str, float], dict[str, float]]:
    """The chunks matching the question's concepts by any of their names, and those matching their
    kin's names, `k` of each, best first."""
    names, kin = search.concept_terms(concept_ids)
    return phrase_ranking(search, names, k=k, tier=tier), phrase_ranking(search, kin, k=k, tier=tier)


def _expand(
    seeds: list[EntityHit], expanded: list[Expansion], hub_links: list[tuple[str, EntityHit]], k: int
) -> tuple[list[EntityHit], list[ConceptHit]]:
    """The seeds' neighbours (up to `k` each, hubs' included), weighted by their seed, and the
    concepts the seeds stand for."""
    by_id = {x.entity_id: x for x in expanded}
    records = [by_id[e.entity_id] for e in seeds if e.entity_id in by_id]
    found = {x.entity_id: list(x.neighbours) for x in records}
    for hub_id, neighbour in hub_links:
        found[hub_id].append(neighbour)
    weights = {e.entity_id: e.weight for e in seeds}
    neighbours: list[EntityHit] = []
    for source, candidates in found.items():
        for n in sorted(candidates, key=lambda n: (-n.similarity, n.entity_id))[:k]:
            neighbours.append(_weighted(n, NEIGHBOUR_DECAY * weights[source] * max(n.similarity, 0.0)))
    concepts: dict[str, ConceptHit] = {}
    for record in records:
        source = record.entity_id
        if (concept := record.concept) is not None:
            known = concepts.get(concept.concept_id)
            concepts[concept.concept_id] = ConceptHit(
                concept=concept,
                entity_ids=(known.entity_ids if known else []) + [source],
                weight=max(weights[source], known.weight if known else 0.0),
            )
    ranked = sorted(concepts.values(), key=lambda c: (-c.weight, c.concept.concept_id))
    return neighbours, ranked


def _weighted(hit: EntityHit, weight: float | None = None) -> EntityHit:
    """The hit with its ranking weight (its similarity unless given), both to 4 decimals."""
    hit.weight = round(max(hit.similarity, 0.0) if weight is None else weight, 4)
    hit.similarity = round(hit.similarity, 4)
    return hit


def _distinct(entities: list[EntityHit]) -> list[EntityHit]:
    """One hit per entity: the first way it was found, with the largest weight of any."""
    best: dict[str, EntityHit] = {}
    for e in entities:
        known = best.get(e.entity_id)
        if known is None:
            best[e.entity_id] = e
        elif e.weight > known.weight:
            best[e.entity_id] = _with_weight(known, e.weight)
    return list(best.values())


def _with_weight(hit: EntityHit, weight: float) -> EntityHit:
    return EntityHit(
        hit.entity_id,
        hit.name,
        hit.type,
        hit.tier,
        hit.concept_id,
        hit.similarity,
        weight,
        hit.chunks,
        hit.via,
        hit.source_id,
        hit.phrase,
    )


@dataclass(frozen=True)
class _Searches:
    vector: Future[dict[str, float]]
    fulltext: Future[dict[str, float]]
    entities: Future[list[EntityHit]]
    expansions: Future[tuple[dict[str, float], dict[str, float]]]


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
