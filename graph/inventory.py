"""What the graph holds: server version and node counts by label."""

from __future__ import annotations

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.model import LABELS


def server_version(driver: Driver, database: str) -> tuple[str, str]:
    """The Neo4j kernel version and edition."""
    records, _, _ = driver.execute_query(cypher.load("server_version"), database_=database, routing_="r")
    return str(records[0]["version"]), str(records[0]["edition"])


def label_counts(driver: Driver, database: str) -> dict[str, int]:
    """Nodes per label of the fixed label set (from Neo4j's count store, not a scan)."""
    counts = {}
    for label in LABELS:
        records, _, _ = driver.execute_query(cypher.load("label_count"), label=label, database_=database, routing_="r")
        counts[label] = int(records[0]["count"])
    return counts
