"""Entity mentions of a document, offline: a vocabulary entity ruler, abbreviations and negation.

The ruler is a dictionary matcher over spaCy tokens (nlp/sentences.py): each token is normalized with
the vocabulary's own key function, and the longest run of tokens (within a sentence, never across
a comma, colon, semicolon or bracket) whose key names a concept is a mention of that concept.
Abbreviations a document defines ("myocardial infarction (MI)") carry the long form's concept to
every later use of the short form, overriding whatever the short form would match on its own.
A composite mention ("breast and ovarian cancer", nlp/composites.py) is a mention of each concept
it names, all on its span. Each mention gets its assertion (negated, uncertain, historical, family,
conditional) from its sentence, by ConText (nlp/assertion.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from medgraphrag.nlp.abbreviations import Abbreviation, abbreviation_uses, find_definitions, is_short_form, spells
from medgraphrag.nlp.assertion import NEGATED, Assertion, assertions
from medgraphrag.nlp.composites import composite_names
from medgraphrag.nlp.lexicon import Lexicon, LexiconEntry
from medgraphrag.nlp.names import disorder_nouns, normalize, word_bag
from medgraphrag.nlp.recognizer import Recognizer, TrainedName
from medgraphrag.nlp.semantic_groups import DEFAULT_GROUP, DISORDERS
from medgraphrag.nlp.sentences import Sentence, parse
from medgraphrag.nlp.sites import site_disease_keys, site_rewrites
from medgraphrag.nlp.stopwords import STOP_WORDS

_BREAKERS = frozenset(",;:()[]{}.!?")
_WORD = re.compile(r"[^\W_][\w'-]*")
_JOINED_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
# Where a phrase qualifying a name begins: its head is the words before ("diabetes of 2 months").
_QUALIFIER = re.compile(r"\s(?:of|in|on|with|after|during|following|from|due to|induced by)\s", re.IGNORECASE)
# Vocabularies hold concepts named by everyday or study-design words ("Patients", "Time", "Severe",
# "Left"); as single words in running text they are noise, not clinical entities.
_GENERIC = frozenset(
    "patient disease disorder syndrome condition finding history status onset severe mild moderate chronic "
    "acute normal abnormal abnormality increased decreased high low level risk time year month week day study "
    "group result method treatment therapy use cell human male female adult child infant age test case control "
    "effect factor rate population analysis data left right other type stage grade form size change sign "
    "symptom problem area part side total mean ratio score scale research health care death life "
    "association prevalence incidence outcome evidence report present absent positive negative general "
    "single multiple unspecified unknown sided acquired severity diagnosis air lead sensation travel father "
    "mother intensity back name".split()
)


@dataclass(frozen=True)
class Mention:
    """One mention of a concept in a document: exact span, the concept, its assertion and sentence."""

    start: int
    end: int
    surface: str
    concept_id: str
    cui: str | None
    name: str
    type: str
    assertion: Assertion
    sentence_start: int
    sentence_end: int
    method: str

    @property
    def status(self) -> str:
        """The assertion's one-word status (affirmed, negated, family, conditional, ...)."""
        return self.assertion.status


