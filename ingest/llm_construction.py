"""The LLM construction path (paper 2.1.1 to 2.1.4): topic decisions for chunking, entity extraction
with validated JSON, and relation phrases conditioned on the linked reference entities; and the tag
summaries of the tag tree (paper 2.2), in its fixed categories.

Every call goes through `ChatModel`, which validates the JSON against the models below, retries
with the validation error, and caches answers by content hash, so a re-run costs no tokens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from medgraphrag.graph.tag_tree import ITEMS_PER_CATEGORY, TAG_CATEGORIES
from medgraphrag.graph.vocab.semantic_groups import GROUPS
from medgraphrag.prompts import PROMPTS
from medgraphrag.llm import ChatModel


class TopicDecision(BaseModel):
    """Whether the next paragraph continues the current chunk's topic."""

    same_topic: bool


class ExtractedEntity(BaseModel):
    """One entity as the LLM states it."""

    name: str = Field(min_length=1, max_length=200)
    type: str
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

    categories: dict[str, list[str]]

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


class LLMConstruction:
    """The construction model's decisions: topics, entities, relations and tag summaries."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    def same_topic(self, current: Sequence[str], following: str) -> bool:
        """Whether `following` continues the topic of the paragraphs `current`."""
        decision = self.model.complete_json(
            PROMPTS["same_topic_system"],
            PROMPTS["same_topic_user"].format(current="\n\n".join(current), next=following), TopicDecision)
        return decision.same_topic

    def entities(self, text: str) -> list[ExtractedEntity]:
        """The entities of a passage."""
        return self.model.complete_json(
            PROMPTS["entities_system"], PROMPTS["entities_user"].format(text=text), ExtractedEntities).entities

    def relations(self, text: str, entities: Sequence[EntityContent]) -> list[ExtractedRelation]:
        """Relations among `entities` that the passage supports; names not listed are dropped."""
        if len(entities) < 2:
            return []
        listing = "\n".join(
            f"- {e.name} ({e.type}): {e.context}"
            + "".join(f"\n  reference: {reference}" for reference in e.references)
            for e in entities
        )
        answer = self.model.complete_json(
            PROMPTS["relations_system"], PROMPTS["relations_user"].format(text=text, entities=listing),
            ExtractedRelations)
        names = {e.name for e in entities}
        return [r for r in answer.relations if r.source in names and r.target in names and r.source != r.target]

    def tag_summary(self, entities: Sequence[Mapping[str, object]]) -> dict[str, list[str]]:
        """The summary of a meta-graph's tag from its entities (`name`, `type`, `context`, `negated`):
        category -> items; empty when it has none."""
        if not entities:
            return {}
        # Sorted, so that the same content makes the same prompt (a cache hit) whatever the query order.
        lines = sorted({f"- {e['name']} ({e['type']}{', absent' if e['negated'] else ''})"
                        + (f": {e['context']}" if e.get("context") else "") for e in entities}, key=str.lower)
        return self.model.complete_json(
            PROMPTS["tag_summary_system"], PROMPTS["tag_summary_user"].format(entities="\n".join(lines)),
            TagSummary).categories

    def merged_tag_summary(self, summaries: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
        """The summary of a merged tag from its children's summaries: category -> items; empty when
        they are all empty."""
        if not any(summaries):
            return {}
        listing = "\n".join(json.dumps({"categories": summary}, ensure_ascii=False) for summary in summaries if summary)
        return self.model.complete_json(
            PROMPTS["tag_merge_system"], PROMPTS["tag_merge_user"].format(summaries=listing), TagSummary).categories


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

