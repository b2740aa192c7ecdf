"""Writing vocabulary concepts and relations to Neo4j: batched UNWIND MERGE, idempotent."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class VocabularyLoad:
    """What one vocabulary load wrote, and what it skipped and why."""

    source: str
    version: str | None
    concepts: int = 0
    relations: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def write_vocabulary(
    driver: Driver,
    database: str,
    *,
    source: str,
    version: str | None,
    concepts: Sequence[ConceptRecord],
    relations: Sequence[ConceptRelation],
    skipped: SkipCounter,
    batch_size: int = 10_000,
    on_progress: ProgressCallback | None = None,
) -> VocabularyLoad:
    """Merge `concepts`, then `relations`, into the graph and record the load under `source`.

    Loading the same release twice changes nothing; concepts shared with other sources (same
    concept id) gain this source's names, ids and types.
    """
    started = time.perf_counter()
    notify = on_progress or (lambda stage, done, total: None)
    for first in range(0, len(concepts), batch_size):
        batch = [asdict(c) for c in concepts[first : first + batch_size]]
        driver.execute_query(cypher.load("merge_concepts"), concepts=batch, database_=database)
        notify("concepts", first + len(batch), len(concepts))
    for kind, query in (("IS_A", "merge_is_a"), ("CONCEPT_REL", "merge_concept_rel")):
        rows = [
            {"source_id": r.source_id, "target_id": r.target_id, "source": r.source, "rel": r.rel or "",
             "rela": r.rela or ""}
            for r in relations
            if r.kind == kind
        ]
        for first in range(0, len(rows), batch_size):
            driver.execute_query(cypher.load(query), relations=rows[first : first + batch_size], database_=database)
            notify(kind, first + len(rows[first : first + batch_size]), len(rows))
    load = VocabularyLoad(source=source, version=version, concepts=len(concepts), relations=len(relations),
                          skipped=dict(skipped.reasons))
    driver.execute_query(
        cypher.load("merge_vocabulary_source"), source=source, version=version, concepts=load.concepts,
        relations=load.relations, skipped=skipped.total, database_=database,
    )
    load.seconds = time.perf_counter() - started
    return load


def vocabulary_status(driver: Driver, database: str) -> list[dict[str, object]]:
    """Per loaded source: version, load time, concepts and relations recorded, concepts held now."""
    records, _, _ = driver.execute_query(cypher.load("vocabulary_status"), database_=database, routing_="r")
    return [r.data() for r in records]
