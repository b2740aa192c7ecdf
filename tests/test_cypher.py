"""Safe Cypher exploration on a real Neo4j: every kind of write refused with the graph unchanged,
parameters, the row cap, the timeout, the saved queries on a small ingested graph, and the
`medgraph cypher` commands."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.errors import CypherRefused, NotFound
from medgraphrag.core.settings import Settings
from medgraphrag.graph import exploration
from medgraphrag.graph.exploration import CypherResult, run_read_only
from medgraphrag.graph.model import LABELS, RELATIONSHIP_TYPES
from medgraphrag.graph.saved_queries import _parse, saved_queries, saved_query
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph
from tests import test_cli

cli_env = test_cli.cli_env  # the fixture that points the CLI at the test Neo4j

PNEUMONIA, AMOXICILLIN, MI, ACUTE_MI = "C0032285", "C0002645", "C0027051", "C0155626"
FEVER, COUGH = "C0015967", "C0010200"
LABEL_OR_TYPE = re.compile(r":([A-Z][A-Za-z_]*(?:\|[A-Z][A-Za-z_]*)*)")

# Each write a user might try, and what the refusal must name.
WRITES = [
    ("CREATE (:Entity {entity_id: 'intruder', name: 'intruder'})", "writes to the graph (Create)"),
    ("MERGE (e:Entity {entity_id: 'intruder'}) RETURN e", "reads and writes the graph (Merge)"),
    ("MATCH (e:Entity) SET e.name = 'changed'", "writes to the graph (SetProperty)"),
    ("MATCH (t:Tag) DELETE t", "writes to the graph (Delete)"),
    ("MATCH (n) DETACH DELETE n", "writes to the graph (DetachDelete)"),
    ("MATCH (e:Entity) REMOVE e.name", "writes to the graph (SetProperty)"),
    ("MATCH (e:Entity) CALL (e) { SET e.name = 'changed' } RETURN count(*)", "reads and writes the graph"),
    ("FOREACH (x IN [1] | CREATE (:Tag {tag_id: 'intruder'}))", "writes to the graph (Foreach)"),
    ("CREATE INDEX entity_type FOR (n:Entity) ON (n.type)", "changes the schema or the DBMS (CreateIndex)"),
    ("DROP CONSTRAINT entity_id", "changes the schema or the DBMS (DropConstraint)"),
    (
        "MATCH (e:Entity) CALL db.create.setNodeVectorProperty(e, 'embedding', [1.0, 2.0]) RETURN e",
        "procedure db.create.setNodeVectorProperty writes to the graph",
    ),
    ("CALL db.createLabel('Intruder')", "procedure db.createLabel writes to the graph"),
    (
        "CALL db.index.vector.createNodeIndex('intruder', 'Entity', 'name', 3, 'cosine')",
        "procedure db.index.vector.createNodeIndex changes the schema",
    ),
    ("CALL dbms.killConnections(['bolt-1'])", "procedure dbms.killConnections administers the server"),
    ("CALL tx.setMetaData({app: 'intruder'})", "procedure tx.setMetaData reads or sets transaction metadata"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV reads files and URLs from the server"),
    ("CREATE USER mallory SET PASSWORD 'mallory-password'", "administration commands"),
    ("ALTER USER neo4j SET PASSWORD 'changed-password'", "administration commands"),
    ("CREATE DATABASE intruder", "administration commands"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE TRANSACTIONS"),
]


def _run(
    driver: Driver,
    database: str,
    query: str,
    parameters: dict[str, object] | None = None,
    *,
    timeout_s: float = 10.0,
    max_rows: int = 1000,
) -> CypherResult:
    return run_read_only(driver, database, query, parameters, timeout_s=timeout_s, max_rows=max_rows)


def _snapshot(driver: Driver, database: str) -> dict[str, object]:
    """Everything a refused query could have changed: nodes and their properties, relationships,
    indexes and constraints, users."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, [k IN keys(n) | [k, n[k]]] AS props ORDER BY elementId(n)",
        database_=database,
    )
    rels, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type", database_=database
    )
    schema, _, _ = driver.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS names", database_=database)
    users, _, _ = driver.execute_query("SHOW USERS YIELD user RETURN collect(user) AS users", database_="system")
    return {
        "nodes": [r.data() for r in nodes],
        "relationships": [r.data() for r in rels],
        "indexes": sorted(schema[0]["names"]),
        "users": sorted(users[0]["users"]),
    }


