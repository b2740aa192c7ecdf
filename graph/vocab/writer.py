"""Writing vocabulary concepts and relations to Neo4j: batched UNWIND MERGE, idempotent, streamed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.vocab.names import KEY_FORMAT, indexed_keys
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress

BATCH_SIZE = 5_000


@dataclass
class VocabularyLoad:
    """What one vocabulary load wrote (per source: its version), and what it skipped and why."""

    versions: dict[str, str | None]
    concepts: int = 0
    relations: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def write_vocabulary(
    driver: Driver,
    database: str,
    *,
    versions: Mapping[str, str | None],
    concepts: Iterable[ConceptRecord],
    relations: Iterable[ConceptRelation],
    skipped: SkipCounter,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> VocabularyLoad:
    """Merge `concepts`, then `relations`, into the graph and record each source of `versions`.

    Both may be streams: `relations` is only iterated once `concepts` is exhausted, and `skipped` is
    read at the end, so a reader may fill it as it goes. While one batch is written the next is
    read and prepared. Loading the same release twice changes nothing; concepts shared with other
    sources (same concept id) gain this load's names, ids and types. A load of one source records
    all its rows under it; a load of several records, per source, the concepts and relations that
    name it and the skipped rows whose reason starts with `<source>:`.
    """
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    total = len(concepts) if isinstance(concepts, list) else 0
    concept_sources: Counter[str] = Counter()
    relation_sources: Counter[str] = Counter()
    written = {"concepts": 0, "IS_A": 0, "CONCEPT_REL": 0}

    def concept_rows(batch: list[ConceptRecord]) -> list[dict[str, object]]:
        for concept in batch:
            concept_sources.update(concept.sources)
        return [_concept_row(c) for c in batch]

    with _Pipeline(driver, database) as pipeline:
        for batch in _batches(concepts, batch_size):
            written["concepts"] += len(batch)
            pipeline.send("merge_concepts", concepts=concept_rows(batch))
            done = written["concepts"]
            notify(ProgressEvent("concepts", done, max(total, done)))
        for kind, batch in _relation_batches(relations, batch_size):
            relation_sources.update(r.source for r in batch)
            written[kind] += len(batch)
            pipeline.send("merge_is_a" if kind == "IS_A" else "merge_concept_rel", relations=[
                {"source_id": r.source_id, "target_id": r.target_id, "source": r.source, "rel": r.rel or "",
                 "rela": r.rela or ""} for r in batch])
            notify(ProgressEvent(kind, written[kind], written[kind]))
    load = VocabularyLoad(versions=dict(versions), concepts=written["concepts"],
                          relations=written["IS_A"] + written["CONCEPT_REL"], skipped=dict(skipped.reasons))
    single = len(versions) == 1
    for source, version in versions.items():
        driver.execute_query(
            cypher.load("merge_vocabulary_source"), source=source, version=version,
            concepts=load.concepts if single else concept_sources[source],
            relations=load.relations if single else relation_sources[source],
            skipped=skipped.total if single else sum(
                n for reason, n in skipped.reasons.items() if reason.startswith(f"{source}:")
            ),
            key_format=KEY_FORMAT, database_=database,
        )
    load.seconds = time.perf_counter() - started
    return load


class _Pipeline:
    """Writes one batch in a worker thread while the caller prepares the next; a failed write is
    raised at the next `send` or on leaving."""

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database
        self.pending: Future[object] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vocab-writer")

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._wait()
        finally:
            self.executor.shutdown(wait=True)

    def send(self, query: str, **parameters: object) -> None:
        """Wait for the batch in flight, then start writing this one."""
        self._wait()
        self.pending = self.executor.submit(self.driver.execute_query, cypher.load(query),
                                            database_=self.database, **parameters)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()


def _batches(items: Iterable[ConceptRecord], size: int) -> Iterator[list[ConceptRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _relation_batches(relations: Iterable[ConceptRelation], size: int) -> Iterator[tuple[str, list[ConceptRelation]]]:
    """Batches of one relation kind each, in the order the relations come."""
    pending: dict[str, list[ConceptRelation]] = {"IS_A": [], "CONCEPT_REL": []}
    for relation in relations:
        batch = pending[relation.kind]
        batch.append(relation)
        if len(batch) >= size:
            yield relation.kind, batch
            pending[relation.kind] = []
    for kind, batch in pending.items():
        if batch:
            yield kind, batch


def _concept_row(concept: ConceptRecord) -> dict[str, object]:
    return {
        "concept_id": concept.concept_id, "name": concept.name, "cui": concept.cui,
        "synonyms": concept.synonyms, "semantic_types": concept.semantic_types,
        "definition": concept.definition, "xrefs": concept.xrefs, "sources": concept.sources,
        "name_keys": indexed_keys([concept.name, *concept.synonyms]),
    }
