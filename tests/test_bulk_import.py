"""Bulk vocabulary loads through `neo4j-admin database import full` give the streaming loader's graph."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.errors import Conflict
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import Settings
from medgraphrag.graph.bulk_import import import_local
from medgraphrag.graph.connection import open_driver
from medgraphrag.graph.import_csv import _parse_row, _row, write_import_files
from medgraphrag.graph.server import LocalNeo4j, answers, down, project_root, scratch_local_server, up
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.names import key_phrase, normalize
from medgraphrag.service import MedGraph
from tests.conftest import TEST_PASSWORD, make_settings

FIXTURES = Path(__file__).parent / "fixtures"
META = FIXTURES / "umls" / "META"
SNOMED = FIXTURES / "snomed" / "SnomedCT_InternationalRF2_PRODUCTION_20240101T120000Z"
OPEN_SOURCES = ["doid", "mondo", "mesh"]

Graph = dict[str, object]


def _graph(driver: Driver, database: str = "neo4j") -> Graph:
    """Everything a vocabulary load writes, in a comparable form (load times left out)."""

    def rows(query: str) -> list[dict[str, object]]:
        return [r.data() for r in driver.execute_query(query, database_=database).records]

    return {
        "labels": rows("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label"),
        "types": rows("MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type"),
        "concepts": rows("MATCH (c:Concept) RETURN c.concept_id AS id, properties(c) AS p ORDER BY id"),
        "relations": rows(
            "MATCH (a)-[r]->(b) RETURN a.concept_id AS a, type(r) AS type, properties(r) AS p, b.concept_id AS b "
            "ORDER BY a, type, b, p.source, p.rel, p.rela"
        ),
        "sources": rows(
            "MATCH (s:VocabularySource) RETURN s {.*, loaded_at: null} AS p, valueType(s.loaded_at) AS loaded_at "
            "ORDER BY s.source"
        ),
        "markers": rows("MATCH (m:Marker) RETURN properties(m) AS p ORDER BY m.name"),
    }


@pytest.fixture(scope="module")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a neo4j-local that medgraph manages (`medgraph db up`), on a free port."""
    settings = make_settings(
        neo4j={"uri": f"bolt://127.0.0.1:{free_port()}", "password": TEST_PASSWORD},
        paths={"data_dir": tmp_path_factory.mktemp("bulk")},
        local_neo4j={"http_port": 0},
    )
    yield settings
    down(settings)


