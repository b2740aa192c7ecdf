"""Saved exploration queries: `cypher/queries/*.cypher`, each described by a header of comments.

    // name: concept-documents
    // description: documents whose chunks mention a concept, with mention counts
    // param: concept_id (string) a CUI or prefixed id such as HP:0001250
    // param: limit (integer, default 25) documents at most

Parameter types are string, integer, float and boolean; a parameter with a default is optional.
Arguments given as strings (`limit=10` on the command line) are converted to the declared type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from medgraphrag import cypher
from medgraphrag.core.errors import CypherRefused, NotFound

_HEADER = re.compile(r"^//\s*(name|description|param):\s*(.*?)\s*$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*\((?P<type>\w+)(?:\s*,\s*default\s+(?P<default>[^)]*?))?\)\s*"
    r"(?P<description>.*)$"
)
_PLACEHOLDER = re.compile(r"\$([A-Za-z_]\w*)")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError
    return int(value)


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    return float(value)


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError


PARAMETER_TYPES: dict[str, Callable[[object], object]] = {
    "string": _string,
    "integer": _integer,
    "float": _float,
    "boolean": _boolean,
}


class QueryParameter(BaseModel):
    """A parameter of a saved query: its type (string, integer, float, boolean) and its default,
    None when the parameter is required."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    default: Any = None
    description: str

    @property
    def required(self) -> bool:
        """True when the parameter has no default."""
        return self.default is None

    def coerce(self, value: object) -> object:
        """`value` (a string or a value of the declared type) as the declared type; `CypherRefused` if
        it is not one."""
        try:
            return PARAMETER_TYPES[self.type](value)
        except ValueError:
            raise CypherRefused(f"parameter {self.name} must be {_article(self.type)}, got {value!r}") from None


class SavedQuery(BaseModel):
    """A saved read-only query: name, what it shows, its parameters and its Cypher text."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    parameters: list[QueryParameter]
    text: str

    def bind(self, arguments: Mapping[str, object]) -> dict[str, object]:
        """The query's parameters from `arguments` (strings or typed values), defaults filled in;
        `CypherRefused` for an unknown name, a missing required parameter or a value of the wrong type."""
        declared = {p.name: p for p in self.parameters}
        unknown = sorted(set(arguments) - set(declared))
        if unknown:
            raise CypherRefused(
                f"{self.name} has no parameter {', '.join(unknown)}; its parameters: {', '.join(declared) or 'none'}"
            )
        bound = {}
        for parameter in self.parameters:
            if parameter.name in arguments:
                bound[parameter.name] = parameter.coerce(arguments[parameter.name])
            elif parameter.required:
                raise CypherRefused(
                    f"{self.name} needs parameter {parameter.name} ({parameter.type}): {parameter.description}"
                )
            else:
                bound[parameter.name] = parameter.default
        return bound


def saved_queries() -> list[SavedQuery]:
    """Every saved query, by name."""
    return list(_load_all())


def saved_query(name: str) -> SavedQuery:
    """The saved query called `name`; `CypherRefused` naming the saved queries if there is none."""
    for query in _load_all():
        if query.name == name:
            return query
    raise NotFound(f"no saved query {name!r}; saved queries: {', '.join(q.name for q in _load_all())}")


@cache
def _load_all() -> tuple[SavedQuery, ...]:
    folder = resources.files(cypher).joinpath("queries")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".cypher"))
    return tuple(
        _parse(name.removesuffix(".cypher"), folder.joinpath(name).read_text(encoding="utf-8")) for name in files
    )


def _parse(stem: str, source: str) -> SavedQuery:
    """A saved query from its file; a malformed header is a packaging bug, so `ValueError` names it."""
    fields: dict[str, str] = {}
    parameters: list[QueryParameter] = []
    for line in source.splitlines():
        header = _HEADER.match(line.strip())
        if header is None:
            continue
        key, value = header.groups()
        if key == "param":
            parameters.append(_parameter(stem, value))
        else:
            fields[key] = value
    if fields.get("name") != stem or not fields.get("description"):
        raise ValueError(f"queries/{stem}.cypher: the header needs `// name: {stem}` and `// description: ...`")
    text = cypher.strip_comments(source)
    used, declared = set(_PLACEHOLDER.findall(text)), {p.name for p in parameters}
    if used != declared:
        raise ValueError(f"queries/{stem}.cypher: parameters used {sorted(used)} but declared {sorted(declared)}")
    return SavedQuery(name=stem, description=fields["description"], parameters=parameters, text=text)


def _parameter(stem: str, declaration: str) -> QueryParameter:
    match = _PARAM.match(declaration)
    if match is None or match["type"] not in PARAMETER_TYPES:
        raise ValueError(
            f"queries/{stem}.cypher: bad parameter declaration {declaration!r}; expected "
            f"`name (type[, default value]) description` with type one of {', '.join(PARAMETER_TYPES)}"
        )
    parameter = QueryParameter(name=match["name"], type=match["type"], default=None, description=match["description"])
    if match["default"] is None:
        return parameter
    try:
        default = parameter.coerce(match["default"])
    except CypherRefused as exc:
        raise ValueError(f"queries/{stem}.cypher: bad default: {exc}") from None
    return parameter.model_copy(update={"default": default})


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"
