"""Every way out of read-only Cypher exploration a read key was seen to try, or might: other
clients' transactions and queries, server settings and administration, query planning, writes
hidden in subqueries or unions, files, parameters Neo4j or the driver choke on. The suite
(tests/test_cypher_escapes.py) and `bench.robustness` both run this table."""

from __future__ import annotations

from dataclasses import dataclass


def nested(levels: int) -> list[object]:
    """An empty list inside lists, `levels` deep."""
    value: list[object] = []
    for _ in range(levels - 1):
        value = [value]
    return value


@dataclass(frozen=True)
class Escape:
    """An attempt to get out of read-only exploration: its name, the query and parameters, what the
    refusal must say (None: Neo4j's own refusal), and whether query collection is `idle` or
    `collecting` while it is tried."""

    name: str
    query: str
    reason: str | None
    parameters: dict[str, object] | None = None
    collection: str = "idle"


def escape(
    name: str,
    query: str,
    reason: str | None,
    parameters: dict[str, object] | None = None,
    *,
    collection: str = "idle",
) -> Escape:
    """A row of the table."""
    return Escape(name, query, reason, parameters, collection)


ESCAPES = [
    # Other clients' work and the server's configuration
    escape("show-transactions", "SHOW TRANSACTIONS YIELD *", "SHOW TRANSACTIONS shows other clients'"),
    escape(
        "show-transactions-parameters",
        "SHOW TRANSACTIONS YIELD currentQuery, parameters WHERE currentQuery CONTAINS 'Chunk' RETURN parameters",
        "SHOW TRANSACTIONS shows other clients'",
    ),
    escape("terminate-transactions", "TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE TRANSACTIONS"),
    escape("show-settings", "SHOW SETTINGS", "SHOW SETTINGS shows the server's configuration"),
    escape(
        "show-settings-paths",
        "SHOW SETTINGS YIELD name, value WHERE name STARTS WITH 'server.' RETURN name, value",
        "SHOW SETTINGS",
    ),
    escape("show-procedures", "SHOW PROCEDURES YIELD name, mode", "SHOW PROCEDURES lists the server's procedures"),
    escape("show-functions", "SHOW FUNCTIONS", "SHOW FUNCTIONS lists the server's functions"),
    escape("show-databases", "SHOW DATABASES", "administration commands"),
    escape("show-users", "SHOW USERS", "administration commands"),
    escape("show-current-user", "SHOW CURRENT USER", "administration commands"),
    escape("show-servers", "SHOW SERVERS", "administration commands"),
    escape("show-roles", "SHOW ROLES", "administration commands"),
    escape("create-user", "CREATE USER mallory SET PASSWORD 'mallory-password'", "administration commands"),
    escape("use-system", "USE system MATCH (n) RETURN n", None),
    escape("use-system-show-users", "USE system SHOW USERS", None),
    # Query statistics: every client's queries with their parameters
    escape(
        "stats-retrieve",
        "CALL db.stats.retrieve('QUERIES')",
        "procedure db.stats.retrieve collects",
        collection="collecting",
    ),
    escape(
        "stats-retrieve-anonymized", "CALL db.stats.retrieveAllAnonymized('graph')", "procedure db.stats.retrieveAll"
    ),
    escape("stats-status", "CALL db.stats.status()", "procedure db.stats.status", collection="collecting"),
    escape("stats-collect", "CALL db.stats.collect('QUERIES')", "procedure db.stats.collect"),
    escape("stats-stop", "CALL db.stats.stop('QUERIES')", "procedure db.stats.stop", collection="collecting"),
    escape("stats-clear", "CALL db.stats.clear('QUERIES')", "procedure db.stats.clear", collection="collecting"),
    escape(
        "stats-after-union",
        "MATCH (c:Concept) RETURN c.name AS x "
        "UNION CALL db.stats.retrieve('QUERIES') YIELD section RETURN section AS x",
        "procedure db.stats.retrieve",
    ),
    # Query planning and indexes of every client
    escape("prepare-for-replanning", "CALL db.prepareForReplanning()", "disturbs the query planning"),
    escape(
        "prepare-for-replanning-in-subquery", "CALL () { CALL db.prepareForReplanning() }", "db.prepareForReplanning"
    ),
    escape("resample-outdated-indexes", "CALL db.resampleOutdatedIndexes()", "disturbs the query planning"),
    escape("resample-index", "CALL db.resampleIndex('entity_id')", "disturbs the query planning"),
    escape("clear-query-caches", "CALL db.clearQueryCaches()", "disturbs the query planning"),
    escape("await-indexes", "CALL db.awaitIndexes(300)", "waits on the server's indexes"),
    escape("db-info", "CALL db.info()", "is not needed to explore the graph"),
    # The server
    escape("dbms-list-config", "CALL dbms.listConfig()", "procedure dbms.listConfig administers the server"),
    escape("dbms-list-connections", "CALL dbms.listConnections()", "administers the server"),
    escape("dbms-kill-connections", "CALL dbms.killConnections(['bolt-1'])", "administers the server"),
    escape("dbms-components", "CALL dbms.components()", "administers the server"),
    escape("tx-set-metadata", "CALL tx.setMetaData({app: 'intruder'})", "transaction metadata"),
    # Writes, by procedure or hidden in subqueries, unions, FOREACH
    escape("create-label", "CALL db.createLabel('Intruder')", "procedure db.createLabel writes to the graph"),
    escape("create-relationship-type", "CALL db.createRelationshipType('INTRUDES')", "writes to the graph"),
    escape(
        "set-vector-property",
        "MATCH (e:Entity) CALL db.create.setNodeVectorProperty(e, 'embedding', [1.0, 2.0]) RETURN e",
        "writes to the graph",
    ),
    escape(
        "create-vector-index",
        "CALL db.index.vector.createNodeIndex('intruder', 'Entity', 'name', 3, 'cosine')",
        "changes the schema",
    ),
    escape(
        "call-in-transactions-write",
        "UNWIND range(1, 3) AS x CALL (x) { CREATE (:Tag {tag_id: 'intruder' + x}) } IN TRANSACTIONS OF 1 ROW",
        "IN TRANSACTIONS commits batches of its own",
    ),
    escape(
        "call-in-transactions-read",
        "UNWIND range(1, 3) AS x CALL (x) { RETURN x * 2 AS y } IN TRANSACTIONS RETURN y",
        "IN TRANSACTIONS",
    ),
    escape("load-csv", "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV reads files"),
    escape(
        "load-csv-in-subquery",
        "CALL () { LOAD CSV FROM 'https://example.org/x.csv' AS row RETURN row } RETURN row",
        "LOAD CSV",
    ),
    escape("foreach-create", "FOREACH (x IN [1, 2] | CREATE (:Tag {tag_id: 'intruder'}))", "(Foreach)"),
    escape("foreach-set", "MATCH (e:Entity) FOREACH (x IN [1] | SET e.name = 'changed')", "(Foreach)"),
    escape(
        "create-in-subquery",
        "MATCH (e:Entity) CALL (e) { CREATE (e)-[:RELATED]->(:Entity {entity_id: 'intruder'}) } RETURN count(*)",
        "reads and writes the graph",
    ),
    escape(
        "merge-in-subquery",
        "MATCH (e:Entity) CALL (e) { MERGE (t:Tag {tag_id: 'intruder'}) RETURN t } RETURN t",
        "reads and writes the graph",
    ),
    escape(
        "set-after-union",
        "MATCH (t:Tag) RETURN t.tag_id AS id UNION MATCH (e:Entity) SET e.name = 'changed' RETURN e.entity_id AS id",
        "reads and writes the graph (SetProperty)",
    ),
    escape(
        "delete-after-union",
        "MATCH (c:Concept) RETURN c.name AS x UNION MATCH (t:Tag) DETACH DELETE t RETURN 'gone' AS x",
        "(DetachDelete)",
    ),
    escape(
        "create-before-union",
        "CREATE (:Tag {tag_id: 'intruder'}) RETURN 1 AS x UNION MATCH (n) RETURN 1 AS x",
        "(Create)",
    ),
    escape("dynamic-label", "MATCH (e:Entity) SET e:$('Intruder')", "(SetLabels)"),
    escape("remove-property", "MATCH (e:Entity) REMOVE e.name", "writes to the graph"),
    escape("create-index", "CREATE INDEX entity_type FOR (n:Entity) ON (n.type)", "changes the schema"),
    escape("drop-index", "DROP INDEX entity_id", "changes the schema"),
    # Parameters the driver or Neo4j choke on
    escape("int-10e30", "RETURN $n AS n", "parameter $n is an integer of 100 bits", {"n": 10**30}),
    escape("int-past-64-bits", "RETURN $n AS n", "outside the signed 64-bit range", {"n": 2**63}),
    escape(
        "int-deep-in-a-map",
        "RETURN $filter AS f",
        "parameter $filter.range[1] is an integer",
        {"filter": {"range": [0, -(2**64)]}},
    ),
    escape(
        "nested-33", "RETURN $deep AS d", "parameter $deep nests lists or maps deeper than 32", {"deep": nested(33)}
    ),
    escape("nested-1000", "RETURN $deep AS d", "nests lists or maps deeper", {"deep": nested(1000)}),
    escape(
        "huge-string", "RETURN size($text) AS n", "parameter $text takes the parameters past", {"text": "x" * 5_000_000}
    ),
    escape("many-values", "RETURN size($ids) AS n", "past 100,000 values", {"ids": list(range(200_000))}),
    escape("set-value", "RETURN $s AS s", "parameter $s is of type set", {"s": {1, 2}}),
    escape("object-value", "RETURN $o AS o", "is of type object, which Neo4j cannot take", {"o": object()}),
    escape("integer-map-key", "RETURN $m AS m", "has the key 1; Neo4j map keys are strings", {"m": {1: "one"}}),
    escape("lone-surrogate", "RETURN $t AS t", "not valid Unicode", {"t": "\ud800"}),
]