def _emptied(settings: Settings) -> None:
    """Remove every node of the managed neo4j-local, if it runs."""
    if not answers(settings):
        return
    driver = open_driver(settings.neo4j)
    with driver.session(database=settings.neo4j.database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    driver.close()


def _unsorted_meta(folder: Path) -> Path:
    """The fixture release with MRCONSO's rows reversed, so that CUIs repeat in separate runs."""
    shutil.copytree(META, folder)
    lines = (META / "MRCONSO.RRF").read_text(encoding="utf-8").splitlines()
    later = "C0018787|ENG|S|L0018788|PF|S0046974|Y|A0066122||||MSH|EN|D006321|Cardiac organ|0|N|256|"
    (folder / "MRCONSO.RRF").write_text("\n".join([*lines, later, *reversed(lines)]) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", ["umls", "umls-unsorted", "snomed", "open"])
def test_bulk_import_gives_the_streaming_graph(
    case: str,
    tmp_path: Path,
    service: MedGraph,
    driver: Driver,
    local_settings: Settings,
    embedder: Embedder,
) -> None:
    kind = case.split("-")[0]
    path = {"umls": META, "snomed": SNOMED, "open": FIXTURES / "open_vocab"}[kind]
    if case == "umls-unsorted":
        path = _unsorted_meta(tmp_path / "META")
    sources = OPEN_SOURCES if kind == "open" else None
    streamed = service.load_vocabulary(kind, path, open_sources=sources)
    expected = _graph(driver, service.database)
    _emptied(local_settings)

    with MedGraph(local_settings, embedder=embedder) as bulk:
        loaded = bulk.bulk_load_vocabulary(kind, path, open_sources=sources)
        assert loaded.imported and loaded.import_dir is None
        assert "database import full" in loaded.command
        assert (loaded.load.concepts, loaded.load.relations) == (streamed.concepts, streamed.relations)
        assert loaded.load.versions == streamed.versions and loaded.load.skipped == streamed.skipped
        with open_driver(local_settings.neo4j) as local_driver:
            assert _graph(local_driver, bulk.database) == expected
        indexes = {i.name: i.state for i in bulk.schema_status()}
        assert indexes == {i.name: i.state for i in service.schema_status()}
        assert set(indexes.values()) == {"ONLINE"}
        # The full-text index over the concepts' names finds a concept by its preferred name.
        concept = expected["concepts"][0]["p"]  # type: ignore[index]
        found = bulk.store.vocabulary.candidates(key_phrase(normalize(concept["name"])), limit=5)
        assert concept["concept_id"] in [c.concept_id for c in found]


def test_bulk_load_into_a_database_with_data_is_refused(service: MedGraph, local_settings: Settings) -> None:
    service.load_vocabulary("umls", META)
    with pytest.raises(Conflict, match=f"database {service.database} is not empty"):
        service.bulk_load_vocabulary("umls", META)

    up(local_settings)
    with MedGraph(local_settings, embedder=service.embedder) as local:
        local.load_vocabulary("umls", META)
        with pytest.raises(Conflict, match=rf"database {local.database} is not empty \(\d+ Concept"):
            local.bulk_load_vocabulary("umls", META)


def test_for_another_server_the_files_and_command_are_written(service: MedGraph, tmp_path: Path) -> None:
    loaded = service.bulk_load_vocabulary("umls", META, import_dir=tmp_path / "import")
    assert not loaded.imported and loaded.import_dir == tmp_path / "import"
    assert loaded.command.startswith(("neo4j-admin database import full", "/"))
    assert "--overwrite-destination=true" in loaded.command and loaded.command.endswith(f" {service.database}")
    assert {p.name for p in (tmp_path / "import").glob("*.csv")} == {
        "concepts.csv",
        "is_a.csv",
        "concept_rel.csv",
        "sources.csv",
    }
    assert service.health().counts["Concept"] == 0  # nothing was written to the running server


def test_repeated_concepts_and_relations_merge_as_the_streaming_loader_merges(
    tmp_path: Path, service: MedGraph, driver: Driver
) -> None:
    concepts = [
        ConceptRecord("C1", 'The "first" name', cui="C1", synonyms=["one, with comma"], sources=["A"]),
        ConceptRecord("A:2", "Second", xrefs=["X:2"], definition="two\nlines", sources=["A"]),
        ConceptRecord("C1", "Other name", synonyms=['The "first" name', "more"], definition="d", sources=["B"]),
        ConceptRecord("C3", "", cui="C3", semantic_types=["T1:Type"], definition="", sources=["B"]),
        ConceptRecord("C1", "Third", cui="C1", semantic_types=["T2:Other"], xrefs=["B:1"], sources=["B", "C"]),
    ]
    relations = [
        ConceptRelation("C1", "A:2", "IS_A", "A"),
        ConceptRelation("C1", "A:2", "IS_A", "B"),
        ConceptRelation("C1", "A:2", "IS_A", "A"),
        ConceptRelation("A:2", "C3", "IS_A", "B"),
        ConceptRelation("C1", "C3", "CONCEPT_REL", "A", "RO", None),
        ConceptRelation("C1", "C3", "CONCEPT_REL", "A", "RO", None),
        ConceptRelation("C1", "C3", "CONCEPT_REL", "B", "RO", "treats"),
        ConceptRelation("C1", "C9", "IS_A", "A"),  # to a concept not loaded: no relation
    ]
    versions: dict[str, str | None] = {"A": "1", "B": None}
    skipped = SkipCounter()
    skipped.skip("A: bad row")
    service.store.vocabulary.write(versions=versions, concepts=concepts, relations=relations, skipped=skipped)
    expected = _graph(driver, service.database)

    files = write_import_files(
        tmp_path / "import", versions=versions, concepts=iter(concepts), relations=iter(relations), skipped=skipped
    )
    assert files.multiline
    home = tmp_path / "neo4j"
    import_local(
        LocalNeo4j(project_root() / "neo4j-local"), files, home=home / "home", database="neo4j", overwrite=False
    )
    with scratch_local_server(TEST_PASSWORD, home=home) as uri:
        settings = make_settings(neo4j={"uri": uri, "password": TEST_PASSWORD})
        with MedGraph(settings, embedder=service.embedder) as bulk, open_driver(settings.neo4j) as bulk_driver:
            _ = bulk.store  # the first connection completes the import and builds the schema
            assert _graph(bulk_driver) == expected


@pytest.mark.parametrize(
    "fields",
    [
        ["a", None, "", 'q"uote', "comma,s", "new\nline", '""', "end"],
        [None],
        [""],
        ["x", None],
    ],
)
def test_rows_read_back_as_written(fields: list[str | None]) -> None:
    assert _parse_row(_row(fields, [True] * len(fields))) == fields
