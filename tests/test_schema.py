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
