"""The two constructions: every stage offline, or every stage by an LLM (the default offline)."""

from __future__ import annotations

from medgraphrag.core.settings import IngestSettings
from medgraphrag.graph.vocabulary import VocabularyStore
from medgraphrag.ingest.construction import Construction, TagSummarizer
from medgraphrag.ingest.linking import ConceptLinker
from medgraphrag.ingest.llm_construction import LLMExtractor, LLMRelations, LLMSummarizer, TopicChunker
from medgraphrag.ingest.offline import ExtractiveSummarizer, RulerExtractor, SemanticChunker, VocabularyRelations
from medgraphrag.models.embeddings import Embedder
from medgraphrag.models.llm import ChatModel
from medgraphrag.nlp.recognizer import Recognizer, available
from medgraphrag.nlp.ruler import VocabularyRuler


def construction(
    vocabulary: VocabularyStore,
    embedder: Embedder,
    settings: IngestSettings,
    *,
    ruler: VocabularyRuler,
    signature: str,
    model: ChatModel | None,
) -> Construction:
    """The offline construction, or with `model` the LLM one (its entities linked to the vocabulary
    by the concept linker)."""
    if model is None:
        return Construction(
            SemanticChunker(embedder, settings),
            RulerExtractor(
                ruler,
                Recognizer() if settings.recognizer and available() else None,
                ConceptLinker(vocabulary, embedder),
            ),
            VocabularyRelations(vocabulary),
            ExtractiveSummarizer(),
            signature,
        )
    return Construction(
        TopicChunker(model, embedder, settings),
        LLMExtractor(model, ConceptLinker(vocabulary, embedder)),
        LLMRelations(model, vocabulary),
        LLMSummarizer(model),
        signature,
        model,
    )


def summarizer(model: ChatModel | None) -> TagSummarizer:
    """The tag summarizer: extractive, or with `model` the LLM's."""
    return ExtractiveSummarizer() if model is None else LLMSummarizer(model)
