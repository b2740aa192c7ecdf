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
    as the offline extractor links a name; each stage falling back to the offline one where the
    model fails)."""
    chunker = SemanticChunker(embedder, settings)
    extractor = offline_extractor(vocabulary, embedder, settings, ruler)
    relations = VocabularyRelations(vocabulary)
    if model is None:
        return Construction(chunker, extractor, relations, ExtractiveSummarizer(), signature)
    # Each LLM stage falls back to its offline twin where the model fails.
    return Construction(
        TopicChunker(model, settings, chunker),
        LLMExtractor(model, extractor),
        LLMRelations(model, vocabulary, relations),
        LLMSummarizer(model),
        signature,
        model,
    )


def offline_extractor(
    vocabulary: VocabularyStore, embedder: Embedder, settings: IngestSettings, ruler: VocabularyRuler
) -> RulerExtractor:
    """The offline mention extractor over `ruler`'s vocabulary: the ruler, the recognizer where the
    settings ask for it and it is installed, and the concept linker."""
    recognizer = Recognizer() if settings.recognizer and available() else None
    return RulerExtractor(ruler, recognizer, ConceptLinker(vocabulary, embedder, lexicon=ruler.lexicon))


def summarizer(model: ChatModel | None) -> TagSummarizer:
    """The tag summarizer: extractive, or with `model` the LLM's."""
    return ExtractiveSummarizer() if model is None else LLMSummarizer(model)
