"""Tier 3: the vocabulary's concepts and relations, written and read.

Writes are batched UNWIND MERGE, idempotent and streamed: loading the same release twice changes
nothing, and while one batch is written the next is read and prepared. Reads serve the extraction
lexicon, the concept linker, construction (relations between concepts, what the reference tier
says of a concept) and the concept pages.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from pydantic import BaseModel

from medgraphrag.core.ids import digest
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.graph.connection import Connection
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.nlp.lexicon import ConceptNames
from medgraphrag.nlp.names import KEY_FORMAT, indexed_keys

BATCH_SIZE = 5_000

log = logging.getLogger(__name__)


@dataclass
class VocabularyLoad:
    """What one vocabulary load wrote (per source: its version), and what it skipped and why."""

    versions: dict[str, str | None]
    concepts: int = 0
    relations: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ConceptCandidate:
    """A concept whose name keys matched a linker query: its names, types, sources and every UMLS
    CUI it stands for (its own first, then its `UMLS:` cross-references)."""

    concept_id: str
    cui: str | None
    name: str
    synonyms: list[str]
    semantic_types: list[str]
    sources: list[str]
    cuis: list[str]


class ConceptRef(BaseModel):
    """A concept named by id and preferred name."""

    concept_id: str
    name: str


class Concept(BaseModel):
    """A stored concept: identity, names, semantic types, definition, cross-references, sources."""

    concept_id: str
    cui: str | None = None
    name: str
    synonyms: list[str] = []
    semantic_types: list[str] = []
    definition: str | None = None
    xrefs: list[str] = []
    sources: list[str] = []


class ConceptDetail(BaseModel):
    """A concept with its parents, its first children and how many children it has."""

    concept: Concept
    parents: list[ConceptRef]
    children: list[ConceptRef]
    child_count: int


class VocabularySourceStatus(BaseModel):
    """A loaded vocabulary source: what its load recorded, and the concepts that name it now."""

    source: str
    version: str | None = None
    loaded_at: str | None = None
    concepts: int
    relations: int
    skipped: int
    concepts_now: int
    key_format: str | None = None


@dataclass(frozen=True, slots=True)
class VocabularySourceRecord:
    """What a load records of one source on its `VocabularySource` node."""

    source: str
    version: str | None
    concepts: int
    relations: int
    skipped: int
    key_format: str = KEY_FORMAT


def source_records(
    load: VocabularyLoad, concept_sources: Counter[str], relation_sources: Counter[str], skipped: SkipCounter
) -> list[VocabularySourceRecord]:
    """The `VocabularySource` records of `load`: a load of one source records all its rows under it;
    a load of several records, per source, the concepts and relations that name it (as counted in
    `concept_sources` and `relation_sources`) and the skipped rows whose reason starts with `<source>:`."""
    single = len(load.versions) == 1
    return [
        VocabularySourceRecord(
            source=source,
            version=version,
            concepts=load.concepts if single else concept_sources[source],
            relations=load.relations if single else relation_sources[source],
            skipped=skipped.total
            if single
            else sum(n for reason, n in skipped.reasons.items() if reason.startswith(f"{source}:")),
        )
        for source, version in load.versions.items()
    ]


class VocabularyStore:
    """The concepts of tier 3 and their relations."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def write(
        self,
        *,
        versions: Mapping[str, str | None],
        concepts: Iterable[ConceptRecord],
        relations: Iterable[ConceptRelation],
        skipped: SkipCounter,
        batch_size: int = BATCH_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> VocabularyLoad:
        """Merge `concepts`, then `relations`, into the graph and record each source of `versions`.

        Both may be streams: `relations` is only iterated once `concepts` is exhausted, and `skipped`
        is read at the end, so a reader may fill it as it goes. Concepts shared with other sources
        (same concept id) gain this load's names, ids and types. A load of one source records all
        its rows under it; a load of several records, per source, the concepts and relations that
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

        with _Pipeline(self._db) as pipeline:
            for batch in _batches(concepts, batch_size):
                written["concepts"] += len(batch)
                pipeline.send("merge_concepts", concepts=concept_rows(batch))
                done = written["concepts"]
                notify(ProgressEvent("concepts", done, max(total, done)))
                log.debug("vocabulary: %d concepts sent", done)
            for kind, relation_batch in _relation_batches(relations, batch_size):
                relation_sources.update(r.source for r in relation_batch)
                written[kind] += len(relation_batch)
                pipeline.send(
                    "merge_is_a" if kind == "IS_A" else "merge_concept_rel",
                    relations=[
                        {
                            "source_id": r.source_id,
                            "target_id": r.target_id,
                            "source": r.source,
                            "rel": r.rel or "",
                            "rela": r.rela or "",
                        }
                        for r in relation_batch
                    ],
                )
                notify(ProgressEvent(kind, written[kind], written[kind]))
        load = VocabularyLoad(
            versions=dict(versions),
            concepts=written["concepts"],
            relations=written["IS_A"] + written["CONCEPT_REL"],
            skipped=dict(skipped.reasons),
        )
        for record in source_records(load, concept_sources, relation_sources, skipped):
            self._db.write(
                "merge_vocabulary_source",
                source=record.source,
                version=record.version,
                concepts=record.concepts,
                relations=record.relations,
                skipped=record.skipped,
                key_format=record.key_format,
            )
        load.seconds = time.perf_counter() - started
        log.info(
            "vocabulary %s: %d concepts and %d relations in %.1f s, %d rows skipped",
            ", ".join(versions),
            load.concepts,
            load.relations,
            load.seconds,
            sum(load.skipped.values()),
        )
        return load

    def concept_names(self) -> Iterator[ConceptNames]:
        """Every concept's identity, types, sources and name keys, streamed (for the lexicon)."""
        for r in self._db.stream("lexicon_entries"):
            yield ConceptNames(
                r["concept_id"],
                r["cui"],
                r["name"],
                r["semantic_types"] or [],
                r["sources"] or [],
                r["name_keys"] or [],
                r["xrefs"] or [],
            )

    def signature(self) -> str:
        """A short identity of the vocabulary loaded now (sources, versions, load times, sizes); it
        changes whenever a vocabulary is loaded again."""
        records = self._db.read("vocabulary_signature")
        text = "|".join(f"{r['source']}:{r['version']}:{r['loaded_at']}:{r['concepts']}" for r in records)
        return digest(text, length=16) if text else "none"

    def sources(self) -> list[VocabularySourceStatus]:
        """Per loaded source: version, load time, concepts and relations recorded, concepts now."""
        return [VocabularySourceStatus.model_validate(r.data()) for r in self._db.read("vocabulary_status")]

    def concept(self, concept_id: str, *, children: int = 50) -> ConceptDetail | None:
        """A concept with its parents and first `children` children; None if there is none."""
        record = self._db.read_one("concept_detail", concept_id=concept_id, children=children)
        return None if record is None else ConceptDetail.model_validate(record.data())

    def candidates(self, query: str, *, limit: int) -> list[ConceptCandidate]:
        """Concepts whose name keys match a full-text query over `concept_names`, best first."""
        return [
            ConceptCandidate(
                r["concept_id"],
                r["cui"],
                r["name"],
                r["synonyms"] or [],
                r["semantic_types"] or [],
                r["sources"] or [],
                r["cuis"] or [],
            )
            for r in self._db.read("concept_candidates", query=query, limit=limit)
        ]

    def relations(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """For each pair (a, b) of concepts the vocabulary relates, the phrase that reads from a to b
        ("is a", "has finding site", ...), or from b to a keyed (b, a) where it runs that way."""
        rows = [{"a": a, "b": b} for a, b in dict.fromkeys(pairs)]
        if not rows:
            return {}
        phrases: dict[tuple[str, str], str] = {}
        for r in self._db.read("concept_relations", pairs=rows):
            phrase = "is a" if r["kind"] == "IS_A" else (r["rela"] or r["rel"] or "related to").replace("_", " ")
            key = (r["a"], r["b"]) if r["forward"] else (r["b"], r["a"])
            phrases.setdefault(key, phrase)
        return phrases

    def reference_contents(self, concept_ids: Iterable[str], *, k: int = 2) -> dict[str, list[str]]:
        """Per concept: its definition and up to `k` reference-tier contexts of entities standing for it."""
        ids = sorted({c for c in concept_ids if c})
        if not ids:
            return {}
        records = self._db.read("reference_contents", concept_ids=ids, k=k)
        return {r["concept_id"]: [t for t in [r["definition"], *r["contexts"]] if t] for r in records}


class _Pipeline:
    """Writes one batch in a worker thread while the caller prepares the next; a failed write is
    raised at the next `send` or on leaving."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
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
        self.pending = self.executor.submit(self.connection.write, query, **parameters)

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
        "concept_id": concept.concept_id,
        "name": concept.name,
        "cui": concept.cui,
        "synonyms": concept.synonyms,
        "semantic_types": concept.semantic_types,
        "definition": concept.definition,
        "xrefs": concept.xrefs,
        "sources": concept.sources,
        "name_keys": indexed_keys([concept.name, *concept.synonyms]),
    }
