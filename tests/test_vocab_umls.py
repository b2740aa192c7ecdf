"""The UMLS RRF reader on a hand-written META folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.errors import VocabularyError
from medgraphrag.core.progress import ProgressEvent
from medgraphrag.core.settings import Settings
from medgraphrag.graph.store import GraphStore
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.graph.vocab.umls import (
    DEFAULT_COLUMNS,
    MRCONSO,
    MRFILES,
    UmlsOptions,
    UmlsRelease,
    iter_rrf,
)

META = Path(__file__).parent / "fixtures" / "umls" / "META"


@dataclass
class Read:
    """Both streams of a release read to the end, with what the reader counted."""

    concepts: list[ConceptRecord]
    relations: list[ConceptRelation]
    skipped: SkipCounter
    rows_read: int
    version: str | None
    missing_files: list[str]


def read_umls(meta: Path, options: UmlsOptions = UmlsOptions()) -> Read:
    """Read a META folder's concepts, then its relations."""
    release = UmlsRelease(meta, options)
    concepts = list(release.concepts)
    relations = list(release.relations)
    return Read(concepts, relations, release.skipped, release.rows_read, release.version, release.missing_files)


@pytest.fixture(scope="module")
def release() -> Read:
    """The fixture release read with the default options."""
    return read_umls(META)


def by_id(release: Read) -> dict[str, ConceptRecord]:
    """The release's concepts keyed by concept id."""
    return {concept.concept_id: concept for concept in release.concepts}


def test_concepts_are_the_cuis_with_an_english_unsuppressed_string(release: Read) -> None:
    assert set(by_id(release)) == {"C0027051", "C0018799", "C0018787", "C0155626"}
    assert all(concept.cui == concept.concept_id for concept in release.concepts)


def test_preferred_name_is_the_ts_p_stt_pf_ispref_y_string_even_when_not_first(release: Read) -> None:
    concepts = by_id(release)
    assert concepts["C0027051"].name == "Myocardial Infarction"
    assert concepts["C0018787"].name == "Heart"


def test_synonyms_deduped_case_insensitively_without_preferred_foreign_or_suppressed(release: Read) -> None:
    assert by_id(release)["C0027051"].synonyms == [
        "Heart Attack",
        "MI",
        "Acute myocardial infarction, unspecified",
        "cardiac infarct",
    ]


def test_xrefs_sources_and_semantic_types(release: Read) -> None:
    infarction = by_id(release)["C0027051"]
    assert infarction.xrefs == ["CHV:0000008372", "ICD10CM:I21.9", "MSH:D009203", "SNOMEDCT_US:22298006"]
    assert infarction.sources == ["UMLS", "CHV", "ICD10CM", "MSH", "SNOMEDCT_US"]
    assert infarction.semantic_types == ["T046:Pathologic Function", "T047:Disease or Syndrome"]
    assert by_id(release)["C0155626"].xrefs == ["SNOMEDCT_US:57054005"]


def test_definition_follows_source_preference_then_file_order(release: Read) -> None:
    concepts = by_id(release)
    assert concepts["C0027051"].definition.startswith("NCI:")  # MSH's is suppressed, NCI beats CSP
    assert concepts["C0018799"].definition == "MEDLINEPLUS: heart disease is a catch-all phrase."
    assert concepts["C0155626"].definition == "CHV: a sudden heart attack."
    assert concepts["C0018787"].definition is None


def test_par_and_chd_become_child_to_parent_is_a_once(release: Read) -> None:
    is_a = [(r.source_id, r.target_id) for r in release.relations if r.kind == "IS_A"]
    assert is_a == [("C0027051", "C0018799"), ("C0155626", "C0027051")]


def test_other_relations_keep_rel_and_rela_deduped(release: Read) -> None:
    others = [r for r in release.relations if r.kind == "CONCEPT_REL"]
    assert others == [
        ConceptRelation("C0027051", "C0018787", "CONCEPT_REL", "SNOMEDCT_US", rel="RO", rela="has_finding_site"),
        ConceptRelation("C0018787", "C0027051", "CONCEPT_REL", "CHV", rel="RN", rela=None),
    ]


def test_skipped_rows_are_counted_by_reason(release: Read) -> None:
    assert release.skipped.reasons == {
        "MRCONSO.RRF: language not selected": 2,
        "MRCONSO.RRF: suppressed": 1,
        "MRCONSO.RRF: wrong field count": 1,
        "MRCONSO.RRF: no trailing pipe": 1,
        "MRCONSO.RRF: bad CUI": 1,
        "MRSTY.RRF: concept not loaded": 1,
        "MRSTY.RRF: wrong field count": 1,
        "MRDEF.RRF: suppressed": 1,
        "MRREL.RRF: relation type skipped": 1,
        "MRREL.RRF: concept not loaded": 1,
        "MRREL.RRF: self relation": 1,
        "MRREL.RRF: suppressed": 1,
    }
    assert release.rows_read == 19 + 8 + 7 + 10
    assert release.version == "2024AA"
    assert release.missing_files == []


