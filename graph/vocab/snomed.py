"""SNOMED CT reader: concepts and is-a relations from an RF2 Snapshot release.

Reads the Concept, Description, TextDefinition, Relationship and language refset files found
anywhere under a release folder (International or US edition names). Malformed rows are counted,
never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medgraphrag.core.errors import VocabularyError
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter, distinct_names
from medgraphrag.graph.vocab.umls import gc_paused

CONCEPT_GLOB = "sct2_Concept_Snapshot*.txt"
DESCRIPTION_GLOB = "sct2_Description_Snapshot*.txt"
DEFINITION_GLOB = "sct2_TextDefinition_Snapshot*.txt"
RELATIONSHIP_GLOB = "sct2_Relationship_Snapshot*.txt"
LANGUAGE_GLOB = "der2_cRefset_LanguageSnapshot*.txt"

FSN = "900000000000003001"
SYNONYM = "900000000000013009"
PREFERRED = "900000000000548007"
US_ENGLISH = "900000000000509007"
GB_ENGLISH = "900000000000508004"
IS_A = "116680003"
INFERRED = "900000000000011006"
SOURCE = "SNOMEDCT"

SCTID_PATTERN = re.compile(r"[1-9]\d{5,17}")
SEMANTIC_TAG = re.compile(r"^(.*\S)\s*\(([^()]+)\)$")
FILE_DATE = re.compile(r"_(\d{8})\.txt$")


@dataclass
class SnomedRelease:
    """Everything read from one RF2 Snapshot."""

    concepts: list[ConceptRecord]
    relations: list[ConceptRelation]
    skipped: SkipCounter
    version: str | None
    rows_read: int


@dataclass
class _Description:
    """An active English description of a loaded concept."""

    description_id: str
    type_id: str
    term: str


@dataclass
class _Reader:
    """Reads RF2 files, counting rows read and rows skipped."""

    skipped: SkipCounter = field(default_factory=SkipCounter)
    rows: int = 0

    def active_rows(self, paths: Sequence[Path], kind: str, columns: Sequence[str]) -> Iterator[dict[str, str]]:
        """Yield the active rows of RF2 files as dicts of the named `columns`, counting the others."""
        for path in paths:
            with open(path, "rb") as handle:
                header = handle.readline().decode("utf-8-sig").rstrip("\r\n").split("\t")
                absent = [column for column in ("active", *columns) if column not in header]
                if absent:
                    raise VocabularyError(f"{path} has no {', '.join(absent)} column")
                width = len(header)
                active_at = header.index("active")
                picks = [(column, header.index(column)) for column in columns]
                for raw in handle:
                    self.rows += 1
                    try:
                        values = raw.decode("utf-8").rstrip("\r\n").split("\t")
                    except UnicodeDecodeError:
                        self.skipped.skip(f"{kind}: undecodable bytes")
                        continue
                    if len(values) != width:
                        self.skipped.skip(f"{kind}: wrong field count")
                    elif values[active_at] != "1":
                        self.skipped.skip(f"{kind}: inactive")
                    else:
                        yield {column: values[index] for column, index in picks}


def read_snomed(root: Path, cui_map: Mapping[str, str] | None = None) -> SnomedRelease:
    """Read the active concepts and inferred is-a relations of an RF2 Snapshot under `root`.

    Only inferred "is a" relationships are read; attribute relationships (finding site, causative
    agent, ...) are not yet. Where `cui_map` maps an SCTID to a UMLS CUI the concept takes the CUI
    as its id, and concepts sharing a CUI are merged into one record. Raises VocabularyError when
    no Concept or Description snapshot file lies under `root`.
    """
    root = Path(root)
    concept_files = _find(root, CONCEPT_GLOB, required=True)
    description_files = _find(root, DESCRIPTION_GLOB, required=True)
    reader = _Reader()
    with gc_paused():
        # Keyed by every active concept, so it doubles as the set of loaded concepts.
        descriptions: dict[str, list[_Description]] = {
            row["id"]: []
            for row in reader.active_rows(concept_files, "Concept", ("id",))
            if _valid_sctid(row["id"], "Concept", reader.skipped)
        }
        for row in _english_rows(reader, description_files, "Description", descriptions):
            descriptions[row["conceptId"]].append(_Description(row["id"], row["typeId"], row["term"]))
        definitions: dict[str, str] = {}
        for row in _english_rows(reader, _find(root, DEFINITION_GLOB), "TextDefinition", descriptions):
            definitions.setdefault(row["conceptId"], row["term"])
        preferred = _preferred_descriptions(reader, _find(root, LANGUAGE_GLOB))
        records = [
            record
            for sctid, found in descriptions.items()
            if (record := _record(sctid, found, definitions.get(sctid), preferred, reader.skipped))
        ]
        relations = _is_a_relations(reader, _find(root, RELATIONSHIP_GLOB), descriptions)
    if cui_map is not None:
        records, relations = _remap(records, relations, cui_map)
    version_match = FILE_DATE.search(concept_files[0].name)
    return SnomedRelease(
        concepts=records,
        relations=relations,
        skipped=reader.skipped,
        version=version_match.group(1) if version_match else None,
        rows_read=reader.rows,
    )


def split_semantic_tag(fsn: str) -> tuple[str, str | None]:
    """Split a fully specified name into its term and semantic tag:
    "Myocardial infarction (disorder)" gives ("Myocardial infarction", "disorder")."""
    match = SEMANTIC_TAG.match(fsn)
    return (match.group(1), match.group(2)) if match else (fsn, None)


def _find(root: Path, pattern: str, required: bool = False) -> list[Path]:
    paths = sorted(root.rglob(pattern))
    if required and not paths:
        raise VocabularyError(f"SNOMED CT folder {root} has no file matching {pattern}")
    return paths


def _valid_sctid(value: str, kind: str, skipped: SkipCounter) -> bool:
    if SCTID_PATTERN.fullmatch(value):
        return True
    skipped.skip(f"{kind}: bad SCTID")
    return False


def _english_rows(
    reader: _Reader, paths: Sequence[Path], kind: str, concepts: Mapping[str, object]
) -> Iterator[dict[str, str]]:
    """Active English rows of Description or TextDefinition files whose concept was loaded."""
    for row in reader.active_rows(paths, kind, ("id", "conceptId", "languageCode", "typeId", "term")):
        if not _valid_sctid(row["conceptId"], kind, reader.skipped):
            continue
        if row["conceptId"] not in concepts:
            reader.skipped.skip(f"{kind}: concept not loaded")
        elif row["languageCode"] != "en":
            reader.skipped.skip(f"{kind}: language not English")
        elif not row["term"]:
            reader.skipped.skip(f"{kind}: empty term")
        else:
            yield row


def _preferred_descriptions(reader: _Reader, paths: Sequence[Path]) -> dict[str, set[str]]:
    """Description ids preferred in the US and GB English refsets, by refset id."""
    preferred: dict[str, set[str]] = {US_ENGLISH: set(), GB_ENGLISH: set()}
    columns = ("refsetId", "referencedComponentId", "acceptabilityId")
    for row in reader.active_rows(paths, "Language", columns):
        refset = preferred.get(row["refsetId"])
        if refset is not None and row["acceptabilityId"] == PREFERRED:
            refset.add(row["referencedComponentId"])
    return preferred


def _record(
    sctid: str,
    descriptions: Sequence[_Description],
    definition: str | None,
    preferred: Mapping[str, set[str]],
    skipped: SkipCounter,
) -> ConceptRecord | None:
    if not descriptions:
        skipped.skip("Concept: no active English description")
        return None
    fsn_term, tag = next((split_semantic_tag(d.term) for d in descriptions if d.type_id == FSN), (None, None))
    synonyms = [d for d in descriptions if d.type_id == SYNONYM]
    name = next(
        (d.term for refset in (US_ENGLISH, GB_ENGLISH) for d in synonyms if d.description_id in preferred[refset]),
        fsn_term or descriptions[0].term,
    )
    terms = (fsn_term if d.type_id == FSN and fsn_term else d.term for d in descriptions)
    others = distinct_names([name, *terms])[1:]
    return ConceptRecord(
        concept_id=f"{SOURCE}:{sctid}",
        name=name,
        synonyms=others,
        semantic_types=[f"{SOURCE}:{tag}"] if tag else [],
        definition=definition,
        xrefs=[f"{SOURCE}:{sctid}"],
        sources=[SOURCE],
    )


def _is_a_relations(reader: _Reader, paths: Sequence[Path], concepts: Mapping[str, object]) -> list[ConceptRelation]:
    relations: dict[tuple[str, str], ConceptRelation] = {}
    for row in reader.active_rows(
        paths, "Relationship", ("sourceId", "destinationId", "typeId", "characteristicTypeId")
    ):
        child, parent = row["sourceId"], row["destinationId"]
        if row["typeId"] != IS_A or row["characteristicTypeId"] != INFERRED:
            reader.skipped.skip("Relationship: not an inferred is-a")
        elif child not in concepts or parent not in concepts:
            reader.skipped.skip("Relationship: concept not loaded")
        elif child == parent:
            reader.skipped.skip("Relationship: self relation")
        else:
            relations.setdefault(
                (child, parent),
                ConceptRelation(
                    source_id=f"{SOURCE}:{child}", target_id=f"{SOURCE}:{parent}", kind="IS_A", source=SOURCE
                ),
            )
    return list(relations.values())


def _remap(
    records: Sequence[ConceptRecord], relations: Sequence[ConceptRelation], cui_map: Mapping[str, str]
) -> tuple[list[ConceptRecord], list[ConceptRelation]]:
    """Give mapped concepts their CUI as id, merging concepts that share a CUI (first one names it)."""
    prefix = len(SOURCE) + 1

    def new_id(concept_id: str) -> str:
        return cui_map.get(concept_id[prefix:], concept_id)

    merged: dict[str, ConceptRecord] = {}
    for record in records:
        concept_id = new_id(record.concept_id)
        into = merged.get(concept_id)
        if into is None:
            cui = concept_id if concept_id != record.concept_id else None
            merged[concept_id] = ConceptRecord(
                concept_id=concept_id,
                name=record.name,
                cui=cui,
                synonyms=list(record.synonyms),
                semantic_types=list(record.semantic_types),
                definition=record.definition,
                xrefs=list(record.xrefs),
                sources=list(record.sources),
            )
            continue
        into.synonyms = distinct_names([into.name, *into.synonyms, record.name, *record.synonyms])[1:]
        into.semantic_types = sorted({*into.semantic_types, *record.semantic_types})
        into.definition = into.definition or record.definition
        into.xrefs.extend(record.xrefs)
    remapped: dict[tuple[str, str], ConceptRelation] = {}
    for relation in relations:
        child, parent = new_id(relation.source_id), new_id(relation.target_id)
        if child != parent:
            remapped.setdefault(
                (child, parent),
                ConceptRelation(source_id=child, target_id=parent, kind=relation.kind, source=relation.source),
            )
    return list(merged.values()), list(remapped.values())
