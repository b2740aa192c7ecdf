"""UMLS Metathesaurus reader: concepts and relations from the RRF files of a META folder.

Reads MRCONSO (names), MRSTY (semantic types), MRDEF (definitions) and MRREL (relations), taking
column orders from MRFILES.RRF where the release has one. Malformed rows are counted, never fatal.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter, distinct_names

MRCONSO = "MRCONSO.RRF"
MRSTY = "MRSTY.RRF"
MRDEF = "MRDEF.RRF"
MRREL = "MRREL.RRF"
MRFILES = "MRFILES.RRF"

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    MRCONSO: ("CUI", "LAT", "TS", "LUI", "STT", "SUI", "ISPREF", "AUI", "SAUI", "SCUI", "SDUI", "SAB",
              "TTY", "CODE", "STR", "SRL", "SUPPRESS", "CVF"),
    MRSTY: ("CUI", "TUI", "STN", "STY", "ATUI", "CVF"),
    MRDEF: ("CUI", "AUI", "ATUI", "SATUI", "SAB", "DEF", "SUPPRESS", "CVF"),
    MRREL: ("CUI1", "AUI1", "STYPE1", "REL", "CUI2", "AUI2", "STYPE2", "RELA", "RUI", "SRUI", "SAB",
            "SL", "RG", "DIR", "SUPPRESS", "CVF"),
    MRFILES: ("FIL", "DES", "FMT", "CLS", "RWS", "BTS"),
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    MRCONSO: ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "CODE", "STR", "SUPPRESS"),
    MRSTY: ("CUI", "TUI", "STY"),
    MRDEF: ("CUI", "SAB", "DEF", "SUPPRESS"),
    MRREL: ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS"),
}
# SIB only says two concepts share a parent, SY links strings already merged into one concept, and
# AQ/QB/XR are MeSH qualifier bookkeeping or explicit "not related": none is a useful graph edge.
SKIPPED_RELS = frozenset({"SIB", "SY", "AQ", "QB", "XR"})
CUI_PATTERN = re.compile(r"C\d{7}")
SOURCE = "UMLS"
RELEASE_NAME = re.compile(r"^\s*umls\.release\.name\s*=\s*(\S+)", re.MULTILINE)
RELEASE_FOLDER = re.compile(r"\d{4}[A-Z]{2}")


@dataclass(frozen=True)
class UmlsOptions:
    """Which rows of a release to keep and which definition source wins."""

    languages: frozenset[str] = frozenset({"ENG"})
    sources: frozenset[str] | None = None
    suppress: frozenset[str] = frozenset({"O", "E", "Y"})
    definition_sources: tuple[str, ...] = ("MSH", "NCI", "CSP", "MEDLINEPLUS", "HPO", "SNOMEDCT_US")


@dataclass
class UmlsRelease:
    """Everything read from one META folder."""

    concepts: list[ConceptRecord]
    relations: list[ConceptRelation]
    skipped: SkipCounter
    version: str | None
    rows_read: int
    missing_files: list[str] = field(default_factory=list)


@dataclass
class _ConceptDraft:
    """Names and codes of one CUI gathered from MRCONSO before the record is built."""

    name_rank: tuple[bool, bool, bool, int]
    name: str
    strings: list[str] = field(default_factory=list)
    sabs: set[str] = field(default_factory=set)
    xrefs: set[str] = field(default_factory=set)


@dataclass
class _Tally:
    """Lines read across all files of a release."""

    rows: int = 0


def read_umls(meta_dir: Path, options: UmlsOptions = UmlsOptions()) -> UmlsRelease:
    """Read the concepts and relations of a UMLS META folder, filtered by `options`.

    Raises FileNotFoundError when the folder has no MRCONSO.RRF; MRSTY, MRDEF and MRREL are optional
    and listed in `missing_files` when absent. MRREL rows become IS_A edges (child to parent) for
    PAR/CHD and CONCEPT_REL edges from CUI1 to CUI2 otherwise; SIB, SY, AQ, QB and XR rows are
    skipped. MRREL lists most relations in both directions (RB and RN, RO with inverse RELAs), and
    both directions are kept.
    """
    meta_dir = Path(meta_dir)
    if not (meta_dir / MRCONSO).is_file():
        raise FileNotFoundError(f"UMLS folder {meta_dir} has no {MRCONSO}")
    columns = rrf_columns(meta_dir)
    skipped = SkipCounter()
    tally = _Tally()
    missing = [name for name in (MRSTY, MRDEF, MRREL) if not (meta_dir / name).is_file()]
    with gc_paused():
        drafts = _read_names(meta_dir / MRCONSO, columns[MRCONSO], options, skipped, tally)
        semantic_types = _read_semantic_types(meta_dir / MRSTY, columns[MRSTY], drafts, skipped, tally)
        definitions = _read_definitions(meta_dir / MRDEF, columns[MRDEF], drafts, options, skipped, tally)
        relations = _read_relations(meta_dir / MRREL, columns[MRREL], drafts, options, skipped, tally)
        concepts = [
            ConceptRecord(
                concept_id=cui,
                name=draft.name,
                cui=cui,
                synonyms=distinct_names([draft.name, *draft.strings])[1:],
                semantic_types=sorted(semantic_types.get(cui, ())),
                definition=definitions.get(cui),
                xrefs=sorted(draft.xrefs),
                sources=[SOURCE, *sorted(draft.sabs)],
            )
            for cui, draft in drafts.items()
        ]
    return UmlsRelease(concepts=concepts, relations=relations, skipped=skipped,
                       version=release_version(meta_dir), rows_read=tally.rows, missing_files=missing)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk read, restoring its previous state after."""
    # Millions of long-lived containers make the collector rescan them over and over, which
    # doubles the time of a full-release read; readers build no reference cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rrf_columns(meta_dir: Path) -> dict[str, tuple[str, ...]]:
    """Column names of each RRF file: from MRFILES.RRF where present, else the standard orders.

    Raises ValueError when a file's declared columns lack one the reader needs.
    """
    columns = dict(DEFAULT_COLUMNS)
    mrfiles = Path(meta_dir) / MRFILES
    if mrfiles.is_file():
        for row in iter_rrf(mrfiles, DEFAULT_COLUMNS[MRFILES], SkipCounter()):
            if row is not None and row["FMT"]:
                columns[row["FIL"]] = tuple(row["FMT"].split(","))
    for name, required in REQUIRED_COLUMNS.items():
        absent = [column for column in required if column not in columns[name]]
        if absent:
            raise ValueError(f"{mrfiles} declares no {', '.join(absent)} column for {name}")
    return columns


