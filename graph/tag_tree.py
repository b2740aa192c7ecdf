"""The tag hierarchy (paper 2.2): a tag summary per meta-graph, merged layer by layer into a tree.

Layer 0 holds one tag per meta-graph: its entities grouped into fixed clinical categories (by
semantic group; negated findings apart), extractive and deterministic. Its vector is the mean of its
entities' content embeddings, so no text is embedded again. Each higher layer merges tags of the
layer below: the similarity of two groups is the mean cosine over all pairs of their members'
vectors (the paper's rule), which for unit vectors is the dot product of the groups' mean vectors.
Mutual nearest neighbours merge when their similarity is at least `delta` and among the top
`top_fraction` of the layer's nearest-neighbour similarities; tags that merge with nothing are
carried up unchanged. A merged tag's summary is the union of its children's, most frequent first.
Building stops after `max_layers` layers or when a layer merges nothing.

With a construction LLM (`summarizer`) the LLM writes the summaries instead, strictly in the same
categories: a leaf's from its meta-graph's entities, then, once the tree's shape is built, layer by
layer a merged tag's from its children's summaries. Vectors and the shape are the same either way.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.embeddings import unit
from medgraphrag.ids import content_id
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress

if TYPE_CHECKING:  # the LLM construction imports this module's categories
    from medgraphrag.ingest.llm_construction import LLMConstruction

# Semantic group -> tag category (the paper names symptoms, patient history, body functions and
# medication; the rest follow the groups a clinical summary separates).
CATEGORIES: dict[str, str] = {
    "Disorders": "Problems and symptoms",
    "Chemicals & Drugs": "Medication and substances",
    "Procedures": "Procedures",
    "Anatomy": "Anatomy",
    "Physiology": "Body functions",
    "Phenomena": "Labs and measurements",
    "Activities & Behaviors": "Patient history and behaviour",
    "Devices": "Devices",
    "Living Beings": "Organisms and populations",
    "Genes & Molecular Sequences": "Genes",
}
ABSENT = "Absent findings"
OTHER = "Other concepts"
TAG_CATEGORIES: tuple[str, ...] = (*CATEGORIES.values(), ABSENT, OTHER)
ITEMS_PER_CATEGORY = 8


@dataclass
class Tag:
    """One tag: its summary (category -> items), the mean of its leaves' unit vectors, how many
    leaves it covers and its children (tag ids)."""

    tag_id: str
    layer: int
    categories: dict[str, list[str]]
    vector: np.ndarray
    size: int = 1
    graph_id: str | None = None
    children: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The summary as text: one `Category: item, item` line per category."""
        return "\n".join(f"{category}: {', '.join(items)}" for category, items in self.categories.items() if items)


@dataclass
class TagTree:
    """What a rebuild made."""

    layers: list[int]
    seconds: float


def leaf_tag(graph_id: str, entities: Sequence[dict[str, object]], vectors: dict[str, np.ndarray],
             fallback: np.ndarray) -> Tag:
    """The layer-0 tag of a meta-graph from its entities (`name`, `type`, `negated`, `entity_id`);
    its vector is `fallback` (the chunk's embedding) when none of them has one."""
    categories: dict[str, list[str]] = {}
    for entity in sorted(entities, key=lambda e: str(e["name"]).lower()):
        category = ABSENT if entity["negated"] else CATEGORIES.get(str(entity["type"]), OTHER)
        items = categories.setdefault(category, [])
        if entity["name"] not in items:
            items.append(str(entity["name"]))
    found = [vectors[str(e["entity_id"])] for e in entities if str(e["entity_id"]) in vectors]
    vector = unit(np.mean(found, axis=0) if found else fallback)
    return Tag(_tag_id(0, [graph_id]), 0, dict(sorted(categories.items())), vector, graph_id=graph_id)


def merge_layer(tags: Sequence[Tag], layer: int, *, top_fraction: float, delta: float,
                block: int = 1024) -> list[Tag]:
    """The next layer above `tags`: mutual nearest neighbours above the threshold merged, the rest
    carried up (the same tag objects)."""
    if len(tags) < 2:
        return list(tags)
    # Group similarity = mean pairwise cosine of the members = dot product of the mean vectors.
    member_means = np.stack([t.vector for t in tags])
    nearest, best = _nearest(member_means, block)
    threshold = max(delta, float(np.quantile(best, 1.0 - top_fraction)))
    merged: list[Tag] = []
    used = np.zeros(len(tags), dtype=bool)
    for i in np.argsort(-best, kind="stable"):
        j = nearest[i]
        if used[i] or used[j] or nearest[j] != i or best[i] < threshold:
            continue
        used[i] = used[j] = True
        a, b = tags[i], tags[j]
        size = a.size + b.size
        mean = (member_means[i] * a.size + member_means[j] * b.size) / size
        merged.append(Tag(_tag_id(layer, [a.tag_id, b.tag_id]), layer, _union(a, b), mean, size=size,
                          children=[a.tag_id, b.tag_id]))
    return merged + [t for t, u in zip(tags, used) if not u]


def build_tree(leaves: Sequence[Tag], *, top_fraction: float = 0.2, delta: float = 0.5,
               max_layers: int = 12) -> list[list[Tag]]:
    """Layers of tags from `leaves` upwards; each layer lists the tags new in it (merged ones)."""
    layers: list[list[Tag]] = [list(leaves)]
    current = list(leaves)
    for layer in range(1, max_layers):
        above = merge_layer(current, layer, top_fraction=top_fraction, delta=delta)
        new = [t for t in above if t.layer == layer]
        if not new:
            break
        layers.append(new)
        current = above
    return layers


