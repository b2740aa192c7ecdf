"""A vocabulary as the CSV files of `neo4j-admin database import`: the graph the streaming loader
writes, from the same reader streams.

The streaming loader merges concepts and relations as they come (`cypher/merge_concepts.cypher`,
`merge_is_a.cypher`, `merge_concept_rel.cypher`); the import tool only creates. So the writer
merges what the graph would: a concept id seen again gains the later record's names, ids and types
by the same rules, an IS_A pair seen again gains its source, and a CONCEPT_REL seen again with the
same rel, rela and source is dropped. Rows are streamed to disk; what stays in memory is the id of
every concept and relation written with its row number (the readers themselves hold as much), and
the later records of ids that repeat. Readers of sorted releases repeat none, and then no file is
read back; otherwise the first rows of the repeated ids are read back and replaced once, at the end.

The import tool cannot write an empty list (an empty array field is no property), while the
streaming loader stores `[]`: concepts with an empty list carry the label `PENDING_LABEL`, and
`cypher/finish_bulk_import.cypher`, run on the first connection, sets their lists and drops it.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from medgraphrag.core.errors import VocabularyError
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.graph.vocabulary import VocabularyLoad, source_records
from medgraphrag.nlp.names import indexed_keys

# The ASCII unit separator splits list properties: no vocabulary name or code holds one.
ARRAY_DELIMITER = "\x1f"
PENDING_LABEL = "BulkImportPending"
CONCEPT_LABEL = "Concept"
CONCEPT_HEADER = (
    "concept_id:ID(Concept),:LABEL,name,cui,synonyms:string[],semantic_types:string[],definition,"
    "xrefs:string[],sources:string[],name_keys:string[]"
)
IS_A_HEADER = ":START_ID(Concept),:END_ID(Concept),sources:string[]"
CONCEPT_REL_HEADER = ":START_ID(Concept),:END_ID(Concept),rel,rela,source"
SOURCE_HEADER = ":LABEL,source,version,loaded_at:datetime,concepts:long,relations:long,skipped:long,key_format"
PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class ImportFiles:
    """The CSV files of one vocabulary, ready for `neo4j-admin database import full`, and the load
    they hold (counted as the streaming loader counts it)."""

    folder: Path
    concepts: Path
    is_a: Path
    concept_rel: Path
    sources: Path
    multiline: bool
    load: VocabularyLoad

    def arguments(self, *, report_file: Path | None = None) -> list[str]:
        """The options of `neo4j-admin database import full` that read these files as the graph
        the streaming loader writes (relations to concepts not loaded are left out, as there)."""
        return [
            f"--nodes={self.concepts}",
            f"--nodes={self.sources}",
            f"--relationships=IS_A={self.is_a}",
            f"--relationships=CONCEPT_REL={self.concept_rel}",
            f"--array-delimiter={ARRAY_DELIMITER}",
            f"--multiline-fields={'true' if self.multiline else 'false'}",
            "--skip-bad-relationships=true",
            f"--bad-tolerance={2**62}",
            f"--report-file={report_file or self.folder / 'import.report'}",
        ]


def write_import_files(
    folder: Path,
    *,
    versions: dict[str, str | None],
    concepts: Iterable[ConceptRecord],
    relations: Iterable[ConceptRelation],
    skipped: SkipCounter,
    on_progress: ProgressCallback | None = None,
) -> ImportFiles:
    """Write `concepts`, then `relations`, and one `VocabularySource` node per source of
    `versions` as import CSV files in `folder`; the streams are consumed as `VocabularyStore.write`
    consumes them (relations after concepts, `skipped` read at the end)."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in ("concepts", "is_a", "concept_rel", "sources")}
    concept_sources: Counter[str] = Counter()
    relation_sources: Counter[str] = Counter()
    with _RowFile(paths["concepts"], CONCEPT_HEADER) as out:
        written = _write_concepts(out, concepts, concept_sources, notify)
        multiline = out.multiline
    with _RowFile(paths["is_a"], IS_A_HEADER) as is_a, _RowFile(paths["concept_rel"], CONCEPT_REL_HEADER) as rel:
        related = _write_relations(is_a, rel, relations, relation_sources, notify)
        multiline = multiline or is_a.multiline or rel.multiline
    load = VocabularyLoad(versions=dict(versions), concepts=written, relations=related, skipped=dict(skipped.reasons))
    loaded_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    with _RowFile(paths["sources"], SOURCE_HEADER) as out:
        for record in source_records(load, concept_sources, relation_sources, skipped):
            out.write(
                [
                    "VocabularySource",
                    record.source,
                    record.version,
                    loaded_at,
                    str(record.concepts),
                    str(record.relations),
                    str(record.skipped),
                    record.key_format,
                ],
                quoted=(False, True, True, False, False, False, False, True),
            )
        multiline = multiline or out.multiline
    load.seconds = time.perf_counter() - started
    return ImportFiles(
        folder=folder,
        concepts=paths["concepts"],
        is_a=paths["is_a"],
        concept_rel=paths["concept_rel"],
        sources=paths["sources"],
        multiline=multiline,
        load=load,
    )


