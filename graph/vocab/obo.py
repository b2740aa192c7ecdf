"""A small reader for OBO 1.2 flat files: the header tags and the `[Term]` stanzas.

Only what the vocabulary readers need is kept: id, name, definition, synonyms with their scope,
is_a parents, xrefs, alt_ids and the obsolete flag. Other stanzas (`[Typedef]`, `[Instance]`) and
other tags are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class OboSynonym:
    """One `synonym:` line: the text and its scope (EXACT, RELATED, BROAD or NARROW)."""

    text: str
    scope: str


@dataclass
class OboTerm:
    """One `[Term]` stanza as written in the file."""

    id: str = ""
    name: str = ""
    definition: str | None = None
    synonyms: list[OboSynonym] = field(default_factory=list)
    is_a: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    obsolete: bool = False


def read_quoted(value: str) -> tuple[str, str] | None:
    """Split `"quoted \\" text" rest` into the unescaped quoted text and the rest; None if the
    value does not start with a complete quoted string."""
    if not value.startswith('"'):
        return None
    chars: list[str] = []
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            chars.append(value[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), value[index + 1 :].strip()
        chars.append(char)
        index += 1
    return None


def read_obo_header(path: Path) -> dict[str, str]:
    """The header tags of an OBO file (before its first stanza), first value of each tag."""
    header: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("["):
                break
            tag, sep, value = line.partition(":")
            if sep and tag.strip() not in header:
                header[tag.strip()] = value.strip()
    return header


def iter_obo_terms(path: Path) -> Iterator[OboTerm]:
    """Every `[Term]` stanza of an OBO file, in file order, obsolete ones included.

    Lines the reader cannot understand (an unterminated quote, a tag without a value) leave the
    field unset; callers decide whether such a term is usable.
    """
    term: OboTerm | None = None
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if line.startswith("["):
                if term is not None:
                    yield term
                term = OboTerm() if line == "[Term]" else None
                continue
            if term is None or not line or line.startswith("!"):
                continue
            tag, sep, value = line.partition(":")
            if sep:
                _apply_tag(term, tag.strip(), value.strip())
    if term is not None:
        yield term


def _apply_tag(term: OboTerm, tag: str, value: str) -> None:
    if tag == "id":
        term.id = value
    elif tag == "name":
        term.name = value
    elif tag == "def":
        quoted = read_quoted(value)
        term.definition = quoted[0] if quoted else None
    elif tag == "synonym":
        quoted = read_quoted(value)
        if quoted and quoted[0]:
            scope = quoted[1].split(" ", 1)[0] if quoted[1] else "RELATED"
            term.synonyms.append(OboSynonym(quoted[0], scope))
    elif tag == "is_a":
        # `is_a: HP:0000118 ! label` or with trailing `{qualifiers}`: the id is the first token.
        if value:
            term.is_a.append(value.split()[0])
    elif tag == "xref":
        if value:
            term.xrefs.append(value.split()[0])
    elif tag == "alt_id":
        term.alt_ids.append(value)
    elif tag == "is_obsolete":
        term.obsolete = value.lower() == "true"
