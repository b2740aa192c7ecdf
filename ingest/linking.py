"""The concept linker: a text span (and optionally a semantic type) in, ranked concepts out.

Lookups, strongest first, all through the `concept_names` full-text index over each concept's
normalized name keys (nlp/names.py), never a scan of the vocabulary:
1. exact: the span's normalized key (case, accents, punctuation, plurals folded) equals the key of
   a concept name or synonym;
2. word order: a name has the same bag of content words as the span;
3. contained: a shorter run of the span's words is a whole name ("asthma" in "Exercising and asthma
   at school"), worth the share of the span's content words it covers;
4. fuzzy: Lucene fuzzy search on the span's words, rescored by token and character similarity to
   the best-matching name;
5. embedding: where nothing matched exactly, the best contained and fuzzy candidates are re-ranked
   by embedding similarity of the span and each candidate's matched name (the last resort; the
   vocabulary itself is never embedded in bulk).
With the extraction lexicon at hand (nlp/lexicon.py), lookups 1-3 skip the graph when the lexicon
knows no name with any of their keys or word bags, which is most of the names a recognizer finds
that the vocabulary does not spell: the answer is the same, without the query.
Each lookup also runs on variants of the span: without a parenthetical, with the parenthetical as
an abbreviation, with "head - qualifier" / "head, qualifier" inverted or reduced to the head, with
a body site said the other way ("renal" / "kidney") and, for a site's problem in general words
("renal impairment"), as the site's disease class (kidney disease), each worth a little less.
A semantic type (a TUI such as "T047" or words such as "disorder") that a concept's types agree or
disagree with moves it up or down. A concept carries every UMLS CUI its sources map it to: its id
CUI first, then the `UMLS:` cross-references.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from medgraphrag.graph.vocabulary import ConceptCandidate, VocabularyStore
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.lexicon import Lexicon
from medgraphrag.nlp.names import key_phrase, normalize, word_bag
from medgraphrag.nlp.semantic_groups import DEFAULT_GROUP, GROUPS, semantic_group
from medgraphrag.nlp.sites import site_disease_keys, site_rewrites
from medgraphrag.nlp.stopwords import STOP_WORDS

METHOD_SCORES = {"exact": 1.0, "word_order": 0.95, "contained": 0.9}
# Contained names and fuzzy candidates compete for the embedding re-rank.
RERANKED_METHODS = ("contained", "fuzzy")
MAX_CONTAINED_WORDS = 12
# English function words (in their normalized form): a contained run neither starts nor ends with
# one, and they do not count towards the share of the span a run covers.
FUNCTION_WORDS = frozenset(normalize(word) for word in STOP_WORDS)
_PARENTHETICAL = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*")
_QUALIFIER_SPLIT = re.compile(r"\s+[-\u2013\u2014:]\s+|,\s+")
_TUI = re.compile(r"^T\d{3}$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    """A rewriting of the span, with how much a match on it is worth relative to the span itself."""

    text: str
    weight: float


@dataclass(slots=True)
class ConceptMatch:
    """A candidate concept for a span: its identity, score, how it was found and on which name."""

    concept_id: str
    cui: str | None
    name: str
    score: float
    method: str
    matched: str
    semantic_types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    cuis: list[str] = field(default_factory=list)


def span_variants(text: str) -> list[Variant]:
    """The span and its rewritings, strongest first, without duplicates by normalized key."""
    text = " ".join(text.split())
    found: list[Variant] = [Variant(text, 1.0)]
    without = _PARENTHETICAL.sub(" ", text).strip()
    if without and without != text:
        found.append(Variant(without, 1.0))
        for inner in _PARENTHETICAL.findall(text):
            found.append(Variant(inner.strip(), 0.8))
    base = without or text
    parts = [p.strip() for p in _QUALIFIER_SPLIT.split(base) if p.strip()]
    if len(parts) >= 2:
        head, rest = parts[0], " ".join(parts[1:])
        found.append(Variant(f"{rest} {head}", 0.98))
        found.append(Variant(head, 0.9))
        # The qualifier alone ("aftercare", "self-care") rarely names the topic: a last resort.
        found.append(Variant(rest, 0.5))
    # A site said the other way, then a site's problem in general words as the site's disease class
    # (nlp/sites.py): "myocardial hypertrophy" -> cardiac hypertrophy, "renal impairment" -> kidney disease.
    key = normalize(base)
    found.extend(Variant(rewrite, 0.95) for rewrite in site_rewrites(key))
    found.extend(Variant(disease, 0.85) for disease in site_disease_keys(key))
    unique: dict[str, Variant] = {}
    for variant in found:
        key = normalize(variant.text)
        if key and key not in unique:
            unique[key] = variant
    return list(unique.values())


_GROUPS = {group.lower(): group for group in GROUPS}


def type_agreement(concept_types: Sequence[str], wanted: str | None, sources: Sequence[str] = ()) -> int:
    """+1 if the concept's types include `wanted` (a TUI, a type's name, or a semantic group such
    as Disorders), -1 if they exclude it, 0 if unknown."""
    if not wanted:
        return 0
    wanted = wanted.strip()
    if wanted.lower() in _GROUPS:
        group = semantic_group(concept_types, sources)
        return 0 if group == DEFAULT_GROUP else 1 if group == _GROUPS[wanted.lower()] else -1
    if not concept_types:
        return 0
    if _TUI.match(wanted):
        return 1 if any(t.split(":")[0] == wanted for t in concept_types) else -1
    lowered = wanted.lower()
    return 1 if any(lowered in t.lower() for t in concept_types) else -1


def contained_keys(text: str, *, max_words: int = MAX_CONTAINED_WORDS) -> dict[str, float]:
    """Keys of the shorter runs of the span's words that begin and end with a content word, each
    with the share of the span's content words it covers (the span's own key is not among them)."""
    words = normalize(_PARENTHETICAL.sub(" ", text)).split()[:max_words]
    content = [w not in FUNCTION_WORDS for w in words]
    total = sum(content)
    runs: dict[str, float] = {}
    for first in range(len(words)):
        for last in range(first, len(words)):
            run = words[first : last + 1]
            if (first, last) == (0, len(words) - 1) or not (content[first] and content[last]):
                continue
            if len(run) == 1 and (len(run[0]) < 3 or run[0].isdigit()):
                continue  # a lone number or letter pair names nothing by itself
            runs.setdefault(" ".join(run), sum(content[first : last + 1]) / total)
    return runs


class ConceptLinker:
    """Links text spans to the vocabulary concepts stored in Neo4j; with `lexicon` (the lexicon of
    the same vocabulary), names it knows none of are not looked up in the graph."""

    def __init__(
        self,
        vocabulary: VocabularyStore,
        embedder: Embedder | None = None,
        *,
        candidates: int = 40,
        rerank: int = 10,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.embedder = embedder
        self.candidates = candidates
        self.rerank = rerank
        self.lexicon = lexicon

    def link(
        self, text: str, semantic_type: str | None = None, *, k: int = 5, fuzzy: bool = True
    ) -> list[ConceptMatch]:
        """The `k` best concepts for `text`, best first (empty if nothing resembles it); without
        `fuzzy`, only names that match a variant of the span's words, their order or a run of them
        (no spelling similarity, no embedding: much cheaper)."""
        variants = span_variants(text)
        if not variants:
            return []
        found: dict[str, ConceptMatch] = {}
        for row, method, matched, weight in self._key_hits(variants, contained_keys(variants[0].text)):
            self._offer(found, row, METHOD_SCORES[method] * weight, method, matched, semantic_type)
        if not any(m.method == "exact" for m in found.values()):
            for row, matched in self._bag_hits(variants):
                self._offer(found, row, METHOD_SCORES["word_order"], "word_order", matched, semantic_type)
        if fuzzy and not any(m.method in ("exact", "word_order") for m in found.values()):
            for row, matched, similarity in self._fuzzy_hits(variants):
                self._offer(found, row, 0.9 * similarity, "fuzzy", matched, semantic_type)
            if self.embedder is not None:
                self._rerank_by_embedding(variants[0].text, found)
        ranked = sorted(found.values(), key=lambda m: (-m.score, m.cui is None, -len(m.sources), m.concept_id))
        log.debug("linked %r: %s", text, ", ".join(f"{m.concept_id} {m.method} {m.score}" for m in ranked[:k]) or "-")
        return ranked[:k]

    def _key_hits(
        self, variants: list[Variant], contained: dict[str, float]
    ) -> list[tuple[ConceptCandidate, str, str, float]]:
        """Exact matches of the variants' keys and of the span's contained runs."""
        keys = {normalize(v.text): v.weight for v in variants}
        contained = {key: share for key, share in contained.items() if key not in keys}
        hits: list[tuple[ConceptCandidate, str, str, float]] = []
        if self.lexicon is not None and not self.lexicon.may_name([*keys, *contained]):
            return hits
        for row in self._candidates([*keys, *contained], phrases=True):
            for name, key in _names_with_keys(row, set(keys) | set(contained)):
                if key in keys:
                    hits.append((row, "exact", name, keys[key]))
                else:
                    hits.append((row, "contained", name, contained[key]))
        return hits

    def _bag_hits(self, variants: list[Variant]) -> list[tuple[ConceptCandidate, str]]:
        """Names with the same content words as a variant, in any order."""
        bags = {word_bag(v.text) for v in variants} - {""}
        hits: list[tuple[ConceptCandidate, str]] = []
        if self.lexicon is not None and not self.lexicon.may_bag(bags):
            return hits
        groups = ["(" + " ".join(f"+{w}" for w in bag.split()) + ")" for bag in bags]
        for row in self._candidates(groups):
            hits.extend((row, name) for name, _ in _names_with_keys(row, bags, key_of=word_bag))
        return hits

    def _fuzzy_hits(self, variants: list[Variant]) -> list[tuple[ConceptCandidate, str, float]]:
        words = dict.fromkeys(w for v in variants for w in normalize(v.text).split())
        terms = [f"{w}~" if len(w) >= 5 else w for w in words if len(w) >= 2]
        if not terms:
            return []
        hits: list[tuple[ConceptCandidate, str, float]] = []
        for row in self._candidates(terms):
            best_similarity, best_name = 0.0, row.name
            for name in [row.name, *row.synonyms]:
                for variant in variants:
                    similarity = _similarity(variant.text, name) * variant.weight
                    if similarity > best_similarity:
                        best_similarity, best_name = similarity, name
            hits.append((row, best_name, best_similarity))
        return hits

    def _rerank_by_embedding(self, text: str, found: dict[str, ConceptMatch]) -> None:
        pool = sorted((m for m in found.values() if m.method in RERANKED_METHODS), key=lambda m: -m.score)
        # The weakest candidates are dropped rather than left on the lexical scale.
        for weak in pool[self.rerank :]:
            del found[weak.concept_id]
        pool = pool[: self.rerank]
        if not pool or self.embedder is None:
            return
        vectors = self.embedder.embed([text, *(m.matched for m in pool)])
        cosines = vectors[1:] @ vectors[0]
        for match, cosine in zip(pool, np.asarray(cosines, dtype=float)):
            match.score = round(0.5 * match.score + 0.5 * 0.9 * max(float(cosine), 0.0), 4)
            match.method += "+embedding"

    def _candidates(self, clauses: Iterable[str], *, phrases: bool = False) -> list[ConceptCandidate]:
        """Concepts whose name keys match any of `clauses` (keys as exact phrases if `phrases`)."""
        query = " OR ".join(key_phrase(c) if phrases else c for c in clauses)
        if not query:
            return []
        return self.vocabulary.candidates(query, limit=self.candidates * 2 if phrases else self.candidates)

    @staticmethod
    def _offer(
        found: dict[str, ConceptMatch],
        row: ConceptCandidate,
        score: float,
        method: str,
        matched: str,
        semantic_type: str | None,
    ) -> None:
        agreement = type_agreement(row.semantic_types, semantic_type, row.sources)
        # Matching the preferred name is stronger evidence than matching one synonym among many, and
        # a concept identified by a UMLS CUI is the better-identified of two similar candidates.
        score += (
            0.02 * (normalize(matched) == normalize(row.name))
            + 0.05 * (row.cui is not None)
            + 0.03 * agreement
            - 0.07 * (agreement < 0)
        )
        current = found.get(row.concept_id)
        if current is None or score > current.score:
            found[row.concept_id] = ConceptMatch(
                concept_id=row.concept_id,
                cui=row.cui,
                name=row.name,
                score=round(score, 4),
                method=method,
                matched=matched,
                semantic_types=list(row.semantic_types),
                sources=list(row.sources),
                cuis=list(row.cuis),
            )


def _names_with_keys(
    row: ConceptCandidate, wanted: set[str], *, key_of: Callable[[str], str] = normalize
) -> list[tuple[str, str]]:
    """The candidate's names whose key (by `key_of`) is in `wanted`, with that key."""
    pairs = [(name, key_of(name)) for name in [row.name, *row.synonyms]]
    return [(name, key) for name, key in pairs if key in wanted]


def _similarity(span: str, name: str) -> float:
    """How well `name` matches `span`: token Dice, the share of the span's words the name has, and
    the character ratio of the normalized strings, averaged."""
    ka, kb = normalize(span), normalize(name)
    if not ka or not kb:
        return 0.0
    ta, tb = set(ka.split()), set(kb.split())
    shared = len(ta & tb)
    dice = 2 * shared / (len(ta) + len(tb))
    return (dice + shared / len(ta) + SequenceMatcher(None, ka, kb).ratio()) / 3
