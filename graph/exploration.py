"""User-written Cypher, run safely: allow-listed, read-only, time-limited, capped in rows and bytes,
with JSON-friendly rows.

What runs is an allow-list, for every API key: a query is first planned with EXPLAIN (which runs
nothing) and runs only if every operator of its plan is one that reading the graph needs (scans,
seeks, expands, filters, projections, aggregations, sorts, unions, read subqueries, SHOW INDEXES and
SHOW CONSTRAINTS) and every procedure it calls is one of `ALLOWED_PROCEDURES`. Transaction,
settings, statistics and administration commands and procedures are refused whatever mode Neo4j
gives them, and so are functions that plugins add. Parameters are checked before they reach the
driver. The query then runs in a READ access-mode transaction all the same, so a check that misses
something still cannot write.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import neo4j
from neo4j import Driver, Query, Result, Session
from neo4j.exceptions import Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time
from pydantic import BaseModel

from medgraphrag.core.errors import CypherRefused, InvalidRequest
from medgraphrag.graph.connection import Connection, unavailable

# Vectors of hundreds of floats bury everything else in a table or a JSON answer.
HIDDEN_PROPERTIES = frozenset({"embedding"})

# The procedures exploring the graph needs: its vocabulary of labels, types and keys, its schema,
# and the fulltext and vector indexes. Every other procedure is refused, READ mode or not
# (db.stats.retrieve is READ and returns every client's queries with their parameters).
ALLOWED_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
        "db.index.fulltext.queryNodes",
        "db.index.fulltext.queryRelationships",
        "db.index.vector.queryNodes",
        "db.index.vector.queryRelationships",
    }
)

# The operators of read-only plans, as EXPLAIN names them (without the mode in brackets some carry,
# `Expand(All)`, or the `@database` after it). ShowIndexes and ShowConstraints stay: which indexes
# exist is what the fulltext and vector procedures need to be called, and they show this database's
# schema, nothing of other clients or of the server. Anything else is refused, operators of later
# Neo4j versions included, until someone decides they only read.
_READ_OPERATORS = frozenset(
    {
        # leaves: scans, seeks, counts, index searches
        "AllNodesScan",
        "NodeByLabelScan",
        "UnionNodeByLabelsScan",
        "IntersectionNodeByLabelsScan",
        "SubtractionNodeByLabelsScan",
        "DynamicLabelNodeLookup",
        "NodeByIdSeek",
        "NodeByElementIdSeek",
        "NodeIndexSeek",
        "NodeUniqueIndexSeek",
        "NodeIndexSeekByRange",
        "NodeUniqueIndexSeekByRange",
        "NodeIndexScan",
        "NodeIndexContainsScan",
        "NodeIndexEndsWithScan",
        "MultiNodeIndexSeek",
        "NodeCountFromCountStore",
        "RelationshipCountFromCountStore",
        "DirectedAllRelationshipsScan",
        "UndirectedAllRelationshipsScan",
        "DirectedRelationshipTypeScan",
        "UndirectedRelationshipTypeScan",
        "DirectedUnionRelationshipTypesScan",
        "UndirectedUnionRelationshipTypesScan",
        "DynamicDirectedRelationshipTypeLookup",
        "DynamicUndirectedRelationshipTypeLookup",
        "DirectedRelationshipByIdSeek",
        "UndirectedRelationshipByIdSeek",
        "DirectedRelationshipByElementIdSeek",
        "UndirectedRelationshipByElementIdSeek",
        "DirectedRelationshipIndexSeek",
        "UndirectedRelationshipIndexSeek",
        "DirectedRelationshipUniqueIndexSeek",
        "UndirectedRelationshipUniqueIndexSeek",
        "DirectedRelationshipIndexSeekByRange",
        "UndirectedRelationshipIndexSeekByRange",
        "DirectedRelationshipUniqueIndexSeekByRange",
        "UndirectedRelationshipUniqueIndexSeekByRange",
        "DirectedRelationshipIndexScan",
        "UndirectedRelationshipIndexScan",
        "DirectedRelationshipIndexContainsScan",
        "UndirectedRelationshipIndexContainsScan",
        "DirectedRelationshipIndexEndsWithScan",
        "UndirectedRelationshipIndexEndsWithScan",
        "NodeVectorIndexSearch",
        "DirectedRelationshipVectorIndexSearch",
        "UndirectedRelationshipVectorIndexSearch",
        "NodeFulltextIndexSearch",
        "DirectedRelationshipFulltextIndexSearch",
        "UndirectedRelationshipFulltextIndexSearch",
        "Argument",
        "EmptyRow",
        "ProcedureCall",  # each procedure is checked against ALLOWED_PROCEDURES
        "ShowIndexes",
        "ShowConstraints",
        # one input: expanding, filtering, projecting, aggregating, ordering
        "ProduceResults",
        "Projection",
        "Filter",
        "Limit",
        "ExhaustiveLimit",
        "Skip",
        "Sort",
        "PartialSort",
        "Top",
        "Top1WithTies",
        "PartialTop",
        "Distinct",
        "OrderedDistinct",
        "EagerAggregation",
        "OrderedAggregation",
        "Unwind",
        "Eager",
        "EmptyResult",
        "CacheProperties",
        "Optional",
        "Anti",
        "Expand",
        "OptionalExpand",
        "VarLengthExpand",
        "ShortestPath",
        "StatefulShortestPath",
        "PathPropagatingBFS",
        "ProjectEndpoints",
        "TriadicBuild",
        "TriadicFilter",
        "PreserveOrder",
        "ArgumentTracker",
        "NonFuseable",
        # two inputs: joins, unions, read subqueries, pattern predicates
        "Apply",
        "SemiApply",
        "AntiSemiApply",
        "LetSemiApply",
        "LetAntiSemiApply",
        "SelectOrSemiApply",
        "SelectOrAntiSemiApply",
        "LetSelectOrSemiApply",
        "LetSelectOrAntiSemiApply",
        "ConditionalApply",
        "AntiConditionalApply",
        "RollUpApply",
        "CartesianProduct",
        "NodeHashJoin",
        "NodeLeftOuterHashJoin",
        "NodeRightOuterHashJoin",
        "ValueHashJoin",
        "TriadicSelection",
        "Union",
        "OrderedUnion",
        "Repeat",
        "BidirectionalRepeat",
        "RepeatOptions",
    }
)
_ADMINISTRATION = "administration commands (users, roles, databases, servers) do not run here"
_IN_TRANSACTIONS = "CALL { ... } IN TRANSACTIONS commits batches of its own, outside the read-only transaction"
# Why, for the refused operators a user is most likely to meet.
_REFUSED_OPERATORS = {
    "AdministrationCommand": _ADMINISTRATION,
    "ShowDatabases": _ADMINISTRATION,
    "LoadCSV": "LOAD CSV reads files and URLs from the server",
    "ShowTransactions": "SHOW TRANSACTIONS shows other clients' running queries and their parameters",
    "TerminateTransactions": "TERMINATE TRANSACTIONS stops other clients' work",
    "ShowSettings": "SHOW SETTINGS shows the server's configuration (paths, listen addresses)",
    "ShowProcedures": "SHOW PROCEDURES lists the server's procedures, not the graph's content",
    "ShowFunctions": "SHOW FUNCTIONS lists the server's functions, not the graph's content",
    "TransactionApply": _IN_TRANSACTIONS,
    "TransactionForeach": _IN_TRANSACTIONS,
}
# Why a procedure is refused, by the start of its name; the first that matches says it.
_PROCEDURE_REASONS = (
    ("db.stats.", "collects, clears or returns the queries of every client"),
    ("dbms.", "administers the server"),
    ("tx.", "reads or sets transaction metadata"),
    ("db.create", "writes to the graph"),
    ("db.index.vector.create", "changes the schema"),
    ("db.clearQueryCaches", "disturbs the query planning of every client"),
    ("db.prepareForReplanning", "disturbs the query planning of every client"),
    ("db.resample", "disturbs the query planning of every client"),
    ("db.await", "waits on the server's indexes"),
    ("db.index.fulltext.await", "waits on the server's indexes"),
)
_QUERY_TYPES = {"rw": "reads and writes the graph", "w": "writes to the graph", "s": "changes the schema or the DBMS"}
_TIMEOUT_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOut",
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
)
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")
_EXPLAIN = "EXPLAIN "
# What is no part of a dotted function name: the spaces and brackets around and between its parts.
_NOT_NAME = re.compile(r"[^0-9a-z_.]")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

# Far above what exploring needs (a 4,096-float vector, thousands of ids), far below what makes the
# driver or the server fail or stall.
MAX_PARAMETER_DEPTH = 32
MAX_PARAMETER_VALUES = 100_000
MAX_PARAMETER_BYTES = 4 * 1024 * 1024
_INT64 = (-(2**63), 2**63 - 1)
_PARAMETER_SCALARS = (
    str,
    bytes,
    bytearray,
    float,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    Date,
    Time,
    DateTime,
    Duration,
    Point,
)
# Deeper lists and maps (reduce() builds them) would exhaust Python's recursion turning them into JSON.
MAX_RESULT_DEPTH = 64
# Rows fetched per round trip: a small batch bounds what the driver holds before the byte cap can
# stop fetching, when rows are large.
_FETCH_ROWS = 100
# The JSON of a result around its rows, `milliseconds` at its longest.
_ENVELOPE = {"rows": [], "truncated": False, "milliseconds": 1e15}

_plugin_functions: weakref.WeakKeyDictionary[Driver, frozenset[str]] = weakref.WeakKeyDictionary()


class CypherResult(BaseModel):
    """The rows of a read-only query, each value JSON-friendly; `truncated` when more rows existed
    than the row cap or the byte cap let through."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    milliseconds: float


