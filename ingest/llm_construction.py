"""The LLM construction stages (paper 2.1.1 to 2.1.4, 2.2): topic decisions for chunking, entity
extraction with validated JSON, relation phrases conditioned on the linked reference entities, and
the tag summaries of the tag tree in its fixed categories.

Every call goes through `ChatModel`, which validates the JSON against the models below, retries
with the validation error, and caches answers by content hash, so a re-run costs no tokens. What the
model still cannot give degrades to the offline stage (ingest/offline.py) for that document or
chunk, counted in the stage's `fallbacks` and the ingest report: the document is never lost to it.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from medgraphrag.core.errors import MedGraphError
from medgraphrag.core.settings import IngestSettings
from medgraphrag.graph.documents import EntityRecord, RelationRecord
from medgraphrag.graph.tags import LeafEntity
from medgraphrag.graph.vocabulary import VocabularyStore
from medgraphrag.ingest.chunking import TextChunk, topic_chunks, units
from medgraphrag.ingest.construction import ChunkedDocument, ChunkMentions, DocumentFailure, ParsedDocument
from medgraphrag.ingest.context import chunk_contexts
from medgraphrag.ingest.offline import ExtractiveSummarizer, RulerExtractor, SemanticChunker, VocabularyRelations
from medgraphrag.models.llm import ChatModel
from medgraphrag.models.prompts import PROMPTS
from medgraphrag.nlp.abbreviations import find_definitions
from medgraphrag.nlp.assertion import CONDITIONAL, FAMILY, NEGATED, assertion
from medgraphrag.nlp.ruler import Mention
from medgraphrag.nlp.semantic_groups import GROUPS, ITEMS_PER_CATEGORY, TAG_CATEGORIES

# How a tag prompt marks an entity the text does not state as the patient's.
_STATUS_NOTE = {NEGATED: ", absent", FAMILY: ", a relative's", CONDITIONAL: ", conditional or hypothetical"}

log = logging.getLogger(__name__)


class TopicDecision(BaseModel):
    """Whether the next paragraph continues the current chunk's topic."""

    same_topic: bool


class ExtractedEntity(BaseModel):
    """One entity as the LLM states it."""

    name: str = Field(min_length=1, max_length=200)
    # The enum is for the schema a server may constrain decoding with; the validator is what holds.
    type: str = Field(json_schema_extra={"enum": list(GROUPS)})
    context: str = ""
    span: str = ""

    @field_validator("type")
    @classmethod
    def _known_group(cls, value: str) -> str:
        for group in GROUPS:
            if value.strip().lower() == group.lower():
                return group
        raise ValueError(f"type must be one of the UMLS semantic groups {', '.join(GROUPS)}; got {value!r}")


class ExtractedEntities(BaseModel):
    """The entities of one passage."""

    entities: list[ExtractedEntity]


class ExtractedRelation(BaseModel):
    """One relation between two listed entities."""

    source: str
    target: str
    phrase: str = Field(min_length=1, max_length=120)


class ExtractedRelations(BaseModel):
    """The relations of one passage."""

    relations: list[ExtractedRelation]


class TagSummary(BaseModel):
    """A tag summary: items under the fixed tag categories (names matched case-insensitively, empty
    categories dropped, at most ITEMS_PER_CATEGORY items each)."""

    categories: dict[str, list[str]] = Field(
        json_schema_extra={
            "properties": {category: {"type": "array", "items": {"type": "string"}} for category in TAG_CATEGORIES},
            "additionalProperties": False,
        }
    )

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = {category.lower(): category for category in TAG_CATEGORIES}
        categories: dict[str, list[str]] = {}
        for name, items in value.items():
            category = known.get(name.strip().lower())
            if category is None:
                raise ValueError(f"categories must be among {', '.join(TAG_CATEGORIES)}; got {name!r}")
            kept = categories.setdefault(category, [])
            for item in (item.strip() for item in items):
                if item and item not in kept:
                    kept.append(item)
        return {category: items[:ITEMS_PER_CATEGORY] for category, items in sorted(categories.items()) if items}


@dataclass(frozen=True)
class EntityContent:
    """What the relation prompt is told about an entity: itself and its reference-tier neighbours."""

    name: str
    type: str
    context: str
    references: tuple[str, ...] = ()


