"""Abbreviation definitions in running text and the later uses of each defined short form.

After Schwartz & Hearst (2003), "A simple algorithm for identifying abbreviation definitions in
biomedical text". A definition is "long form (SF)" or, reversed, "SF (long form)":
- the short form has 2 to 10 characters and at most 2 words, contains a letter and begins with a
  letter or digit; stricter than the paper, so that asides such as "(see below)" or "(See Below)"
  are not read as short forms, every word of it has an upper-case letter or a digit, and it has
  no more lower-case letters than upper-case letters and digits together;
- text in parentheses after ", " or "; " is dropped ("(MI; n = 12)" defines MI);
- the long form is sought among the min(|SF| + 5, 2 |SF|) words before the parenthesis, within
  the same sentence: the characters of the short form are matched right to left, the first one at
  the start of a word, and the shortest such suffix of the words is the long form, unless the
  short form is the initials of a longer one ("attenuated adenomatous polyposis coli (AAPC)", where
  the shortest suffix would take an "a" from inside "adenomatous"): words split at hyphens too;
- the reversed pattern is tried when the forward one gives nothing, the word before the
  parenthesis looks like a short form and the text in parentheses is longer than it;
- a long form shorter than its short form, or containing the short form as a word, is rejected.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_PARENTHESIS = re.compile(r"\(([^()]*)\)")
# The long form of a definition does not reach back past a sentence end, a bracket or a blank line.
_LONG_FORM_BOUNDARY = re.compile(r"[.!?;](?=\s)|[()\[\]{}]|\n[ \t\r]*\n")
_INNER_CUT = re.compile(r"[,;]\s")
_TOKEN = re.compile(r"\S+")
# The word right before a parenthesis, a candidate short form of the reversed pattern.
_WORD_BEFORE = re.compile(r"(?<!\S)(\w[\w+/-]*)\s+$")
_INITIAL_WORD = re.compile(r"[^\s-]+")
_MAX_SHORT_FORM = 10


@dataclass(frozen=True)
class Abbreviation:
    """A short form defined in a text, its long form, and where the definition's parts are."""

    short: str
    long: str
    short_start: int
    long_start: int
    long_end: int

    @property
    def short_end(self) -> int:
        """The end offset of the definition's short form."""
        return self.short_start + len(self.short)


def is_short_form(candidate: str) -> bool:
    """Whether `candidate` can be a short form: 2 to 10 characters in at most 2 words, a letter in
    it, each word with a capital or a digit, no more lower-case letters than capitals and digits."""
    words = candidate.split()
    return (
        2 <= len(candidate) <= _MAX_SHORT_FORM
        and 1 <= len(words) <= 2
        and candidate[0].isalnum()
        and any(c.isalpha() for c in candidate)
        and all(any(c.isupper() or c.isdigit() for c in word) for word in words)
        and sum(c.islower() for c in candidate) <= sum(c.isupper() or c.isdigit() for c in candidate)
    )


def _max_long_form_words(short: str) -> int:
    return min(len(short) + 5, 2 * len(short))


def _best_long_form_start(short: str, candidate: str) -> int | None:
    """Where in `candidate` the shortest suffix that spells `short` begins, if any."""
    s = len(short) - 1
    c = len(candidate) - 1
    while s >= 0:
        char = short[s].lower()
        if char.isalnum():
            # The first short-form character must also begin a word of the long form.
            while c >= 0 and (candidate[c].lower() != char or (s == 0 and c > 0 and candidate[c - 1].isalnum())):
                c -= 1
            if c < 0:
                return None
            c -= 1
        s -= 1
    start = c + 1
    while start > 0 and not candidate[start - 1].isspace():
        start -= 1
    return start


def _initials_start(short: str, candidate: str) -> int | None:
    """Where in `candidate` the words begin whose initials spell `short`, ending it; None if they
    do not."""
    letters = [c.lower() for c in short if c.isalnum()]
    words = list(_INITIAL_WORD.finditer(candidate))[-len(letters) :] if letters else []
    if len(words) != len(letters) or any(w.group()[0].lower() != c for w, c in zip(words, letters, strict=True)):
        return None
    return words[0].start()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """`[start, end)` narrowed to begin and end on a letter or digit (empty if it has none)."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def _definition(text: str, short_start: int, short_end: int, window_start: int, window_end: int) -> Abbreviation | None:
    """The definition of text[short_start:short_end] by a long form ending the window, if any."""
    short = text[short_start:short_end]
    tokens = [m.span() for m in _TOKEN.finditer(text, window_start, window_end)]
    tokens = tokens[-_max_long_form_words(short) :]
    if not tokens:
        return None
    candidate_start, candidate_end = tokens[0][0], tokens[-1][1]
    candidate = text[candidate_start:candidate_end]
    offset = _best_long_form_start(short, candidate)
    if offset is None:
        return None
    initials = _initials_start(short, candidate)
    if initials is not None and initials < offset:
        offset = initials
    long_start, long_end = _trimmed(text, candidate_start + offset, candidate_end)
    long = text[long_start:long_end]
    if len(long) < len(short) or re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long, re.IGNORECASE):
        return None
    return Abbreviation(short, long, short_start, long_start, long_end)


def find_definitions(text: str) -> list[Abbreviation]:
    """Abbreviations defined in `text` as "long form (SF)" or "SF (long form)",
    first definition per short form."""
    boundaries = [m.end() for m in _LONG_FORM_BOUNDARY.finditer(text)]
    found: dict[str, Abbreviation] = {}
    for paren in _PARENTHESIS.finditer(text):
        inner_start, inner_end = paren.span(1)
        cut = _INNER_CUT.search(text, inner_start, inner_end)
        inner_start, inner_end = _trimmed(text, inner_start, cut.start() if cut else inner_end)
        before = bisect_right(boundaries, paren.start())
        region_start = boundaries[before - 1] if before else 0
        definition = None
        if is_short_form(text[inner_start:inner_end]):
            definition = _definition(text, inner_start, inner_end, region_start, paren.start())
        outside = _WORD_BEFORE.search(text, region_start, paren.start())
        if (
            definition is None
            and outside is not None
            and is_short_form(outside.group(1))
            and inner_end - inner_start > len(outside.group(1))
        ):
            definition = _definition(text, *outside.span(1), inner_start, inner_end)
        if definition is not None:
            found.setdefault(definition.short, definition)
    return sorted(found.values(), key=lambda d: min(d.short_start, d.long_start))


def spells(short: str, long: str) -> bool:
    """Whether the name `long` spells the short form `short` whole, as the long form of a
    definition would ("overactive bladder": OAB): of two words or more, the short form's characters
    found in it from its first character, the last of them in its last word."""
    if not is_short_form(short) or len(words := long.split()) < 2:
        return False
    last = next((c.lower() for c in reversed(short) if c.isalnum()), "")
    return _best_long_form_start(short, long) == 0 and last in words[-1].lower()


def abbreviation_uses(text: str, definitions: Sequence[Abbreviation]) -> list[tuple[int, int, Abbreviation]]:
    """Every later occurrence (start, end, definition) of a defined short form as a whole word,
    case-sensitive, outside its own definition."""
    uses: list[tuple[int, int, Abbreviation]] = []
    for definition in definitions:
        after = max(definition.short_end, definition.long_end)
        pattern = re.compile(rf"(?<!\w){re.escape(definition.short)}(?!\w)")
        uses.extend((m.start(), m.end(), definition) for m in pattern.finditer(text, after))
    return sorted(uses, key=lambda use: (use[0], use[1]))
