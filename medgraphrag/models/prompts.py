"""Every prompt medgraphrag sends to an LLM, in one table: construction and tag summaries (answers
come as JSON) and question answering (the question's terms as JSON; answers as text citing evidence
numbers)."""

from __future__ import annotations

from medgraphrag.nlp.semantic_groups import ABSENT, GROUPS, ITEMS_PER_CATEGORY, TAG_CATEGORIES

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
        + ", ".join(GROUPS)
        + "), a one-sentence context saying what the passage says about it, and "
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
    "question_terms_system": (
        "You summarize a medical question for retrieval: list the medical terms it names or implies "
        "(disorders, symptoms, drugs, procedures, anatomy, tests), each as a standard term. "
        'Answer with JSON: {"terms": [...]}.'
    ),
    "question_terms_user": "QUESTION: {question}",
    "answer_system": (
        "You answer medical questions for clinicians using only the numbered evidence given. Every "
        "sentence of your answer must end with the numbers of the evidence it rests on, in brackets, "
        "e.g. [2] or [1][4]. Cite only numbers that are listed. If the evidence does not answer the "
        "question, say so in one sentence citing the closest evidence. Never state a finding the evidence "
        "marks as negated, a relative's (family), conditional or uncertain as a finding the patient has. "
        "Answer in plain sentences, no lists."
    ),
    "answer_user": "QUESTION: {question}\n\nEVIDENCE:\n{evidence}",
    "refine_system": (
        "You improve an answer to a medical question. You get the question, the last response, a "
        "summary of the surrounding part of the knowledge graph, and the numbered evidence. Adjust the "
        "response using the summary: what it shows to matter may be stressed or added, but every "
        "sentence must still end with the bracketed numbers of the evidence that supports it, and only "
        "listed numbers may be cited. Return only the adjusted response."
    ),
    "refine_user": ("QUESTION: {question}\n\nLAST RESPONSE: {answer}\n\nSUMMARY:\n{summary}\n\nEVIDENCE:\n{evidence}"),
    "tag_summary_system": (
        "You summarize the content of a passage of a medical knowledge graph for its tag. You are given "
        "the passage's medical entities, each with its type and what the passage says about it; entities "
        f"marked absent were stated not to be present and belong under '{ABSENT}'. Generate a structured "
        "summary from the provided medical content, strictly adhering to the following categories: "
        + ", ".join(TAG_CATEGORIES)
        + f". Under each category list at most {ITEMS_PER_CATEGORY} concise "
        "items (standard terms or short phrases), most important first; leave out categories with nothing "
        "to report and use no other category names. "
        'Answer with JSON: {"categories": {"<category>": ["<item>", ...]}}.'
    ),
    "tag_summary_user": "CONTENT:\n{entities}",
    "tag_merge_system": (
        "You merge the tag summaries of related passages of a medical knowledge graph into the summary "
        "of their parent tag. Synthesize one structured summary of what the given summaries say "
        "together, strictly adhering to the following categories: "
        + ", ".join(TAG_CATEGORIES)
        + f". Under each category list at most {ITEMS_PER_CATEGORY} concise items, those that best "
        "characterize the group first; merge duplicates and synonyms, leave out categories with nothing "
        "to report and use no other category names. "
        'Answer with JSON: {"categories": {"<category>": ["<item>", ...]}}.'
    ),
    "tag_merge_user": "SUMMARIES:\n{summaries}",
}
