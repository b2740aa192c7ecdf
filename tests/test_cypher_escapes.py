"""User-written Cypher on a real Neo4j: every way out of read-only exploration that a read key might
try (other clients' transactions and queries, server settings and administration, query planning,
writes hidden in subqueries or unions, files, parameters Neo4j or the driver choke on) is refused
with the graph and the server unchanged; what exploring needs (read clauses, the allowed
procedures, the saved queries, index queries) still runs; results are capped in rows and bytes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from bench import cypher_escapes
from bench.cypher_escapes import nested
from medgraphrag.api import create_app
from medgraphrag.core.errors import ConfigurationError, CypherRefused
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.graph import exploration
from medgraphrag.graph.exploration import ALLOWED_PROCEDURES, CypherResult
from medgraphrag.graph.saved_queries import saved_queries
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph

PNEUMONIA, AMOXICILLIN = "C0032285", "C0002645"
SECRET = "chunk text of another client's ingest in flight"
BIG_TEXT = "reduce(s = '', k IN range(1, 100) | s + 'abcdefghij')"  # 1,000 characters


ESCAPES = [pytest.param(e.query, e.parameters, e.reason, e.collection, id=e.name) for e in cypher_escapes.ESCAPES]


@pytest.fixture
def graph(service: MedGraph, driver: Driver, clinical_vocabulary: None) -> MedGraph:
    """The clinical vocabulary with two entities (with embeddings) linked to Pneumonia and each
    other, and a tag."""
    driver.execute_query(
        "MATCH (c:Concept {concept_id: $cui}) "
        "CREATE (e:Entity {entity_id: 'ent_1', name: 'Pneumonia', tier: 'user', embedding: $vector})"
        "-[:DEFINITION_OF {score: 1.0, method: 'ruler'}]->(c) "
        "CREATE (e)-[:RELATED {phrase: 'treated with', graph_id: 'mg_1', embedding: [1.0, 0.0, 0.0]}]->"
        "(:Entity {entity_id: 'ent_2', name: 'Amoxicillin', tier: 'user', embedding: $vector}) "
        "CREATE (:Tag {tag_id: 'tag_1', layer: 0})",
        cui=PNEUMONIA,
        vector=[0.5] * 384,
        database_=service.database,
    )
    return service


@pytest.fixture
def in_flight(driver: Driver, neo4j_settings: Settings) -> Iterator[str]:
    """Another client's open transaction, its query holding a secret parameter."""
    with driver.session(database=neo4j_settings.neo4j.database) as session:
        transaction = session.begin_transaction(metadata={"app": "ingest"})
        transaction.run("MATCH (c:Chunk) WHERE c.text = $text RETURN count(c)", text=SECRET).consume()
        yield SECRET
        transaction.rollback()


def _state(driver: Driver, database: str) -> dict[str, object]:
    """What a refused attempt could have changed: nodes and their properties, relationships, labels,
    types and keys in use, indexes, constraints, users, query collection."""

    def read(query: str, db: str = database) -> list[dict[str, object]]:
        return [record.data() for record in driver.execute_query(query, database_=db)[0]]

    return {
        "nodes": read(
            "MATCH (n) RETURN labels(n) AS labels, [k IN keys(n) WHERE k <> 'embedding' | [k, n[k]]] AS props "
            "ORDER BY elementId(n)"
        ),
        "relationships": read("MATCH ()-[r]->() RETURN type(r) AS type, properties(r) AS props ORDER BY elementId(r)"),
        "tokens": read(
            "CALL db.labels() YIELD label WITH collect(label) AS labels "
            "CALL db.relationshipTypes() YIELD relationshipType WITH labels, collect(relationshipType) AS types "
            "CALL db.propertyKeys() YIELD propertyKey RETURN labels, types, collect(propertyKey) AS keys"
        ),
        "indexes": read("SHOW INDEXES YIELD name, state RETURN name, state ORDER BY name"),
        "constraints": read("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name"),
        "users": read("SHOW USERS YIELD user RETURN user ORDER BY user", "system"),
        "collection": read("CALL db.stats.status() YIELD section, status RETURN section, status ORDER BY section"),
    }


