from collections.abc import Iterator

import pytest
from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.graph.store import GraphStore
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter


@pytest.fixture
def store(driver: Driver, neo4j_settings: Settings) -> Iterator[GraphStore]:
    """A graph store on the emptied graph, with its schema."""
    with GraphStore.connect(neo4j_settings.neo4j) as store:
        store.apply_schema(384)
        yield store


def _graph(driver: Driver) -> tuple[list[dict], list[dict]]:
    concepts, _, _ = driver.execute_query(
        "MATCH (c:Concept) RETURN c.concept_id AS id, c.name AS name, c.cui AS cui, c.synonyms AS synonyms, "
        "c.xrefs AS xrefs, c.sources AS sources, c.definition AS definition ORDER BY id"
    )
    edges, _, _ = driver.execute_query(
        "MATCH (a:Concept)-[r]->(b:Concept) RETURN a.concept_id AS a, type(r) AS type, properties(r) AS props, "
        "b.concept_id AS b ORDER BY a, type, b"
    )
    return [c.data() for c in concepts], [e.data() for e in edges]


def _hpo() -> tuple[list[ConceptRecord], list[ConceptRelation]]:
    concepts = [
        ConceptRecord(
            "C0027051",
            "Myocardial infarction",
            cui="C0027051",
            synonyms=["Heart attack"],
            xrefs=["HP:0001658"],
            sources=["HPO"],
            definition="Necrosis of the myocardium.",
        ),
        ConceptRecord("C0018799", "Heart disease", cui="C0018799", xrefs=["HP:0001627"], sources=["HPO"]),
        ConceptRecord("HP:0000118", "Phenotypic abnormality", sources=["HPO"]),
    ]
    relations = [
        ConceptRelation("C0027051", "C0018799", "IS_A", "HPO"),
        ConceptRelation("C0018799", "HP:0000118", "IS_A", "HPO"),
        ConceptRelation("C0027051", "C0018799", "CONCEPT_REL", "HPO", rel="RO", rela="has_finding_site"),
        ConceptRelation("C0027051", "C9999999", "IS_A", "HPO"),  # unknown target: not created
    ]
    return concepts, relations


def test_vocabulary_load_is_idempotent(driver: Driver, store: GraphStore) -> None:
    concepts, relations = _hpo()
    skipped = SkipCounter()
    skipped.skip("bad CUI")
    load = store.vocabulary.write(
        versions={"HPO": "2025-01-01"}, concepts=concepts, relations=relations, skipped=skipped
    )
    assert (load.concepts, load.relations, load.skipped) == (3, 4, {"bad CUI": 1})
    first = _graph(driver)
    assert len(first[0]) == 3
    assert [(e["a"], e["type"], e["b"]) for e in first[1]] == [
        ("C0018799", "IS_A", "HP:0000118"),
        ("C0027051", "CONCEPT_REL", "C0018799"),
        ("C0027051", "IS_A", "C0018799"),
    ]
    store.vocabulary.write(
        versions={"HPO": "2025-01-01"}, concepts=concepts, relations=relations, skipped=SkipCounter()
    )
    assert _graph(driver) == first


def test_second_source_adds_names_ids_and_sources(driver: Driver, store: GraphStore) -> None:
    concepts, relations = _hpo()
    store.vocabulary.write(versions={"HPO": "v1"}, concepts=concepts, relations=relations, skipped=SkipCounter())
    doid = [
        ConceptRecord(
            "C0027051",
            "myocardial infarction",
            cui="C0027051",
            synonyms=["Heart attack", "MI"],
            xrefs=["DOID:5844", "HP:0001658"],
            sources=["DOID"],
            definition="Another definition.",
        )
    ]
    store.vocabulary.write(versions={"DOID": None}, concepts=doid, relations=[], skipped=SkipCounter())
    mi = next(c for c in _graph(driver)[0] if c["id"] == "C0027051")
    assert mi["name"] == "Myocardial infarction"
    assert mi["synonyms"] == ["Heart attack", "myocardial infarction", "MI"]
    assert mi["xrefs"] == ["HP:0001658", "DOID:5844"]
    assert mi["sources"] == ["HPO", "DOID"]
    assert mi["definition"] == "Necrosis of the myocardium."
    status = {s.source: s for s in store.vocabulary.sources()}
    assert status["HPO"].version == "v1" and status["HPO"].concepts_now == 3
    assert status["DOID"].concepts_now == 1 and status["DOID"].version is None
