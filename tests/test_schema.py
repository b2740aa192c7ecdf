import pytest
from neo4j import Driver

from medgraphrag.core.errors import SchemaConflict
from medgraphrag.core.settings import Settings
from medgraphrag.graph.connection import Connection
from medgraphrag.graph.schema import apply_schema, indexes


def _connection(driver: Driver, settings: Settings) -> Connection:
    return Connection(driver, settings.neo4j.database)


def test_schema_applies_idempotently_and_comes_online(driver: Driver, neo4j_settings: Settings) -> None:
    connection = _connection(driver, neo4j_settings)
    apply_schema(connection, 384)
    first = indexes(connection)
    apply_schema(connection, 384)
    second = indexes(connection)
    assert first == second
    assert all(index.state == "ONLINE" for index in second)
    by_name = {index.name: index for index in second}
    for name in ("document_id", "chunk_id", "metagraph_id", "entity_id", "concept_id", "tag_id"):
        assert by_name[name].type == "RANGE"
    for name in ("chunk_embedding", "entity_embedding", "tag_embedding"):
        assert by_name[name].type == "VECTOR"
    assert by_name["concept_names"].type == "FULLTEXT"
    assert by_name["concept_names"].properties == ["name_keys"]
    assert by_name["chunk_search"].labelsOrTypes == ["Chunk"]


def test_the_two_concept_indexes_of_earlier_releases_are_replaced(driver: Driver, neo4j_settings: Settings) -> None:
    connection = _connection(driver, neo4j_settings)
    database = neo4j_settings.neo4j.database
    apply_schema(connection, 384)
    driver.execute_query("DROP INDEX concept_names", database_=database)
    driver.execute_query(
        "CREATE FULLTEXT INDEX concept_name FOR (n:Concept) ON EACH [n.name, n.synonyms]", database_=database
    )
    driver.execute_query(
        "CREATE FULLTEXT INDEX concept_keys FOR (n:Concept) ON EACH [n.norm_names, n.name_bags] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword'}}",
        database_=database,
    )

    apply_schema(connection, 384)

    names = {index.name for index in indexes(connection)}
    assert "concept_names" in names and not names & {"concept_name", "concept_keys"}


def test_uniqueness_is_enforced(driver: Driver, neo4j_settings: Settings) -> None:
    apply_schema(_connection(driver, neo4j_settings), 384)
    driver.execute_query("CREATE (:Concept {concept_id: 'C0027051'})", database_=neo4j_settings.neo4j.database)
    with pytest.raises(Exception, match="already exists"):
        driver.execute_query("CREATE (:Concept {concept_id: 'C0027051'})", database_=neo4j_settings.neo4j.database)


def test_other_embedding_dimension_is_refused(driver: Driver, neo4j_settings: Settings) -> None:
    connection = _connection(driver, neo4j_settings)
    apply_schema(connection, 384)
    with pytest.raises(SchemaConflict, match="384-dimensional"):
        apply_schema(connection, 768)


def test_vectors_of_another_embedding_model_are_refused(driver: Driver, neo4j_settings: Settings) -> None:
    connection = _connection(driver, neo4j_settings)
    database = neo4j_settings.neo4j.database
    # Nothing embedded yet: the model may change freely, and the last one is recorded.
    apply_schema(connection, 384, model="all-MiniLM-L6-v2")
    apply_schema(connection, 384, model="bge-small-en-v1.5-q")
    driver.execute_query("CREATE (:Chunk {chunk_id: 'c1', embedding: [1.0, 0.0]})", database_=database)
    apply_schema(connection, 384, model="bge-small-en-v1.5-q")
    with pytest.raises(SchemaConflict, match=r"model bge-small-en-v1\.5-q but MEDGRAPH_EMBEDDING_MODEL"):
        apply_schema(connection, 384, model="all-MiniLM-L6-v2")
    driver.execute_query("MATCH (c:Chunk) DETACH DELETE c", database_=database)
    apply_schema(connection, 384, model="all-MiniLM-L6-v2")


def test_vectors_stored_before_models_were_recorded_are_all_minilm(driver: Driver, neo4j_settings: Settings) -> None:
    connection = _connection(driver, neo4j_settings)
    database = neo4j_settings.neo4j.database
    apply_schema(connection, 384)
    driver.execute_query("CREATE (:Tag {tag_id: 't1', embedding: [1.0, 0.0]})", database_=database)
    with pytest.raises(SchemaConflict, match=r"set MEDGRAPH_EMBEDDING_MODEL=all-MiniLM-L6-v2"):
        apply_schema(connection, 384, model="bge-small-en-v1.5")
    apply_schema(connection, 384, model="all-MiniLM-L6-v2")
