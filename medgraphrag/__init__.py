"""medgraphrag: medical GraphRAG on Neo4j with cited answers.

The public surface: the `MedGraph` service, its settings, the records it returns, and the error
tree rooted at `MedGraphError` (documented in `medgraphrag.core.errors`). Names load on first use,
so importing one part of medgraphrag does not import all of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medgraphrag.core.errors import (
        ConfigurationError,
        Conflict,
        CypherRefused,
        DocumentError,
        EmbeddingModelError,
        GraphUnavailable,
        InvalidRequest,
        LLMError,
        LLMOutputError,
        MedGraphError,
        NotFound,
        SchemaConflict,
        ServerError,
        VocabularyError,
    )
    from medgraphrag.core.settings import Settings, load_settings
    from medgraphrag.ingest.construction import OnError
    from medgraphrag.ingest.pipeline import IngestError, IngestReport
    from medgraphrag.retrieval.evidence import Answer, Citation, Claim, Evidence, Trace
    from medgraphrag.retrieval.retriever import MODES, Mode
    from medgraphrag.service import MedGraph

_WHERE = {
    **dict.fromkeys(
        (
            "ConfigurationError",
            "Conflict",
            "CypherRefused",
            "DocumentError",
            "EmbeddingModelError",
            "GraphUnavailable",
            "InvalidRequest",
            "LLMError",
            "LLMOutputError",
            "MedGraphError",
            "NotFound",
            "SchemaConflict",
            "ServerError",
            "VocabularyError",
        ),
        "medgraphrag.core.errors",
    ),
    "Settings": "medgraphrag.core.settings",
    "load_settings": "medgraphrag.core.settings",
    "OnError": "medgraphrag.ingest.construction",
    "IngestError": "medgraphrag.ingest.pipeline",
    "IngestReport": "medgraphrag.ingest.pipeline",
    **dict.fromkeys(("Answer", "Citation", "Claim", "Evidence", "Trace"), "medgraphrag.retrieval.evidence"),
    "MODES": "medgraphrag.retrieval.retriever",
    "Mode": "medgraphrag.retrieval.retriever",
    "MedGraph": "medgraphrag.service",
}

__all__ = [
    "MODES",
    "Answer",
    "Citation",
    "Claim",
    "ConfigurationError",
    "Conflict",
    "CypherRefused",
    "DocumentError",
    "EmbeddingModelError",
    "Evidence",
    "GraphUnavailable",
    "IngestError",
    "IngestReport",
    "InvalidRequest",
    "LLMError",
    "LLMOutputError",
    "MedGraph",
    "MedGraphError",
    "Mode",
    "NotFound",
    "OnError",
    "SchemaConflict",
    "ServerError",
    "Settings",
    "Trace",
    "VocabularyError",
    "load_settings",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'medgraphrag' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