class TopicChunker:
    """Chunks whose boundaries the model decides paragraph by paragraph (paper 2.1.1); a document
    whose topic decisions fail is chunked by `fallback`, the offline semantic chunker."""

    def __init__(self, model: ChatModel, settings: IngestSettings, fallback: SemanticChunker) -> None:
        self.model = model
        self.settings = settings
        self.fallback = fallback
        self.fallbacks = 0

    def chunk(self, batch: Sequence[ParsedDocument]) -> list[ChunkedDocument | DocumentFailure]:
        """Each document's topic chunks with their contexts (offline chunks where the model failed)."""
        max_tokens = self.settings.chunk_tokens
        outcomes: list[list[TextChunk] | None] = []
        for parsed in batch:
            pieces = units(parsed.sentences, max_tokens=min(self.settings.unit_tokens, max_tokens))
            try:
                outcomes.append(topic_chunks(parsed.document.text, pieces, self.same_topic, max_tokens=max_tokens))
            except MedGraphError as exc:
                log.warning("%s: offline chunks, the model's topic decisions failed: %s", parsed.document.source, exc)
                self.fallbacks += 1
                outcomes.append(None)
        failed = [p for p, chunks in zip(batch, outcomes) if chunks is None]
        offline = iter(self.fallback.chunk(failed) if failed else [])
        chunked: list[ChunkedDocument | DocumentFailure] = []
        for parsed, chunks in zip(batch, outcomes):
            if chunks is None:
                chunked.append(next(offline))
                continue
            contexts = chunk_contexts(parsed.document, chunks)
            chunked.append(ChunkedDocument(parsed.document, parsed.sentences, chunks, contexts))
        return chunked

    def same_topic(self, current: Sequence[str], following: str) -> bool:
        """Whether `following` continues the topic of the paragraphs `current`."""
        decision = self.model.complete_json(
            PROMPTS["same_topic_system"],
            PROMPTS["same_topic_user"].format(current="\n\n".join(current), next=following),
            TopicDecision,
        )
        return decision.same_topic


class LLMExtractor:
    """Entities the model names in each chunk, found at their place in the text and linked to the
    vocabulary (paper 2.1.2) by `fallback`, the offline extractor, as it links a recognized name
    (`RulerExtractor.concept`: training names, vocabulary names as written or spelled otherwise,
    the concept linker, its head, the nearest training name, last the linker's spelling and
    embedding match with the model's type), a short form the document defines by its long form;
    their assertion status comes from their sentence, as offline. A chunk whose extraction fails
    gets the offline extractor's mentions."""

    def __init__(self, model: ChatModel, fallback: RulerExtractor) -> None:
        self.model = model
        self.fallback = fallback
        self.fallbacks = 0
        # The offline extractor links the model's entities: documents built before it did are stale.
        self.identity = f"llm linked by {fallback.identity}"

    def mentions(self, item: ChunkedDocument) -> list[Mention]:
        """The mentions of the entities the model found, in document order (one per span)."""
        text = item.document.text
        starts = [s.start for s in item.sentences]
        defined = {d.short: d.long for d in find_definitions(text)}
        mentions: dict[tuple[int, int], Mention] = {}
        offline: list[Mention] | None = None
        for chunk in item.chunks:
            try:
                entities = self.entities(chunk.text)
            except MedGraphError as exc:
                log.warning(
                    "%s: offline mentions in a chunk, the model's extraction failed: %s", item.document.source, exc
                )
                self.fallbacks += 1
                offline = self.fallback.mentions(item) if offline is None else offline
                for m in offline:
                    if chunk.start <= m.start and m.end <= chunk.end:
                        mentions[(m.start, m.end)] = m
                continue
            for extracted in entities:
                where = locate(chunk.text, extracted)
                if where is None:
                    continue  # the model named something the passage does not say
                start, end = chunk.start + where[0], chunk.start + where[1]
                sentence = item.sentences[max(0, bisect.bisect_right(starts, start) - 1)]
                # A short form the document defines names what its long form names ("SJS").
                surface = text[start:end]
                names = list(dict.fromkeys((defined.get(surface, extracted.name), surface)))
                link = self.fallback.concept(names, extracted.type)
                relative = (start - sentence.start, end - sentence.start)
                asserted = assertion(text[sentence.start : sentence.end], *relative)
                mentions[(start, end)] = Mention(
                    start,
                    end,
                    surface,
                    link.concept_id if link else "",
                    link.cui if link else None,
                    link.name if link else extracted.name,
                    extracted.type,
                    asserted,
                    sentence.start,
                    sentence.end,
                    "llm+" + link.method if link else "llm",
                )
        return [mentions[key] for key in sorted(mentions)]

    def entities(self, text: str) -> list[ExtractedEntity]:
        """The entities of a passage, as the model states them."""
        return self.model.complete_json(
            PROMPTS["entities_system"], PROMPTS["entities_user"].format(text=text), ExtractedEntities
        ).entities