@dataclass
class _Concept:
    """A concept's node as the merges of the streaming loader leave it."""

    concept_id: str
    name: str
    cui: str | None
    synonyms: list[str]
    semantic_types: list[str]
    definition: str | None
    xrefs: list[str]
    sources: list[str]
    name_keys: list[str]

    @classmethod
    def of(cls, record: ConceptRecord) -> _Concept:
        """The node a first record of its id creates."""
        return cls(
            record.concept_id,
            record.name,
            record.cui,
            list(record.synonyms),
            list(record.semantic_types),
            record.definition,
            list(record.xrefs),
            list(record.sources),
            indexed_keys([record.name, *record.synonyms]),
        )

    @classmethod
    def parse(cls, fields: Sequence[str | None]) -> _Concept:
        """The node of a row this module wrote."""
        concept_id, _, name, cui, synonyms, types, definition, xrefs, sources, keys = fields
        return cls(
            concept_id or "",
            name or "",
            cui,
            _split(synonyms),
            _split(types),
            definition,
            _split(xrefs),
            _split(sources),
            _split(keys),
        )

    def merge(self, record: ConceptRecord) -> None:
        """Add what `record` brings, as `merge_concepts.cypher` does on a match."""
        self.cui = self.cui if self.cui is not None else record.cui
        self.definition = self.definition if self.definition is not None else record.definition
        for name in [record.name, *record.synonyms]:
            if name != self.name and name not in self.synonyms:
                self.synonyms.append(name)
        _extend(self.semantic_types, record.semantic_types)
        _extend(self.xrefs, record.xrefs)
        _extend(self.sources, record.sources)
        _extend(self.name_keys, indexed_keys([record.name, *record.synonyms]))

    def fields(self) -> list[str | None]:
        """Its row of the concept file."""
        lists = (self.synonyms, self.semantic_types, self.xrefs, self.sources, self.name_keys)
        for values in lists:
            for value in values:
                if ARRAY_DELIMITER in value:
                    raise VocabularyError(
                        f"concept {self.concept_id}: {value!r} holds the character U+001F that separates list "
                        "values in the import files; load this vocabulary without --bulk"
                    )
        label = CONCEPT_LABEL if all(lists) else f"{CONCEPT_LABEL}{ARRAY_DELIMITER}{PENDING_LABEL}"
        return [
            self.concept_id,
            label,
            self.name,
            self.cui,
            _join(self.synonyms),
            _join(self.semantic_types),
            self.definition,
            _join(self.xrefs),
            _join(self.sources),
            _join(self.name_keys),
        ]


_CONCEPT_QUOTED = (True, False, True, True, True, True, True, True, True, True)


def _write_concepts(
    out: _RowFile, concepts: Iterable[ConceptRecord], concept_sources: Counter[str], notify: ProgressCallback
) -> int:
    total = len(concepts) if isinstance(concepts, list) else 0
    rows: dict[str, int] = {}
    repeated: dict[str, list[ConceptRecord]] = {}
    count = 0
    for record in concepts:
        count += 1
        concept_sources.update(record.sources)
        row = rows.get(record.concept_id)
        if row is None:
            rows[record.concept_id] = out.write(_Concept.of(record).fields(), quoted=_CONCEPT_QUOTED)
        else:
            repeated.setdefault(record.concept_id, []).append(record)
        if count % PROGRESS_EVERY == 0:
            notify(ProgressEvent("concepts", count, max(total, count)))
    notify(ProgressEvent("concepts", count, max(total, count)))
    if repeated:
        out.flush()
        replacements: dict[int, list[str | None]] = {}
        for concept_id, later in repeated.items():
            row = rows[concept_id]
            concept = _Concept.parse(_parse_row(out.read_row(row)))
            for record in later:
                concept.merge(record)
            replacements[row] = concept.fields()
        out.replace_rows(replacements, quoted=_CONCEPT_QUOTED)
    return count