class CypherExplorer:
    """User-written Cypher, run read-only."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def run(
        self,
        query: str,
        parameters: Mapping[str, object] | None = None,
        *,
        timeout_s: float,
        max_rows: int,
        max_bytes: int | None = None,
    ) -> CypherResult:
        """Run `query` with `parameters` if it only reads what exploring the graph needs: at most
        `max_rows` rows and `max_bytes` bytes of JSON (None: no byte cap, for trusted callers such
        as the benchmarks), stopped after `timeout_s` seconds. Raises `CypherRefused` naming what
        was refused and why, or with Neo4j's complaint."""
        return run_read_only(
            self._db.driver,
            self._db.database,
            query,
            parameters,
            timeout_s=timeout_s,
            max_rows=max_rows,
            max_bytes=max_bytes,
        )


def run_read_only(
    driver: Driver,
    database: str,
    query: str,
    parameters: Mapping[str, object] | None = None,
    *,
    timeout_s: float,
    max_rows: int,
    max_bytes: int | None = None,
) -> CypherResult:
    """`CypherExplorer.run` on a driver and database."""
    if not query.strip():
        raise CypherRefused("the query is empty")
    if timeout_s <= 0 or max_rows < 1 or (max_bytes is not None and max_bytes < 1):
        raise InvalidRequest(
            f"timeout_s must be positive and max_rows and max_bytes at least 1, got {timeout_s}, {max_rows} "
            f"and {max_bytes}"
        )
    params = check_parameters(parameters)
    try:
        with (
            unavailable(database),
            driver.session(
                database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=min(max_rows + 1, _FETCH_ROWS)
            ) as session,
        ):
            functions = _plugin_functions_of(driver, session)
            _check_functions(functions, _code(query))
            summary = session.run(Query(_EXPLAIN + query, timeout=timeout_s), params).consume()
            _check_plan(database, summary.query_type, summary.plan, functions)
            started = time.perf_counter()
            result = session.run(Query(query, timeout=timeout_s), params)
            columns = list(result.keys())
            rows, truncated = _fetch(result, columns, max_rows, max_bytes)
            milliseconds = 1000 * (time.perf_counter() - started)
    except Neo4jError as exc:
        raise CypherRefused(_explain_error(exc, timeout_s)) from None
    return CypherResult(columns=columns, rows=rows, truncated=truncated, milliseconds=round(milliseconds, 2))


