"""UMLS Metathesaurus reader: concepts and relations streamed from the RRF files of a META folder.

Reads MRCONSO (names), MRSTY (semantic types), MRDEF (definitions) and MRREL (relations), taking
column orders from MRFILES.RRF where the release has one. Malformed rows are counted, never fatal.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from medgraphrag.core.errors import VocabularyError
from medgraphrag.core.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter, distinct_names

MRCONSO = "MRCONSO.RRF"
MRSTY = "MRSTY.RRF"
MRDEF = "MRDEF.RRF"
MRREL = "MRREL.RRF"
MRFILES = "MRFILES.RRF"

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    MRCONSO: (
        "CUI",
        "LAT",
        "TS",
        "LUI",
        "STT",
        "SUI",
        "ISPREF",
        "AUI",
        "SAUI",
        "SCUI",
        "SDUI",
        "SAB",
        "TTY",
        "CODE",
        "STR",
        "SRL",
        "SUPPRESS",
        "CVF",
    ),
    MRSTY: ("CUI", "TUI", "STN", "STY", "ATUI", "CVF"),
    MRDEF: ("CUI", "AUI", "ATUI", "SATUI", "SAB", "DEF", "SUPPRESS", "CVF"),
    MRREL: (
        "CUI1",
        "AUI1",
        "STYPE1",
        "REL",
        "CUI2",
        "AUI2",
        "STYPE2",
        "RELA",
        "RUI",
        "SRUI",
        "SAB",
        "SL",
        "RG",
        "DIR",
        "SUPPRESS",
        "CVF",
    ),
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


class UmlsRelease:
    """One META folder read as two streams: iterate `concepts` to the end, then `relations`.

    Nothing is held but what grouping needs: semantic types and the best definition per CUI (read
    first), the CUIs loaded so far, and the keys of relations already given. MRCONSO is read in
    runs of rows of one CUI, as releases sort it; a CUI whose rows are split over the file (a file
    not sorted by CUI) yields one record per run, and writing the later ones only adds their
    strings. `skipped` and `rows_read` are complete once both streams are consumed.
    """

    def __init__(
        self, meta_dir: Path, options: UmlsOptions = UmlsOptions(), on_progress: ProgressCallback | None = None
    ) -> None:
        self.meta_dir = Path(meta_dir)
        if not (self.meta_dir / MRCONSO).is_file():
            raise VocabularyError(f"UMLS folder {self.meta_dir} has no {MRCONSO}")
        self.options = options
        self.columns = rrf_columns(self.meta_dir)
        self.version = release_version(self.meta_dir)
        self.missing_files = [name for name in (MRSTY, MRDEF, MRREL) if not (self.meta_dir / name).is_file()]
        self.skipped = SkipCounter()
        self.rows_read = 0
        self.loaded: set[str] = set()
        self._notify = on_progress or ignore_progress

    @property
    def concepts(self) -> Iterator[ConceptRecord]:
        """The concepts, one per run of MRCONSO rows of a CUI (see the class)."""
        with gc_paused():
            types = self._semantic_types()
            definitions = self._definitions()
            yield from self._names(types, definitions)
            for semantic_types in types.values():
                self._skip(MRSTY, "concept not loaded", len(semantic_types))
            for _, _, definition_rows in definitions.values():
                self._skip(MRDEF, "concept not loaded", definition_rows)

    @property
    def relations(self) -> Iterator[ConceptRelation]:
        """MRREL rows between loaded concepts: PAR/CHD as IS_A (child to parent), others as
        CONCEPT_REL from CUI1 to CUI2, each once; SIB, SY, AQ, QB and XR rows are skipped. MRREL lists
        most relations in both directions (RB and RN, RO with inverse RELAs): both are kept."""
        given: set[tuple[str, ...]] = set()
        with gc_paused():
            for values in self._rows(MRREL, ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS")):
                cui1, rel, cui2, rela, sab, suppress = values
                if not (CUI_PATTERN.fullmatch(cui1) and CUI_PATTERN.fullmatch(cui2)):
                    self._skip(MRREL, "bad CUI")
                elif self.options.sources is not None and sab not in self.options.sources:
                    self._skip(MRREL, "source not selected")
                elif suppress in self.options.suppress:
                    self._skip(MRREL, "suppressed")
                elif cui1 not in self.loaded or cui2 not in self.loaded:
                    self._skip(MRREL, "concept not loaded")
                elif cui1 == cui2:
                    self._skip(MRREL, "self relation")
                elif rel in SKIPPED_RELS or not rel:
                    self._skip(MRREL, "relation type skipped")
                else:
                    relation = _relation(cui1, rel, cui2, rela or None, sab)
                    key = (
                        relation.kind,
                        relation.source_id,
                        relation.target_id,
                        *(() if relation.kind == "IS_A" else (rel, rela, sab)),
                    )
                    if key not in given:
                        given.add(key)
                        yield relation

    def _names(
        self, types: dict[str, list[str]], definitions: dict[str, tuple[int, str, int]]
    ) -> Iterator[ConceptRecord]:
        options = self.options
        draft: _ConceptDraft | None = None
        columns = ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "CODE", "STR", "SUPPRESS")
        for index, (cui, lat, ts, stt, ispref, sab, code, string, suppress) in enumerate(self._rows(MRCONSO, columns)):
            if (draft is None or cui != draft.cui) and not CUI_PATTERN.fullmatch(cui):
                self._skip(MRCONSO, "bad CUI")
            elif not string:
                self._skip(MRCONSO, "empty string")
            elif lat not in options.languages:
                self._skip(MRCONSO, "language not selected")
            elif options.sources is not None and sab not in options.sources:
                self._skip(MRCONSO, "source not selected")
            elif suppress in options.suppress:
                self._skip(MRCONSO, "suppressed")
            else:
                if draft is None or draft.cui != cui:
                    if draft is not None:
                        yield self._record(draft, types, definitions)
                    draft = _ConceptDraft(cui)
                # False sorts first: a TS=P, STT=PF, ISPREF=Y row wins, then the earliest in file order.
                rank = (ts != "P", stt != "PF", ispref != "Y", index)
                if draft.name_rank is None or rank < draft.name_rank:
                    draft.name_rank, draft.name = rank, string
                draft.strings.append(string)
                draft.sabs.add(sab)
                if code and code != "NOCODE":
                    draft.xrefs.add(f"{sab}:{code}")
        if draft is not None:
            yield self._record(draft, types, definitions)

    def _record(
        self, draft: _ConceptDraft, types: dict[str, list[str]], definitions: dict[str, tuple[int, str, int]]
    ) -> ConceptRecord:
        self.loaded.add(draft.cui)
        definition = definitions.pop(draft.cui, None)
        return ConceptRecord(
            concept_id=draft.cui,
            name=draft.name,
            cui=draft.cui,
            synonyms=distinct_names([draft.name, *draft.strings])[1:],
            semantic_types=sorted(set(types.pop(draft.cui, ()))),
            definition=definition[1] if definition else None,
            xrefs=sorted(draft.xrefs),
            sources=[SOURCE, *sorted(draft.sabs)],
        )

    def _semantic_types(self) -> dict[str, list[str]]:
        """CUI -> its MRSTY rows as `TUI:STY`."""
        types: dict[str, list[str]] = {}
        for cui, tui, sty in self._rows(MRSTY, ("CUI", "TUI", "STY")):
            if not CUI_PATTERN.fullmatch(cui):
                self._skip(MRSTY, "bad CUI")
            else:
                types.setdefault(cui, []).append(sys.intern(f"{tui}:{sty}"))
        return types

    def _definitions(self) -> dict[str, tuple[int, str, int]]:
        """CUI -> (source rank, definition, rows) of its best definition by the preferred order."""
        options = self.options
        preference = {sab: rank for rank, sab in enumerate(options.definition_sources)}
        best: dict[str, tuple[int, str, int]] = {}
        for cui, sab, definition, suppress in self._rows(MRDEF, ("CUI", "SAB", "DEF", "SUPPRESS")):
            if not CUI_PATTERN.fullmatch(cui):
                self._skip(MRDEF, "bad CUI")
            elif options.sources is not None and sab not in options.sources:
                self._skip(MRDEF, "source not selected")
            elif suppress in options.suppress:
                self._skip(MRDEF, "suppressed")
            elif not definition:
                self._skip(MRDEF, "empty definition")
            else:
                rank = preference.get(sab, len(preference))
                current = best.get(cui)
                # Strictly lower rank only, so the first row of the best source wins.
                if current is None or rank < current[0]:
                    best[cui] = (rank, definition, (current[2] if current else 0) + 1)
                else:
                    best[cui] = (current[0], current[1], current[2] + 1)
        return best

    def _rows(self, name: str, wanted: Sequence[str]) -> Iterator[list[str]]:
        """The `wanted` fields of each well-formed row of file `name` (nothing if it is absent),
        counting every line read and reporting progress through the file."""
        path = self.meta_dir / name
        if not path.is_file():
            return
        columns = self.columns[name]
        size = max(path.stat().st_size, 1)
        self._notify(ProgressEvent(name, 0, size))
        tally = _Tally(on_lines=lambda t: self._notify(ProgressEvent(name, min(t.bytes, size), size)))
        rows = iter_rrf(path, len(columns), self.skipped, tally)
        pick = itemgetter(*(columns.index(column) for column in wanted))
        yield from (pick(values) for values in rows if values is not None)
        self.rows_read += tally.rows
        self._notify(ProgressEvent(name, size, size))

    def _skip(self, name: str, reason: str, rows: int = 1) -> None:
        self.skipped.reasons[f"{name}: {reason}"] += rows


@dataclass
class _ConceptDraft:
    """Names and codes of one run of MRCONSO rows of a CUI before the record is built."""

    cui: str
    name: str = ""
    name_rank: tuple[bool, bool, bool, int] | None = None
    strings: list[str] = field(default_factory=list)
    sabs: set[str] = field(default_factory=set)
    xrefs: set[str] = field(default_factory=set)


@dataclass
class _Tally:
    """Lines and bytes read from one file; `on_lines` is called every `every` lines."""

    rows: int = 0
    bytes: int = 0
    on_lines: Callable[[_Tally], None] | None = None
    every: int = 100_000


def _relation(cui1: str, rel: str, cui2: str, rela: str | None, sab: str) -> ConceptRelation:
    if rel in ("PAR", "CHD"):
        # REL is the relation of CUI2 to CUI1: PAR means CUI2 is CUI1's parent.
        child, parent = (cui1, cui2) if rel == "PAR" else (cui2, cui1)
        return ConceptRelation(source_id=child, target_id=parent, kind="IS_A", source=sab)
    return ConceptRelation(source_id=cui1, target_id=cui2, kind="CONCEPT_REL", source=sab, rel=rel, rela=rela)


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
        fil, fmt = DEFAULT_COLUMNS[MRFILES].index("FIL"), DEFAULT_COLUMNS[MRFILES].index("FMT")
        for values in iter_rrf(mrfiles, len(DEFAULT_COLUMNS[MRFILES]), SkipCounter()):
            if values is not None and values[fmt]:
                columns[values[fil]] = tuple(values[fmt].split(","))
    for name, required in REQUIRED_COLUMNS.items():
        absent = [column for column in required if column not in columns[name]]
        if absent:
            raise VocabularyError(f"{mrfiles} declares no {', '.join(absent)} column for {name}")
    return columns


def iter_rrf(path: Path, width: int, skipped: SkipCounter, tally: _Tally | None = None) -> Iterator[list[str] | None]:
    """Yield the fields of each line of an RRF file, or None for a malformed line.

    Malformed lines (undecodable bytes, no trailing pipe, not `width` fields) are counted in
    `skipped` under "<file>: <reason>"; blank lines are ignored. `tally`, if given, counts the lines
    and bytes read.
    """
    undecodable, no_pipe, wrong_count = (
        f"{path.name}: {reason}" for reason in ("undecodable bytes", "no trailing pipe", "wrong field count")
    )
    tally = tally or _Tally()
    # Bad bytes decode to lone surrogates, so only a non-ASCII line needs a second look.
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        for line in handle:
            tally.rows += 1
            tally.bytes += len(line)
            if tally.on_lines is not None and tally.rows % tally.every == 0:
                tally.on_lines(tally)
            line = line.rstrip("\r\n")
            if not line.isascii():
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError:
                    skipped.skip(undecodable)
                    yield None
                    continue
            if not line:
                tally.rows -= 1
                continue
            if line[-1] != "|":
                skipped.skip(no_pipe)
                yield None
                continue
            values = line[:-1].split("|")
            if len(values) != width:
                skipped.skip(wrong_count)
                yield None
                continue
            yield values


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
