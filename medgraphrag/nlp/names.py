"""Normalized forms of concept names, shared by the vocabulary writer, the linker and the lexicon.

Each concept stores the normalized key of every name (case, accents, punctuation and plurals
folded) in `name_keys`, each written `^ key $`, and one full-text index splits them on whitespace.
A phrase query `"^ key $"` therefore matches whole names only (an exact lookup with no ranking to
get wrong), while the same index answers word-level queries: every word of a name (word-order
variants, compared by `word_bag`), and fuzzy words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

_NON_WORD = re.compile(r"[^a-z0-9]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")
# The filler of concept names, dropped from the word-order key only: a few connectives and the
# coders' qualifiers. Not the stop words (nlp/stopwords.py): "above", "below" and "without" tell
# names apart ("below knee amputation").
NAME_FILLER = frozenset("a an and the of in on or for to with by nos unspecified type".split())
_INVARIANT = ("ss", "us", "is", "ys", "as", "os")
# Singular nouns that end like plurals.
_SINGULAR_NOUNS = frozenset(
    "diabetes herpes rabies scabies measles mumps rickets series species shingles hives caries feces "
    "faeces lues pubes biceps triceps forceps news".split()
)
_TOKEN = re.compile(r"[^\W_]+")
# Latin and Greek nouns whose plural adds -es to a stem ending in -us: viruses, fetuses, sinuses.
_US_PLURALS = ("ruses", "tuses", "nuses", "xuses", "luses")
# Greek and Latin nouns in -a whose plural adds -s: carcinomas, edemas, traumas, arrhythmias.
_A_PLURALS = ("omas", "emas", "umas", "ias")
KEY_START, KEY_END = "^", "$"
_CUI = re.compile(r"C\d{7}")
# Recorded with every vocabulary load: concepts written under another format need loading again.
# 2: British spellings folded to American; 3: plurals of -a nouns; 4: sulph- and dilatation folded
KEY_FORMAT = "name_keys/4"


def fold(text: str) -> str:
    """Lower case, accents and possessive 's removed, every run of non-alphanumerics one space."""
    text = _POSSESSIVE.sub("", text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.lower()).strip()


def singular(word: str) -> str:
    """A conservative English singular: regular plurals and those of Greek and Latin -a nouns
    ("carcinomas", "arrhythmias"), never another Latin or Greek ending ("pancreas", "diagnosis")."""
    if len(word) > 5 and word.endswith(_A_PLURALS):
        return word[:-1]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_INVARIANT) or word in _SINGULAR_NOUNS:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("aches") and not word.endswith(("eaches", "oaches")):
        return word[:-1]  # aches, headaches: the singular keeps its e
    if word.endswith(("ches", "shes", "xes", "zes", "sses", *_US_PLURALS)):
        return word[:-2]
    return word[:-1]


# British spellings of medical words, folded to the American ones: haemorrhage, anaemia, aetiology;
# oedema, oesophagus, diarrhoea; tumour; fibre, centre; leucocyte; sulphate. Every key goes through it, the
# vocabulary's and the text's, so a word it folds wrongly ("poetry") still matches only itself.
_BRITISH: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<=[a-z]{2}[bt])re$"), "er"),  # before "ae": vertebrae is no -re word
    (re.compile(r"(?<=[a-z]{3})our$"), "or"),
    (re.compile(r"ae"), "e"),
    # oedema, foetal, coeliac, amoeba, homoeopathy, dyspnoea; not a compound's o-e (angioedema)
    (re.compile(r"^(|[cf]|amo|homo)oe|oea$"), lambda m: m.group(0).replace("oe", "e")),
    (re.compile(r"^leuc"), "leuk"),
    (re.compile(r"sulph"), "sulf"),  # sulphate, sulphonamide, dimethyl sulphoxide
    # Not British only, but the same word either way: "cardiac dilatation", "cardiac dilation".
    (re.compile(r"(?<=dil)atation"), "ation"),
)


# Whether any of the rules could apply: most words skip them (normalize is on every load's path).
_BRITISH_HINT = re.compile(r"ae|oe|our$|[bt]re$|^leuc|sulph|dilatat")


def american(word: str) -> str:
    """A lower-case word in American spelling where its British spelling differs by rule."""
    if len(word) < 5 or not _BRITISH_HINT.search(word):
        return word
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return word


def normalize(text: str) -> str:
    """The exact-match key: folded text with each word singularized and in American spelling, short
    acronyms kept (AIDS)."""
    if "'" in text or "\u2019" in text:
        text = _POSSESSIVE.sub("", text)
    words = []
    for token in _TOKEN.findall(text):
        acronym = token.isupper() and len(token) <= 5
        for word in (token.lower(),) if token.isascii() else fold(token).split():
            words.append(word if acronym else american(word if word[-1] != "s" else singular(word)))
    return " ".join(words)


# The disorder an adjective names, by the endings medical English derives adjectives with:
# arthritic -> arthritis, psychotic -> psychosis, dyskinetic -> dyskinesia, epileptic -> epilepsy,
# edematous -> edema, ischemic -> ischemia.
_ADJECTIVE_ENDINGS = (
    ("itic", "itis"),
    ("otic", "osis"),
    ("etic", "esia"),
    ("ptic", "psy"),
    ("atous", "a"),
    ("ic", "ia"),
)


def disorder_nouns(key: str) -> list[str]:
    """The keys of the disorders whose adjective ends the normalized name `key` ("schizophrenic
    patient" gives nothing, "hypothermic" gives "hypothermia"), most specific ending first."""
    head, _, last = key.rpartition(" ")
    return [
        f"{head} {last[: -len(ending)]}{noun}".strip()
        for ending, noun in _ADJECTIVE_ENDINGS
        if last.endswith(ending) and len(last) > len(ending) + 3
    ]


def word_bag(text: str) -> str:
    """The word-order key: the sorted distinct content words of the normalized text."""
    return key_bag(normalize(text))


def key_bag(key: str) -> str:
    """The word-order key of a text already normalized (a name key): its sorted distinct content
    words."""
    return " ".join(sorted({w for w in key.split() if w not in NAME_FILLER}))


def indexed_keys(names: Iterable[str]) -> list[str]:
    """The distinct keys of `names` in first-seen order, each as stored and indexed: `^ key $`."""
    return [indexed_key(key) for key in dict.fromkeys(map(normalize, names)) if key]


def indexed_key(key: str) -> str:
    """The key `key` as stored and indexed: `^ key $`."""
    return f"{KEY_START} {key} {KEY_END}"


def key_phrase(key: str) -> str:
    """The full-text phrase that matches a stored name whose key is exactly `key`."""
    return f'"{indexed_key(key)}"'


def stored_key(indexed: str) -> str:
    """The plain key of one stored `^ key $` element."""
    return indexed[len(KEY_START) + 1 : -len(KEY_END) - 1]


def normalized_id(raw: str) -> str | None:
    """A PubTator or vocabulary id in one form (`MESH:D008107`, `OMIM:215600`); None for none and
    for a bare UMLS CUI (`C0263338`, seven digits), which is no MeSH supplementary id (`C538265`)."""
    raw = raw.strip()
    if not raw or raw == "-1":
        return None
    prefix, _, rest = raw.rpartition(":")
    prefix = prefix.upper()
    if not prefix and _CUI.fullmatch(rest):
        return None
    if prefix in ("", "MESH", "MSH"):
        return f"MESH:{rest}" if rest[:1] in "DC" and rest[1:].isdigit() else None
    return f"{prefix}:{rest}"
