"""The offline construction stages: deterministic, no network, no LLM (the default).

- chunking: hybrid static-semantic chunks, cut where the units' words or embeddings say the topic
  changes (ingest/chunking.py);
- mentions: the vocabulary ruler, abbreviations and assertion status (nlp/ruler.py);
- relations: co-occurrence in a sentence, typed by the vocabulary's own relation where one exists;
- tag summaries: the entities sorted into the fixed categories by semantic group, negated findings
  apart; a merged tag's summary is the union of its children's, most frequent first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from medgraphrag.core.settings import IngestSettings
from medgraphrag.graph.documents import EntityRecord, RelationRecord
from medgraphrag.graph.tags import LeafEntity
from medgraphrag.graph.vocabulary import VocabularyStore
from medgraphrag.ingest.chunking import (
    TextChunk,
    Unit,
    boundary_similarities,
    semantic_chunks,
    splittable,
    units,
    word_similarities,
)
from medgraphrag.ingest.construction import ChunkedDocument, ChunkMentions, DocumentFailure, ParsedDocument
from medgraphrag.ingest.context import chunk_contexts
from medgraphrag.ingest.linking import ConceptLinker
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.assertion import CONDITIONAL, FAMILY, NEGATED, NOT_THE_PATIENTS
from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.recognizer import Recognizer
from medgraphrag.nlp.ruler import (
    Mention,
    VocabularyRuler,
    extract_mentions,
    head_concept,
    named_concept,
    trained_concept,
)
from medgraphrag.nlp.semantic_groups import (
    ABSENT,
    FAMILY_HISTORY,
    HYPOTHETICAL,
    ITEMS_PER_CATEGORY,
    OTHER,
    TAG_CATEGORY_OF_GROUP,
)

CO_OCCURS = "co-occurs with"
# Recognized names whose link is remembered during one ingest.
LINK_CACHE = 50_000
_NOT_THE_PATIENTS_CATEGORY = {NEGATED: ABSENT, FAMILY: FAMILY_HISTORY, CONDITIONAL: HYPOTHETICAL}


class SemanticChunker:
    """Chunks cut where the topic changes between units: by the content words they share, or by
    their embeddings (`IngestSettings.topic_signal`)."""

    fallbacks = 0

    def __init__(self, embedder: Embedder, settings: IngestSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def chunk(self, batch: Sequence[ParsedDocument]) -> list[ChunkedDocument | DocumentFailure]:
        """Each document's chunks with their contexts; with the embedding signal, the units of the
        documents that could be cut are embedded (all in one call) to find the topic breaks."""
        max_tokens = self.settings.chunk_tokens
        min_tokens = max_tokens // 3
        pieces = [units(p.sentences, max_tokens=min(self.settings.unit_tokens, max_tokens)) for p in batch]
        cut = [splittable(own, max_tokens=max_tokens, min_tokens=min_tokens) for own in pieces]
        similarities = self._similarities([(p.document.text, own) for p, own, c in zip(batch, pieces, cut) if c])
        chunks: list[list[TextChunk]] = []
        for parsed, own, c in zip(batch, pieces, cut):
            text = parsed.document.text
            if not c:
                chunks.append(
                    [TextChunk(0, own[0].start, own[-1].end, text[own[0].start : own[-1].end])] if own else []
                )
                continue
            chunks.append(
                semantic_chunks(
                    text,
                    own,
                    next(similarities),
                    max_tokens=max_tokens,
                    topic_threshold=self.settings.topic_for(self.embedder.name),
                    min_tokens=min_tokens,
                )
            )
        return [
            ChunkedDocument(p.document, p.sentences, own, chunk_contexts(p.document, own))
            for p, own in zip(batch, chunks)
        ]

    def _similarities(self, documents: Sequence[tuple[str, Sequence[Unit]]]) -> Iterator[np.ndarray]:
        """The boundary similarities of each document's units, in order."""
        texts = [[text[u.start : u.end] for u in own] for text, own in documents]
        if self.settings.topic_signal == "words":
            yield from (word_similarities(own) for own in texts)
            return
        vectors = self.embedder.embed([t for own in texts for t in own])
        offset = 0
        for own in texts:
            yield boundary_similarities(vectors[offset : offset + len(own)])
            offset += len(own)


