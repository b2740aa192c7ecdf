"""Cypher text of medgraphrag: schema and queries as `.cypher` files, loaded by name; only the
graph store reads them."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


@cache
def load(name: str) -> str:
    """The text of `cypher/<name>.cypher`, comments removed."""
    return strip_comments(resources.files(__package__).joinpath(f"{name}.cypher").read_text(encoding="utf-8"))


def strip_comments(text: str) -> str:
    """Cypher text without its `//` comment lines, trimmed."""
    return _COMMENT.sub("", text).strip()


def statements(name: str) -> list[str]:
    """The `;`-separated statements of `cypher/<name>.cypher`, in file order."""
    return [part.strip() for part in load(name).split(";") if part.strip()]
