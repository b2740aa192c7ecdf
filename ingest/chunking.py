"""Hybrid static-semantic chunking (paper 2.1.1): contiguous chunks with exact character offsets.

Static first: paragraphs and sentences (nlp/sentences.py) are packed into small *units* that never
cross a paragraph. Semantic second, one of:
- offline: the similarity of the windows on either side of each unit boundary says where the topic
  changes: by default their lexical cohesion (the content words they share, as TextTiling measures
  it: Hearst, 1997), or the cosine of their embeddings, which costs a second embedding pass over the
  whole text. A span of units stays one chunk unless it is over the token budget or holds a topic
  break; it is then cut at its weakest boundary, paragraph breaks and balanced halves preferred,
  recursively. A document too short to be cut needs no similarities.
- with an LLM: paragraph by paragraph, the model decides whether the next paragraph continues the
  current chunk's topic, seeing a sliding window of five paragraphs; the budget is a hard cap.
Every chunk is `text[start:end]` of its document, so a citation slices back out of the source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.sentences import Sentence
from medgraphrag.nlp.stopwords import STOP_WORDS

# How much better a paragraph break is than a sentence break inside a paragraph, in cosine units.
PARAGRAPH_PREFERENCE = 0.1
# A content word: starts with a letter and is longer than two characters ("pH" and "IV" say no topic).
_CONTENT_WORD = re.compile(r"[a-z][a-z0-9]{2,}")


@dataclass(frozen=True)
class Unit:
    """Consecutive sentences of one paragraph (or a piece of an over-long sentence)."""

    start: int
    end: int
    tokens: int
    paragraph: int


@dataclass(frozen=True)
class TextChunk:
    """One chunk: its position in the document and its exact text."""

    ord: int
    start: int
    end: int
    text: str


def units(sentences: Sequence[Sentence], *, max_tokens: int, min_tokens: int = 12) -> list[Unit]:
    """Sentences packed into units of at most `max_tokens` tokens, a unit growing while it has
    fewer than `min_tokens`; an over-long sentence is cut between tokens."""
    packed: list[Unit] = []
    for sentence in sentences:
        pieces = [sentence.tokens[i : i + max_tokens] for i in range(0, len(sentence.tokens), max_tokens)]
        for piece in pieces:
            last = packed[-1] if packed else None
            if (
                last is not None
                and last.paragraph == sentence.paragraph
                and last.tokens < min_tokens
                and last.tokens + len(piece) <= max_tokens
            ):
                packed[-1] = Unit(last.start, piece[-1].end, last.tokens + len(piece), last.paragraph)
            else:
                packed.append(Unit(piece[0].start, piece[-1].end, len(piece), sentence.paragraph))
    return packed


def boundary_similarities(vectors: np.ndarray, *, window: int = 2) -> np.ndarray:
    """Cosine similarity, at each boundary between units i and i+1, of the mean vectors of the
    `window` units before and the `window` units after it."""
    n = len(vectors)
    if n < 2:
        return np.zeros(0)
    cumulative = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    similarities = np.empty(n - 1)
    for i in range(n - 1):
        left = cumulative[i + 1] - cumulative[max(0, i + 1 - window)]
        right = cumulative[min(n, i + 1 + window)] - cumulative[i + 1]
        denominator = np.linalg.norm(left) * np.linalg.norm(right)
        similarities[i] = float(left @ right / denominator) if denominator else 0.0
    return similarities


def content_words(text: str) -> Counter[str]:
    """How often each content word of `text` occurs, as name keys spell words (lower case, singular,
    American spelling); no stop word, number or word of two letters."""
    return Counter(word for word in normalize(text).split() if _CONTENT_WORD.fullmatch(word) and word not in STOP_WORDS)


def word_similarities(texts: Sequence[str], *, window: int = 2) -> np.ndarray:
    """Lexical cohesion at each boundary between texts i and i+1: the cosine similarity of the
    content-word counts of the `window` texts before and the `window` texts after it."""
    bags = [content_words(text) for text in texts]
    similarities = np.zeros(max(0, len(bags) - 1))
    for i in range(len(bags) - 1):
        left: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for bag in bags[max(0, i + 1 - window) : i + 1]:
            left.update(bag)
        for bag in bags[i + 1 : i + 1 + window]:
            right.update(bag)
        shared = sum(count * right[word] for word, count in left.items() if word in right)
        denominator = np.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
        similarities[i] = shared / denominator if denominator else 0.0
    return similarities


def semantic_chunks(
    text: str,
    pieces: Sequence[Unit],
    similarities: np.ndarray,
    *,
    max_tokens: int,
    topic_threshold: float,
    min_tokens: int,
) -> list[TextChunk]:
    """Chunks of `pieces`, cut where the `similarities` at their boundaries (`word_similarities`
    or `boundary_similarities` of their vectors) say the topic changes, or where the budget ends."""
    if not pieces:
        return []
    sizes = np.cumsum([0] + [u.tokens for u in pieces])
    spans: list[tuple[int, int]] = []

    def split(lo: int, hi: int) -> None:
        total = int(sizes[hi] - sizes[lo])
        boundaries = range(lo, hi - 1)  # boundary b lies between units b and b + 1

        def balanced(b: int) -> bool:
            return bool(min(sizes[b + 1] - sizes[lo], sizes[hi] - sizes[b + 1]) >= min_tokens)

        breaks = [b for b in boundaries if similarities[b] < topic_threshold and balanced(b)]
        if hi - lo == 1 or (total <= max_tokens and not breaks):
            spans.append((lo, hi))
            return
        candidates = breaks or list(boundaries)
        # Equally weak boundaries (content words often share nothing at several) are told apart by
        # the sizes they leave: a heading is not cut off from what it heads to make one side tiny.
        cut = min(
            candidates,
            key=lambda b: (
                similarities[b]
                - PARAGRAPH_PREFERENCE * (pieces[b].paragraph != pieces[b + 1].paragraph)
                + (0.0 if balanced(b) else 1.0),
                abs(int(sizes[b + 1] - sizes[lo]) - int(sizes[hi] - sizes[b + 1])),
                b,
            ),
        )
        split(lo, cut + 1)
        split(cut + 1, hi)

    split(0, len(pieces))
    return [
        TextChunk(ord_, pieces[lo].start, pieces[hi - 1].end, text[pieces[lo].start : pieces[hi - 1].end])
        for ord_, (lo, hi) in enumerate(spans)
    ]


def splittable(pieces: Sequence[Unit], *, max_tokens: int, min_tokens: int) -> bool:
    """Whether `semantic_chunks` could cut `pieces` at all: they are over the budget, or long
    enough for two balanced parts; if not, they are one chunk whatever their vectors say."""
    total = sum(u.tokens for u in pieces)
    return len(pieces) > 1 and (total > max_tokens or total >= 2 * min_tokens)


def topic_chunks(
    text: str,
    pieces: Sequence[Unit],
    same_topic: Callable[[Sequence[str], str], bool],
    *,
    max_tokens: int,
    window: int = 5,
) -> list[TextChunk]:
    """Chunks decided paragraph by paragraph by `same_topic(previous paragraphs, next paragraph)`,
    seeing at most `window` paragraphs at a time; a chunk never exceeds `max_tokens`."""
    blocks: list[Unit] = []
    for unit in pieces:
        last = blocks[-1] if blocks else None
        if last is not None and last.paragraph == unit.paragraph and last.tokens + unit.tokens <= max_tokens:
            blocks[-1] = Unit(last.start, unit.end, last.tokens + unit.tokens, last.paragraph)
        else:
            blocks.append(unit)
    groups: list[list[Unit]] = []
    for block in blocks:
        current = groups[-1] if groups else None
        if (
            current is not None
            and sum(b.tokens for b in current) + block.tokens <= max_tokens
            and same_topic([text[b.start : b.end] for b in current[-(window - 1) :]], text[block.start : block.end])
        ):
            current.append(block)
        else:
            groups.append([block])
    return [TextChunk(i, g[0].start, g[-1].end, text[g[0].start : g[-1].end]) for i, g in enumerate(groups)]