class LLMRelations:
    """Relation phrases the model states among a chunk's entities, told what the reference tier and
    the vocabulary say of each (paper 2.1.4)."""

    def __init__(self, model: ChatModel, vocabulary: VocabularyStore, fallback: VocabularyRelations) -> None:
        self.model = model
        self.vocabulary = vocabulary
        self.fallback = fallback
        self.fallbacks = 0

    def relations(
        self, batch: Sequence[ChunkMentions], entities: Mapping[str, EntityRecord]
    ) -> list[list[RelationRecord] | DocumentFailure]:
        """Per document, the relations the model finds in each of its chunks; a document whose
        calls fail gets the offline relations (the vocabulary's, else co-occurrence)."""
        references = self.vocabulary.reference_contents(e.concept_id for e in entities.values() if e.concept_id)
        found: list[list[RelationRecord] | DocumentFailure] = []
        for document in batch:
            try:
                found.append(self._document(document, entities, references))
            except MedGraphError as exc:
                log.warning("%s: offline relations, the model's failed: %s", document.item.document.source, exc)
                self.fallbacks += 1
                found.extend(self.fallback.relations([document], entities))
        return found

    def _document(
        self, document: ChunkMentions, entities: Mapping[str, EntityRecord], references: Mapping[str, list[str]]
    ) -> list[RelationRecord]:
        relations = []
        for ord_, mentions in sorted(document.by_chunk.items()):
            ids = dict.fromkeys(eid for _, eid in mentions)
            contents = [
                EntityContent(
                    entities[eid].name,
                    entities[eid].type,
                    entities[eid].context,
                    tuple(references.get(entities[eid].concept_id or "", ())),
                )
                for eid in ids
            ]
            by_name = {entities[eid].name: eid for eid in ids}
            for r in self.phrases(document.item.chunks[ord_].text, contents):
                relations.append(RelationRecord(ord_, by_name[r.source], by_name[r.target], r.phrase, "llm"))
        return relations

    def phrases(self, text: str, entities: Sequence[EntityContent]) -> list[ExtractedRelation]:
        """Relations among `entities` that the passage supports; names not listed are dropped."""
        if len(entities) < 2:
            return []
        listing = "\n".join(
            f"- {e.name} ({e.type}): {e.context}" + "".join(f"\n  reference: {reference}" for reference in e.references)
            for e in entities
        )
        answer = self.model.complete_json(
            PROMPTS["relations_system"],
            PROMPTS["relations_user"].format(text=text, entities=listing),
            ExtractedRelations,
        )
        names = {e.name for e in entities}
        return [r for r in answer.relations if r.source in names and r.target in names and r.source != r.target]


class LLMSummarizer:
    """Tag summaries the model writes, strictly in the tag categories (paper 2.2). A summary the
    model cannot give falls back to the extractive one, and is counted in `fallbacks`."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.fallbacks = 0
        self._extractive = ExtractiveSummarizer()

    def leaf(self, entities: Sequence[LeafEntity]) -> dict[str, list[str]]:
        """The summary of a meta-graph's tag from its entities: category -> items; empty when it
        has none."""
        if not entities:
            return {}
        # Sorted, so that the same content makes the same prompt (a cache hit) whatever the query order.
        lines = sorted(
            {
                f"- {e.name} ({e.type}{_STATUS_NOTE.get(e.status, '')})" + (f": {e.context}" if e.context else "")
                for e in entities
            },
            key=str.lower,
        )
        try:
            return self.model.complete_json(
                PROMPTS["tag_summary_system"], PROMPTS["tag_summary_user"].format(entities="\n".join(lines)), TagSummary
            ).categories
        except MedGraphError as exc:
            log.warning("extractive summary for a leaf tag: %s", exc)
            self.fallbacks += 1
            return self._extractive.leaf(entities)

    def merged(self, children: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
        """The summary of a merged tag from its children's summaries: category -> items; empty when
        they are all empty."""
        if not any(children):
            return {}
        listing = "\n".join(json.dumps({"categories": summary}, ensure_ascii=False) for summary in children if summary)
        try:
            return self.model.complete_json(
                PROMPTS["tag_merge_system"], PROMPTS["tag_merge_user"].format(summaries=listing), TagSummary
            ).categories
        except MedGraphError as exc:
            log.warning("extractive summary for a merged tag: %s", exc)
            self.fallbacks += 1
            return self._extractive.merged(children)


def locate(text: str, entity: ExtractedEntity) -> tuple[int, int] | None:
    """Where in `text` the entity is mentioned (its span, else its name; case-insensitive)."""
    lowered = text.lower()
    for needle in (entity.span, entity.name):
        needle = needle.strip()
        if needle:
            position = lowered.find(needle.lower())
            if position >= 0:
                return position, position + len(needle)
    return None