@dataclass(frozen=True)
class LinkedConcept:
    """The concept a name is linked to, and how."""

    concept_id: str
    cui: str | None
    name: str
    method: str


class RulerExtractor:
    """Mentions of vocabulary names, with abbreviations and assertion status, and, with a
    recognizer, the disease and chemical names it finds: those no vocabulary name spells out are
    linked by the concept linker (word order, contained names, spelling), if it finds a concept of
    their group with a score of at least `min_link_score`, else by their head ("diabetes" of
    "diabetes of 2 months duration": `head_concept`), else to the concept of the id of the
    recognizer's training name nearest to them in spelling, if one is near enough."""

    fallbacks = 0

    def __init__(
        self,
        ruler: VocabularyRuler,
        recognizer: Recognizer | None = None,
        linker: ConceptLinker | None = None,
        *,
        min_link_score: float = 0.8,
    ) -> None:
        self.ruler = ruler
        self.recognizer = recognizer
        self.linker = linker
        self.min_link_score = min_link_score
        self.identity = f"ruler+recognizer {recognizer.identity}" if recognizer else "ruler"
        self._links: dict[tuple[str, str], LinkedConcept | None] = {}

    def mentions(self, item: ChunkedDocument) -> list[Mention]:
        """Every concept mention of the document, in document order."""
        found = extract_mentions(item.document.text, item.sentences, self.ruler, self.recognizer)
        return [self._linked(m) if not m.concept_id and (self.linker or self.recognizer) else m for m in found]

    def concept(self, names: Sequence[str], group: str) -> LinkedConcept | None:
        """The concept this extraction gives an entity of `group` that something else found in a
        text (an LLM), by the first of its names that links as a recognized name does: by the
        training names or the vocabulary's names, as written or spelled otherwise, else the
        linker's (the names a variant of its words spells), its head's or the nearest training name; failing
        all, the linker's best for its first name by spelling and embedding. Only linker scores of
        at least `min_link_score` count."""
        for name in names:
            entry = named_concept(name, self.recognizer, self.ruler)
            if entry is not None and entry.concept_id:
                return LinkedConcept(entry.concept_id, entry.cui, entry.name, "name")
            if (found := self._best(normalize(name), name, group)) is not None:
                return found
        best = next(iter(self.linker.link(names[0], group, k=1)), None) if self.linker and names else None
        if best is None or best.score < self.min_link_score:
            return None
        return LinkedConcept(best.concept_id, best.cui, best.name, best.method)

    def _linked(self, mention: Mention) -> Mention:
        # A mention's name is its own words, or, for a short form, its definition's long form.
        best = self._best(normalize(mention.name), mention.name, mention.type)
        if best is None:
            return mention
        return replace(
            mention, concept_id=best.concept_id, cui=best.cui, name=best.name, method=f"recognizer+{best.method}"
        )

    def _best(self, key: str, surface: str, group: str) -> LinkedConcept | None:
        # Papers repeat their names: each is linked once per run (the linker asks the graph).
        if (key, group) not in self._links:
            # Spelling similarity rarely reaches the score asked for, and costs most of the time.
            best = next(iter(self.linker.link(surface, group, k=1, fuzzy=False)), None) if self.linker else None
            if best is not None and best.score >= self.min_link_score:
                link: LinkedConcept | None = LinkedConcept(best.concept_id, best.cui, best.name, "linker")
            elif (head := head_concept(surface, group, self.recognizer, self.ruler)) is not None:
                link = LinkedConcept(head.concept_id, head.cui, head.name, "head")
            else:
                link = self._nearest_trained(surface, group)
            if len(self._links) >= LINK_CACHE:
                self._links.pop(next(iter(self._links)))
            self._links[(key, group)] = link
        return self._links[(key, group)]

    def _nearest_trained(self, surface: str, group: str) -> LinkedConcept | None:
        """The concept of the id of the training name nearest to `surface` in spelling, if any."""
        nearest = self.recognizer.nearest_name(surface, group) if self.recognizer is not None else None
        entry = trained_concept(nearest, self.ruler)
        return None if entry is None else LinkedConcept(entry.concept_id, entry.cui, entry.name, "training name")


