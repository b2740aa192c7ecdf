"""Assertion status of entity mentions, by medspaCy's ConText (Harkema et al., 2009).

A mention can be negated ("no evidence of pneumonia", "pneumonia was ruled out"), uncertain
("possible pneumonia", "rule out MI"), conditional, a hypothetical that may come ("return if chest
pain develops"; conditional mentions count as uncertain too), historical ("history of pneumonia"),
or a finding of someone other than the patient ("mother had breast cancer"): five independent
flags, from which one summary status is read (`Assertion.status`).

medspaCy's ConText matches its cue rules, gives each cue a scope (forward, backward or both, up to
the end of the sentence or a terminating cue such as "but"), lets a pseudo-cue ("no increase",
"gram negative") swallow the cue inside it, and marks the mentions in scope. Its packaged English
rules are used as they are, plus the project's (`EXTRA_RULES`): the cues those rules lack that
clinical notes and abstracts use (post-negations such as "was ruled out", hedges such as
"concerning for", family members after the finding, "return if", and the medical phrases that only
look like cues). The packaged FAMILY rule is replaced: it reads "children with asthma" in an
abstract as a relative's asthma. A mention is read in its sentence alone. A sentence in which no
flag-setting cue could match (it lacks a word of some required token of each) is not run through
ConText: its mentions are affirmed, as ConText would find them, at a fraction of the cost.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

AFFIRMED, NEGATED, UNCERTAIN = "affirmed", "negated", "uncertain"
HISTORICAL, FAMILY, CONDITIONAL = "historical", "family", "conditional"
# The summary status of a mention: the first of its flags in this order, else affirmed.
STATUSES = (NEGATED, FAMILY, CONDITIONAL, UNCERTAIN, HISTORICAL, AFFIRMED)
# Statuses of mentions that do not state a present finding of the patient.
NOT_THE_PATIENTS = frozenset({NEGATED, FAMILY, CONDITIONAL})

_TARGET = "MENTION"
_SPAN_GROUP = "mentions"
# ConText's categories, and the flags each sets on the mentions in its scope.
_FLAGS_OF_CATEGORY: dict[str, tuple[str, ...]] = {
    "NEGATED_EXISTENCE": ("negated",),
    "POSSIBLE_EXISTENCE": ("uncertain",),
    "HYPOTHETICAL": ("conditional", "uncertain"),
    "HISTORICAL": ("historical",),
    "FAMILY": ("family",),
}
# Kin named alone mark a finding as theirs ("Mother had breast cancer"); words that in the literature
# usually name the people studied ("children with asthma", "mothers with gestational diabetes")
# do so only after a possessive ("her children"). medspaCy's packaged FAMILY rule treats both alike.
_KIN = (
    "aunt brother cousin dad father grandfather grandmother grandparents mom mother nephew niece sibling sister uncle"
).split()
_KIN_AFTER_POSSESSIVE = (
    _KIN
    + "aunts brothers child children cousins daughter daughters fathers husband mothers parent parents siblings "
    "sisters son sons uncles wife".split()
)
_POSSESSIVE = ["his", "her", "their", "patient's", "pt's"]


@dataclass(frozen=True)
class Assertion:
    """What a sentence asserts of one mention: five independent flags."""

    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    family: bool = False
    conditional: bool = False

    @property
    def status(self) -> str:
        """One word for the mention: the first flag set of negated, family, conditional, uncertain,
        historical; else affirmed."""
        for status in STATUSES[:-1]:
            if getattr(self, status):
                return status
        return AFFIRMED

    @property
    def of_the_patient(self) -> bool:
        """Whether the mention states a finding the patient has or had (not negated, not someone
        else's, not a hypothetical)."""
        return self.status not in NOT_THE_PATIENTS


AFFIRMED_ASSERTION = Assertion()


@dataclass(frozen=True)
class _Rule:
    """A cue the packaged rules lack: its words (or a token pattern), category and direction."""

    literal: str
    category: str
    direction: str
    pattern: list[dict[str, Any]] | None = None


def _rules(category: str, direction: str, literals: str) -> list[_Rule]:
    return [_Rule(literal.strip(), category, direction) for literal in literals.split("|")]


# The project's cues, beside medspaCy's packaged English rules (resources/en/context_rules.json).
EXTRA_RULES: tuple[_Rule, ...] = (
    *_rules(
        "NEGATED_EXISTENCE",
        "FORWARD",
        "denying|no sign of|no signs of|no findings of|no suggestion of|never had|never developed|"
        "no complaints of|failed to reveal|fails to reveal|did not exhibit|did not show|no new|declined|"
        "no mention of|neither|nor|free of|absence of|not demonstrate",
    ),
    *_rules(
        "NEGATED_EXISTENCE",
        "BACKWARD",
        "was ruled out|is ruled out|are ruled out|were ruled out|has been ruled out|have been ruled out|"
        "was excluded|were excluded|has been excluded|unlikely|is negative|was negative|are negative|"
        "were negative|not seen|not present|not identified|not detected|is absent|was absent|are absent|"
        "has resolved|have resolved|resolved|negative",
    ),
    *_rules(
        "POSSIBLE_EXISTENCE",
        "FORWARD",
        "possibly|probable|probably|suspect|suspected|suspicious for|suspicion of|likely|questionable|question of|"
        "to rule out|r/o|cannot exclude|cannot rule out|can not rule out|could not rule out|may represent|"
        "could be|concern for|concerning for|worrisome for|differential includes|"
        "differential diagnosis includes|presumed|equivocal for|uncertain whether|not certain whether|"
        "versus|vs",
    ),
    *_rules(
        "POSSIBLE_EXISTENCE",
        "BACKWARD",
        "cannot be excluded|can not be excluded|cannot be ruled out|can not be ruled out|"
        "could not be ruled out|not been ruled out|not ruled out|not excluded|is possible|is suspected|"
        "was suspected|is likely|is questionable|versus|vs",
    ),
    *_rules(
        "HYPOTHETICAL",
        "FORWARD",
        "return if|come back if|call if|seek care if|seek medical attention if|in case of|in the event of|"
        "should|unless|as needed for|prn for|watch for|monitor for",
    ),
    *_rules("HISTORICAL", "FORWARD", "h/o|previous|prior|status post|s/p|past medical history of"),
    _Rule("family history", "FAMILY", "FORWARD", [{"LOWER": "family"}, {"LOWER": {"IN": ["history", "hx"]}}]),
    _Rule("fh", "FAMILY", "FORWARD", [{"LOWER": "fh"}]),
    _Rule("mother", "FAMILY", "FORWARD", [{"LOWER": {"IN": _KIN}}, {"LOWER": {"IN": ["'s", "'"]}, "OP": "?"}]),
    _Rule(
        "her children",
        "FAMILY",
        "FORWARD",
        [
            {"LOWER": {"IN": _POSSESSIVE}},
            {"LOWER": {"IN": _KIN_AFTER_POSSESSIVE}},
            {"LOWER": {"IN": ["'s", "'"]}, "OP": "?"},
        ],
    ),
    _Rule(
        "in his father",
        "FAMILY",
        "BACKWARD",
        [
            {"LOWER": {"IN": ["in", "of", "by"]}},
            {"LOWER": {"IN": _POSSESSIVE}},
            {"LOWER": {"IN": _KIN_AFTER_POSSESSIVE}},
        ],
    ),
    *_rules(
        "PSEUDO",
        "PSEUDO",
        "gram negative|gram-negative|no increase|no change|not only|no further|not necessarily|"
        "without difficulty|not cause|not drain|not extend|not certain if|not certain whether|"
        "history of present illness|free fatty acid|free fatty acids",
    ),
    *_rules("TERMINATE", "TERMINATE", ";|but|however|although|though|except|aside from|apart from|which|who|whose"),
)


class _Cues:
    """What a sentence must hold for a cue that sets a flag to match in it: per such cue, the words
    (lower case) allowed at each of its required tokens."""

    def __init__(self, required: Sequence[tuple[frozenset[str], ...]]) -> None:
        self.always = any(not cue for cue in required)
        # Each cue is looked up by the words of one required token, the longest-worded, which
        # sentences hold least often ("father" rather than "his" in "in his father").
        self.by_word: dict[str, list[tuple[frozenset[str], ...]]] = {}
        for cue in required:
            if cue:
                for word in max(cue, key=lambda allowed: min(map(len, allowed), default=0)):
                    self.by_word.setdefault(word, []).append(cue)

    def possible(self, words: set[str]) -> bool:
        """Whether some cue could match a sentence of these words."""
        return self.always or any(
            all(allowed & words for allowed in cue) for word in words for cue in self.by_word.get(word, ())
        )


def _required_words(rule: Any, nlp: Language) -> tuple[frozenset[str], ...]:
    """The words allowed at each required token of a ConText rule; none (so always possible) where
    a token is matched on anything but its lower-case form."""
    if rule.pattern is None:
        # medspaCy matches a literal on the lower-case tokens of its lower-cased words.
        return tuple(frozenset({t.lower_}) for t in nlp.tokenizer(rule.literal.lower()))
    if not isinstance(rule.pattern, list):
        return ()
    found = []
    for token in rule.pattern:
        if token.get("OP") not in (None, "+"):
            continue  # optional, repeated from zero or negated: it needs no word of the sentence
        lower = token.get("LOWER")
        if isinstance(lower, str) and set(token) <= {"LOWER", "OP"}:
            found.append(frozenset({lower}))
        elif isinstance(lower, dict) and set(lower) == {"IN"} and set(token) <= {"LOWER", "OP"}:
            found.append(frozenset(lower["IN"]))
        else:
            return ()
    return tuple(found)


@cache
def _pipeline() -> tuple[Language, Any, _Cues]:
    """A blank English tokenizer, a ConText component with the packaged and the project's rules,
    and what its flag-setting cues need of a sentence (built once per process)."""
    import spacy
    from medspacy.context import ConText, ConTextRule
    from spacy.tokens import Span

    for flag in _FLAG_NAMES:
        if not Span.has_extension(f"mg_{flag}"):
            Span.set_extension(f"mg_{flag}", default=False)
    nlp = spacy.blank("en")
    attributes = {category: {f"mg_{flag}": True for flag in flags} for category, flags in _FLAGS_OF_CATEGORY.items()}
    context = ConText(nlp, rules=None, span_attrs=attributes, input_span_type="group", span_group_name=_SPAN_GROUP)
    packaged = [r for r in ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH) if r.category != "FAMILY"]
    context.add(
        packaged + [ConTextRule(r.literal, r.category, pattern=r.pattern, direction=r.direction) for r in EXTRA_RULES]
    )
    cues = _Cues([_required_words(r, nlp) for r in context.rules if r.category in _FLAGS_OF_CATEGORY])
    return nlp, context, cues


