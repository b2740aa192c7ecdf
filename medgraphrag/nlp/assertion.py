"""NegEx-style assertion status of entity mentions: affirmed, negated or uncertain.

After Chapman et al. (2001), "A simple algorithm for identifying negated findings and diseases in
discharge summaries", extended with uncertainty cues as in ConText (Harkema et al., 2009).

Rules:
- Cues are phrases matched case-insensitively on word boundaries (words inside a phrase may be
  separated by any whitespace or a hyphen). Where phrases overlap, the leftmost wins and, at the
  same position, the longest: so a pseudo-trigger ("no change", "gram negative") swallows the
  shorter trigger inside it, and "was ruled out" is read as one post-negation cue.
- A pre-cue's scope runs forward from its end, a post-cue's backward from its start. A mention is
  in scope when it lies wholly on that side of the cue, no scope terminator ("but", "which", ";",
  ".", ...) lies between them, and fewer than six words separate them (the mention begins within
  the six words after a pre-cue, or ends within the six words before a post-cue). A mention
  overlapping a cue is not in that cue's scope.
- Precedence: negated if any negation cue has the mention in scope, else uncertain if any
  uncertainty cue has, else affirmed. Negation wins because a negated hedge ("no evidence of
  possible pneumonia") still asserts absence.
- Phrases listed both as pre- and post-cues ("absent", "versus") act in both directions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

AFFIRMED, NEGATED, UNCERTAIN = "affirmed", "negated", "uncertain"

PRE_NEGATION: tuple[str, ...] = (
    "no",
    "not",
    "without",
    "denies",
    "denied",
    "denying",
    "deny",
    "negative for",
    "no evidence of",
    "no evidence for",
    "no sign of",
    "no signs of",
    "no findings of",
    "no suggestion of",
    "absence of",
    "absent",
    "free of",
    "ruled out",
    "rules out",
    "never had",
    "never developed",
    "no history of",
    "no complaints of",
    "fails to reveal",
    "failed to reveal",
    "resolved",
    "not demonstrate",
    "did not exhibit",
    "no new",
    "declined",
    "declines",
    "no mention of",
    "neither",
    "nor",
)
POST_NEGATION: tuple[str, ...] = (
    "was ruled out",
    "is ruled out",
    "are ruled out",
    "were ruled out",
    "has been ruled out",
    "have been ruled out",
    "unlikely",
    "negative",
    "is negative",
    "was negative",
    "are negative",
    "were negative",
    "not seen",
    "not present",
    "not identified",
    "absent",
    "is absent",
    "was absent",
    "are absent",
    "free",
    "has resolved",
    "have resolved",
)
PRE_UNCERTAINTY: tuple[str, ...] = (
    "possible",
    "possibly",
    "probable",
    "probably",
    "suspected",
    "suspect",
    "suspicious for",
    "suspicion of",
    "likely",
    "questionable",
    "question of",
    "rule out",
    "to rule out",
    "r/o",
    "cannot exclude",
    "cannot rule out",
    "can not rule out",
    "could not rule out",
    "may",
    "might",
    "could be",
    "may represent",
    "concern for",
    "concerning for",
    "worrisome for",
    "differential includes",
    "differential diagnosis includes",
    "presumed",
    "equivocal for",
    "not certain whether",
    "not certain if",
    "uncertain whether",
    "uncertain if",
    "versus",
    "vs",
    "vs.",
)
POST_UNCERTAINTY: tuple[str, ...] = (
    "cannot be excluded",
    "can not be excluded",
    "cannot be ruled out",
    "can not be ruled out",
    "could not be ruled out",
    "not been ruled out",
    "not ruled out",
    "not excluded",
    "is possible",
    "is suspected",
    "was suspected",
    "is likely",
    "is questionable",
    "?",
    "versus",
    "vs",
    "vs.",
)
# Phrases that contain a trigger but do not negate or hedge; matching them blocks that trigger.
PSEUDO_TRIGGERS: tuple[str, ...] = (
    "no increase",
    "no change",
    "no significant change",
    "no interval change",
    "no definite change",
    "no suspicious change",
    "no further",
    "no doubt",
    "not only",
    "not necessarily",
    "not drain",
    "not extend",
    "not cause",
    "without difficulty",
    "without any further",
    "gram negative",
)
SCOPE_TERMINATORS: tuple[str, ...] = (
    "but",
    "however",
    "although",
    "though",
    "nevertheless",
    "except",
    "apart from",
    "aside from",
    "other than",
    "which",
    "who",
    "cause of",
    "cause for",
    "source of",
    "source for",
    "reason for",
    "reasons for",
    "etiology of",
    "origin of",
    "secondary to",
    "presents",
    "presented",
    "presenting",
    "complains",
    "complained",
    "patient",
    "pt",
    ";",
    ":",
    ".",
    "!",
)

# NegEx's window: a cue reaches at most this many words.
SCOPE_WORDS = 6


@dataclass(frozen=True)
class _Effect:
    """What a cue phrase does: the status it assigns and whether its scope runs forward."""

    status: str
    forward: bool


@dataclass(frozen=True)
class _Cue:
    """A cue found in a sentence: its span and its effect."""

    start: int
    end: int
    effect: _Effect


@dataclass(frozen=True)
class _Scan:
    """Everything about one sentence that scoping needs: cues, terminators and word offsets."""

    cues: tuple[_Cue, ...]
    terminator_starts: tuple[int, ...]
    terminator_ends: tuple[int, ...]
    word_starts: tuple[int, ...]
    word_ends: tuple[int, ...]

    def words_between(self, start: int, end: int) -> int:
        """How many words lie wholly inside `[start, end)`."""
        return max(0, bisect_right(self.word_ends, end) - bisect_left(self.word_starts, start))

    def terminated(self, start: int, end: int) -> bool:
        """Whether a scope terminator lies wholly inside `[start, end)`."""
        i = bisect_left(self.terminator_starts, start)
        # Terminators do not overlap, so the first one starting after `start` ends first.
        return i < len(self.terminator_starts) and self.terminator_ends[i] <= end


def _normalize(phrase: str) -> str:
    return re.sub(r"[\s-]+", " ", phrase.lower()).strip()


def _effects() -> dict[str, tuple[_Effect, ...]]:
    table: dict[str, list[_Effect]] = {}
    for phrases, effect in (
        (PRE_NEGATION, _Effect(NEGATED, True)),
        (POST_NEGATION, _Effect(NEGATED, False)),
        (PRE_UNCERTAINTY, _Effect(UNCERTAIN, True)),
        (POST_UNCERTAINTY, _Effect(UNCERTAIN, False)),
    ):
        for phrase in phrases:
            table.setdefault(_normalize(phrase), []).append(effect)
    for phrase in PSEUDO_TRIGGERS:
        table[_normalize(phrase)] = []
    return {phrase: tuple(effects) for phrase, effects in table.items()}


def _phrase_pattern(phrase: str) -> str:
    body = r"[\s-]+".join(re.escape(word) for word in phrase.split(" "))
    before = r"(?<!\w)" if re.match(r"\w", phrase) else ""
    return before + body + r"(?!\w)"


_EFFECTS = _effects()
_TERMINATORS = frozenset(_normalize(phrase) for phrase in SCOPE_TERMINATORS)
# One alternation over every class, longest phrase first, so that at any position the longest
# phrase of any class wins (pseudo-triggers must beat the triggers inside them).
_CUE_PATTERN = re.compile(
    "|".join(_phrase_pattern(phrase) for phrase in sorted(_EFFECTS.keys() | _TERMINATORS, key=lambda p: (-len(p), p))),
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+(?:[-'\u2019/.]\w+)*")


def _scan(sentence: str) -> _Scan:
    cues: list[_Cue] = []
    terminators: list[tuple[int, int]] = []
    for match in _CUE_PATTERN.finditer(sentence):
        phrase = _normalize(match.group())
        if phrase in _TERMINATORS:
            terminators.append(match.span())
        else:
            cues.extend(_Cue(match.start(), match.end(), effect) for effect in _EFFECTS[phrase])
    words = [match.span() for match in _WORD.finditer(sentence)]
    return _Scan(
        cues=tuple(cues),
        terminator_starts=tuple(start for start, _ in terminators),
        terminator_ends=tuple(end for _, end in terminators),
        word_starts=tuple(start for start, _ in words),
        word_ends=tuple(end for _, end in words),
    )


def _in_scope(scan: _Scan, cue: _Cue, start: int, end: int) -> bool:
    if cue.effect.forward:
        gap_start, gap_end = cue.end, start
    else:
        gap_start, gap_end = end, cue.start
    return (
        gap_start <= gap_end
        and scan.words_between(gap_start, gap_end) < SCOPE_WORDS
        and not scan.terminated(gap_start, gap_end)
    )


def _status(scan: _Scan, start: int, end: int) -> str:
    uncertain = False
    for cue in scan.cues:
        if _in_scope(scan, cue, start, end):
            if cue.effect.status == NEGATED:
                return NEGATED
            uncertain = True
    return UNCERTAIN if uncertain else AFFIRMED


def _check_span(sentence: str, start: int, end: int) -> None:
    if not 0 <= start < end <= len(sentence):
        raise ValueError(f"span ({start}, {end}) is not a non-empty range of the sentence")


def statuses(sentence: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """mention_status for each span of one sentence (the sentence is scanned once)."""
    for start, end in spans:
        _check_span(sentence, start, end)
    scan = _scan(sentence)
    return [_status(scan, start, end) for start, end in spans]


def mention_status(sentence: str, start: int, end: int) -> str:
    """The assertion status of the mention at sentence[start:end]."""
    return statuses(sentence, [(start, end)])[0]
