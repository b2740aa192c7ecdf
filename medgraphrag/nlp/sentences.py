"""The shared spaCy pipeline: paragraphs, sentences and tokens of a document, as character spans.

A blank English pipeline (tokenizer plus rule-based sentencizer) needs no model download, so it
runs offline; clinical abbreviations are taught to the tokenizer so their periods do not end a
sentence. Paragraphs come from static characters (blank lines), sentences never cross them, and a
line that starts a list item starts a sentence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# spaCy refuses texts over its max_length (1,000,000); pieces well under it keep its memory small.
MAX_PIECE_CHARS = 100_000
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n\s*")
_LINE_ITEM = re.compile(r"\n(?=[ \t]*(?:[-*+\u2022]|#{1,6}|\d{1,3}[.)])\s)")
# Periods after these rarely end a sentence in clinical text.
_CLINICAL_ABBREVIATIONS = (
    "pt. pts. hx. dx. tx. rx. sx. fx. approx. vs. resp. temp. wt. ht. yr. yrs. mo. wk. wks. hr. hrs. min. "
    "max. avg. dept. fig. figs. no. nos. ref. refs. cf. al. ca. ie. eg. i.v. i.m. p.o. b.i.d. t.i.d. q.i.d. "
    "q.d. p.r.n. h.s."
).split()


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` of a text."""

    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document: its span, its paragraph's index and its tokens' spans."""

    start: int
    end: int
    paragraph: int
    tokens: tuple[Span, ...]


@cache
def english() -> Language:
    """The blank English pipeline with a sentencizer (built once per process)."""
    # spaCy is imported on first use: it imports torch where torch is installed (through thinc),
    # which commands that never parse text should not pay for.
    import spacy
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    tokenizer: Tokenizer = nlp.tokenizer
    for abbreviation in _CLINICAL_ABBREVIATIONS:
        for form in {abbreviation, abbreviation.capitalize()}:
            tokenizer.add_special_case(form, [{"ORTH": form}])
    nlp.add_pipe("sentencizer")
    return nlp


def paragraphs(text: str) -> list[Span]:
    """Non-blank paragraphs (split on blank lines), trimmed of surrounding white space."""
    spans: list[Span] = []
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.extend(trimmed(text, position, match.start()))
        position = match.end()
    spans.extend(trimmed(text, position, len(text)))
    return spans


def pieces(text: str, span: Span, *, max_chars: int = MAX_PIECE_CHARS) -> list[Span]:
    """`span` of `text` cut into pieces of at most `max_chars` characters, each cut at the last line
    break, else sentence end, else white space before the limit (a cut mid-word only where there
    is none): spaCy parses no more than its limit at once, and memory stays bounded."""
    found: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind("\n"), window.rfind(". "), window.rfind(" "))
        end = start + (cut + 1 if cut > max_chars // 2 else max_chars)
        found.extend(trimmed(text, start, end))
        start = end
    found.extend(trimmed(text, start, span.end))
    return found


def parse(texts: Sequence[str], *, batch_size: int = 256) -> list[list[Sentence]]:
    """The sentences of each text, in order (all texts' paragraphs go through spaCy together; a
    paragraph longer than `MAX_PIECE_CHARS` in pieces)."""
    layout = [
        [(index, piece) for index, paragraph in enumerate(paragraphs(text)) for piece in pieces(text, paragraph)]
        for text in texts
    ]
    docs = iter(
        english().pipe(
            (text[p.start : p.end] for text, spans in zip(texts, layout) for _, p in spans), batch_size=batch_size
        )
    )
    parsed: list[list[Sentence]] = []
    for text, spans in zip(texts, layout):
        sentences: list[Sentence] = []
        for index, paragraph in spans:
            doc = next(docs)
            cuts = sorted(
                {0, len(doc.text)}
                | {s.start_char for s in doc.sents}
                | {m.start() + 1 for m in _LINE_ITEM.finditer(doc.text)}
            )
            tokens = [
                Span(paragraph.start + t.idx, paragraph.start + t.idx + len(t.text)) for t in doc if not t.is_space
            ]
            first = 0
            for start, end in itertools.pairwise(cuts):
                for span in trimmed(text, paragraph.start + start, paragraph.start + end):
                    while first < len(tokens) and tokens[first].start < span.start:
                        first += 1
                    last = first
                    while last < len(tokens) and tokens[last].end <= span.end:
                        last += 1
                    if last > first:
                        sentences.append(Sentence(span.start, span.end, index, tuple(tokens[first:last])))
                    first = last
        parsed.append(sentences)
    return parsed


def trimmed(text: str, start: int, end: int) -> list[Span]:
    """`[start, end)` without surrounding white space, as a one-item list, or [] if blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if start < end else []
