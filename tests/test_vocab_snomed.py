"""The SNOMED CT RF2 reader on a hand-written Snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medgraphrag.core.errors import VocabularyError
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation
from medgraphrag.graph.vocab.snomed import SnomedRelease, read_snomed, split_semantic_tag

ROOT = Path(__file__).parent / "fixtures" / "snomed"
TERMINOLOGY = ROOT / "SnomedCT_InternationalRF2_PRODUCTION_20240101T120000Z" / "Snapshot" / "Terminology"


@pytest.fixture(scope="module")
def release() -> SnomedRelease:
    """The fixture Snapshot read without a CUI map."""
    return read_snomed(ROOT)


def by_id(release: SnomedRelease) -> dict[str, ConceptRecord]:
    """The release's concepts keyed by concept id."""
    return {concept.concept_id: concept for concept in release.concepts}


def test_active_concepts_only_with_prefixed_ids(release: SnomedRelease) -> None:
    assert list(by_id(release)) == ["SNOMEDCT:22298006", "SNOMEDCT:57054005", "SNOMEDCT:56265001", "SNOMEDCT:80891009"]
    infarction = by_id(release)["SNOMEDCT:22298006"]
    assert infarction.cui is None
    assert infarction.xrefs == ["SNOMEDCT:22298006"]
    assert infarction.sources == ["SNOMEDCT"]


def test_us_preferred_synonym_wins_over_gb_and_inactive_refset_rows(release: SnomedRelease) -> None:
    assert by_id(release)["SNOMEDCT:22298006"].name == "Myocardial infarction"


def test_gb_preferred_synonym_is_the_fallback(release: SnomedRelease) -> None:
    heart = by_id(release)["SNOMEDCT:80891009"]
    assert heart.name == "Heart"
    assert heart.synonyms == ["Heart structure"]
    assert heart.semantic_types == ["SNOMEDCT:body structure"]


def test_fsn_without_tag_names_a_concept_with_no_preferred_synonym(release: SnomedRelease) -> None:
    disease = by_id(release)["SNOMEDCT:56265001"]
    assert disease.name == "Heart disease"
    assert disease.synonyms == ["Cardiopathy"]


def test_synonyms_exclude_preferred_inactive_foreign_and_case_duplicates(release: SnomedRelease) -> None:
    infarction = by_id(release)["SNOMEDCT:22298006"]
    assert infarction.synonyms == ["Cardiac infarction", "Heart attack"]
    assert infarction.semantic_types == ["SNOMEDCT:disorder"]


def test_active_text_definition(release: SnomedRelease) -> None:
    assert by_id(release)["SNOMEDCT:22298006"].definition == (
        "Necrosis of the myocardium caused by an obstruction of the blood supply to the heart."
    )
    assert by_id(release)["SNOMEDCT:57054005"].definition is None


def test_only_active_inferred_is_a_between_loaded_concepts(release: SnomedRelease) -> None:
    assert release.relations == [
        ConceptRelation("SNOMEDCT:22298006", "SNOMEDCT:56265001", "IS_A", "SNOMEDCT"),
        ConceptRelation("SNOMEDCT:57054005", "SNOMEDCT:22298006", "IS_A", "SNOMEDCT"),
    ]


def test_skipped_rows_are_counted_by_reason(release: SnomedRelease) -> None:
    assert release.skipped.reasons == {
        "Concept: inactive": 1,
        "Concept: wrong field count": 1,
        "Concept: bad SCTID": 1,
        "Description: inactive": 1,
        "Description: language not English": 1,
        "Description: wrong field count": 1,
        "Description: concept not loaded": 1,
        "TextDefinition: inactive": 1,
        "Language: inactive": 1,
        "Language: wrong field count": 1,
        "Relationship: not an inferred is-a": 2,
        "Relationship: inactive": 1,
        "Relationship: concept not loaded": 1,
        "Relationship: wrong field count": 1,
    }
    assert release.rows_read == 7 + 16 + 2 + 7 + 10
    assert release.version == "20240101"


def test_cui_map_renames_concepts_and_relations() -> None:
    release = read_snomed(ROOT, {"22298006": "C0027051", "57054005": "C0155626"})
    infarction = by_id(release)["C0027051"]
    assert infarction.cui == "C0027051"
    assert infarction.xrefs == ["SNOMEDCT:22298006"]
    assert by_id(release)["SNOMEDCT:56265001"].cui is None
    assert release.relations == [
        ConceptRelation("C0027051", "SNOMEDCT:56265001", "IS_A", "SNOMEDCT"),
        ConceptRelation("C0155626", "C0027051", "IS_A", "SNOMEDCT"),
    ]


def test_concepts_sharing_a_cui_merge_and_lose_their_self_relation() -> None:
    release = read_snomed(ROOT, {"22298006": "C0027051", "57054005": "C0027051"})
    merged = by_id(release)["C0027051"]
    assert merged.name == "Myocardial infarction"
    assert merged.synonyms == [
        "Cardiac infarction",
        "Heart attack",
        "Acute myocardial infarction",
        "AMI - Acute myocardial infarction",
    ]
    assert merged.xrefs == ["SNOMEDCT:22298006", "SNOMEDCT:57054005"]
    assert len(release.concepts) == 3
    assert release.relations == [ConceptRelation("C0027051", "SNOMEDCT:56265001", "IS_A", "SNOMEDCT")]


def test_missing_description_file_names_the_folder(tmp_path: Path) -> None:
    shutil.copy(TERMINOLOGY / "sct2_Concept_Snapshot_INT_20240101.txt", tmp_path)
    with pytest.raises(VocabularyError, match="sct2_Description_Snapshot") as error:
        read_snomed(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_missing_concept_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="sct2_Concept_Snapshot"):
        read_snomed(tmp_path)


def test_us_edition_file_names_and_reordered_columns_are_read(tmp_path: Path) -> None:
    (tmp_path / "sct2_Concept_Snapshot_US1000124_20240301.txt").write_text(
        "active\tid\teffectiveTime\tmoduleId\tdefinitionStatusId\n"
        "1\t22298006\t20020131\t731000124108\t900000000000074008\n",
        encoding="utf-8",
    )
    (tmp_path / "sct2_Description_Snapshot-en_US1000124_20240301.txt").write_text(
        "term\tid\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tcaseSignificanceId\n"
        "Myocardial infarction (disorder)\t751689013\t20170731\t1\t731000124108\t22298006\ten\t"
        "900000000000003001\t900000000000448009\n",
        encoding="utf-8",
    )
    release = read_snomed(tmp_path)
    assert release.version == "20240301"
    assert [(c.concept_id, c.name) for c in release.concepts] == [("SNOMEDCT:22298006", "Myocardial infarction")]
    assert release.relations == []


def test_split_semantic_tag() -> None:
    assert split_semantic_tag("Myocardial infarction (disorder)") == ("Myocardial infarction", "disorder")
    assert split_semantic_tag("Heart structure (body structure)") == ("Heart structure", "body structure")
    assert split_semantic_tag("No tag here") == ("No tag here", None)