@pytest.mark.parametrize(("query", "parameters", "reason", "collection"), ESCAPES)
def test_each_escape_is_refused_and_changes_nothing(
    graph: MedGraph,
    driver: Driver,
    in_flight: str,
    query: str,
    parameters: dict[str, object] | None,
    reason: str | None,
    collection: str,
) -> None:
    database = graph.database
    # Neo4j 5 collects queries from its start; the test sets the state the attempt would change.
    was = _collection(driver, database)
    _collect(driver, database, collection)
    try:
        before = _state(driver, database)
        with pytest.raises(CypherRefused) as refused:
            graph.run_cypher(query, parameters)
        message = str(refused.value)
        if reason is not None:
            assert message.startswith("refused: "), message
            assert reason in message, message
        assert in_flight not in message and "\n" not in message
        assert _state(driver, database) == before
        assert _collection(driver, database) == collection
        if collection == "collecting":
            collected, _, _ = driver.execute_query("CALL db.stats.retrieve('QUERIES')", database_=database)
            assert collected, "the collected queries were cleared"
    finally:
        _collect(driver, database, was)


def _collection(driver: Driver, database: str) -> str:
    records, _, _ = driver.execute_query("CALL db.stats.status() YIELD section, status", database_=database)
    return next(str(r["status"]) for r in records if r["section"] == "QUERIES")


def _collect(driver: Driver, database: str, state: str) -> None:
    if _collection(driver, database) != state:
        procedure = "db.stats.collect" if state == "collecting" else "db.stats.stop"
        driver.execute_query(f"CALL {procedure}('QUERIES')", database_=database)


def test_the_table_covers_every_kind_of_escape() -> None:
    assert len(ESCAPES) >= 25
    ids = [param.id for param in ESCAPES]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))