@pytest.fixture
def small_graph(service: MedGraph, driver: Driver, clinical_vocabulary: None) -> MedGraph:
    """The clinical vocabulary with an entity (with an embedding) linked to Pneumonia and a tag."""
    driver.execute_query(
        "MATCH (c:Concept {concept_id: $cui}) "
        "CREATE (e:Entity {entity_id: 'ent_1', name: 'Pneumonia', tier: 'user', embedding: $vector})"
        "-[:DEFINITION_OF {score: 1.0, method: 'ruler'}]->(c) CREATE (:Tag {tag_id: 'tag_1', layer: 0})",
        cui=PNEUMONIA,
        vector=[0.5] * 384,
        database_=service.database,
    )
    return service


def test_every_kind_of_write_is_refused_and_the_graph_stays_unchanged(small_graph: MedGraph, driver: Driver) -> None:
    database = small_graph.database
    before = _snapshot(driver, database)
    for query, reason in WRITES:
        with pytest.raises(CypherRefused) as refused:
            _run(driver, database, query)
        assert str(refused.value).startswith("refused: "), query
        assert reason in str(refused.value), (query, str(refused.value))
    assert _snapshot(driver, database) == before


def test_the_read_access_mode_stops_a_write_the_checks_let_through(
    small_graph: MedGraph, driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(driver, small_graph.database)
    monkeypatch.setattr(exploration, "_check_plan", lambda *args: None)
    with pytest.raises(CypherRefused, match="refused: the query tried to write"):
        _run(driver, small_graph.database, "CREATE (:Entity {entity_id: 'intruder'})")
    assert _snapshot(driver, small_graph.database) == before


def test_a_read_query_takes_parameters_and_returns_json_friendly_values(small_graph: MedGraph, driver: Driver) -> None:
    result = _run(
        driver,
        small_graph.database,
        "MATCH (c:Concept) WHERE c.concept_id IN $ids RETURN c.concept_id AS id, c.name AS name ORDER BY id",
        {"ids": [PNEUMONIA, MI, "C9999999"]},
    )
    assert result.columns == ["id", "name"]
    assert result.rows == [[MI, "Myocardial infarction"], [PNEUMONIA, "Pneumonia"]]
    assert not result.truncated and result.milliseconds >= 0
    result = _run(
        driver,
        small_graph.database,
        "MATCH p = (e:Entity)-[:DEFINITION_OF]->(c:Concept) MATCH (s:VocabularySource) "
        "RETURN e, p, s.loaded_at AS loaded_at, duration('P1DT2H') AS span",
    )
    entity, path, loaded_at, span = result.rows[0]
    assert entity["labels"] == ["Entity"]
    assert entity["properties"] == {"entity_id": "ent_1", "name": "Pneumonia", "tier": "user"}
    assert [n["labels"] for n in path["nodes"]] == [["Entity"], ["Concept"]]
    relationship = path["relationships"][0]
    assert relationship["type"] == "DEFINITION_OF" and relationship["properties"]["method"] == "ruler"
    assert (relationship["start"], relationship["end"]) == (
        path["nodes"][0]["element_id"],
        path["nodes"][1]["element_id"],
    )
    assert isinstance(loaded_at, str) and loaded_at.startswith("20") and "T" in loaded_at
    assert span == "P1DT2H"
    json.dumps(result.rows)
    assert _run(driver, small_graph.database, "SHOW INDEXES YIELD name WHERE name = 'entity_id' RETURN name").rows == [
        ["entity_id"]
    ]
    assert _run(
        driver, small_graph.database, "CALL db.labels() YIELD label WHERE label = 'Concept' RETURN label"
    ).rows == [["Concept"]]


def test_the_row_cap_truncates(small_graph: MedGraph, driver: Driver) -> None:
    query = "UNWIND range(1, 50) AS x RETURN x"
    capped = _run(driver, small_graph.database, query, max_rows=10)
    assert capped.rows == [[x] for x in range(1, 11)] and capped.truncated
    whole = _run(driver, small_graph.database, query, max_rows=50)
    assert len(whole.rows) == 50 and not whole.truncated
    # A cap far below what the query would produce stops fetching early.
    huge = _run(driver, small_graph.database, "UNWIND range(1, 100000000) AS x RETURN x", max_rows=3)
    assert huge.rows == [[1], [2], [3]] and huge.truncated


def test_a_query_past_the_timeout_is_stopped_with_a_clear_error(small_graph: MedGraph, driver: Driver) -> None:
    started = time.perf_counter()
    with pytest.raises(CypherRefused, match=r"ran past its time limit of 1 s and was stopped"):
        _run(
            driver,
            small_graph.database,
            "UNWIND range(1, 100000000) AS a UNWIND range(1, 100000000) AS b RETURN count(*)",
            timeout_s=1,
        )
    assert time.perf_counter() - started < 30


def test_syntax_and_parameter_errors_are_clear(small_graph: MedGraph, driver: Driver) -> None:
    with pytest.raises(CypherRefused) as error:
        _run(driver, small_graph.database, "MATCH (n RETURN n")
    # The position is in the user's text, not in the EXPLAIN used to check it.
    assert str(error.value).startswith("Invalid input 'RETURN'")
    assert "(line 1, column 10 (offset: 9))" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(CypherRefused, match="Expected parameter"):
        _run(driver, small_graph.database, "RETURN $missing AS value")
    with pytest.raises(CypherRefused, match="the query is empty"):
        _run(driver, small_graph.database, "  ")


def test_saved_query_headers_parse() -> None:
    queries = {q.name: q for q in saved_queries()}
    assert set(queries) >= {
        "concept-neighbourhood",
        "concept-documents",
        "concept-paths",
        "document-entities",
        "document-chunks",
        "graph-statistics",
        "findings-by-status",
        "tag-path",
    }
    for query in queries.values():
        assert query.description and query.text and not query.text.startswith("//")
        for parameter in query.parameters:
            assert parameter.type in ("string", "integer", "float", "boolean") and parameter.description
    documents = queries["concept-documents"]
    assert [(p.name, p.type, p.default) for p in documents.parameters] == [
        ("concept_id", "string", None),
        ("narrower", "boolean", False),
        ("limit", "integer", 25),
    ]
    assert documents.bind({"concept_id": PNEUMONIA}) == {"concept_id": PNEUMONIA, "narrower": False, "limit": 25}
    assert documents.bind({"concept_id": PNEUMONIA, "narrower": "yes", "limit": "5"}) == {
        "concept_id": PNEUMONIA,
        "narrower": True,
        "limit": 5,
    }
    assert documents.bind({"concept_id": PNEUMONIA, "narrower": False, "limit": 7})["limit"] == 7


def test_a_malformed_saved_query_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=re.escape("the header needs `// name: x` and `// description: ...`")):
        _parse("x", "// description: something\nRETURN 1")
    with pytest.raises(ValueError, match=r"parameters used \['n'\] but declared \[\]"):
        _parse("x", "// name: x\n// description: something\nRETURN $n")
    with pytest.raises(ValueError, match=re.escape("bad parameter declaration 'n (number) a count'")):
        _parse("x", "// name: x\n// description: something\n// param: n (number) a count\nRETURN $n")
    with pytest.raises(ValueError, match="bad default: parameter n must be an integer, got 'many'"):
        _parse("x", "// name: x\n// description: something\n// param: n (integer, default many) a count\nRETURN $n")
    query = _parse(
        "x",
        "// name: x\n// description: something\n// why this query exists\n"
        "// param: n (integer, default 3) a count\nRETURN $n AS n",
    )
    assert query.text == "RETURN $n AS n" and query.bind({}) == {"n": 3}


