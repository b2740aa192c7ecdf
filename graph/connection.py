"""Opening a Neo4j driver from settings, with errors that say what to do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from neo4j import READ_ACCESS, Driver, GraphDatabase, Record
from neo4j.exceptions import AuthError, ServiceUnavailable

from medgraphrag.settings import Settings


class GraphUnavailable(RuntimeError):
    """Neo4j cannot be reached or refuses the configured credentials."""


def open_driver(settings: Settings, *, connection_timeout_s: float = 10.0) -> Driver:
    """A connected driver for NEO4J_URI; raises `GraphUnavailable` with a remedy if none answers."""
    driver = GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_username, settings.neo4j_password.get_secret_value()),
        connection_timeout=connection_timeout_s,
        max_transaction_retry_time=15.0,
        # Schema-less reads of not-yet-written properties are normal here, not worth a warning.
        notifications_min_severity="OFF",
    )
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        driver.close()
        raise GraphUnavailable(
            f"Neo4j at {settings.neo4j_uri} refused user {settings.neo4j_username!r}: "
            "check NEO4J_USERNAME and NEO4J_PASSWORD"
        ) from exc
    except (ServiceUnavailable, OSError) as exc:
        driver.close()
        raise GraphUnavailable(
            f"no Neo4j answers at {settings.neo4j_uri} (NEO4J_URI): start one with `medgraph db up`"
        ) from exc
    return driver


def answers(settings: Settings, *, timeout_s: float = 3.0) -> bool:
    """True when a Neo4j server accepts the configured credentials at NEO4J_URI."""
    try:
        open_driver(settings, connection_timeout_s=timeout_s).close()
    except GraphUnavailable:
        return False
    return True


class QueryVector(list[float]):
    """An embedding as a query parameter: a list of floats whose repr is short."""

    # The driver formats every parameter for its debug log line even when debug logging is off;
    # the repr of 384 floats, for each of a retrieval's queries, costs more than running them.
    def __repr__(self) -> str:
        return f"<vector of {len(self)} floats>"


def query_vector(values: Iterable[float]) -> QueryVector:
    """`values` as a vector parameter for Cypher (plain floats, short repr)."""
    return values if isinstance(values, QueryVector) else QueryVector(float(x) for x in values)


def read(driver: Driver, database: str, query: str, /, **parameters: Any) -> list[Record]:
    """The records of a read-only query, run as one auto-commit READ transaction."""
    # Auto-commit spares the BEGIN and COMMIT round trips of a managed transaction: retrieval runs
    # about ten short reads per question, and under load those round trips are CPU it does not have.
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        return list(session.run(query, parameters))  # type: ignore[arg-type]
