"""Every prompt the construction pipeline sends to an LLM, in one table (answers come as JSON)."""

from __future__ import annotations

from medgraphrag.graph.vocab.semantic_groups import GROUPS

PROMPTS: dict[str, str] = {
    "same_topic_system": (
        "You segment medical documents into topically coherent chunks. You are shown the paragraphs of "
        "the current chunk and the next paragraph. Decide whether the next paragraph continues the same "
        'topic. Answer with JSON: {"same_topic": true|false}.'
    ),
    "same_topic_user": "CURRENT CHUNK:\n{current}\n\nNEXT PARAGRAPH:\n{next}",
    "entities_system": (
        "You extract medical entities from a passage for a knowledge graph. For every disorder, finding, "
        "drug, procedure, anatomical structure, gene, organism or device the passage names, return its "
        "name (as written or the standard term), its type (exactly one UMLS semantic group: "
        + ", ".join(GROUPS) + "), a one-sentence context saying what the passage says about it, and "
        "span: the exact text of the passage that mentions it (copied character for character). "
        'Answer with JSON: {"entities": [{"name": ..., "type": ..., "context": ..., "span": ...}]}.'
    ),
    "entities_user": "PASSAGE:\n{text}",
    "relations_system": (
        "You state the relationships between the medical entities of a passage. Use the passage and the "
        "reference knowledge given for each entity. Each relationship has a source and a target (entity "
        "names exactly as listed) and a concise phrase (e.g. 'treats', 'is a complication of'). Only "
        "state relationships the passage supports. "
        'Answer with JSON: {"relations": [{"source": ..., "target": ..., "phrase": ...}]}.'
    ),
    "relations_user": "PASSAGE:\n{text}\n\nENTITIES:\n{entities}",
}