def iter_rrf(path: Path, columns: Sequence[str], skipped: SkipCounter) -> Iterator[dict[str, str] | None]:
    """Yield each line of an RRF file as a column-name-to-value dict, or None for a malformed line.

    Malformed lines (undecodable bytes, no trailing pipe, wrong number of fields) are counted in
    `skipped` under "<file>: <reason>"; blank lines are ignored.
    """
    width = len(columns)
    undecodable, no_pipe, wrong_count = (f"{path.name}: {reason}" for reason in
                                         ("undecodable bytes", "no trailing pipe", "wrong field count"))
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                skipped.skip(undecodable)
                yield None
                continue
            if not line:
                continue
            if not line.endswith("|"):
                skipped.skip(no_pipe)
                yield None
                continue
            values = line[:-1].split("|")
            if len(values) != width:
                skipped.skip(wrong_count)
                yield None
                continue
            yield dict(zip(columns, values))


def release_version(meta_dir: Path) -> str | None:
    """The release name (e.g. "2024AA") from a release.dat beside or above the META folder, else
    from a parent folder named like a release, else None."""
    meta_dir = Path(meta_dir)
    for folder in (meta_dir, meta_dir.parent):
        release_dat = folder / "release.dat"
        if release_dat.is_file():
            match = RELEASE_NAME.search(release_dat.read_text(encoding="utf-8", errors="replace"))
            if match:
                return match.group(1)
    parent = meta_dir.resolve().parent.name
    return parent if RELEASE_FOLDER.fullmatch(parent) else None


def _read_names(path: Path, columns: Sequence[str], options: UmlsOptions, skipped: SkipCounter,
                tally: _Tally) -> dict[str, _ConceptDraft]:
    drafts: dict[str, _ConceptDraft] = {}
    for index, row in enumerate(iter_rrf(path, columns, skipped)):
        tally.rows += 1
        if row is None:
            continue
        cui, sab, string = row["CUI"], row["SAB"], row["STR"]
        if not CUI_PATTERN.fullmatch(cui):
            skipped.skip(f"{MRCONSO}: bad CUI")
        elif not string:
            skipped.skip(f"{MRCONSO}: empty string")
        elif row["LAT"] not in options.languages:
            skipped.skip(f"{MRCONSO}: language not selected")
        elif options.sources is not None and sab not in options.sources:
            skipped.skip(f"{MRCONSO}: source not selected")
        elif row["SUPPRESS"] in options.suppress:
            skipped.skip(f"{MRCONSO}: suppressed")
        else:
            # False sorts first: a TS=P, STT=PF, ISPREF=Y row wins, then the earliest in file order.
            rank = (row["TS"] != "P", row["STT"] != "PF", row["ISPREF"] != "Y", index)
            draft = drafts.get(cui)
            if draft is None:
                draft = drafts[cui] = _ConceptDraft(name_rank=rank, name=string)
            elif rank < draft.name_rank:
                draft.name_rank, draft.name = rank, string
            draft.strings.append(string)
            draft.sabs.add(sab)
            code = row["CODE"]
            if code and code != "NOCODE":
                draft.xrefs.add(f"{sab}:{code}")
    return drafts