_LOCK = threading.Lock()


def assertions(sentence: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
    """The assertion of each mention `sentence[start:end]` (the sentence is read once)."""
    for start, end in spans:
        if not 0 <= start < end <= len(sentence):
            raise ValueError(f"span ({start}, {end}) is not a non-empty range of the sentence")
    if not spans:
        return []
    nlp, context, cues = _pipeline()
    doc = nlp.make_doc(sentence)
    # Most sentences hold no cue at all, and ConText's token matcher is the cost of a sentence.
    if not cues.possible({token.lower_ for token in doc}):
        return [AFFIRMED_ASSERTION] * len(spans)
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0
    targets = [doc.char_span(start, end, label=_TARGET, alignment_mode="expand") for start, end in spans]
    doc.spans[_SPAN_GROUP] = [t for t in targets if t is not None]
    # ConText's matchers are not documented as safe to share between threads.
    with _LOCK:
        context(doc)
    found = {(span.start_char, span.end_char): span for span in doc.spans[_SPAN_GROUP]}
    result = []
    for target in targets:
        span = found.get((target.start_char, target.end_char)) if target is not None else None
        result.append(
            AFFIRMED_ASSERTION
            if span is None
            else Assertion(**{flag: bool(getattr(span._, f"mg_{flag}")) for flag in _FLAG_NAMES})
        )
    return result


_FLAG_NAMES = ("negated", "uncertain", "historical", "family", "conditional")


def assertion(sentence: str, start: int, end: int) -> Assertion:
    """The assertion of the mention at sentence[start:end]."""
    return assertions(sentence, [(start, end)])[0]
