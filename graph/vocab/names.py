"""Normalized forms of concept names, shared by the vocabulary writer and the concept linker.

Two keys per name are stored on each concept and indexed: the normalized string (case, accents,
punctuation and plurals folded) and its bag of content words (word order folded). A span is looked
up by the same keys, so exact, plural, punctuation and word-order variants all hit one index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[^a-z0-9]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")
# Words that carry no identity in a concept name; dropped from the word-bag key only.
_BAG_STOPWORDS = frozenset("a an and the of in on or for to with by nos unspecified type".split())
_INVARIANT = ("ss", "us", "is", "ys", "as", "os")
# Singular nouns that end like plurals.
_SINGULAR_NOUNS = frozenset(
    "diabetes herpes rabies scabies measles mumps rickets series species shingles hives caries feces "
    "faeces lues pubes biceps triceps forceps news".split()
)
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case, accents and possessive 's removed, every run of non-alphanumerics one space."""
    text = _POSSESSIVE.sub("", text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.lower()).strip()


def singular(word: str) -> str:
    """A conservative English singular: only regular plurals, never Latin or Greek endings."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_INVARIANT) or word in _SINGULAR_NOUNS:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    return word[:-1]


def normalize(text: str) -> str:
    """The exact-match key: folded text with each word singularized, short acronyms kept (AIDS)."""
    words = []
    for token in _TOKEN.findall(_POSSESSIVE.sub("", text)):
        acronym = token.isupper() and len(token) <= 5
        for word in (token.lower(),) if token.isascii() else fold(token).split():
            words.append(word if acronym else singular(word))
    return " ".join(words)


def word_bag(text: str) -> str:
    """The word-order key: the sorted distinct content words of the normalized text."""
    words = {w for w in normalize(text).split() if w not in _BAG_STOPWORDS}
    return " ".join(sorted(words))


def name_keys(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Distinct exact keys and word-bag keys of `names`, in first-seen order."""
    exact = dict.fromkeys(k for k in (normalize(n) for n in names) if k)
    bags = dict.fromkeys(b for b in (word_bag(k) for k in exact) if b)
    return list(exact), list(bags)