class VocabularyRuler:
    """Finds the longest vocabulary names in tokenized sentences."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def matches(self, text: str, sentence: Sentence) -> list[tuple[int, int, LexiconEntry]]:
        """`(start, end, entry)` of every name matched in `sentence`, left to right, longest first."""
        segments: list[list[tuple[str, int, int]]] = [[]]
        for token in sentence.tokens:
            surface = text[token.start : token.end]
            if surface in _BREAKERS:
                segments.append([])
                continue
            key = _token_key(surface)
            if key:
                segments[-1].extend((word, token.start, token.end) for word in key.split())
        found = []
        longest_from = self.lexicon.longest_from
        for words in segments:
            i = 0
            while i < len(words):
                for n in range(min(longest_from.get(words[i][0], 0), len(words) - i), 0, -1):
                    key = " ".join(w for w, _, _ in words[i : i + n])
                    entry = self.lexicon.entries.get(key)
                    if entry is not None and _informative(key):
                        found.append((words[i][1], words[i + n - 1][2], entry))
                        i += n
                        break
                else:
                    i += 1
        return found


def extract_mentions(
    text: str, sentences: Sequence[Sentence], ruler: VocabularyRuler, recognizer: Recognizer | None = None
) -> list[Mention]:
    """Every concept mention in `text`, in document order, with its assertion; with a
    `recognizer`, also the disease and chemical names it finds that the vocabulary does not spell
    out, linked to the concept their words name where one does, else left without a concept."""
    definitions = find_definitions(text)
    defined = {d.short for d in definitions}
    recognized = recognizer.spans([text[s.start : s.end] for s in sentences]) if recognizer and sentences else []
    matched: list[dict[tuple[int, int], tuple[LexiconEntry, str]]] = []
    for index, sentence in enumerate(sentences):
        found: dict[tuple[int, int], tuple[LexiconEntry, str]] = {}
        for start, end, entry in ruler.matches(text, sentence):
            # A short form this document defines means what the document says, not the vocabulary.
            if text[start:end] not in defined:
                if recognizer is not None:
                    start, entry = _without_modifiers(text, start, end, entry, recognizer, ruler)
                found[(start, end)] = (_trained(text[start:end], recognizer, ruler) or entry, "ruler")
        for hit in recognized[index] if recognized else []:
            _add_recognized(
                text, sentence.start + hit.start, sentence.start + hit.end, hit.group, found, ruler, recognizer
            )
        matched.append(found)
    expansions: dict[str, LexiconEntry] = {}
    for definition in definitions:
        expansion = named_concept(definition.long, recognizer, ruler) or _head(definition, matched)
        if expansion is not None:
            expansions[definition.short] = expansion
    # The short form inside its own definition ("subarachnoid haemorrhage (SAH)") is a mention too.
    # Each use keeps its long form: a short form stands for every concept its long form names.
    uses = {(d.short_start, d.short_end): (expansions[d.short], d.long) for d in definitions if d.short in expansions}
    uses.update(
        ((start, end), (expansions[d.short], d.long))
        for start, end, d in abbreviation_uses(text, definitions)
        if d.short in expansions
    )
    uses.update(_undefined_uses(text, matched, defined))
    mentions: list[Mention] = []
    for sentence, found in zip(sentences, matched, strict=True):
        for (start, end), (entry, _) in uses.items():
            if sentence.start <= start and end <= sentence.end:
                for span in [s for s in found if s[0] < end and start < s[1]]:
                    del found[span]
                found[(start, end)] = (entry, "abbreviation")
        if recognizer is not None:
            _not_diseases(text, found, recognizer)
        spans = sorted(found)
        sentence_text = text[sentence.start : sentence.end]
        relative = [(s - sentence.start, e - sentence.start) for s, e in spans]
        for (start, end), asserted in zip(spans, assertions(sentence_text, relative)):
            entry, method = found[(start, end)]
            words = uses[(start, end)][1] if method == "abbreviation" else text[start:end]
            parts = _composite_parts(words, entry.group, recognizer, ruler)
            for part, how in [(p, "composite") for p in parts] or [(entry, method)]:
                mentions.append(
                    Mention(
                        start,
                        end,
                        text[start:end],
                        part.concept_id,
                        part.cui,
                        part.name,
                        part.group,
                        asserted,
                        sentence.start,
                        sentence.end,
                        how,
                    )
                )
    return mentions


def _undefined_uses(
    text: str, matched: Sequence[dict[tuple[int, int], tuple[LexiconEntry, str]]], defined: set[str]
) -> dict[tuple[int, int], tuple[LexiconEntry, str]]:
    """The short forms the document uses without defining them ("OAB", where the title says
    "overactive bladder"), found but left without a concept: each stands for the concept of the
    document's mentions of its group whose words spell it (`spells`), where they name one concept.
    By span: the concept and the words that spell it."""
    bare = [
        (span, entry.group)
        for found in matched
        for span, (entry, _) in found.items()
        if not entry.concept_id and is_short_form(short := text[span[0] : span[1]]) and short not in defined
    ]
    if not bare:
        return {}
    named = {
        (text[start:end], entry)
        for found in matched
        for (start, end), (entry, _) in found.items()
        if entry.concept_id and " " in text[start:end]
    }
    uses: dict[tuple[int, int], tuple[LexiconEntry, str]] = {}
    for (start, end), group in bare:
        short = text[start:end]
        spelling = {e.concept_id: (e, words) for words, e in named if e.group == group and spells(short, words)}
        if len(spelling) == 1:
            uses[(start, end)] = next(iter(spelling.values()))
    return uses


def _head(
    definition: Abbreviation, matched: Sequence[dict[tuple[int, int], tuple[LexiconEntry, str]]]
) -> LexiconEntry | None:
    """What the document found at the end of a definition's long form, which no name spells out
    whole: its head ("hemolytic anemia" of "ribavirin-induced hemolytic anemia"), the longest
    mention ending where the long form ends; a generic concept only if it is the whole long form."""
    spans = [
        (end - start, entry)
        for found in matched
        for (start, end), (entry, _) in found.items()
        if definition.long_start <= start and end == definition.long_end
    ]
    if not spans:
        return None
    length, entry = max(spans, key=lambda s: s[0])
    whole = length == definition.long_end - definition.long_start
    return entry if whole or entry.group != DEFAULT_GROUP else None


def _longer(span: tuple[int, int], start: int, end: int) -> bool:
    """Whether `span` covers `[start, end)` and more."""
    return span[0] <= start and end <= span[1] and span[1] - span[0] > end - start


def _composite_parts(
    surface: str, group: str, recognizer: Recognizer | None, ruler: VocabularyRuler
) -> list[LexiconEntry]:
    """The concepts of the names a composite mention stands for ("breast and ovarian cancer"), or of
    the ids the training names give it where they give several ("hemorrhagic cystitis"), when the
    vocabulary knows every one of them as a distinct concept; else none."""
    trained = recognizer.trained_name(surface) if recognizer else None
    if trained is not None and trained.more_ids:
        entries = [ruler.lexicon.by_id.get(i) for i in trained.ids]
        typed = [_typed(e, group) for e in entries if e is not None]
        if len(typed) == len(entries) and len({e.concept_id for e in typed}) == len(typed):
            return typed
    parts = []
    for name in composite_names(surface):
        entry = named_concept(name, recognizer, ruler)
        if entry is None:
            return []
        parts.append(_typed(entry, group))
    return parts if len({p.concept_id for p in parts}) == len(parts) > 1 else []


def _add_recognized(
    text: str,
    start: int,
    end: int,
    group: str,
    found: dict[tuple[int, int], tuple[LexiconEntry, str]],
    ruler: VocabularyRuler,
    recognizer: Recognizer | None,
) -> None:
    """Add the recognizer's span `[start, end)` of `group` to the ruler's matches `found`."""
    overlapping = [s for s in found if s[0] < end and start < s[1]]

    def place(entry: LexiconEntry) -> None:
        for span in overlapping:
            del found[span]
        found[(start, end)] = (entry, "recognizer")

    trained = _trained(text[start:end], recognizer, ruler)
    if trained is not None:
        # A name the training annotations normalize: theirs is the concept, the model's the type;
        # but a longer vocabulary name of the group over it says more ("migraine with aura" over
        # the "migraine" the model found, "Wernicke's encephalopathy" over "encephalopathy").
        if not any(
            _longer(s, start, end) and found[s][0].group == group and not _part(text, s, recognizer)
            for s in overlapping
        ):
            place(replace(trained, group=group))
        return
    if _composite_parts(text[start:end], group, recognizer, ruler):
        # The names of a composite ("breast and ovarian cancer") take the place of the one inside it.
        place(LexiconEntry("", None, text[start:end], group))
        return
    surface = text[start:end]
    key = normalize(surface)
    entry = ruler.lexicon.entries.get(key)
    # The whole name spelled another way ("type B hepatitis"; "myocardial hypertrophy": cardiac
    # hypertrophy; "renal impairment": kidney disease) says more than the disorder inside ("hepatitis").
    if (
        entry is None
        and group == DISORDERS
        and all(_longer((start, end), *s) for s in overlapping)
        and (reworded := _spelled_otherwise(surface, ruler.lexicon)) is not None
    ):
        place(reworded)
        return
    # A vocabulary name of the same group inside or over the span already says what it is, unless
    # the annotators only ever mark it as part of a longer name ("injury" of "mitochondrial injury";
    # "nausea and vomiting", two names to them): then the model's span is the name.
    if any(found[s][0].group == group and not _part(text, s, recognizer) for s in overlapping):
        return
    if entry is None and group == DISORDERS:
        # A disorder the model found named by its adjective ("hypothermic", "psychotic").
        nouns = (ruler.lexicon.entries.get(noun) for noun in disorder_nouns(key))
        entry = next((e for e in nouns if e is not None and e.group == group), None)
    elsewhere = entry is not None and entry.group not in (group, DEFAULT_GROUP)
    if elsewhere or (entry is not None and entry.not_a_disorder and group == DISORDERS):
        return  # the vocabulary knows the name as something else ("chest X-ray": a procedure, "Drosophila")
    # MeSH states no type for most drugs and chemicals: the model's label is the better word. The
    # longer name of the recognized group wins over the names of other groups inside it ("copper
    # toxicosis" is a disorder, not the metal).
    place(LexiconEntry("", None, surface, group) if entry is None else _typed(entry, group))


def _without_modifiers(
    text: str, start: int, end: int, entry: LexiconEntry, recognizer: Recognizer, ruler: VocabularyRuler
) -> tuple[int, LexiconEntry]:
    """A vocabulary disorder name less its first words where the training annotators leave those
    words out of the disease names they stand before ("severe" of "severe infections", "recurrent"
    of "recurrent pneumonia") and the rest is a disorder name too: where the rest starts, and its
    concept; the name as it is where the training annotations name it whole ("severe combined
    immunodeficiency")."""
    words = list(_WORD.finditer(text, start, end)) if entry.group == DISORDERS else []
    # Most names start with no such word: the training names are looked up only for those that do.
    if len(words) < 2 or not recognizer.left_out(words[0].group()) or recognizer.trained_name(text[start:end]):
        return start, entry
    for word, following in itertools.pairwise(words):
        if not recognizer.left_out(word.group()):
            break
        rest = text[following.start() : end]
        if not _informative(key := normalize(rest)):
            break  # "severe disease": "disease" alone says nothing
        named = _trained(rest, recognizer, ruler) or ruler.lexicon.entries.get(key)
        if named is not None and named.group == DISORDERS:
            return following.start(), named
    return start, entry


def _part(text: str, span: tuple[int, int], recognizer: Recognizer | None) -> bool:
    """Whether the words of `span` are what the training annotators mark only as part of a longer
    disease name."""
    return recognizer is not None and recognizer.part_name(text[span[0] : span[1]])


def _spelled_otherwise(surface: str, lexicon: Lexicon) -> LexiconEntry | None:
    """The disorder a recognized name stands for where the vocabulary spells it another way: its
    hyphenated words joined ("thrombo-embolism"), its words in another order ("type B hepatitis"),
    or a site in it said the other way, else the site's problem as the site's disease class
    (nlp/sites.py); the words before the site ("chronic", "end-stage") left out where the whole
    name gives none; an agent's disease as the vocabularies name it, its infection ("adenovirus
    disease": Adenoviridae Infections)."""
    joined = lexicon.entries.get(normalize(_JOINED_HYPHEN.sub("", surface))) if "-" in surface else None
    if joined is not None and joined.group == DISORDERS:
        return joined
    if (ordered := lexicon.disorder_bags.get(word_bag(surface))) is not None:
        return ordered
    words = normalize(surface).split()
    for start in range(max(1, len(words) - 1)):
        rest = " ".join(words[start:])
        if start and rest in lexicon.entries:
            return None  # the name inside, as written, says what it is ("severe eye abnormalities")
        for candidate in (*site_rewrites(rest), *site_disease_keys(rest)):
            entry = lexicon.entries.get(candidate)
            if entry is not None and entry.group == DISORDERS:
                return entry
    agent, _, noun = " ".join(words).rpartition(" ")
    if agent and noun == "disease":
        for candidate in (f"{agent} infection", f"{agent} infectious disease"):
            entry = lexicon.entries.get(candidate)
            if entry is not None and entry.group == DISORDERS:
                return entry
    return None


def _not_diseases(text: str, found: dict[tuple[int, int], tuple[LexiconEntry, str]], recognizer: Recognizer) -> None:
    """Take the disorder type off the ruler's and recognizer's names that the training annotators
    leave unmarked ("pregnancy", "recurrence", "fall") or mark only as part of a longer name
    ("injury", "hippocampal"): their concept stays, as a general one; a recognized span without a
    concept is dropped."""
    for span, (entry, method) in list(found.items()):
        if (
            entry.group == DISORDERS
            and method != "abbreviation"
            and recognizer.no_disease_alone(text[span[0] : span[1]])
        ):
            if entry.concept_id:
                found[span] = (replace(entry, group=DEFAULT_GROUP), method)
            else:
                del found[span]


def _trained(surface: str, recognizer: Recognizer | None, ruler: VocabularyRuler) -> LexiconEntry | None:
    """The vocabulary concept carrying the id the recognizer's training names give `surface`, of
    the group they give it where the vocabulary states none."""
    return trained_concept(recognizer.trained_name(surface) if recognizer else None, ruler, surface)


def trained_concept(trained: TrainedName | None, ruler: VocabularyRuler, surface: str = "") -> LexiconEntry | None:
    """The vocabulary concept carrying the id of a training name, of the training name's group
    where the vocabulary states none: the concept whose own id it is, else of several carrying it the
    one the name `surface` names (breast cancer and breast neoplasm both carry MeSH's Breast
    Neoplasms: "breast cancer" goes to the first); None if no concept carries it or the name has
    several ids (`_composite_parts` gives their concepts)."""
    if trained is None or trained.more_ids or (entry := ruler.lexicon.by_id.get(trained.concept_id)) is None:
        return None
    named = (
        ruler.lexicon.entries.get(_token_key(surface)) if surface and entry.concept_id != trained.concept_id else None
    )
    if named is not None and ruler.lexicon.carries(named, trained.concept_id):
        entry = named
    return _typed(entry, trained.group)


def named_concept(name: str, recognizer: Recognizer | None, ruler: VocabularyRuler) -> LexiconEntry | None:
    """The concept a name stands for: by the recognizer's training names, else by the vocabulary's
    names as written, else as the vocabulary spells the disorder otherwise; None if none."""
    entry = _trained(name, recognizer, ruler) or ruler.lexicon.entries.get(normalize(name))
    return entry or _spelled_otherwise(name, ruler.lexicon)


def head_concept(name: str, group: str, recognizer: Recognizer | None, ruler: VocabularyRuler) -> LexiconEntry | None:
    """The concept of `group` the head of a name stands for, where no name spells out the whole:
    the longest ending of its words, before any phrase that qualifies it ("diabetes" of "diabetes of
    2 months duration", "angina" of "spontaneous angina"), named as `named_concept`
    names it, or by its last word's disorder noun ("epileptic": epilepsy); None if none is."""
    words = normalize(_QUALIFIER.split(name, maxsplit=1)[0]).split()
    # The whole name, with nothing cut off it, is what failed to link: start from its second word.
    first = 0 if len(words) < len(normalize(name).split()) else 1
    for start in range(first, len(words)):
        key = " ".join(words[start:])
        if not _informative(key):
            continue
        nouns = disorder_nouns(key) if group == DISORDERS else []
        candidates = [named_concept(key, recognizer, ruler), *(ruler.lexicon.entries.get(noun) for noun in nouns)]
        for entry in candidates:
            # Unlike the whole name, a part of it that the vocabulary gives no group ("movements" of
            # "involuntary eye-blinking movements") does not take the recognizer's.
            if entry is not None and entry.concept_id and entry.group == group:
                return entry
    return None


def _typed(entry: LexiconEntry, group: str) -> LexiconEntry:
    """`entry`, of `group` where the vocabulary states no group for it."""
    return replace(entry, group=group) if entry.group == DEFAULT_GROUP else entry


def question_concepts(question: str, ruler: VocabularyRuler) -> list[str]:
    """The vocabulary concepts a question names (not negated), in order of mention."""
    found = [m.concept_id for m in extract_mentions(question, parse([question])[0], ruler) if m.status != NEGATED]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=200_000)
def _token_key(surface: str) -> str:
    # Running text repeats its words; the vocabulary's normalization is worth computing once each.
    return normalize(surface)


def _informative(key: str) -> bool:
    words = key.split()
    if len(words) == 1:
        word = words[0]
        return len(word) >= 3 and not word.isdigit() and word not in STOP_WORDS and word not in _GENERIC
    return any(w not in STOP_WORDS and w not in _GENERIC and not w.isdigit() for w in words)
