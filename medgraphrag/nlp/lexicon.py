"""The extraction lexicon: every normalized concept name of the vocabulary, mapped to one concept.

Built from the `name_keys` the vocabulary writer stores (nlp/names.py), so text is matched with
exactly the keys the vocabulary was indexed with. Where several concepts share a key, the one whose
preferred name it is wins, then the one with a UMLS CUI, then the one more sources agree on, then
the smallest id (deterministic). The lexicon also finds a concept by any of its ids (its own and
its cross-references: `MESH:D003924`; of the concepts carrying an id, the one whose own id it is,
then as for a name), for names a trained model normalizes to an id, and a
disorder by the words of its name in any order ("type B hepatitis": hepatitis B), where those
words name one disorder only. It knows the word bag of every name, of any length, so a lookup of
names the vocabulary cannot hold is answered without asking the graph (`may_name`, `may_bag`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from medgraphrag.nlp.names import key_bag, normalized_id, stored_key, word_bag
from medgraphrag.nlp.semantic_groups import DISORDERS, outside_mesh_disease_trees, semantic_group


@dataclass(frozen=True, slots=True)
class ConceptNames:
    """A stored concept as the lexicon sees it: identity, types, sources and its indexed name keys
    (preferred name first)."""

    concept_id: str
    cui: str | None
    name: str
    semantic_types: Sequence[str]
    sources: Sequence[str]
    name_keys: Sequence[str]
    xrefs: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """The concept a normalized name stands for."""

    concept_id: str
    cui: str | None
    name: str
    group: str
    # A MeSH heading outside MeSH's disease trees ("Drosophila", "Hematopoiesis"): no disorder,
    # whatever a recognizer's label says.
    not_a_disorder: bool = False


@dataclass
class Lexicon:
    """Normalized name -> concept, per first word the longest name it starts (in words), so a
    matcher tries only lengths some name has, normalized id -> concept, and the word bag of a
    disorder's name of two words or more -> the one disorder so named."""

    entries: dict[str, LexiconEntry]
    longest_from: dict[str, int]
    by_id: dict[str, LexiconEntry] = field(default_factory=dict)
    disorder_bags: dict[str, LexiconEntry] = field(default_factory=dict)
    # An id several concepts carry (one holds it, others cross-reference it) -> all of them.
    holders: dict[str, frozenset[str]] = field(default_factory=dict)
    # The word bag (nlp/names.py `word_bag`) of every name, however long.
    bags: frozenset[str] = frozenset()
    max_words: int = 8

    def may_name(self, keys: Iterable[str]) -> bool:
        """Whether some vocabulary name may have one of these normalized keys: the lexicon holds
        it, or it is longer than the names the lexicon holds. False means none can."""
        return any(key in self.entries or key.count(" ") >= self.max_words for key in keys)

    def may_bag(self, bags: Iterable[str]) -> bool:
        """Whether some vocabulary name has one of these word bags."""
        return any(bag in self.bags for bag in bags)

    def carries(self, entry: LexiconEntry, concept_id: str) -> bool:
        """Whether the concept of `entry` carries the id `concept_id` (normalized) among its ids."""
        best = self.by_id.get(concept_id)
        return best is not None and entry.concept_id in self.holders.get(concept_id, {best.concept_id})

    def __len__(self) -> int:
        return len(self.entries)


def build_lexicon(concepts: Iterable[ConceptNames], *, max_words: int = 8) -> Lexicon:
    """The lexicon of `concepts` (names of more than `max_words` words are left out: they name rare,
    spelled-out concepts that running text does not repeat verbatim)."""
    best: dict[str, tuple[tuple[object, ...], LexiconEntry]] = {}
    best_by_id: dict[str, tuple[tuple[object, ...], LexiconEntry]] = {}
    holders: dict[str, set[str]] = {}
    name_bags: set[str] = set()
    for concept in concepts:
        entry = LexiconEntry(
            concept.concept_id,
            concept.cui,
            concept.name,
            semantic_group(concept.semantic_types, concept.sources),
            outside_mesh_disease_trees(concept.semantic_types, concept.sources),
        )
        sources = len(concept.sources)
        for position, raw in enumerate((concept.concept_id, *concept.xrefs)):
            if (key := normalized_id(raw)) is not None:
                # The concept the id is its own id wins over those that only cross-reference it.
                rank = (position != 0, entry.cui is None, -sources, entry.concept_id)
                if (current := best_by_id.get(key)) is None or rank < current[0]:
                    best_by_id[key] = (rank, entry)
                if current is not None:
                    holders.setdefault(key, {current[1].concept_id}).add(entry.concept_id)
        for position, key in enumerate(map(stored_key, concept.name_keys)):
            # A stored key is its name normalized, so its bag needs no second normalization.
            name_bags.add(key_bag(key))
            if key.count(" ") + 1 > max_words:
                continue
            rank = (position != 0, entry.cui is None, -sources, entry.concept_id)
            current = best.get(key)
            if current is None or rank < current[0]:
                best[key] = (rank, entry)
    longest_from: dict[str, int] = {}
    for key in best:
        first, words = key.split(" ", 1)[0], key.count(" ") + 1
        if words > longest_from.get(first, 0):
            longest_from[first] = words
    bags: dict[str, LexiconEntry | None] = {}
    for key, (_, entry) in best.items():
        if entry.group == DISORDERS and (bag := word_bag(key)).count(" "):
            # Words two disorders' names share tell neither apart.
            bags[bag] = entry if bags.get(bag, entry) == entry else None
    return Lexicon(
        {key: entry for key, (_, entry) in best.items()},
        longest_from,
        {key: entry for key, (_, entry) in best_by_id.items()},
        {bag: entry for bag, entry in bags.items() if entry is not None},
        {key: frozenset(concepts) for key, concepts in holders.items()},
        frozenset(name_bags),
        max_words,
    )
