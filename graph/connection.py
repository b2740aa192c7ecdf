"""The one way medgraphrag talks to Neo4j: a driver and a database, queries named by their file.

Reads run as auto-commit READ transactions (retrieval runs about ten short reads per question, and
under load the BEGIN and COMMIT round trips of a managed transaction are CPU it does not have);
single writes as managed transactions that the driver retries on transient errors; multi-statement
writes through `transaction`, all or nothing. The driver's own errors for an unreachable or
refusing server become `GraphUnavailable`, with a remedy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from neo4j import READ_ACCESS, Driver, GraphDatabase, ManagedTransaction, Record
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from medgraphrag import cypher
from medgraphrag.core.errors import GraphUnavailable
from medgraphrag.core.settings import Neo4jSettings

T = TypeVar("T")


class QueryVector(list[float]):
    """An embedding as a query parameter: a list of floats whose repr is short."""

    # The driver formats every parameter for its debug log line even when debug logging is off;
    # the repr of 384 floats, for each of a retrieval's queries, costs more than running them.
    def __repr__(self) -> str:
        return f"<vector of {len(self)} floats>"


def query_vector(values: Iterable[float]) -> QueryVector:
    """`values` as a vector parameter for Cypher (plain floats, short repr)."""
    return values if isinstance(values, QueryVector) else QueryVector(float(x) for x in values)


def open_driver(settings: Neo4jSettings, *, connection_timeout_s: float = 10.0) -> Driver:
    """A connected driver for NEO4J_URI; raises `GraphUnavailable` with a remedy if none answers."""
    driver = GraphDatabase.driver(
        settings.uri,
        auth=(settings.username, settings.password.get_secret_value()),
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
            f"Neo4j at {settings.uri} refused user {settings.username!r}: check NEO4J_USERNAME and NEO4J_PASSWORD"
        ) from exc
    except (ServiceUnavailable, OSError) as exc:
        driver.close()
        raise GraphUnavailable(
            f"no Neo4j answers at {settings.uri} (NEO4J_URI): start one with `medgraph db up`"
        ) from exc
    return driver


class Transaction:
    """A write transaction in progress: named queries run in it, committed together."""

    def __init__(self, tx: ManagedTransaction) -> None:
        self._tx = tx

    def run(self, name: str, /, **parameters: Any) -> list[Record]:
        """The records of the query `cypher/<name>.cypher`."""
        return list(self._tx.run(cypher.load(name), parameters))

    def single(self, name: str, /, **parameters: Any) -> Record | None:
        """The one record of the query `name`, None if it returns none."""
        return self._tx.run(cypher.load(name), parameters).single()


def deleted_meanwhile(exc: BaseException) -> bool:
    """Whether `exc` says a node the query had matched was deleted by a transaction that committed
    before the query could write to it (read-committed isolation); run again, the query no longer
    matches it."""
    return isinstance(exc, ClientError) and exc.code == "Neo.ClientError.Statement.EntityNotFound"


class Connection:
    """A driver and the database it works in; every query is a `cypher/<name>.cypher` file."""

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def read(self, name: str, /, **parameters: Any) -> list[Record]:
        """The records of a read-only query, run as one auto-commit READ transaction."""
        with (
            self._unavailable(),
            self.driver.session(database=self.database, default_access_mode=READ_ACCESS) as session,
        ):
            return list(session.run(cypher.load(name), parameters))

    def read_one(self, name: str, /, **parameters: Any) -> Record | None:
        """The first record of a read-only query, None if it returns none."""
        records = self.read(name, **parameters)
        return records[0] if records else None

    def stream(self, name: str, /, **parameters: Any) -> Iterator[Record]:
        """The records of a read-only query as they arrive (for results too large to hold twice)."""
        with (
            self._unavailable(),
            self.driver.session(database=self.database, default_access_mode=READ_ACCESS) as session,
        ):
            yield from session.run(cypher.load(name), parameters)

    def write(self, name: str, /, **parameters: Any) -> list[Record]:
        """The records of a write query run in its own transaction (retried on transient errors,
        and when a node it matched was deleted by another transaction before it could lock it)."""
        with self._unavailable():
            for attempt in Retrying(
                retry=retry_if_exception(deleted_meanwhile), stop=stop_after_attempt(3), reraise=True
            ):
                with attempt:
                    records, _, _ = self.driver.execute_query(cypher.load(name), parameters, database_=self.database)
        return records

    def write_one(self, name: str, /, **parameters: Any) -> Record | None:
        """The first record of a write query, None if it returns none."""
        records = self.write(name, **parameters)
        return records[0] if records else None

    def auto_commit(self, name: str, /, **parameters: Any) -> None:
        """Run a query that commits its own batches (`CALL { ... } IN TRANSACTIONS`)."""
        with self._unavailable(), self.driver.session(database=self.database) as session:
            session.run(cypher.load(name), parameters).consume()

    def transaction(self, work: Callable[[Transaction], T]) -> T:
        """`work` in one write transaction: all its queries commit together, or none does."""
        with self._unavailable(), self.driver.session(database=self.database) as session:
            return session.execute_write(lambda tx: work(Transaction(tx)))

    def statements(self, name: str, /, **parameters: Any) -> None:
        """Run each `;`-separated statement of `cypher/<name>.cypher` in turn (schema commands)."""
        with self._unavailable(), self.driver.session(database=self.database) as session:
            for statement in cypher.statements(name):
                session.run(statement, parameters).consume()

    def close(self) -> None:
        """Close the driver."""
        self.driver.close()

    def _unavailable(self) -> AbstractContextManager[None]:
        return unavailable(self.database)


@contextmanager
def unavailable(database: str) -> Iterator[None]:
    """Turn the driver's errors for a server that is gone, refuses us or lacks `database` into
    `GraphUnavailable` with a remedy (Neo4j's other errors pass through)."""
    try:
        yield
    except (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError) as exc:
        raise GraphUnavailable(
            f"Neo4j stopped answering ({exc}): check it with `medgraph db status`, start it with `medgraph db up`"
        ) from exc
    except AuthError as exc:
        raise GraphUnavailable(
            f"Neo4j refused the configured credentials ({exc}): check NEO4J_USERNAME and NEO4J_PASSWORD"
        ) from exc
    except Neo4jError as exc:
        if exc.code == "Neo.ClientError.Database.DatabaseNotFound":
            raise GraphUnavailable(f"Neo4j has no database {database!r}: check NEO4J_DATABASE") from exc
        if exc.code == "Neo.TransientError.General.DatabaseUnavailable":
            raise GraphUnavailable(
                f"Neo4j's database {database!r} is not available (starting or stopping): try again shortly"
            ) from exc
        raise
