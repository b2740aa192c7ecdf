"""LlamaIndex integration (the optional extra `medgraphrag[llama-index]`): medgraphrag's evidence
as a retriever and its cited answers as a query engine.

Both map medgraphrag's numbered citations to LlamaIndex nodes, so a node is exactly what an answer
cites: a chunk (node id the chunk id, text the chunk, exactly `source[start:end]`) or a concept
(node id the concept id, text its definition). The evidence number is the node's `citation`
metadata, and the ranking score its score.
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    from llama_index.core.base.response.schema import Response
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.query_engine import CustomQueryEngine
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
except ImportError as missing:  # an optional extra: say how to get it
    raise ImportError("medgraphrag.llama_index needs LlamaIndex: pip install 'medgraphrag[llama-index]'") from missing

from medgraphrag.core.ids import DocumentTier
from medgraphrag.retrieval.evidence import Answer, Citation
from medgraphrag.retrieval.retriever import U_RETRIEVE, Mode
from medgraphrag.service import MedGraph

# What an LLM reads with a node: enough to name and cite the evidence, none of the offsets, ids or
# scores that only locate it. Embeddings see the title alone, so they stay about the content.
LLM_METADATA = ("citation", "kind", "title", "source", "tier", "external_id", "page_start", "page_end", "concept_id")
EMBED_METADATA = ("title",)


def citation_node(citation: Citation) -> NodeWithScore:
    """A citation as a scored LlamaIndex node: a chunk (id, text, document offsets and pages) or a
    concept (id, definition); metadata keys whose value is unknown are left out."""
    fields = {
        "citation": citation.n,
        "kind": citation.kind,
        "title": citation.title,
        "source": citation.source,
        "tier": citation.tier,
        "doc_id": citation.doc_id,
        "external_id": citation.external_id,
        "start": citation.start,
        "end": citation.end,
        "page_start": citation.page_start,
        "page_end": citation.page_end,
        "similarity": citation.similarity,
        "concept_id": citation.concept_id,
    }
    metadata = {key: value for key, value in fields.items() if value is not None}
    node = TextNode(
        id_=citation.chunk_id if citation.kind == "chunk" else citation.concept_id,
        text=citation.quote,
        metadata=metadata,
        start_char_idx=citation.start,
        end_char_idx=citation.end,
        excluded_llm_metadata_keys=[key for key in metadata if key not in LLM_METADATA],
        excluded_embed_metadata_keys=[key for key in metadata if key not in EMBED_METADATA],
    )
    if citation.doc_id is not None:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=citation.doc_id)
    return NodeWithScore(node=node, score=citation.score)


def citation_nodes(citations: Sequence[Citation]) -> list[NodeWithScore]:
    """The citations as scored nodes, in evidence order (chunks by rank, then concepts)."""
    return [citation_node(citation) for citation in citations]


def answer_response(answer: Answer) -> Response:
    """An answer as a LlamaIndex response: the cited text, the evidence as source nodes, and as
    metadata the answer mode, claims, removed citation numbers, uncited sentences and the trace."""
    return Response(
        response=answer.text,
        source_nodes=citation_nodes(answer.citations),
        metadata={
            "mode": answer.mode,
            "claims": [claim.model_dump() for claim in answer.claims],
            "removed_citations": list(answer.removed_citations),
            "uncited": list(answer.uncited),
            "trace": answer.trace.model_dump(),
        },
    )


class MedGraphRetriever(BaseRetriever):
    """A LlamaIndex retriever over a MedGraph: the evidence medgraphrag would cite for the question,
    from `MedGraph.retrieve`. The nodes are the `k` best chunks by `mode` and, by u-retrieve, the
    defined concepts of the entities it gathered, numbered as an answer cites them. No answer is
    written."""

    def __init__(
        self,
        medgraph: MedGraph,
        *,
        k: int = 5,
        tier: DocumentTier | None = None,
        mode: Mode = U_RETRIEVE,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        self.medgraph = medgraph
        self.k = k
        self.tier = tier
        self.mode = mode
        super().__init__(callback_manager=callback_manager)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        evidence = self.medgraph.retrieve(query_bundle.query_str, k=self.k, tier=self.tier, mode=self.mode)
        return citation_nodes(evidence.citations)


class MedGraphQueryEngine(CustomQueryEngine):
    """A LlamaIndex query engine whose answers medgraphrag writes (extractive offline, or by its
    configured answer LLM; no LlamaIndex LLM is used): `query` returns the cited answer text, its
    evidence as source nodes, and the claims, validation results and trace as metadata."""

    medgraph: MedGraph
    k: int = 5
    tier: DocumentTier | None = None
    mode: Mode = U_RETRIEVE

    def custom_query(self, query_str: str) -> Response:
        """Answer `query_str` with `MedGraph.query` and return it as a LlamaIndex response."""
        return answer_response(self.medgraph.query(query_str, k=self.k, tier=self.tier, mode=self.mode))
