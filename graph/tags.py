"""The stored tag tree: generations built aside and published in one write, and the walk's reads.

Every tag belongs to a generation. Readers only see the published one (the `TagTree` node says
which; tags from before generations count as generation 0). A rebuild takes a lease on the next
generation, writes the new tree in bounded batches where no reader looks, publishes it in one small
transaction, and then (once walks begun on the old tree have had time to finish) removes the old
tree in batches; so a question asked during a rebuild is answered from one whole tree, the old or
the new. Two rebuilds cannot run at once: the second is
refused with `Conflict` while the first's lease is fresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from medgraphrag.core.errors import Conflict
from medgraphrag.core.runs import process_gone, run_token
from medgraphrag.graph.connection import Connection, Transaction, query_vector
from medgraphrag.graph.search import cosine
from medgraphrag.nlp.assertion import AFFIRMED, NOT_THE_PATIENTS, STATUSES

BATCH = 2000
EMBEDDING_BATCH = 5000
LEASE_STALE_AFTER_S = 3600
# A walk that read the old generation just before the switch finishes within this; then it goes.
RETIRE_AFTER_S = 2.0


@dataclass(frozen=True, slots=True)
class LeafEntity:
    """An entity of a meta-graph, as its leaf tag summarizes it, with the statuses of its mentions
    there (nlp/assertion.py: affirmed, negated, family, conditional, ...)."""

    entity_id: str
    name: str
    type: str
    context: str | None
    statuses: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """How the meta-graph states it: as the patient's (`affirmed`) if any mention there does,
        else the status its mentions share, the first of negated, family, conditional."""
        if not self.statuses or any(s not in NOT_THE_PATIENTS for s in self.statuses):
            return AFFIRMED
        return next(s for s in STATUSES if s in self.statuses)


@dataclass(frozen=True, slots=True)
class MetaGraphContent:
    """What a leaf tag is made from: the meta-graph's entities, or its chunk's embedding when it
    mentions none."""

    graph_id: str
    entities: list[LeafEntity]
    chunk_embedding: list[float] | None


@dataclass(frozen=True, slots=True)
class TagRecord:
    """A tag ready to store: its summary and categories, the meta-graphs it covers (`size`), its
    meta-graph (leaves) or children, and its unit vector."""

    tag_id: str
    layer: int
    summary: str
    categories: list[str]
    size: int
    graph_id: str | None
    children: list[str]
    embedding: list[float]


@dataclass(slots=True)
class TagStep:
    """A tag reached by the top-down walk: its layer, cosine similarity to the question's tag
    vector (4 decimals, so ties break by id), summary, how many meta-graphs it covers, its
    meta-graph (leaves only) and the tag it was reached from."""

    tag_id: str
    layer: int
    similarity: float
    summary: str
    size: int
    graph_id: str | None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class RootStep:
    """A top-layer tag with its children (the walk's next step, read in the same round trip)."""

    tag: TagStep
    children: list[TagStep] = field(default_factory=list)


class TagStore:
    """The tag tree: its generations, leaves, and the walk from the roots down."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def published(self) -> int:
        """The generation readers see now (0: a tree from before generations, or none yet)."""
        record = self._db.read_one("tag_generation")
        return int(record["generation"]) if record else 0

    def count(self) -> int:
        """How many tags the published tree holds."""
        record = self._db.read_one("count_tags")
        return int(record["tags"]) if record else 0

    def begin_rebuild(self) -> int:
        """Take the lease of a new generation and return its number; `Conflict` when another
        rebuild holds a fresh lease (one whose process is known to have stopped is taken over)."""
        current = self._db.read_one("tag_generation")
        holder = current["holder"] if current else None
        record = self._db.write_one(
            "begin_tag_rebuild",
            stale_after_s=LEASE_STALE_AFTER_S,
            holder=run_token(),
            takeover=holder if process_gone(holder) else None,
        )
        if record is None:
            raise Conflict("another tag rebuild is running; try again when it has finished")
        self._db.auto_commit("delete_tags")  # what a failed or superseded rebuild left behind
        return int(record["generation"])

    def create(self, tags: Sequence[TagRecord], *, generation: int) -> None:
        """Store tags of `generation` (children before their parents), in bounded transactions."""
        for first in range(0, len(tags), BATCH):
            self._db.write("create_tags", tags=[_row(t) for t in tags[first : first + BATCH]], generation=generation)

    def publish(self, generation: int) -> bool:
        """Make `generation` the tree readers see, in one write, then remove the old tree, if there
        was one (returned: whether there was); `Conflict` (and the new tree removed) when the lease
        was lost to another rebuild."""
        record = self._db.write_one("publish_tags", generation=generation)
        if record is None:
            self._db.auto_commit("delete_tag_generation", generation=generation)
            raise Conflict(f"tag generation {generation} lost its lease to another rebuild and was not published")
        retiring = bool(record["retiring"])
        if retiring:  # nobody walks a tree that never was: a graph's first tree waits for no one
            time.sleep(RETIRE_AFTER_S)
            self._db.auto_commit("delete_tags")
        return retiring

    def abandon(self, generation: int) -> None:
        """Remove the partial tree of a failed rebuild and release its lease."""
        self._db.auto_commit("delete_tag_generation", generation=generation)
        self._db.write("release_tag_rebuild", generation=generation)

    def attach(self, tags: Sequence[TagRecord], *, generation: int, candidates: int = 20) -> None:
        """Add leaf tags to the tree of `generation`, each under the parent of its nearest older leaf,
        in one transaction per batch. Idempotent: a leaf another run added meanwhile is left as it is."""
        for first in range(0, len(tags), BATCH):
            batch = tags[first : first + BATCH]
            self._db.transaction(partial(_attach_batch, batch, generation=generation, candidates=candidates))

    def meta_graphs(self, *, untagged_only: bool) -> list[MetaGraphContent]:
        """The content of every meta-graph (only those the published tree does not tag, when
        `untagged_only`), by id."""
        records = self._db.read("tag_leaves", untagged_only=untagged_only)
        return [
            MetaGraphContent(
                r["graph_id"],
                [
                    LeafEntity(e["entity_id"], e["name"], e["type"], e["context"], tuple(sorted(e["statuses"])))
                    for e in r["entities"]
                ],
                r["chunk_embedding"],
            )
            for r in records
        ]

    def entity_embeddings(self, entity_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embeddings of those entities that have one."""
        ids = list(entity_ids)
        found: dict[str, list[float]] = {}
        for first in range(0, len(ids), EMBEDDING_BATCH):
            records = self._db.read("entity_embeddings", entity_ids=ids[first : first + EMBEDDING_BATCH])
            found.update({r["entity_id"]: r["embedding"] for r in records})
        return found

    def roots(self, vector: Iterable[float], *, beam: int, candidates: int) -> list[RootStep]:
        """The `beam` top-layer tags of the published tree nearest to `vector` (among the index's
        `candidates` nearest tags), with their children."""
        records = self._db.read("tag_roots", vector=query_vector(vector), beam=beam, candidates=candidates)
        return [RootStep(_step(r, None), [_step(c, c["parent_id"]) for c in r["children"]]) for r in records]

    def children(self, tag_ids: Sequence[str], vector: Iterable[float]) -> list[TagStep]:
        """The children of tags, each with its similarity to `vector`."""
        records = self._db.read("tag_children", tag_ids=list(tag_ids), vector=query_vector(vector))
        return [_step(r, r["parent_id"]) for r in records]


def _attach_batch(tags: Sequence[TagRecord], tx: Transaction, *, generation: int, candidates: int) -> None:
    tx.run("lock_tag_tree")
    tx.run("create_tags", tags=[_row(t) for t in tags], generation=generation)
    tx.run("attach_tags", tag_ids=[t.tag_id for t in tags], candidates=candidates, generation=generation)


def _row(tag: TagRecord) -> dict[str, object]:
    return {
        "tag_id": tag.tag_id,
        "layer": tag.layer,
        "summary": tag.summary,
        "categories": tag.categories,
        "size": tag.size,
        "graph_id": tag.graph_id,
        "children": tag.children,
        "embedding": tag.embedding,
    }


def _step(row: Any, parent_id: str | None) -> TagStep:
    """A tag row (a record, or a map of one) as a step of the walk."""
    return TagStep(
        tag_id=row["tag_id"],
        layer=row["layer"],
        similarity=round(cosine(row["similarity"]), 4),
        summary=row["summary"],
        size=row["size"],
        graph_id=row["graph_id"],
        parent_id=parent_id,
    )