def check_parameters(parameters: Mapping[str, object] | None) -> dict[str, object]:
    """`parameters` as a dict if Neo4j can take them within bounds: integers in signed 64 bits,
    lists and maps nested at most MAX_PARAMETER_DEPTH deep, at most MAX_PARAMETER_VALUES values and
    MAX_PARAMETER_BYTES bytes in all, only types Neo4j stores; `CypherRefused` naming the parameter."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise CypherRefused(f"refused: parameters must be a map of names to values, got {type(parameters).__name__}")
    values = size = 0
    pending: list[tuple[str, str, object, int]] = []  # (parameter, path to the value, value, depth)
    for name in parameters:
        if not isinstance(name, str) or not name:
            raise CypherRefused(f"refused: parameter names must be non-empty strings, got {_short(name)}")
        size += len(name.encode("utf-8", "replace"))
        pending.append((f"${name}", f"${name}", parameters[name], 0))
    while pending:
        root, path, value, depth = pending.pop()
        values += 1
        if values > MAX_PARAMETER_VALUES:
            raise CypherRefused(
                f"refused: parameter {path} takes the parameters past {MAX_PARAMETER_VALUES:,} values in all"
            )
        if isinstance(value, int) and not isinstance(value, bool):
            if not _INT64[0] <= value <= _INT64[1]:
                raise CypherRefused(
                    f"refused: parameter {path} is an integer of {value.bit_length()} bits, outside the signed "
                    "64-bit range Neo4j stores"
                )
            size += 8
        elif isinstance(value, str):
            if len(value) > MAX_PARAMETER_BYTES:
                size += len(value)
            else:
                try:
                    size += len(value.encode("utf-8"))
                except UnicodeEncodeError:
                    raise CypherRefused(
                        f"refused: parameter {path} holds a string that is not valid Unicode (a lone surrogate)"
                    ) from None
        elif isinstance(value, (bytes, bytearray)):
            size += len(value)
        elif value is None or isinstance(value, (bool, *_PARAMETER_SCALARS)):
            # Duration and Point are tuples: they are told apart from lists here, before lists.
            size += 16
        elif isinstance(value, (list, tuple, Mapping)):
            if depth >= MAX_PARAMETER_DEPTH:
                raise CypherRefused(
                    f"refused: parameter {root} nests lists or maps deeper than {MAX_PARAMETER_DEPTH} levels"
                )
            if values + len(value) > MAX_PARAMETER_VALUES:
                raise CypherRefused(
                    f"refused: parameter {path} takes the parameters past {MAX_PARAMETER_VALUES:,} values in all"
                )
            size += 8
            if isinstance(value, Mapping):
                for key in value:
                    if not isinstance(key, str):
                        raise CypherRefused(
                            f"refused: parameter {path} has the key {_short(key)}; Neo4j map keys are strings"
                        )
                    size += len(key.encode("utf-8", "replace"))
                    pending.append(
                        (root, f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]", value[key], depth + 1)
                    )
            else:
                pending.extend((root, f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))
        else:
            raise CypherRefused(
                f"refused: parameter {path} is of type {type(value).__name__}, which Neo4j cannot take (it takes null, "
                "booleans, integers, floats, strings, bytes, temporal values, points, lists and maps)"
            )
        if size > MAX_PARAMETER_BYTES:
            raise CypherRefused(
                f"refused: parameter {path} takes the parameters past {MAX_PARAMETER_BYTES:,} bytes in all"
            )
    return dict(parameters)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _plugin_functions_of(driver: Driver, session: Session) -> frozenset[str]:
    """The functions plugins added to the server (lowercase), read once per driver."""
    if driver not in _plugin_functions:
        records = session.run("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE NOT isBuiltIn RETURN name")
        _plugin_functions[driver] = frozenset(str(record["name"]).lower() for record in records)
    return _plugin_functions[driver]


def _check_functions(functions: frozenset[str], text: str) -> None:
    """Refuse `text` if it names one of the plugin `functions`: only Neo4j's own functions run here."""
    names = _NOT_NAME.sub("", text.lower())
    for name in sorted(functions):
        if name in names:
            raise CypherRefused(f"refused: function {name} comes from a plugin; only Neo4j's own functions run here")