def test_saved_queries_use_only_the_graph_model() -> None:
    model = set(LABELS) | set(RELATIONSHIP_TYPES)
    for query in saved_queries():
        # Labels and types follow a colon: `(c:Concept`, `[:IS_A|CONCEPT_REL*..6]`, `n:Concept`.
        names = {name for names in LABEL_OR_TYPE.findall(query.text) for name in names.split("|")}
        assert names and names <= model, (query.name, names - model)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "concept-documents needs parameter concept_id (string): a CUI or prefixed id such as HP:0001250"),
        (
            {"concept_id": PNEUMONIA, "depth": "2"},
            "concept-documents has no parameter depth; its parameters: concept_id, narrower, limit",
        ),
        ({"concept_id": PNEUMONIA, "limit": "ten"}, "parameter limit must be an integer, got 'ten'"),
        ({"concept_id": PNEUMONIA, "limit": True}, "parameter limit must be an integer, got True"),
        ({"concept_id": PNEUMONIA, "narrower": "maybe"}, "parameter narrower must be a boolean, got 'maybe'"),
        ({"concept_id": 32285}, "parameter concept_id must be a string, got 32285"),
    ],
)
def test_saved_query_argument_errors(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(CypherRefused) as error:
        saved_query("concept-documents").bind(arguments)
    assert str(error.value) == message


def test_an_unknown_saved_query_names_the_saved_ones() -> None:
    with pytest.raises(NotFound, match=r"no saved query 'nope'; saved queries: concept-documents, "):
        saved_query("nope")


FOLLOW_UP = "Follow-up visit. No evidence of pneumonia on the repeat film. Cough persists. Her mother had pneumonia.\n"
ANTIBIOTICS = "Amoxicillin treats community-acquired pneumonia in adults.\n"


@pytest.fixture
def explored(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, clinical_vocabulary: None, corpus: Path
) -> Iterator[MedGraph]:
    """The corpus notes and a follow-up note (tier 1), the corpus reference and an antibiotics text
    (tier 2), linked to the clinical vocabulary, under a tag tree that merges up to one root."""
    (corpus / "notes" / "follow-up.txt").write_text(FOLLOW_UP, encoding="utf-8")
    (corpus / "antibiotics.txt").write_text(ANTIBIOTICS, encoding="utf-8")
    # The queries are checked on the vocabulary's entities alone: the recognizer (tests/test_recognizer.py)
    # would add the disease names the small test vocabulary lacks.
    settings = neo4j_settings.replace(tags={"top_fraction": 1.0, "merge_threshold": -1.0}, ingest={"recognizer": False})
    with MedGraph(settings, embedder=embedder) as service:
        assert service.ingest([corpus / "reference.md", corpus / "antibiotics.txt"], tier="reference").errors == []
        assert service.ingest([corpus / "notes"], tier="user").errors == []
        assert len(service.rebuild_tags().layers) > 1
        yield service


def _records(service: MedGraph, name: str, **parameters: object) -> list[dict[str, object]]:
    result = service.run_saved_query(name, parameters)
    return [dict(zip(result.columns, row)) for row in result.rows]


def _doc_id(service: MedGraph, file_name: str) -> str:
    return next(d.doc_id for d in service.documents() if d.source.endswith(file_name))


def test_concept_queries_on_an_ingested_graph(explored: MedGraph) -> None:
    documents = _records(explored, "concept-documents", concept_id=PNEUMONIA)
    by_source = {Path(str(d["source"])).name: d for d in documents}
    assert set(by_source) == {"pneumonia.txt", "follow-up.txt", "antibiotics.txt"}
    assert (by_source["pneumonia.txt"]["mentions"], by_source["pneumonia.txt"]["negated"]) == (1, 0)
    assert (by_source["follow-up.txt"]["mentions"], by_source["follow-up.txt"]["negated"]) == (2, 1)
    assert by_source["antibiotics.txt"]["tier"] == "reference"
    assert by_source["pneumonia.txt"]["surfaces"] == ["pneumonia"]
    assert _records(explored, "concept-documents", concept_id=PNEUMONIA, limit="1")[0]["doc_id"] in {
        d["doc_id"] for d in documents
    }
    assert len(_records(explored, "concept-documents", concept_id=PNEUMONIA, limit="1")) == 1
    assert _records(explored, "concept-documents", concept_id=MI) == []

    neighbourhood = _records(explored, "concept-neighbourhood", concept_id=PNEUMONIA)
    assert {
        "relation": "CONCEPT_REL in",
        "tier": "vocabulary",
        "id": AMOXICILLIN,
        "name": "Amoxicillin",
        "detail": "may_treat (test)",
    } in neighbourhood
    entities = {r["tier"]: r for r in neighbourhood if r["relation"] == "entity (DEFINITION_OF)"}
    assert set(entities) == {"user", "reference"}
    assert entities["user"]["detail"] == "3 mentions, linked by ruler"
    assert entities["reference"]["detail"] == "1 mentions, linked by ruler"
    assert [(r["relation"], r["id"]) for r in _records(explored, "concept-neighbourhood", concept_id=MI)] == [
        ("child (IS_A)", ACUTE_MI)
    ]
    assert [(r["relation"], r["id"]) for r in _records(explored, "concept-neighbourhood", concept_id=ACUTE_MI)] == [
        ("parent (IS_A)", MI)
    ]

    direct = _records(explored, "concept-paths", from_id=PNEUMONIA, to_id=AMOXICILLIN)
    assert direct == [
        {
            "hops": 1,
            "path": "Pneumonia [C0032285] <-[CONCEPT_REL may_treat]- Amoxicillin [C0002645]",
            "evidence_chunks": [],
        }
    ]
    pneumonia_chunk = _records(explored, "document-chunks", doc_id=_doc_id(explored, "pneumonia.txt"))[0]["chunk_id"]
    through_note = _records(explored, "concept-paths", from_id=FEVER, to_id=COUGH)
    assert through_note == [
        {
            "hops": 3,
            "path": "Fever [C0015967] <-[DEFINITION_OF]- Fever (user entity) <-[RELATED co-occurs with]- "
            "Cough (user entity) -[DEFINITION_OF]-> Cough [C0010200]",
            "evidence_chunks": [pneumonia_chunk],
        }
    ]
    assert _records(explored, "concept-paths", from_id=PNEUMONIA, to_id=PNEUMONIA) == []


def test_document_queries_on_an_ingested_graph(explored: MedGraph) -> None:
    note = _doc_id(explored, "pneumonia.txt")
    entities = {r["entity"]: r for r in _records(explored, "document-entities", doc_id=note)}
    assert set(entities) == {"Amoxicillin", "Cough", "Fever", "Pneumonia"}
    assert entities["Pneumonia"]["concept_id"] == PNEUMONIA and entities["Pneumonia"]["concept_link"] == "ruler"
    assert entities["Pneumonia"]["tier"] == "user" and entities["Pneumonia"]["mentions"] == 1
    assert entities["Pneumonia"]["references"] == ["Pneumonia (reference, concept 1.0)"]
    assert entities["Amoxicillin"]["references"] == ["Amoxicillin (reference, concept 1.0)"]
    assert entities["Fever"]["references"] == [] and entities["Fever"]["same_as"] == []

    chunks = _records(explored, "document-chunks", doc_id=note)
    assert len(chunks) == 1 and chunks[0]["ord"] == 0 and chunks[0]["mentions"] == 4
    assert chunks[0]["text"].startswith("Productive cough and fever")
    assert "Pneumonia" in chunks[0]["tag_summary"]

    follow_up = _doc_id(explored, "follow-up.txt")
    negated = _records(explored, "findings-by-status", doc_id=follow_up)
    assert [(r["surface"], r["concept_id"]) for r in negated] == [("pneumonia", PNEUMONIA)]
    assert FOLLOW_UP[negated[0]["start"] : negated[0]["end"]] == "pneumonia"
    assert "No evidence of pneumonia" in negated[0]["context"]
    assert _records(explored, "findings-by-status", doc_id=note) == []
    [family] = _records(explored, "findings-by-status", doc_id=follow_up, status="family")
    assert (family["surface"], family["status"]) == ("pneumonia", "family")
    assert "Her mother had pneumonia" in family["context"]
    assert _records(explored, "findings-by-status", doc_id=follow_up, status="conditional") == []

    path = _records(explored, "tag-path", graph_id=chunks[0]["graph_id"])
    assert len(path) > 1 and path[0]["layer"] == 0 and "Pneumonia" in path[0]["summary"]
    assert [r["layer"] for r in path] == sorted({r["layer"] for r in path})
    assert path[-1]["size"] == 5  # the root covers every meta-graph
    assert _records(explored, "tag-path", graph_id="mg_unknown") == []


def test_graph_statistics_match_direct_counts(explored: MedGraph, driver: Driver) -> None:
    statistics = {(r["kind"], r["name"], r["tier"]): r["count"] for r in _records(explored, "graph-statistics")}
    assert statistics[("node", "Document", "user")] == 3
    assert statistics[("node", "Document", "reference")] == 2
    assert statistics[("node", "Concept", "vocabulary")] == 11
    assert statistics[("relationship", "IS_A", "vocabulary")] == 1
    assert statistics[("relationship", "CONCEPT_REL", "vocabulary")] == 1
    assert statistics[("relationship", "REFERENCE_OF", "user->reference")] >= 2
    for label in LABELS:
        records, _, _ = driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n")
        assert (
            sum(n for (kind, name, _), n in statistics.items() if (kind, name) == ("node", label)) == records[0]["n"]
        ), label
    for rel_type in RELATIONSHIP_TYPES:
        records, _, _ = driver.execute_query(f"MATCH ()-[r:{rel_type}]->() RETURN count(r) AS n")
        assert (
            sum(n for (kind, name, _), n in statistics.items() if (kind, name) == ("relationship", rel_type))
            == records[0]["n"]
        ), rel_type
    entities, _, _ = driver.execute_query(
        "MATCH (:Entity {tier: 'user'})-[r:DEFINITION_OF]->(:Concept) RETURN count(r) AS n"
    )
    assert statistics[("relationship", "DEFINITION_OF", "user->vocabulary")] == entities[0]["n"]


def test_service_settings_bound_time_and_rows(neo4j_settings: Settings, driver: Driver, embedder: Embedder) -> None:
    settings = neo4j_settings.replace(cypher={"max_rows": 2, "timeout_s": 1.0})
    with MedGraph(settings, embedder=embedder) as service:
        result = service.run_cypher("UNWIND range(1, $n) AS x RETURN x", {"n": 5})
        assert result.rows == [[1], [2]] and result.truncated
        with pytest.raises(CypherRefused, match="time limit of 1 s"):
            service.run_cypher("UNWIND range(1, 100000000) AS a UNWIND range(1, 100000000) AS b RETURN count(*)")
        with pytest.raises(NotFound, match="no saved query"):
            service.run_saved_query("nope", {})


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_cli_list_run_and_query(
    cli_env: None, service: MedGraph, clinical_vocabulary: None, corpus: Path, driver: Driver
) -> None:
    service.ingest([corpus / "notes"], tier="user")
    runner_ = CliRunner()
    listed = runner_.invoke(app, ["cypher", "list"])
    assert listed.exit_code == 0, listed.output
    for query in saved_queries():
        assert query.name in listed.output
    assert "concept_id (string)" in _flat(listed.output)

    ran = runner_.invoke(app, ["cypher", "run", "concept-documents", "--param", f"concept_id={PNEUMONIA}", "--json"])
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["columns"][:3] == ["doc_id", "tier", "title"] and result["truncated"] is False
    assert [Path(row[3]).name for row in result["rows"]] == ["pneumonia.txt"]

    table = runner_.invoke(app, ["cypher", "run", "concept-neighbourhood", "-p", f"concept_id={PNEUMONIA}"])
    assert table.exit_code == 0, table.output
    assert "CONCEPT_REL in" in _flat(table.output) and "Amoxicillin" in table.output
    assert "row(s) in" in table.output

    for arguments, message in [
        (["cypher", "run", "nope"], "no saved query 'nope'"),
        (["cypher", "run", "concept-documents"], "needs parameter concept_id"),
        (
            ["cypher", "run", "concept-documents", "-p", f"concept_id={PNEUMONIA}", "-p", "limit=many"],
            "parameter limit must be an integer, got 'many'",
        ),
        (["cypher", "run", "concept-documents", "-p", "concept_id"], "expected NAME=VALUE, got 'concept_id'"),
        (["cypher", "query", "MATCH (n) DETACH DELETE n"], "refused: the query writes to the graph (DetachDelete)"),
        (["cypher", "query", "MATCH (n RETURN n"], "Invalid input 'RETURN'"),
    ]:
        failed = runner_.invoke(app, arguments)
        assert failed.exit_code == 1, (arguments, failed.output)
        assert message in _flat(failed.output), (arguments, failed.output)
        assert "Traceback" not in failed.output

    queried = runner_.invoke(
        app,
        [
            "cypher",
            "query",
            "MATCH (c:Concept) WHERE c.concept_id IN $ids RETURN c.name AS name ORDER BY name",
            "-p",
            f'ids=["{PNEUMONIA}", "{FEVER}"]',
            "--json",
        ],
    )
    assert queried.exit_code == 0, queried.output
    assert json.loads(queried.stdout)["rows"] == [["Fever"], ["Pneumonia"]]
    typed = runner_.invoke(
        app, ["cypher", "query", "RETURN $n + 1 AS next, $word AS word", "-p", "n=41", "-p", "word=C0032285"]
    )
    assert typed.exit_code == 0, typed.output
    assert "42" in typed.output and "C0032285" in typed.output
    nodes, _, _ = driver.execute_query("MATCH (d:Document) RETURN count(d) AS n")
    assert nodes[0]["n"] == 2


def test_cli_shell_reads_queries_from_stdin(
    cli_env: None, service: MedGraph, clinical_vocabulary: None, driver: Driver, tmp_path: Path
) -> None:
    lines = [
        "MATCH (c:Concept) RETURN count(c) AS concepts",
        "CREATE (:Tag {tag_id: 'intruder'})",
        ":saved",
        f":run concept-neighbourhood concept_id={ACUTE_MI}",
        ":run concept-neighbourhood",
        ":run",
        ":nonsense",
        "",
        ":q",
        "MATCH (n) RETURN 'after quit' AS late",
    ]
    shell = CliRunner().invoke(app, ["cypher", "shell"], input="\n".join(lines) + "\n")
    assert shell.exit_code == 0, shell.output
    output = _flat(shell.output)
    assert "│ 11 │" in output  # the concept count
    assert "refused: the query writes to the graph (Create)" in output
    assert "tag-path" in output  # :saved
    assert "parent (IS_A)" in output and MI in output
    assert "concept-neighbourhood needs parameter concept_id" in output
    assert "usage: :run NAME" in output and "unknown command :nonsense" in output
    assert "after quit" not in output and "Traceback" not in output
    tags, _, _ = driver.execute_query("MATCH (t:Tag) RETURN count(t) AS n")
    assert tags[0]["n"] == 0
    assert (tmp_path / ".medgraph" / "cypher_history").is_file()

    ended = CliRunner().invoke(app, ["cypher", "shell"], input="MATCH (n) RETURN count(n) AS n\n")
    assert ended.exit_code == 0 and "cypher>" in ended.output
