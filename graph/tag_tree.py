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
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.ids import content_id
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress

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
             dimension: int) -> Tag:
    """The layer-0 tag of a meta-graph from its entities (`name`, `type`, `negated`, `entity_id`)."""
    categories: dict[str, list[str]] = {}
    for entity in sorted(entities, key=lambda e: str(e["name"]).lower()):
        category = ABSENT if entity["negated"] else CATEGORIES.get(str(entity["type"]), OTHER)
        items = categories.setdefault(category, [])
        if entity["name"] not in items:
            items.append(str(entity["name"]))
    found = [vectors[str(e["entity_id"])] for e in entities if str(e["entity_id"]) in vectors]
    vector = _unit(np.mean(found, axis=0)) if found else np.zeros(dimension, dtype=np.float32)
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
                 max_layers: int = 12, on_progress: ProgressCallback | None = None) -> TagTree:
    """Replace every tag of the graph by a tree built from its meta-graphs now."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    records, _, _ = driver.execute_query(cypher.load("tag_leaves"), database_=database, routing_="r")
    graphs = [(r["graph_id"], r["entities"]) for r in records]
    ids = sorted({str(e["entity_id"]) for _, entities in graphs for e in entities})
    vectors = {}
    for first in range(0, len(ids), 5000):
        found, _, _ = driver.execute_query(cypher.load("entity_embeddings"), entity_ids=ids[first : first + 5000],
                                           database_=database, routing_="r")
        vectors.update({r["entity_id"]: np.asarray(r["embedding"], dtype=np.float32) for r in found})
    leaves = [leaf_tag(graph_id, entities, vectors, dimension) for graph_id, entities in graphs]
    notify(ProgressEvent("tags", 0, max_layers))
    layers = build_tree(leaves, top_fraction=top_fraction, delta=delta, max_layers=max_layers)
    with driver.session(database=database) as session:
        session.run(cypher.load("delete_tags")).consume()  # batched: an implicit transaction
        for number, layer in enumerate(layers):
            for first in range(0, len(layer), 2000):
                rows = [{"tag_id": t.tag_id, "layer": t.layer, "summary": t.summary,
                         "categories": sorted(c for c, items in t.categories.items() if items), "size": t.size,
                         "graph_id": t.graph_id, "children": t.children,
                         "embedding": [float(x) for x in _unit(t.vector)]} for t in layer[first : first + 2000]]
                session.execute_write(lambda tx, rows=rows: tx.run(cypher.load("create_tags"), tags=rows).consume())
            notify(ProgressEvent("tags", number + 1, len(layers)))
    return TagTree([len(layer) for layer in layers], time.perf_counter() - started)


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


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else vector.astype(np.float32)


def _tag_id(layer: int, members: Sequence[str]) -> str:
    return content_id("tag", layer, *members)