class VocabularyRelations:
    """Relations between mentions that share a sentence, phrased as the vocabulary relates their
    concepts, else as co-occurrence."""

    fallbacks = 0

    def __init__(self, vocabulary: VocabularyStore) -> None:
        self.vocabulary = vocabulary

    def relations(
        self, batch: Sequence[ChunkMentions], entities: Mapping[str, EntityRecord]
    ) -> list[list[RelationRecord] | DocumentFailure]:
        """Per document, one relation per pair of co-occurring mentions (the batch's vocabulary
        relations read in one query)."""
        candidates = []
        for document in batch:
            pairs: list[tuple[int, Mention, Mention, str, str]] = []
            for ord_, mentions in document.by_chunk.items():
                ids = {id(m): eid for m, eid in mentions}
                pairs.extend(
                    (ord_, a, b, ids[id(a)], ids[id(b)]) for a, b in cooccurring_pairs([m for m, _ in mentions])
                )
            candidates.append(pairs)
        phrases = self.vocabulary.relations(
            (a.concept_id, b.concept_id) for pairs in candidates for _, a, b, _, _ in pairs
        )
        relations: list[list[RelationRecord] | DocumentFailure] = []
        for pairs in candidates:
            found: dict[tuple[int, str, str], RelationRecord] = {}
            for ord_, a, b, ea, eb in pairs:
                if (phrase := phrases.get((a.concept_id, b.concept_id))) is not None:
                    record = RelationRecord(ord_, ea, eb, phrase, "vocabulary")
                elif (phrase := phrases.get((b.concept_id, a.concept_id))) is not None:
                    record = RelationRecord(ord_, eb, ea, phrase, "vocabulary")
                else:
                    record = RelationRecord(ord_, ea, eb, CO_OCCURS, "co-occurrence")
                found.setdefault((ord_, record.source_id, record.target_id), record)
            relations.append(list(found.values()))
        return relations


class ExtractiveSummarizer:
    """Tag summaries from the entities' semantic groups (deterministic)."""

    fallbacks = 0

    def leaf(self, entities: Sequence[LeafEntity]) -> dict[str, list[str]]:
        """The entities' names under their groups' categories, alphabetically, categories sorted;
        what the text does not state as the patient's under 'Absent findings' (negated), 'Family
        history' and 'Conditional or hypothetical'."""
        categories: dict[str, list[str]] = {}
        for entity in sorted(entities, key=lambda e: e.name.lower()):
            category = _NOT_THE_PATIENTS_CATEGORY.get(entity.status) or TAG_CATEGORY_OF_GROUP.get(entity.type, OTHER)
            items = categories.setdefault(category, [])
            if entity.name not in items:
                items.append(entity.name)
        return dict(sorted(categories.items()))

    def merged(self, children: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
        """The union of the children's categories, the items most of them name first."""
        categories: dict[str, list[str]] = {}
        for category in sorted({c for child in children for c in child}):
            counts = Counter(item for child in children for item in child.get(category, []))
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))
            categories[category] = [item for item, _ in ranked][:ITEMS_PER_CATEGORY]
        return categories


def cooccurring_pairs(mentions: Sequence[Mention], *, max_distance: int = 4) -> list[tuple[Mention, Mention]]:
    """Pairs of mentions of different concepts in one sentence, at most `max_distance` mentions
    apart; the mentions that are not the patient's left out (a finding the text denies, a
    relative's, or one that may come relates to nothing the patient has)."""
    pairs: list[tuple[Mention, Mention]] = []
    by_sentence: dict[int, list[Mention]] = {}
    for mention in mentions:
        if mention.status not in NOT_THE_PATIENTS:
            by_sentence.setdefault(mention.sentence_start, []).append(mention)
    for group in by_sentence.values():
        for i, first in enumerate(group):
            for second in group[i + 1 : i + 1 + max_distance]:
                if first.concept_id != second.concept_id:
                    pairs.append((first, second))
    return pairs