def rebuild_tags(driver: Driver, database: str, *, dimension: int, top_fraction: float = 0.2, delta: float = 0.5,
                 max_layers: int = 12, on_progress: ProgressCallback | None = None,
                 summarizer: LLMConstruction | None = None) -> TagTree:
    """Replace every tag of the graph by a tree built from its meta-graphs now; with `summarizer`,
    the LLM writes every tag's summary."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    leaves = _leaves(driver, database, dimension, untagged_only=False, summarizer=summarizer)
    notify(ProgressEvent("tags", 0, max_layers))
    layers = build_tree(leaves, top_fraction=top_fraction, delta=delta, max_layers=max_layers)
    if summarizer is not None:
        _summarize_merged(layers, summarizer)
    with driver.session(database=database) as session:
        session.run(cypher.load("delete_tags")).consume()  # batched: an implicit transaction
    for number, layer in enumerate(layers):
        _create(driver, database, layer)
        notify(ProgressEvent("tags", number + 1, len(layers)))
    return TagTree([len(layer) for layer in layers], time.perf_counter() - started)


def attach_tags(driver: Driver, database: str, *, dimension: int, top_fraction: float = 0.2, delta: float = 0.5,
                max_layers: int = 12, on_progress: ProgressCallback | None = None,
                summarizer: LLMConstruction | None = None) -> int:
    """Tag the meta-graphs that have no tag yet: each new leaf joins the parent of its nearest
    existing leaf; with no tree at all, the whole tree is built. With `summarizer`, the LLM writes
    the new tags' summaries. Returns how many meta-graphs were tagged. Merged summaries are left as
    they are until the next `rebuild_tags`."""
    records, _, _ = driver.execute_query(cypher.load("count_tags"), database_=database, routing_="r")
    if not records[0]["tags"]:
        tree = rebuild_tags(driver, database, dimension=dimension, top_fraction=top_fraction, delta=delta,
                            max_layers=max_layers, on_progress=on_progress, summarizer=summarizer)
        return tree.layers[0] if tree.layers else 0
    notify = on_progress or ignore_progress
    leaves = _leaves(driver, database, dimension, untagged_only=True, summarizer=summarizer)
    notify(ProgressEvent("tags", 0, len(leaves)))
    for first in range(0, len(leaves), 2000):
        batch = leaves[first : first + 2000]
        _create(driver, database, batch)
        driver.execute_query(cypher.load("attach_tags"), tag_ids=[t.tag_id for t in batch], candidates=20,
                             database_=database)
        notify(ProgressEvent("tags", first + len(batch), len(leaves)))
    return len(leaves)


def _leaves(driver: Driver, database: str, dimension: int, *, untagged_only: bool,
            summarizer: LLMConstruction | None) -> list[Tag]:
    records, _, _ = driver.execute_query(cypher.load("tag_leaves"), untagged_only=untagged_only, database_=database,
                                         routing_="r")
    graphs = [(r["graph_id"], r["entities"], r["chunk_embedding"]) for r in records]
    ids = sorted({str(e["entity_id"]) for _, entities, _ in graphs for e in entities})
    vectors = {}
    for first in range(0, len(ids), 5000):
        found, _, _ = driver.execute_query(cypher.load("entity_embeddings"), entity_ids=ids[first : first + 5000],
                                           database_=database, routing_="r")
        vectors.update({r["entity_id"]: np.asarray(r["embedding"], dtype=np.float32) for r in found})
    leaves = [leaf_tag(graph_id, entities, vectors, np.asarray(chunk if chunk is not None else np.ones(dimension),
                                                               dtype=np.float32))
              for graph_id, entities, chunk in graphs]
    if summarizer is not None:
        for leaf, (_, entities, _) in zip(leaves, graphs):
            leaf.categories = summarizer.tag_summary(entities)
    return leaves


def _summarize_merged(layers: Sequence[Sequence[Tag]], summarizer: LLMConstruction) -> None:
    # Layer by layer, so each merged tag's prompt sees its children's LLM summaries.
    tags = {t.tag_id: t for t in layers[0]}
    for layer in layers[1:]:
        for tag in layer:
            tag.categories = summarizer.merged_tag_summary([tags[c].categories for c in tag.children])
        tags.update((t.tag_id, t) for t in layer)


def _create(driver: Driver, database: str, tags: Sequence[Tag]) -> None:
    for first in range(0, len(tags), 2000):
        rows = [{"tag_id": t.tag_id, "layer": t.layer, "summary": t.summary,
                 "categories": sorted(c for c, items in t.categories.items() if items), "size": t.size,
                 "graph_id": t.graph_id, "children": t.children, "embedding": [float(x) for x in unit(t.vector)]}
                for t in tags[first : first + 2000]]
        driver.execute_query(cypher.load("create_tags"), tags=rows, database_=database)


def _nearest(vectors: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    nearest = np.empty(len(vectors), dtype=np.int64)
    best = np.empty(len(vectors), dtype=np.float32)
    for first in range(0, len(vectors), block):
        similarity = vectors[first : first + block] @ vectors.T
        rows = np.arange(similarity.shape[0])
        similarity[rows, rows + first] = -np.inf
        nearest[first : first + block] = similarity.argmax(axis=1)
        best[first : first + block] = similarity[rows, nearest[first : first + block]]
    return nearest, best


def _union(a: Tag, b: Tag) -> dict[str, list[str]]:
    categories: dict[str, list[str]] = {}
    for category in sorted(set(a.categories) | set(b.categories)):
        counts = Counter(a.categories.get(category, []) + b.categories.get(category, []))
        categories[category] = [item for item, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))]
        categories[category] = categories[category][:ITEMS_PER_CATEGORY]
    return categories


def _tag_id(layer: int, members: Sequence[str]) -> str:
    return content_id("tag", layer, *members)
