"""The context a chunk carries into search: its document's title, a question-answer document's
focus, and the section headings in force where the chunk starts.

A chunk cut from the middle of a document rarely names what it is about ("It is treated with
...", under "Treatment" of a page on glaucoma). Embedding and full-text indexing the chunk with
this context lets a question find it; the chunk's text, and so every citation's quote, stays
exactly `text[start:end]` of the document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from medgraphrag.ingest.chunking import TextChunk
from medgraphrag.ingest.loaders import SourceDocument

# What a unit's context may add: enough for a title and a heading path, little next to a chunk.
MAX_CONTEXT_CHARS = 300
_SEPARATOR = " | "
_PATH_SEPARATOR = " > "
# A plain-text section heading sits below every Markdown level.
_PLAIN_LEVEL = 7
_MAX_HEADING_WORDS = 8

_MARKDOWN = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
# Clinical notes and plain pages: "Assessment and Plan:" or "HISTORY OF PRESENT ILLNESS" alone on a line.
_LABEL = re.compile(r"^[ \t]*([A-Za-z][^:\n]{0,78}?)[ \t]*:[ \t]*$")
_CAPITALS = re.compile(r"^[ \t]*([A-Z][A-Z0-9 /&,()'-]{2,78}?)[ \t]*$")


@dataclass(frozen=True)
class Heading:
    """A section heading of a document: where its line starts, its level (1 outermost) and text."""

    start: int
    level: int
    text: str


def headings(text: str) -> list[Heading]:
    """The section headings of `text` in document order: Markdown headings, and lines that are a
    short label ending in a colon or a short line in capitals."""
    found: list[Heading] = []
    offset = 0
    for line in text.split("\n"):
        heading = _heading(line)
        if heading is not None:
            level, words = heading
            found.append(Heading(offset, level, words))
        offset += len(line) + 1
    return found


def _heading(line: str) -> tuple[int, str] | None:
    if match := _MARKDOWN.match(line):
        return len(match.group(1)), _collapse(match.group(2))
    for pattern in (_LABEL, _CAPITALS):
        match = pattern.match(line)
        words = _collapse(match.group(1)).split() if match else []
        if 0 < len(words) <= _MAX_HEADING_WORDS:
            return _PLAIN_LEVEL, " ".join(words)
    return None


def chunk_contexts(document: SourceDocument, chunks: Sequence[TextChunk]) -> list[str]:
    """Each chunk's context: the document's title, its focus where the source names one (MedQuAD)
    and not already in the title, and the path of headings in force before the chunk starts
    (a heading inside the chunk is in its text already, one that repeats the title adds nothing);
    at most `MAX_CONTEXT_CHARS`."""
    lead = [document.title.strip()]
    focus = dict(document.metadata).get("focus", "").strip()
    if focus and focus.lower() not in lead[0].lower():
        lead.append(focus)
    found = headings(document.text)
    starts = [h.start for h in found]
    contexts = []
    for chunk in chunks:
        path: list[Heading] = []
        for heading in found[: bisect.bisect_left(starts, chunk.start)]:
            path = [h for h in path if h.level < heading.level] + [heading]
        parts = [*lead, _PATH_SEPARATOR.join(h.text for h in path if h.text.lower() != lead[0].lower())]
        contexts.append(_clip(_SEPARATOR.join(p for p in parts if p)))
    return contexts


def contextual(context: str, text: str) -> str:
    """What is embedded for a chunk: its context on a line of its own, then its text."""
    return f"{context}\n{text}" if context else text


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _clip(context: str) -> str:
    if len(context) <= MAX_CONTEXT_CHARS:
        return context
    cut = context[: MAX_CONTEXT_CHARS - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