def _code(query: str) -> str:
    """`query` with its string literals and comments blanked and its quoted names unquoted: the text
    a function's name shows in however it is written (`apoc` . /* */ `cypher`.run)."""
    code: list[str] = []
    i, end = 0, len(query)
    while i < end:
        char = query[i]
        if char in "'\"":
            i += 1
            while i < end and query[i] != char:
                i += 2 if query[i] == "\\" else 1
            code.append(" ")
            i += 1
        elif query.startswith("//", i):
            newline = query.find("\n", i)
            i = end if newline < 0 else newline
            code.append(" ")
        elif query.startswith("/*", i):
            close = query.find("*/", i + 2)
            i = end if close < 0 else close + 2
            code.append(" ")
        elif char == "`":
            name, i = [], i + 1
            while i < end and (query[i] != "`" or query.startswith("``", i)):
                name.append(query[i])
                i += 2 if query[i] == "`" else 1
            code.append(_UNICODE_ESCAPE.sub(lambda m: chr(int(m[1], 16)), "".join(name)))
            i += 1
        else:
            code.append(char)
            i += 1
    return "".join(code)


class _Operator(NamedTuple):
    name: str  # as EXPLAIN names it: `Expand(All)`
    kind: str  # the name without its mode: `Expand`
    database: str
    details: str


