"""Splitting a document into contiguous chunks with exact character offsets.

Static chunking: paragraphs and sentences packed under a token budget, a paragraph break being the
preferred boundary. Every chunk is `text[start:end]` of the document, so a citation can always be
sliced back out of the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d)\]]*(?=\s)")
_LINE_ITEM = re.compile(r"\n(?=[ \t]*(?:[-*+\u2022]|#{1,6}|\d{1,3}[.)])\s)")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
# Periods after these words rarely end a sentence in clinical text.
_ABBREVIATIONS = frozenset(
    "e.g i.e dr mr mrs ms vs etc approx fig no st pt pts hx dx tx rx sx min max mg ml approx cf al".split()
)


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` of a text."""

    start: int
    end: int


@dataclass(frozen=True)
class TextChunk:
    """One chunk: its position in the document and its exact text."""

    ord: int
    start: int
    end: int
    text: str


def count_tokens(text: str) -> int:
    """Words and punctuation marks: a model-free stand-in for a subword token count."""
    return len(_TOKEN.findall(text))


def paragraphs(text: str) -> list[Span]:
    """Non-blank paragraphs, trimmed of surrounding white space."""
    spans: list[Span] = []
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.extend(_trimmed(text, position, match.start()))
        position = match.end()
    spans.extend(_trimmed(text, position, len(text)))
    return spans


def sentences(text: str, within: Span | None = None) -> list[Span]:
    """Sentence spans of `text` (or of the part `within`), trimmed, in order."""
    area = within or Span(0, len(text))
    cuts = [area.start]
    segment = text[area.start : area.end]
    for match in _SENTENCE_END.finditer(segment):
        word = _WORD_BEFORE.search(segment, max(0, match.start() - 40), match.start() + 1)
        before = word.group(1).lower() if word else ""
        if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
            continue
        cuts.append(area.start + match.end())
    cuts.extend(area.start + m.start() for m in _LINE_ITEM.finditer(segment))
    cuts = sorted(set(cuts)) + [area.end]
    spans: list[Span] = []
    for start, end in zip(cuts, cuts[1:]):
        spans.extend(_trimmed(text, start, end))
    return spans


def sentence_spans(text: str) -> list[Span]:
    """Every sentence of `text`, never crossing a paragraph break."""
    return [s for paragraph in paragraphs(text) for s in sentences(text, paragraph)]


def chunk_text(text: str, max_tokens: int) -> list[TextChunk]:
    """Contiguous chunks of at most `max_tokens` tokens, cut at paragraph, then sentence, then word."""
    groups: list[list[Span]] = []
    current: list[Span] = []
    used = 0
    for paragraph in paragraphs(text):
        size = count_tokens(text[paragraph.start : paragraph.end])
        if current and used + size <= max_tokens:
            current.append(paragraph)
            used += size
            continue
        if current:
            groups.append(current)
        current, used = [], 0
        if size <= max_tokens:
            current, used = [paragraph], size
            continue
        for piece in _pieces(text, paragraph, max_tokens):
            piece_size = count_tokens(text[piece.start : piece.end])
            if current and used + piece_size > max_tokens:
                groups.append(current)
                current, used = [], 0
            current.append(piece)
            used += piece_size
    if current:
        groups.append(current)
    chunks = []
    for ord_, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        chunks.append(TextChunk(ord=ord_, start=start, end=end, text=text[start:end]))
    return chunks


def _pieces(text: str, paragraph: Span, max_tokens: int) -> list[Span]:
    """The sentences of an over-long paragraph, with over-long sentences cut between words."""
    pieces: list[Span] = []
    for sentence in sentences(text, paragraph):
        tokens = list(_TOKEN.finditer(text, sentence.start, sentence.end))
        if len(tokens) <= max_tokens:
            pieces.append(sentence)
            continue
        for first in range(0, len(tokens), max_tokens):
            window = tokens[first : first + max_tokens]
            pieces.append(Span(window[0].start(), window[-1].end()))
    return pieces


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if start < end else []
