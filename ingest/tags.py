"""The tag hierarchy (paper 2.2): a tag summary per meta-graph, merged layer by layer into a tree.

Layer 0 holds one tag per meta-graph: its summary (the `TagSummarizer`'s: offline, its entities
sorted into fixed clinical categories; with an LLM, the model's, in the same categories). Its
vector is the mean of its entities' content embeddings, so no text is embedded again. Each higher
layer merges tags of the layer below: the similarity of two groups is the mean cosine over all
pairs of their members' vectors (the paper's rule), which for unit vectors is the dot product of
the groups' mean vectors. Mutual nearest neighbours merge when their similarity is at least
`merge_threshold` and among the top `top_fraction` of the layer's nearest-neighbour similarities;
tags that merge with nothing are carried up unchanged, and a merged tag's summary is its children's
merged. Building stops after `max_layers` layers or when a layer merges nothing.

A rebuild writes the new tree as a new generation and publishes it in one write (graph/tags.py):
a question never sees a partial tree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from medgraphrag.core.ids import tag_id
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.core.settings import TagSettings
from medgraphrag.graph.tags import MetaGraphContent, TagRecord, TagStore
from medgraphrag.ingest.construction import TagSummarizer
from medgraphrag.models.embeddings import unit

Merge = Callable[[Sequence[Mapping[str, Sequence[str]]]], dict[str, list[str]]]

log = logging.getLogger(__name__)


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

    def record(self) -> TagRecord:
        """The tag as the store writes it."""
        return TagRecord(
            self.tag_id,
            self.layer,
            self.summary,
            sorted(c for c, items in self.categories.items() if items),
            self.size,
            self.graph_id,
            self.children,
            [float(x) for x in unit(self.vector)],
        )


@dataclass
class TagTree:
    """What a rebuild made: tags new per layer, the generation published, and how long it took."""

    layers: list[int]
    seconds: float
    generation: int = 0


def leaf_tag(
    content: MetaGraphContent,
    vectors: Mapping[str, np.ndarray],
    summarizer: TagSummarizer,
    *,
    generation: int,
    dimension: int,
) -> Tag:
    """The layer-0 tag of a meta-graph; its vector is its chunk's embedding when none of its
    entities has one."""
    found = [vectors[e.entity_id] for e in content.entities if e.entity_id in vectors]
    fallback = np.asarray(
        content.chunk_embedding if content.chunk_embedding is not None else np.ones(dimension), dtype=np.float32
    )
    vector = unit(np.mean(found, axis=0) if found else fallback)
    return Tag(
        tag_id(0, [content.graph_id], generation),
        0,
        summarizer.leaf(content.entities),
        vector,
        graph_id=content.graph_id,
    )


def merge_layer(
    tags: Sequence[Tag],
    layer: int,
    *,
    top_fraction: float,
    delta: float,
    merge: Merge,
    generation: int,
    block: int = 1024,
) -> list[Tag]:
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
        merged.append(
            Tag(
                tag_id(layer, [a.tag_id, b.tag_id], generation),
                layer,
                merge([a.categories, b.categories]),
                mean,
                size=size,
                children=[a.tag_id, b.tag_id],
            )
        )
    return merged + [t for t, u in zip(tags, used) if not u]


def build_tree(
    leaves: Sequence[Tag], settings: TagSettings, *, merge: Merge, generation: int, model: str
) -> list[list[Tag]]:
    """Layers of tags from `leaves` upwards (their vectors from the embedding model `model`); each
    layer lists the tags new in it (merged ones)."""
    layers: list[list[Tag]] = [list(leaves)]
    current = list(leaves)
    for layer in range(1, settings.max_layers):
        above = merge_layer(
            current,
            layer,
            top_fraction=settings.top_fraction,
            delta=settings.merge_for(model),
            merge=merge,
            generation=generation,
        )
        new = [t for t in above if t.layer == layer]
        if not new:
            break
        layers.append(new)
        current = above
    return layers


def rebuild_tags(
    store: TagStore,
    settings: TagSettings,
    summarizer: TagSummarizer,
    *,
    dimension: int,
    model: str,
    on_progress: ProgressCallback | None = None,
) -> TagTree:
    """Build a tree from every meta-graph now as a new generation and publish it in one write;
    `Conflict` if another rebuild is running. A question asked meanwhile sees the old tree."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    generation = store.begin_rebuild()
    try:
        leaves = _leaves(store, summarizer, untagged_only=False, generation=generation, dimension=dimension)
        notify(ProgressEvent("tags", 0, settings.max_layers))
        layers = build_tree(leaves, settings, merge=summarizer.merged, generation=generation, model=model)
        for number, layer in enumerate(layers):
            store.create([t.record() for t in layer], generation=generation)
            notify(ProgressEvent("tags", number + 1, len(layers)))
    except BaseException:
        store.abandon(generation)
        raise
    store.publish(generation)
    log.info("tag tree generation %d published: %s tags new per layer", generation, [len(layer) for layer in layers])
    # Meta-graphs written while the tree was built have no leaf in it yet.
    _attach(store, summarizer, generation=generation, dimension=dimension)
    return TagTree([len(layer) for layer in layers], time.perf_counter() - started, generation)


def attach_tags(
    store: TagStore,
    settings: TagSettings,
    summarizer: TagSummarizer,
    *,
    dimension: int,
    model: str,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Tag the meta-graphs the published tree does not tag yet: each new leaf joins the parent of its
    nearest existing leaf; with no tree at all, the whole tree is built. Returns how many
    meta-graphs were tagged. Merged summaries are left as they are until the next rebuild."""
    if not store.count():
        tree = rebuild_tags(store, settings, summarizer, dimension=dimension, model=model, on_progress=on_progress)
        return tree.layers[0] if tree.layers else 0
    return _attach(store, summarizer, generation=store.published(), dimension=dimension, on_progress=on_progress)


def _attach(
    store: TagStore,
    summarizer: TagSummarizer,
    *,
    generation: int,
    dimension: int,
    on_progress: ProgressCallback | None = None,
) -> int:
    notify = on_progress or ignore_progress
    leaves = _leaves(store, summarizer, untagged_only=True, generation=generation, dimension=dimension)
    notify(ProgressEvent("tags", 0, len(leaves)))
    for first in range(0, len(leaves), 2000):
        batch = leaves[first : first + 2000]
        store.attach([t.record() for t in batch], generation=generation)
        notify(ProgressEvent("tags", first + len(batch), len(leaves)))
    return len(leaves)


def _leaves(
    store: TagStore, summarizer: TagSummarizer, *, untagged_only: bool, generation: int, dimension: int
) -> list[Tag]:
    contents = store.meta_graphs(untagged_only=untagged_only)
    ids = sorted({e.entity_id for content in contents for e in content.entities})
    vectors = {eid: np.asarray(v, dtype=np.float32) for eid, v in store.entity_embeddings(ids).items()}
    return [leaf_tag(content, vectors, summarizer, generation=generation, dimension=dimension) for content in contents]


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