def _check_plan(
    database: str, query_type: str | None, plan: Mapping[str, Any] | None, functions: frozenset[str] = frozenset()
) -> None:
    """Refuse a plan unless every operator is a read one, every procedure allow-listed, no plugin
    `functions` called, and all of it runs on `database`; the message names what was refused and why."""
    operators = list(_operators(plan)) if plan else []
    _check_functions(functions, " ".join(operator.details for operator in operators))
    for operator in operators:
        if operator.kind in _REFUSED_OPERATORS:
            raise CypherRefused(f"refused: {_REFUSED_OPERATORS[operator.kind]}")
    for operator in operators:
        if operator.kind == "ProcedureCall":
            _check_procedure(_procedure_name(operator.details))
    if query_type != "r":
        writes = sorted({op.name for op in operators if op.kind not in _READ_OPERATORS})
        what = _QUERY_TYPES.get(query_type or "", f"is of query type {query_type!r}")
        raise CypherRefused(
            f"refused: the query {what}"
            + (f" ({', '.join(writes)})" if writes else "")
            + "; only read-only Cypher runs here"
        )
    for operator in operators:
        if operator.database and operator.database != database:
            raise CypherRefused(
                f"refused: the query runs on database {operator.database!r}; only {database!r} is explored here"
            )
    unknown = sorted({op.name for op in operators if op.kind not in _READ_OPERATORS})
    if unknown:
        raise CypherRefused(
            f"refused: the query plans {', '.join(unknown)}, which reading the graph does not need; only read "
            "clauses and the allowed procedures run here"
        )


def _check_procedure(name: str) -> None:
    if name in ALLOWED_PROCEDURES:
        return
    reason = next(
        (why for start, why in _PROCEDURE_REASONS if name.startswith(start)), "is not needed to explore the graph"
    )
    raise CypherRefused(
        f"refused: procedure {name} {reason}; the procedures that run here: {', '.join(sorted(ALLOWED_PROCEDURES))}"
    )


def _operators(plan: Mapping[str, Any]) -> Iterator[_Operator]:
    """Every operator of an EXPLAIN plan, subqueries included."""
    # A loop, not recursion: a thousand UNIONs nest a thousand levels deep.
    pending = [plan]
    while pending:
        step = pending.pop()
        # Operator names carry the database they run on after an `@` (`Create@neo4j`).
        name, _, database = str(step.get("operatorType", "")).partition("@")
        details = str(step.get("args", {}).get("Details", ""))
        yield _Operator(name, name.split("(")[0], database, details)
        pending.extend(reversed(step.get("children", [])))


def _procedure_name(details: str) -> str:
    # A ProcedureCall's details read `db.labels() :: (label :: STRING)`.
    return details.split("(")[0].strip()


def _fetch(result: Result, columns: list[str], max_rows: int, max_bytes: int | None) -> tuple[list[list[Any]], bool]:
    """The rows of `result` up to the row and byte caps, converted as they arrive; True when cut."""
    rows: list[list[Any]] = []
    size = _json_size({"columns": columns, **_ENVELOPE})
    for record in result:
        if len(rows) == max_rows:
            return rows, True
        row = [json_value(value) for value in record.values()]
        if max_bytes is not None:
            size += _json_size(row) + 1  # and the comma before it
            if size > max_bytes:
                return rows, True
        rows.append(row)
    return rows, False


def _json_size(value: object) -> int:
    """Bytes of `value` as the API writes JSON (compact, UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _explain_error(exc: Neo4jError, timeout_s: float) -> str:
    code = exc.code or ""
    if code in _TIMEOUT_CODES:
        return f"the query ran past its time limit of {timeout_s:g} s and was stopped"
    message = (exc.message or str(exc) or code).splitlines()[0]
    if code in (
        "Neo.ClientError.Statement.UnsupportedAdministrationCommand",
        "Neo.ClientError.Statement.NotSystemDatabaseError",
    ):
        return f"refused: {_ADMINISTRATION} ({message})"
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
    vectors), temporal values ISO 8601 strings, points dicts of srid and coordinates, NaN and the
    infinities the strings "NaN", "Infinity" and "-Infinity"; `CypherRefused` for lists and maps
    nested deeper than MAX_RESULT_DEPTH."""
    return _json(value, 0)


def _json(value: object, depth: int) -> object:
    if depth > MAX_RESULT_DEPTH:
        raise CypherRefused(
            f"the result nests lists or maps deeper than {MAX_RESULT_DEPTH} levels, deeper than answers go here"
        )
    if isinstance(value, Node):
        return {
            "element_id": value.element_id,
            "labels": sorted(value.labels),
            "properties": _properties(value, depth),
        }
    if isinstance(value, Relationship):
        return {
            "element_id": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node else None,
            "end": value.end_node.element_id if value.end_node else None,
            "properties": _properties(value, depth),
        }
    if isinstance(value, Path):
        return {
            "nodes": [_json(n, depth + 1) for n in value.nodes],
            "relationships": [_json(r, depth + 1) for r in value.relationships],
        }
    if isinstance(value, (Date, DateTime, Time, Duration)):
        return value.iso_format()
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {str(k): _json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v, depth + 1) for v in value]
    return value


def _properties(entity: Node | Relationship, depth: int) -> dict[str, object]:
    return {key: _json(value, depth + 2) for key, value in entity.items() if key not in HIDDEN_PROPERTIES}