def _write_relations(
    is_a: _RowFile,
    concept_rel: _RowFile,
    relations: Iterable[ConceptRelation],
    relation_sources: Counter[str],
    notify: ProgressCallback,
) -> int:
    pairs: dict[str, int] = {}
    more_sources: dict[int, list[str]] = {}
    given: set[str] = set()
    count = 0
    for relation in relations:
        count += 1
        relation_sources[relation.source] += 1
        if relation.kind == "IS_A":
            key = f"{relation.source_id}{ARRAY_DELIMITER}{relation.target_id}"
            row = pairs.get(key)
            if row is None:
                pairs[key] = is_a.write(
                    [relation.source_id, relation.target_id, _join([relation.source])], quoted=(True, True, True)
                )
            else:
                more_sources.setdefault(row, []).append(relation.source)
        else:
            key = ARRAY_DELIMITER.join(
                (relation.source_id, relation.target_id, relation.rel or "", relation.rela or "", relation.source)
            )
            if key not in given:
                given.add(key)
                concept_rel.write(
                    [relation.source_id, relation.target_id, relation.rel or "", relation.rela or "", relation.source],
                    quoted=(True, True, True, True, True),
                )
        if count % PROGRESS_EVERY == 0:
            notify(ProgressEvent("relations", count, count))
    notify(ProgressEvent("relations", count, count))
    if more_sources:
        is_a.flush()
        replacements: dict[int, list[str | None]] = {}
        for row, extra in more_sources.items():
            source_id, target_id, sources = _parse_row(is_a.read_row(row))
            first = _split(sources)
            merged = [*first]
            _extend(merged, extra)
            if merged != first:
                replacements[row] = [source_id, target_id, _join(merged)]
        is_a.replace_rows(replacements, quoted=(True, True, True))
    return count


class _RowFile:
    """A CSV file written row by row, every field quoted but those that are None (no property),
    that knows where each row starts so that rows can be read back and replaced."""

    def __init__(self, path: Path, header: str) -> None:
        self.path = path
        self.handle: BinaryIO = path.open("wb", buffering=1 << 20)
        self.handle.write(f"{header}\n".encode())
        self.starts = array("q")
        self.position = len(header) + 1
        self.multiline = False

    def __enter__(self) -> _RowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, fields: Sequence[str | None], *, quoted: Sequence[bool]) -> int:
        """Append a row; returns its number."""
        text = _row(fields, quoted)
        if "\n" in text or "\r" in text:
            self.multiline = True
        data = f"{text}\n".encode()
        self.handle.write(data)
        self.starts.append(self.position)
        self.position += len(data)
        return len(self.starts) - 1

    def flush(self) -> None:
        """Write what is buffered to the file."""
        self.handle.flush()

    def read_row(self, row: int) -> str:
        """The text of row `row` as written, without its line end."""
        end = self.starts[row + 1] if row + 1 < len(self.starts) else self.position
        with self.path.open("rb") as handle:
            handle.seek(self.starts[row])
            return handle.read(end - self.starts[row]).decode()[:-1]

    def replace_rows(self, replacements: dict[int, list[str | None]], *, quoted: Sequence[bool]) -> None:
        """Rewrite the file with the rows of `replacements` in place of those rows."""
        self.handle.close()
        rewritten = self.path.with_suffix(".rewrite")
        with self.path.open("rb") as source, rewritten.open("wb", buffering=1 << 20) as target:
            copied = 0
            for row in sorted(replacements):
                start = self.starts[row]
                end = self.starts[row + 1] if row + 1 < len(self.starts) else self.position
                _copy(source, target, start - copied)
                text = _row(replacements[row], quoted)
                self.multiline = self.multiline or "\n" in text or "\r" in text
                target.write(f"{text}\n".encode())
                source.seek(end)
                copied = end
            _copy(source, target, -1)
        rewritten.replace(self.path)
        self.handle = self.path.open("ab")


def _copy(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """Copy `size` bytes (-1: the rest) from `source` to `target` in blocks."""
    while size != 0:
        block = source.read(1 << 20 if size < 0 else min(size, 1 << 20))
        if not block:
            return
        target.write(block)
        if size > 0:
            size -= len(block)


def _row(fields: Sequence[str | None], quoted: Sequence[bool]) -> str:
    return ",".join(
        "" if value is None else ('"' + value.replace('"', '""') + '"' if quote else value)
        for value, quote in zip(fields, quoted, strict=True)
    )


def _parse_row(text: str) -> list[str | None]:
    """The fields of a row `_row` wrote: None for an empty unquoted field."""
    fields: list[str | None] = []
    position, size = 0, len(text)
    while True:
        if position < size and text[position] == '"':
            chunks: list[str] = []
            position += 1
            while True:
                quote = text.index('"', position)
                chunks.append(text[position:quote])
                if text.startswith('""', quote):
                    chunks.append('"')
                    position = quote + 2
                else:
                    position = quote + 1
                    break
            fields.append("".join(chunks))
        else:
            comma = text.find(",", position)
            end = size if comma < 0 else comma
            fields.append(text[position:end] or None)
            position = end
        if position >= size:
            return fields
        position += 1  # the comma


def _join(values: Sequence[str]) -> str | None:
    return ARRAY_DELIMITER.join(values) if values else None


def _split(value: str | None) -> list[str]:
    return value.split(ARRAY_DELIMITER) if value else []


def _extend(values: list[str], more: Iterable[str]) -> None:
    for value in more:
        if value not in values:
            values.append(value)