def _read_semantic_types(path: Path, columns: Sequence[str], concepts: dict[str, _ConceptDraft],
                         skipped: SkipCounter, tally: _Tally) -> dict[str, set[str]]:
    types: dict[str, set[str]] = {}
    if not path.is_file():
        return types
    for row in iter_rrf(path, columns, skipped):
        tally.rows += 1
        if row is None:
            continue
        if not CUI_PATTERN.fullmatch(row["CUI"]):
            skipped.skip(f"{MRSTY}: bad CUI")
        elif row["CUI"] not in concepts:
            skipped.skip(f"{MRSTY}: concept not loaded")
        else:
            types.setdefault(row["CUI"], set()).add(f"{row['TUI']}:{row['STY']}")
    return types


def _read_definitions(path: Path, columns: Sequence[str], concepts: dict[str, _ConceptDraft],
                      options: UmlsOptions, skipped: SkipCounter, tally: _Tally) -> dict[str, str]:
    if not path.is_file():
        return {}
    preference = {sab: rank for rank, sab in enumerate(options.definition_sources)}
    best: dict[str, tuple[int, str]] = {}
    for row in iter_rrf(path, columns, skipped):
        tally.rows += 1
        if row is None:
            continue
        cui, sab, definition = row["CUI"], row["SAB"], row["DEF"]
        if not CUI_PATTERN.fullmatch(cui):
            skipped.skip(f"{MRDEF}: bad CUI")
        elif cui not in concepts:
            skipped.skip(f"{MRDEF}: concept not loaded")
        elif options.sources is not None and sab not in options.sources:
            skipped.skip(f"{MRDEF}: source not selected")
        elif row["SUPPRESS"] in options.suppress:
            skipped.skip(f"{MRDEF}: suppressed")
        elif not definition:
            skipped.skip(f"{MRDEF}: empty definition")
        else:
            rank = preference.get(sab, len(preference))
            # Strictly lower rank only, so the first row of the best source wins.
            if cui not in best or rank < best[cui][0]:
                best[cui] = (rank, definition)
    return {cui: definition for cui, (_, definition) in best.items()}


def _read_relations(path: Path, columns: Sequence[str], concepts: dict[str, _ConceptDraft],
                    options: UmlsOptions, skipped: SkipCounter, tally: _Tally) -> list[ConceptRelation]:
    relations: dict[tuple[str, ...], ConceptRelation] = {}
    if not path.is_file():
        return []
    for row in iter_rrf(path, columns, skipped):
        tally.rows += 1
        if row is None:
            continue
        cui1, cui2, rel, sab = row["CUI1"], row["CUI2"], row["REL"], row["SAB"]
        if not (CUI_PATTERN.fullmatch(cui1) and CUI_PATTERN.fullmatch(cui2)):
            skipped.skip(f"{MRREL}: bad CUI")
        elif options.sources is not None and sab not in options.sources:
            skipped.skip(f"{MRREL}: source not selected")
        elif row["SUPPRESS"] in options.suppress:
            skipped.skip(f"{MRREL}: suppressed")
        elif cui1 not in concepts or cui2 not in concepts:
            skipped.skip(f"{MRREL}: concept not loaded")
        elif cui1 == cui2:
            skipped.skip(f"{MRREL}: self relation")
        elif rel in SKIPPED_RELS or not rel:
            skipped.skip(f"{MRREL}: relation type skipped")
        elif rel in ("PAR", "CHD"):
            # REL is the relation of CUI2 to CUI1: PAR means CUI2 is CUI1's parent.
            child, parent = (cui1, cui2) if rel == "PAR" else (cui2, cui1)
            relations.setdefault(("IS_A", child, parent),
                                 ConceptRelation(source_id=child, target_id=parent, kind="IS_A", source=sab))
        else:
            rela = row["RELA"] or None
            relations.setdefault(
                ("CONCEPT_REL", cui1, cui2, rel, rela or "", sab),
                ConceptRelation(source_id=cui1, target_id=cui2, kind="CONCEPT_REL", source=sab, rel=rel,
                                rela=rela),
            )
    return list(relations.values())
