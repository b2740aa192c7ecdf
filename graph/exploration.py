"""User-written Cypher, run safely: read-only, time-limited, row-capped, with JSON-friendly rows.

A query is first planned with EXPLAIN (which runs nothing) and refused unless Neo4j classifies it
as read-only and it neither loads files, terminates transactions, administers the DBMS nor calls a
procedure whose mode is not READ. The query then runs in a READ access-mode transaction all the
same, so a check that misses something still cannot write.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import neo4j
from neo4j import Driver, Query
from neo4j.exceptions import Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time
from pydantic import BaseModel

from medgraphrag.core.errors import CypherRefused, InvalidRequest
from medgraphrag.graph.connection import Connection

# Vectors of hundreds of floats bury everything else in a table or a JSON answer.
HIDDEN_PROPERTIES = frozenset({"embedding"})

_QUERY_TYPES = {"rw": "reads and writes the graph", "w": "writes to the graph", "s": "changes the schema or the DBMS"}
_WRITE_OPERATOR = re.compile(r"^(Create|Merge|Set|Remove|Delete|DetachDelete|Drop|Foreach|DoNothingIfExists)")
_REFUSED_OPERATORS = {
    "AdministrationCommand": "administration commands (users, roles, databases) do not run here",
    "LoadCSV": "LOAD CSV reads files on the server",
    "TerminateTransactions": "TERMINATE TRANSACTIONS stops other sessions' work",
}
_TIMEOUT_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOut",
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
)
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")
_EXPLAIN = "EXPLAIN "

_procedure_modes: weakref.WeakKeyDictionary[Driver, dict[str, str]] = weakref.WeakKeyDictionary()


class CypherResult(BaseModel):
    """The rows of a read-only query, each value JSON-friendly; `truncated` when more rows existed
    than the row cap let through."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    milliseconds: float


class CypherExplorer:
    """User-written Cypher, run read-only."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def run(
        self, query: str, parameters: Mapping[str, object] | None = None, *, timeout_s: float, max_rows: int
    ) -> CypherResult:
        """Run `query` with `parameters` if it only reads: at most `max_rows` rows, stopped after
        `timeout_s` seconds. Raises `CypherRefused` naming what was refused, or Neo4j's complaint."""
        return run_read_only(
            self._db.driver, self._db.database, query, parameters, timeout_s=timeout_s, max_rows=max_rows
        )


def run_read_only(
    driver: Driver,
    database: str,
    query: str,
    parameters: Mapping[str, object] | None = None,
    *,
    timeout_s: float,
    max_rows: int,
) -> CypherResult:
    """`CypherExplorer.run` on a driver and database."""
    if not query.strip():
        raise CypherRefused("the query is empty")
    if timeout_s <= 0 or max_rows < 1:
        raise InvalidRequest(f"timeout_s must be positive and max_rows at least 1, got {timeout_s} and {max_rows}")
    params = dict(parameters or {})
    try:
        with driver.session(
            database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=max_rows + 1
        ) as session:
            summary = session.run(Query(_EXPLAIN + query, timeout=timeout_s), params).consume()
            _check_read_only(driver, database, summary.query_type, summary.plan)
            started = time.perf_counter()
            result = session.run(Query(query, timeout=timeout_s), params)
            columns = list(result.keys())
            # range() comes first so that zip stops before fetching a row past the cap.
            rows = [[json_value(value) for value in record.values()] for _, record in zip(range(max_rows), result)]
            truncated = result.peek() is not None
            milliseconds = 1000 * (time.perf_counter() - started)
    except Neo4jError as exc:
        raise CypherRefused(_explain_error(exc, timeout_s)) from None
    return CypherResult(columns=columns, rows=rows, truncated=truncated, milliseconds=round(milliseconds, 2))


def _check_read_only(driver: Driver, database: str, query_type: str | None, plan: Mapping[str, Any] | None) -> None:
    operators = list(_operators(plan)) if plan else []
    for name, _ in operators:
        if name in _REFUSED_OPERATORS:
            raise CypherRefused(f"refused: {_REFUSED_OPERATORS[name]}")
    for procedure in (_procedure_name(details) for name, details in operators if name == "ProcedureCall"):
        mode = _modes(driver, database).get(procedure, "unknown")
        if mode != "READ":
            raise CypherRefused(f"refused: procedure {procedure} runs in {mode} mode; only READ procedures run here")
    if query_type != "r":
        writes = sorted({name for name, _ in operators if _WRITE_OPERATOR.match(name)})
        what = _QUERY_TYPES.get(query_type or "", f"is of query type {query_type!r}")
        raise CypherRefused(
            f"refused: the query {what}"
            + (f" ({', '.join(writes)})" if writes else "")
            + "; only read-only Cypher runs here"
        )


def _operators(plan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(operator, details) of every operator of an EXPLAIN plan, subqueries included."""
    # Operator names carry the database or runtime after an `@` (`Create@neo4j`).
    yield str(plan.get("operatorType", "")).split("@")[0], str(plan.get("args", {}).get("Details", ""))
    for child in plan.get("children", []):
        yield from _operators(child)


def _procedure_name(details: str) -> str:
    # A ProcedureCall's details read `db.labels() :: (label :: STRING)`.
    return details.split("(")[0].strip()


def _modes(driver: Driver, database: str) -> dict[str, str]:
    """Procedure name -> mode (READ, WRITE, SCHEMA, DBMS), read from the server once per driver."""
    if driver not in _procedure_modes:
        records, _, _ = driver.execute_query("SHOW PROCEDURES YIELD name, mode", database_=database, routing_="r")
        _procedure_modes[driver] = {r["name"]: r["mode"] for r in records}
    return _procedure_modes[driver]


def _explain_error(exc: Neo4jError, timeout_s: float) -> str:
    code = exc.code or ""
    if code in _TIMEOUT_CODES:
        return f"the query ran past its time limit of {timeout_s:g} s and was stopped"
    message = (exc.message or str(exc) or code).splitlines()[0]
    if code == "Neo.ClientError.Statement.UnsupportedAdministrationCommand":
        return f"refused: administration commands do not run here ({message})"
    if code == "Neo.ClientError.Statement.AccessMode":
        return f"refused: the query tried to write ({message})"
    # Positions count the EXPLAIN prefix of the planning run; report them in the user's text.
    return _POSITION.sub(_shift_position, message)


def _shift_position(match: re.Match[str]) -> str:
    line, column, offset = (int(g) for g in match.groups())
    if line == 1:
        column = max(1, column - len(_EXPLAIN))
    return f"(line {line}, column {column} (offset: {max(0, offset - len(_EXPLAIN))}))"


def json_value(value: object) -> object:
    """`value` as plain JSON data: nodes, relationships and paths become dicts (without embedding
    vectors), temporal values ISO 8601 strings, points dicts of srid and coordinates."""
    if isinstance(value, Node):
        return {"element_id": value.element_id, "labels": sorted(value.labels), "properties": _properties(value)}
    if isinstance(value, Relationship):
        return {
            "element_id": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node else None,
            "end": value.end_node.element_id if value.end_node else None,
            "properties": _properties(value),
        }
    if isinstance(value, Path):
        return {
            "nodes": [json_value(n) for n in value.nodes],
            "relationships": [json_value(r) for r in value.relationships],
        }
    if isinstance(value, (Date, DateTime, Time, Duration)):
        return value.iso_format()
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def _properties(entity: Node | Relationship) -> dict[str, object]:
    return {key: json_value(value) for key, value in entity.items() if key not in HIDDEN_PROPERTIES}
