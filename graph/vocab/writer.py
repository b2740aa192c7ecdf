"""Writing vocabulary concepts and relations to Neo4j: batched UNWIND MERGE, idempotent."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.vocab.names import name_keys
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress

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
    concepts: Sequence[ConceptRecord],
    relations: Sequence[ConceptRelation],
    skipped: SkipCounter,
    batch_size: int = 10_000,
    on_progress: ProgressCallback | None = None,
) -> VocabularyLoad:
    """Merge `concepts`, then `relations`, into the graph and record each source of `versions`.

    Loading the same release twice changes nothing; concepts shared with other sources (same
    concept id) gain this load's names, ids and types. A load of one source records all its rows
    under it; a load of several records, per source, the concepts and relations that name it and
    the skipped rows whose reason starts with `<source>:`.
    """
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    for first in range(0, len(concepts), batch_size):
        batch = [_concept_row(c) for c in concepts[first : first + batch_size]]
        driver.execute_query(cypher.load("merge_concepts"), concepts=batch, database_=database)
        notify(ProgressEvent("concepts", first + len(batch), len(concepts)))
    for kind, query in (("IS_A", "merge_is_a"), ("CONCEPT_REL", "merge_concept_rel")):
        rows = [
            {"source_id": r.source_id, "target_id": r.target_id, "source": r.source, "rel": r.rel or "",
             "rela": r.rela or ""}
            for r in relations
            if r.kind == kind
        ]
        for first in range(0, len(rows), batch_size):
            driver.execute_query(cypher.load(query), relations=rows[first : first + batch_size], database_=database)
            notify(ProgressEvent(kind, first + len(rows[first : first + batch_size]), len(rows)))
    load = VocabularyLoad(versions=dict(versions), concepts=len(concepts), relations=len(relations),
                          skipped=dict(skipped.reasons))
    single = len(versions) == 1
    for source, version in versions.items():
        driver.execute_query(
            cypher.load("merge_vocabulary_source"), source=source, version=version,
            concepts=len(concepts) if single else sum(source in c.sources for c in concepts),
            relations=len(relations) if single else sum(r.source == source for r in relations),
            skipped=skipped.total if single else sum(
                n for reason, n in skipped.reasons.items() if reason.startswith(f"{source}:")
            ),
            database_=database,
        )
    load.seconds = time.perf_counter() - started
    return load


def _concept_row(concept: ConceptRecord) -> dict[str, object]:
    norm_names, name_bags = name_keys([concept.name, *concept.synonyms])
    return {
        "concept_id": concept.concept_id, "name": concept.name, "cui": concept.cui,
        "synonyms": concept.synonyms, "semantic_types": concept.semantic_types,
        "definition": concept.definition, "xrefs": concept.xrefs, "sources": concept.sources,
        "norm_names": norm_names, "name_bags": name_bags,
    }
