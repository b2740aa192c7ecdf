"""The construction stages of the graph (paper 2.1 and 2.2), one protocol each, with an offline and
an LLM implementation (ingest/offline.py, ingest/llm_construction.py):

- `Chunker`: a batch of parsed documents into chunks with their contexts (the pipeline embeds them);
- `MentionExtractor`: a chunked document's entity mentions, each with its concept and status;
- `RelationExtractor`: the relations the chunks' meta-graphs state among their entities;
- `TagSummarizer`: the categories of a leaf tag from its meta-graph's entities, and of a merged
  tag from its children's.

A stage that cannot build a document (an LLM that fails, or answers nothing usable after its
retries) reports a `DocumentFailure` for it and goes on with the others; the pipeline's `OnError`
says whether that ends the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from medgraphrag.graph.documents import EntityRecord, RelationRecord
from medgraphrag.graph.tags import LeafEntity
from medgraphrag.ingest.chunking import TextChunk
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.models.llm import ChatModel, LLMUsage
from medgraphrag.nlp.ruler import Mention
from medgraphrag.nlp.sentences import Sentence


class OnError(Enum):
    """What a document that cannot be built does to the run: `SKIP` reports it as failed and
    ingests the others (nothing of it is written); `RAISE` ends the run with its error."""

    SKIP = "skip"
    RAISE = "raise"


@dataclass(frozen=True)
class DocumentFailure:
    """A document a stage could not build, and why."""

    document: SourceDocument
    stage: str
    reason: str


@dataclass
class ParsedDocument:
    """A document with its sentences (nlp/sentences.py)."""

    document: SourceDocument
    sentences: list[Sentence]


@dataclass
class ChunkedDocument:
    """A document cut into chunks, each with its context (ingest/context.py, embedded with it); its
    mentions once extracted."""

    document: SourceDocument
    sentences: list[Sentence]
    chunks: list[TextChunk]
    contexts: list[str]
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class ChunkMentions:
    """A chunked document's mentions by chunk, each with the id of the entity it names."""

    item: ChunkedDocument
    by_chunk: dict[int, list[tuple[Mention, str]]]


class Chunker(Protocol):
    """Cuts parsed documents into chunks with their contexts; `fallbacks` counts the documents it had to
    chunk offline instead (an LLM that failed)."""

    fallbacks: int

    def chunk(self, batch: Sequence[ParsedDocument]) -> list[ChunkedDocument | DocumentFailure]:
        """Each document's chunks and their contexts, or why it could not be chunked."""
        ...


class MentionExtractor(Protocol):
    """Finds the entity mentions of a chunked document; `identity` names what finds them (part of
    a document's fingerprint); `fallbacks` counts the chunks it had to extract offline instead."""

    identity: str
    fallbacks: int

    def mentions(self, item: ChunkedDocument) -> list[Mention]:
        """The mentions of the document, in document order; raises a `MedGraphError` if it cannot."""
        ...


class RelationExtractor(Protocol):
    """States the relations of the meta-graphs of a batch; `fallbacks` counts the documents whose
    relations it had to state offline instead."""

    fallbacks: int

    def relations(
        self, batch: Sequence[ChunkMentions], entities: Mapping[str, EntityRecord]
    ) -> list[list[RelationRecord] | DocumentFailure]:
        """Per document, the relations its chunks state among their entities, or why not."""
        ...


class TagSummarizer(Protocol):
    """Writes the category summaries of tags; `fallbacks` counts the summaries it had to write
    extractively instead (an LLM that failed)."""

    fallbacks: int

    def leaf(self, entities: Sequence[LeafEntity]) -> dict[str, list[str]]:
        """The summary of a meta-graph's tag from its entities: category -> items."""
        ...

    def merged(self, children: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
        """The summary of a merged tag from its children's summaries: category -> items."""
        ...


@dataclass
class Construction:
    """The stages one ingest uses, the identity of the vocabulary they link against, and the
    construction model (None offline), whose name is part of a document's fingerprint."""

    chunker: Chunker
    extractor: MentionExtractor
    relations: RelationExtractor
    summarizer: TagSummarizer
    vocabulary: str
    model: ChatModel | None = None

    @property
    def name(self) -> str | None:
        """The construction model's name, None offline."""
        return self.model.model if self.model else None

    @property
    def fallbacks(self) -> dict[str, int]:
        """Per stage, what an LLM that failed left to the offline stage: documents chunked, chunks
        extracted, documents related, tag summaries written."""
        return {
            "chunking": self.chunker.fallbacks,
            "extraction": self.extractor.fallbacks,
            "relations": self.relations.fallbacks,
            "tag summaries": self.summarizer.fallbacks,
        }

    @property
    def usage(self) -> LLMUsage | None:
        """What the construction model has cost so far, None offline."""
        return self.model.usage if self.model else None
