"""Example responses for the OpenAPI document of the HTTP API (one per endpoint), each valid for
the endpoint's response model (a test checks them)."""

from __future__ import annotations

from typing import Any

QUESTION = "What is the first-line treatment for type 2 diabetes?"

_CHUNK = {
    "n": 1,
    "kind": "chunk",
    "title": "Type 2 diabetes mellitus",
    "source": "/data/reference/t2dm.md",
    "tier": "reference",
    "quote": "Lifestyle change and metformin are first-line treatment ...",
    "score": 0.98,
    "similarity": 0.61,
    "doc_id": "doc_3f2a",
    "external_id": None,
    "chunk_id": "chunk_91c0",
    "start": 459,
    "end": 1199,
    "page_start": None,
    "page_end": None,
    "concept_id": None,
}
_CONCEPT = {
    "n": 2,
    "kind": "concept",
    "title": "Type II diabetes mellitus",
    "source": "doid, mondo",
    "tier": "vocabulary",
    "quote": "A type of diabetes mellitus initially characterized by insulin resistance ...",
    "score": 1.0,
    "concept_id": "C0011860",
}
_TRACE = {
    "mode": "u-retrieve",
    "question_concepts": ["C0011860"],
    "tags": [
        [
            {
                "tag_id": "tag_a1",
                "layer": 3,
                "similarity": 0.72,
                "summary": "Problems and symptoms: ...",
                "size": 14,
                "graph_id": None,
                "parent_id": None,
            }
        ]
    ],
    "path": ["tag_a1", "tag_0b"],
    "graph_ids": ["graph_77"],
    "fallback": False,
    "entities": [
        {
            "entity_id": "ent_5",
            "name": "Type II diabetes mellitus",
            "type": "Disorders",
            "tier": "reference",
            "concept_id": "C0011860",
            "similarity": 0.55,
            "weight": 1.0,
            "chunks": 4,
            "via": "question",
            "source_id": None,
            "phrase": None,
        }
    ],
    "timings_ms": {"top-down": 12.0, "bottom-up": 25.0},
    "llm": None,
}
_REPORT = {
    "files": 1,
    "documents_written": 1,
    "documents_unchanged": 0,
    "documents_failed": 0,
    "chunks_written": 2,
    "entities": 9,
    "entities_new": 9,
    "mentions": 11,
    "mentions_negated": 1,
    "mentions_uncertain": 0,
    "mentions_historical": 0,
    "mentions_family": 0,
    "mentions_conditional": 0,
    "relations": 6,
    "concept_links": 9,
    "reference_links": 3,
    "same_as_links": 0,
    "tags_attached": 2,
    "tag_summaries_extractive": 0,
    "llm_fallbacks": {},
    "errors": [],
    "seconds": 1.9,
    "stage_seconds": {"chunk": 0.1, "embed": 0.3},
    "llm": None,
}
_JOB = {
    "job_id": "9c1e...",
    "status": "done",
    "tier": "user",
    "files": ["note.txt"],
    "submitted_at": "2026-11-25T09:00:00+00:00",
    "finished_at": "2026-11-25T09:00:02+00:00",
    "progress": {"read": {"done": 1, "total": 1}, "build": {"done": 1, "total": 1}},
    "report": _REPORT,
    "error": None,
}
_ROWS = {"columns": ["document", "mentions"], "rows": [["note.txt", 3]], "truncated": False, "milliseconds": 4.2}

EXAMPLES: dict[str, Any] = {
    "healthz": {
        "status": "ok",
        "neo4j": "5.26.30",
        "edition": "community",
        "database": "neo4j",
        "counts": {"Document": 12, "Chunk": 40, "Entity": 310, "Concept": 164214},
    },
    "readyz": {"status": "ready", "indexes": 20},
    "query": {
        "answer_id": "5d0c...",
        "question": QUESTION,
        "text": "Lifestyle change and metformin are first-line treatment ... [1]",
        "mode": "extractive",
        "claims": [
            {
                "text": "Lifestyle change and metformin are first-line treatment ...",
                "citations": [1],
                "doc_id": "doc_3f2a",
                "start": 459,
                "end": 551,
            }
        ],
        "citations": [_CHUNK, _CONCEPT],
        "removed_citations": [],
        "uncited": [],
        "trace": _TRACE,
    },
    "retrieve": {"question": QUESTION, "citations": [_CHUNK, _CONCEPT], "trace": _TRACE},
    "job": _JOB,
    "documents": [
        {
            "doc_id": "doc_3f2a",
            "tier": "reference",
            "title": "Type 2 diabetes mellitus",
            "source": "/data/reference/t2dm.md",
            "external_id": None,
            "media_type": "text/markdown",
            "chunks": 3,
            "entities": 12,
            "ingested_at": "2026-11-25T09:00:00Z",
        }
    ],
    "text": {
        "doc_id": "doc_3f2a",
        "chunks": [
            {"start": 0, "end": 71, "text": "Metformin is first-line treatment for most people with type 2 diabetes."}
        ],
        "mentions": [
            {
                "doc_id": "doc_3f2a",
                "external_id": None,
                "start": 0,
                "end": 9,
                "surface": "Metformin",
                "status": "affirmed",
                "type": "Chemicals & Drugs",
                "concept_id": "C0025598",
                "xrefs": ["MESH:D008687"],
                "mesh_headings": ["MESH:D008687"],
            }
        ],
    },
    "document": {
        "document": {
            "doc_id": "doc_3f2a",
            "title": "Type 2 diabetes mellitus",
            "tier": "reference",
            "source": "/data/reference/t2dm.md",
            "chunk_count": 3,
        },
        "chunks": 3,
        "relations": 5,
        "entities": [
            {
                "entity_id": "ent_9",
                "name": "Metformin",
                "type": "Chemicals & Drugs",
                "surface": "metformin",
                "mentions": 4,
                "negated": 0,
                "uncertain": 0,
                "historical": 0,
                "family": 0,
                "conditional": 0,
                "concept_id": "C0025598",
                "concept_name": "Metformin",
                "link_method": "ruler",
                "references": [],
            }
        ],
    },
    "deleted": {"documents": 1, "entities_removed": 12, "entities_kept": 30},
    "concepts": [
        {
            "concept_id": "C0027051",
            "cui": "C0027051",
            "name": "Myocardial infarction",
            "score": 1.0,
            "method": "exact",
            "matched": "heart attack",
            "semantic_types": ["T047"],
            "sources": ["doid"],
            "cuis": ["C0027051"],
        }
    ],
    "concept": {
        "concept": {
            "concept_id": "C0027051",
            "name": "Myocardial infarction",
            "synonyms": ["heart attack"],
            "definition": "...",
        },
        "parents": [],
        "children": [],
        "child_count": 0,
    },
    "cypher": _ROWS,
    "saved_queries": [
        {
            "name": "concept-documents",
            "description": "documents whose chunks mention a concept ...",
            "parameters": [
                {"name": "concept_id", "type": "string", "default": None, "description": "a CUI or prefixed id"}
            ],
            "text": "MATCH ...",
        }
    ],
    "tags": {"layers": [40711, 1850, 1461], "seconds": 87.4, "generation": 3},
}


def example(name: str, media_type: str = "application/json", status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of an endpoint whose success response is the example `name`."""
    return {status: {"content": {media_type: {"example": EXAMPLES[name]}}}}