def test_a_function_from_a_plugin_is_refused_however_it_is_written(
    graph: MedGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test Neo4j has no plugins; APOC's would run a query of the caller's choice.
    driver = graph.store.connection.driver
    monkeypatch.setitem(exploration._plugin_functions, driver, frozenset({"apoc.cypher.runfirstcolumnsingle"}))
    for query in [
        "RETURN apoc.cypher.runFirstColumnSingle('SHOW TRANSACTIONS YIELD parameters RETURN parameters', {}) AS x",
        "RETURN `apoc` . /* hidden */ `cypher`.`runFirstColumnSingle`('CALL db.stats.retrieve(\"QUERIES\")', {})",
        "RETURN 'http://a // b', `\\u0061poc`.cypher.runFirstColumnSingle('SHOW SETTINGS', {}) // not a comment before",
    ]:
        with pytest.raises(CypherRefused, match=r"function apoc\.cypher\.runfirstcolumnsingle comes from a plugin"):
            graph.run_cypher(query)
    assert graph.run_cypher("RETURN toUpper('apoc') AS x").rows == [["APOC"]]


def test_a_plan_on_another_database_or_with_an_unknown_operator_is_refused() -> None:
    def plan(operator: str) -> dict[str, object]:
        return {"operatorType": "ProduceResults@neo4j", "children": [{"operatorType": operator}]}

    with pytest.raises(CypherRefused, match="runs on database 'other'; only 'neo4j' is explored here"):
        exploration._check_plan("neo4j", "r", plan("AllNodesScan@other"))
    # An operator of a later Neo4j is refused until someone decides it only reads.
    with pytest.raises(CypherRefused, match=r"plans ShowCurrentGraphType, which reading the graph does not need"):
        exploration._check_plan("neo4j", "r", plan("ShowCurrentGraphType@neo4j"))
    exploration._check_plan("neo4j", "r", plan("Expand(All)@neo4j"))


@pytest.fixture
def relationship_indexes(graph: MedGraph, driver: Driver) -> Iterator[MedGraph]:
    """A fulltext and a vector index on RELATED, dropped afterwards."""
    database = graph.database
    driver.execute_query(
        "CREATE FULLTEXT INDEX escapes_related_text IF NOT EXISTS FOR ()-[r:RELATED]-() ON EACH [r.phrase]",
        database_=database,
    )
    driver.execute_query(
        "CREATE VECTOR INDEX escapes_related_vector IF NOT EXISTS FOR ()-[r:RELATED]-() ON (r.embedding) "
        "OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'cosine'}}",
        database_=database,
    )
    driver.execute_query("CALL db.awaitIndexes(120)", database_=database)
    yield graph
    for name in ("escapes_related_text", "escapes_related_vector"):
        driver.execute_query(f"DROP INDEX {name} IF EXISTS", database_=database)


def _column(result: CypherResult, name: str) -> list[object]:
    return [row[result.columns.index(name)] for row in result.rows]


ALLOWED_CALLS = [
    ("db.labels", "CALL db.labels() YIELD label RETURN label", "label", "Entity"),
    ("db.relationshipTypes", "CALL db.relationshipTypes()", "relationshipType", "DEFINITION_OF"),
    ("db.propertyKeys", "CALL db.propertyKeys()", "propertyKey", "entity_id"),
    (
        "db.schema.visualization",
        "CALL db.schema.visualization() YIELD nodes RETURN size(nodes) > 0 AS any",
        "any",
        True,
    ),
    (
        "db.schema.nodeTypeProperties",
        "CALL db.schema.nodeTypeProperties() YIELD nodeType, propertyName RETURN nodeType + '.' + propertyName AS p",
        "p",
        ":`Entity`.entity_id",
    ),
    (
        "db.schema.relTypeProperties",
        "CALL db.schema.relTypeProperties() YIELD relType, propertyName RETURN relType + '.' + propertyName AS p",
        "p",
        ":`RELATED`.phrase",
    ),
    (
        "db.index.fulltext.queryNodes",
        "CALL db.index.fulltext.queryNodes('entity_name', 'pneumonia') YIELD node RETURN node.entity_id AS id",
        "id",
        "ent_1",
    ),
    (
        "db.index.fulltext.queryRelationships",
        "CALL db.index.fulltext.queryRelationships('escapes_related_text', 'treated') YIELD relationship "
        "RETURN relationship.graph_id AS graph",
        "graph",
        "mg_1",
    ),
    (
        "db.index.vector.queryNodes",
        "CALL db.index.vector.queryNodes('entity_embedding', 2, $vector) YIELD node RETURN node.entity_id AS id",
        "id",
        "ent_1",
    ),
    (
        "db.index.vector.queryRelationships",
        "CALL db.index.vector.queryRelationships('escapes_related_vector', 1, [1.0, 0.1, 0.0]) YIELD relationship "
        "RETURN relationship.graph_id AS graph",
        "graph",
        "mg_1",
    ),
]


@pytest.mark.parametrize(("procedure", "query", "column", "expected"), ALLOWED_CALLS, ids=[c[0] for c in ALLOWED_CALLS])
def test_each_allowed_procedure_runs(
    relationship_indexes: MedGraph, procedure: str, query: str, column: str, expected: object
) -> None:
    assert procedure in ALLOWED_PROCEDURES
    result = relationship_indexes.run_cypher(query, {"vector": [0.5] * 384})
    assert expected in _column(result, column), result.rows


def test_the_allow_list_is_what_the_table_of_allowed_calls_tries() -> None:
    assert {c[0] for c in ALLOWED_CALLS} == set(ALLOWED_PROCEDURES)


def test_read_clauses_run(graph: MedGraph) -> None:
    reads = {
        "MATCH (c:Concept {concept_id: $id}) RETURN c.name AS name": [["Pneumonia"]],
        "MATCH (n:Concept|Entity) WHERE n.name = 'Pneumonia' RETURN count(n) AS n": [[2]],
        "MATCH (e:Entity)-[:DEFINITION_OF]->(c) OPTIONAL MATCH (c)-[:IS_A]->(p) RETURN e.name, p": [
            ["Pneumonia", None]
        ],
        "MATCH (c:Concept) WHERE EXISTS { (c)<-[:DEFINITION_OF]-() } RETURN c.concept_id AS id": [[PNEUMONIA]],
        "MATCH (e:Entity) RETURN e.name AS name, COUNT { (e)--() } AS degree, "
        "COLLECT { MATCH (e)-[:RELATED]->(o) RETURN o.name } AS related ORDER BY name": [
            ["Amoxicillin", 1, []],
            ["Pneumonia", 2, ["Amoxicillin"]],
        ],
        "MATCH (e:Entity) RETURN [(e)-[:RELATED]->(o) | o.name] AS related ORDER BY size(related) DESC LIMIT 1": [
            [["Amoxicillin"]]
        ],
        "MATCH (t:Tag) RETURN t.tag_id AS id UNION MATCH (e:Entity) RETURN e.entity_id AS id": [
            ["tag_1"],
            ["ent_1"],
            ["ent_2"],
        ],
        "MATCH (e:Entity {entity_id: 'ent_1'}) CALL (e) { MATCH (e)-[r]->() RETURN count(r) AS out } RETURN out": [[2]],
        "MATCH p = shortestPath((:Entity {entity_id: 'ent_2'})-[*..4]-(:Concept {concept_id: $id})) "
        "RETURN length(p) AS hops": [[2]],
        "MATCH (:Entity {entity_id: 'ent_2'}) (()-[]-()){1,2} (c:Concept) RETURN DISTINCT c.concept_id AS id": [
            [PNEUMONIA]
        ],
        "UNWIND range(1, 5) AS x WITH x WHERE x % 2 = 1 RETURN collect(x) AS odd": [[[1, 3, 5]]],
        "SHOW INDEXES YIELD name WHERE name = 'entity_id' RETURN name": [["entity_id"]],
        "SHOW CONSTRAINTS YIELD name WHERE name = 'entity_id' RETURN name": [["entity_id"]],
        "RETURN 0.0 / 0.0 AS nan, 1.0 / 0.0 AS inf, -1.0 / 0.0 AS minus": [["NaN", "Infinity", "-Infinity"]],
    }
    for query, rows in reads.items():
        result = graph.run_cypher(query, {"id": PNEUMONIA})
        assert result.rows == rows or sorted(result.rows) == sorted(rows), (query, result.rows)
        json.dumps(result.rows, allow_nan=False)


def test_every_saved_query_runs(graph: MedGraph) -> None:
    arguments = {"concept_id": PNEUMONIA, "from_id": PNEUMONIA, "to_id": AMOXICILLIN, "doc_id": "d", "graph_id": "g"}
    for query in saved_queries():
        required = {p.name: arguments[p.name] for p in query.parameters if p.required}
        assert isinstance(graph.run_saved_query(query.name, required), CypherResult), query.name
    entities = graph.run_saved_query("concept-neighbourhood", {"concept_id": PNEUMONIA})
    assert ["entity (DEFINITION_OF)", "user", "ent_1"] in [row[:3] for row in entities.rows]


def test_parameters_within_bounds_pass(graph: MedGraph) -> None:
    values = {
        "edge": [-(2**63), 2**63 - 1],
        "deep": nested(32),
        "vector": [0.25] * 4096,
        "map": {"a b": [1, 2.5, True, None, "x"], "nested": {"k": [b"\x00\x01"]}},
    }
    result = graph.run_cypher(
        "RETURN $edge AS edge, size($deep) AS deep, size($vector) AS vector, $map.`a b` AS list", values
    )
    assert result.rows == [[[-(2**63), 2**63 - 1], 1, 4096, [1, 2.5, True, None, "x"]]]


def test_a_result_nested_too_deep_for_json_is_refused_not_crashed(graph: MedGraph) -> None:
    with pytest.raises(CypherRefused, match="nests lists or maps deeper than 64 levels"):
        graph.run_cypher("RETURN reduce(acc = [], i IN range(1, 2000) | [acc]) AS deep")
    assert len(json.dumps(graph.run_cypher("RETURN reduce(acc = [], i IN range(1, 60) | [acc]) AS d").rows)) > 60


def _body_size(result: CypherResult) -> int:
    return len(json.dumps(result.model_dump(), ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _capped(neo4j_settings: Settings, embedder: Embedder, **cypher: object) -> MedGraph:
    return MedGraph(neo4j_settings.replace(cypher=cypher), embedder=embedder)


def test_the_byte_cap_truncates_as_rows_arrive(neo4j_settings: Settings, driver: Driver, embedder: Embedder) -> None:
    with _capped(neo4j_settings, embedder, max_bytes=4096, max_rows=1000) as service:
        result = service.run_cypher(f"UNWIND range(1, 1000) AS i RETURN i, {BIG_TEXT} AS text")
        assert result.truncated and 1 <= len(result.rows) < 5 and _body_size(result) <= 4096
        assert [row[0] for row in result.rows] == list(range(1, len(result.rows) + 1))
        # Far more rows than the cap lets through: fetching stops at the cap.
        started = time.perf_counter()
        endless = service.run_cypher(f"UNWIND range(1, 100000000) AS i RETURN i, {BIG_TEXT} AS text")
        assert endless.truncated and _body_size(endless) <= 4096 and time.perf_counter() - started < 30
        # A first row bigger than the cap: nothing of it comes back.
        whole = service.run_cypher("RETURN reduce(s = '', k IN range(1, 1000) | s + 'abcdefghij') AS text")
        assert whole.rows == [] and whole.truncated
        small = service.run_cypher("UNWIND range(1, 10) AS i RETURN i")
        assert len(small.rows) == 10 and not small.truncated


def test_the_row_cap_still_cuts_under_the_byte_cap(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder
) -> None:
    with _capped(neo4j_settings, embedder, max_rows=3, max_bytes=10_000_000) as service:
        result = service.run_cypher("UNWIND range(1, 1000000) AS i RETURN i")
        assert result.rows == [[1], [2], [3]] and result.truncated
        exact = service.run_cypher("UNWIND range(1, 3) AS i RETURN i")
        assert exact.rows == [[1], [2], [3]] and not exact.truncated


def test_the_byte_cap_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(env_file=None).cypher.max_bytes == 10 * 1024 * 1024
    monkeypatch.setenv("MEDGRAPH_CYPHER_MAX_BYTES", "2048")
    assert load_settings(env_file=None).cypher.max_bytes == 2048
    monkeypatch.setenv("MEDGRAPH_CYPHER_MAX_BYTES", "1000")
    with pytest.raises(ConfigurationError, match="MEDGRAPH_CYPHER_MAX_BYTES"):
        load_settings(env_file=None)


def test_the_api_answers_400_for_escapes_and_caps_the_body(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, clinical_vocabulary: None
) -> None:
    service = _capped(neo4j_settings, embedder, max_bytes=4096)
    with TestClient(create_app(service=service)) as client:
        for body, message in [
            ({"query": "SHOW TRANSACTIONS YIELD *"}, "SHOW TRANSACTIONS"),
            ({"query": "CALL db.stats.retrieve('QUERIES')"}, "procedure db.stats.retrieve"),
            ({"query": "RETURN $n AS n", "parameters": {"n": 10**30}}, "parameter $n is an integer"),
            ({"query": "RETURN $d AS d", "parameters": {"d": nested(40)}}, "parameter $d nests"),
            ({"query": "RETURN reduce(acc = [], i IN range(1, 500) | [acc]) AS deep"}, "deeper than 64 levels"),
        ]:
            response = client.post("/v1/cypher", json=body)
            assert response.status_code == 400, response.text
            assert message in response.json()["error"]["message"]
        capped = client.post("/v1/cypher", json={"query": f"UNWIND range(1, 1000) AS i RETURN i, {BIG_TEXT} AS t"})
        assert capped.status_code == 200 and capped.json()["truncated"] is True
        assert len(capped.content) <= 4096
        special = client.post("/v1/cypher", json={"query": "RETURN 0.0 / 0.0 AS nan"})
        assert special.status_code == 200 and special.json()["rows"] == [["NaN"]]