def test_source_filter_drops_strings_definitions_and_relations_of_other_sources() -> None:
    release = read_umls(META, UmlsOptions(sources=frozenset({"MSH", "SNOMEDCT_US"})))
    concepts = by_id(release)
    assert "cardiac infarct" not in concepts["C0027051"].synonyms
    assert concepts["C0027051"].sources == ["UMLS", "MSH", "SNOMEDCT_US"]
    assert "C0155626" in concepts and concepts["C0155626"].synonyms == []
    assert concepts["C0155626"].definition is None
    assert all(relation.source != "CHV" for relation in release.relations)
    assert release.skipped.reasons["MRCONSO.RRF: source not selected"] == 4


def test_columns_are_read_by_name_from_mrfiles(tmp_path: Path, release: Read) -> None:
    shutil.copy(META.parent / "release.dat", tmp_path / "release.dat")
    meta = tmp_path / "META"
    meta.mkdir()
    declared = []
    for name, columns in DEFAULT_COLUMNS.items():
        if name == MRFILES:
            continue
        order = list(reversed(columns))
        declared.append(f"{name}|{name} reversed|{','.join(order)}|{len(order)}|0|0|")
        rows = []
        for line in (META / name).read_text(encoding="utf-8").splitlines():
            values = line[:-1].split("|") if line.endswith("|") else None
            if values is not None and len(values) == len(columns):
                rows.append("|".join(reversed(values)) + "|")
        (meta / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    (meta / MRFILES).write_text("\n".join(declared) + "\n", encoding="utf-8")

    permuted = read_umls(meta)

    assert permuted.concepts == release.concepts
    assert permuted.relations == release.relations


def test_mrfiles_lacking_a_needed_column_is_an_error(tmp_path: Path) -> None:
    shutil.copy(META / MRCONSO, tmp_path / MRCONSO)
    (tmp_path / MRFILES).write_text("MRCONSO.RRF|names|CUI,LAT,TS|3|0|0|\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"MRCONSO\.RRF"):
        read_umls(tmp_path)


def test_missing_mrconso_names_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"MRCONSO\.RRF") as error:
        read_umls(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_optional_files_may_be_absent(tmp_path: Path) -> None:
    shutil.copy(META / MRCONSO, tmp_path / MRCONSO)
    release = read_umls(tmp_path)
    assert release.missing_files == ["MRSTY.RRF", "MRDEF.RRF", "MRREL.RRF"]
    assert len(release.concepts) == 4 and release.relations == []
    assert release.version is None


def test_undecodable_line_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / MRCONSO
    good = b"C0018787|ENG|P|L1|PF|S1|Y|A1||||MSH|MH|D006321|Heart|0|N||\n"
    accented = "C0018789|ENG|P|L3|PF|S3|Y|A3||||MSH|MH|D1|Ménière|0|N||\n".encode()
    path.write_bytes(b"C0018788|ENG|P|L2|PF|S2|Y|A2||||MSH|MH|D0|Co\xffur|0|N||\n" + good + accented)
    skipped = SkipCounter()
    rows = list(iter_rrf(path, len(DEFAULT_COLUMNS[MRCONSO]), skipped))
    string = DEFAULT_COLUMNS[MRCONSO].index("STR")
    assert rows[0] is None and [row[string] for row in rows[1:]] == ["Heart", "Ménière"]
    assert skipped.reasons == {"MRCONSO.RRF: undecodable bytes": 1}


def test_the_reader_reports_progress_through_each_file() -> None:
    events: list[ProgressEvent] = []
    release = UmlsRelease(META, on_progress=events.append)
    list(release.concepts)
    list(release.relations)
    finished = {e.stage for e in events if e.done == e.total and e.total > 0}
    assert finished == {"MRSTY.RRF", "MRDEF.RRF", "MRCONSO.RRF", "MRREL.RRF"}
    assert [e.stage for e in events if e.done == 0] == ["MRSTY.RRF", "MRDEF.RRF", "MRCONSO.RRF", "MRREL.RRF"]


def test_a_cui_split_over_an_unsorted_file_is_one_concept_in_the_graph(
    tmp_path: Path, driver: Driver, neo4j_settings: Settings
) -> None:
    later = "C0018787|ENG|S|L0018788|PF|S0046974|Y|A0066122||||MSH|EN|D006321|Cardiac organ|0|N|256|"
    rows = [*(META / MRCONSO).read_text(encoding="utf-8").splitlines(), later]
    (tmp_path / MRCONSO).write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(META / "MRSTY.RRF", tmp_path / "MRSTY.RRF")
    release = UmlsRelease(tmp_path)
    with GraphStore.connect(neo4j_settings.neo4j) as store:
        store.apply_schema(384)
        load = store.vocabulary.write(
            versions={"UMLS": None}, concepts=release.concepts, relations=release.relations, skipped=release.skipped
        )

    assert load.concepts == 5  # C0018787's two runs of rows are two records...
    heart = driver.execute_query(
        "MATCH (c:Concept {cui: 'C0018787'}) RETURN c.name AS name, c.synonyms AS synonyms, c.semantic_types AS types"
    ).records
    # ...and one concept: the later run adds its string as a synonym.
    assert [r.data() for r in heart] == [
        {"name": "Heart", "synonyms": ["Cardiac organ"], "types": ["T023:Body Part, Organ, or Organ Component"]}
    ]
