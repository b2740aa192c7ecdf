from itertools import pairwise

import numpy as np

from medgraphrag.core.settings import IngestSettings
from medgraphrag.ingest.chunking import (
    boundary_similarities,
    content_words,
    semantic_chunks,
    splittable,
    topic_chunks,
    units,
    word_similarities,
)
from medgraphrag.ingest.construction import ChunkedDocument, ParsedDocument
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.ingest.offline import SemanticChunker
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.sentences import paragraphs, parse

NOTE = (
    "# Admission note\r\n\r\n"
    "Patient seen by Dr. Smith for chest pain, e.g. at rest. Troponin 0.5 ng/mL was raised.\r\n"
    "No fever. Pt. given aspirin.\r\n\r\n"
    "Plan:\n- aspirin 325 mg\n- ticagrelor 180 mg\n\n"
    "Café-au-lait spots noted — see dermatology. Follow up in 2 weeks!\n"
)


def test_sentences_keep_abbreviations_and_list_items() -> None:
    sentences = parse([NOTE])[0]
    texts = [NOTE[s.start : s.end] for s in sentences]
    assert "Patient seen by Dr. Smith for chest pain, e.g. at rest." in texts
    assert "Pt. given aspirin." in texts
    assert "- aspirin 325 mg" in texts and "- ticagrelor 180 mg" in texts
    assert len(paragraphs(NOTE)) == 4
    assert [s.paragraph for s in sentences] == sorted(s.paragraph for s in sentences)
    for sentence in sentences:
        assert all(NOTE[t.start : t.end].strip() == NOTE[t.start : t.end] for t in sentence.tokens)


def test_units_stay_inside_paragraphs_and_budget() -> None:
    sentences = parse([NOTE])[0]
    for budget in (4, 8, 64):
        pieces = units(sentences, max_tokens=budget, min_tokens=6)
        assert all(u.tokens <= budget for u in pieces)
        assert sum(u.tokens for u in pieces) == sum(len(s.tokens) for s in sentences)
        spans = paragraphs(NOTE)
        for unit in pieces:
            paragraph = spans[unit.paragraph]
            assert paragraph.start <= unit.start < unit.end <= paragraph.end


def _vectors(directions: list[int], dim: int = 8) -> np.ndarray:
    return np.eye(dim, dtype=np.float32)[directions]


def _pieces(text: str, max_tokens: int = 64):
    return units(parse([text])[0], max_tokens=max_tokens, min_tokens=1)


TEXT = "\n\n".join(f"Sentence number {i} is here." for i in range(8))


def test_a_topic_break_cuts_even_under_the_budget() -> None:
    pieces = _pieces(TEXT)
    assert len(pieces) == 8
    vectors = _vectors([0, 0, 0, 0, 1, 1, 1, 1])
    chunks = semantic_chunks(
        TEXT, pieces, boundary_similarities(vectors), max_tokens=1000, topic_threshold=0.25, min_tokens=4
    )
    assert [c.text.count("Sentence") for c in chunks] == [4, 4]
    assert chunks[1].text.startswith("Sentence number 4")
    for chunk in chunks:
        assert TEXT[chunk.start : chunk.end] == chunk.text


def test_one_topic_under_the_budget_stays_one_chunk() -> None:
    pieces = _pieces(TEXT)
    similarities = boundary_similarities(_vectors([0] * 8))
    chunks = semantic_chunks(TEXT, pieces, similarities, max_tokens=1000, topic_threshold=0.25, min_tokens=4)
    assert len(chunks) == 1 and chunks[0].text == TEXT


def test_over_budget_is_cut_at_the_weakest_boundary_into_contiguous_chunks() -> None:
    pieces = _pieces(TEXT)
    per_unit = pieces[0].tokens
    # Similar everywhere except a dip between units 2 and 3: that is where the cut goes.
    vectors = np.array([[1, 0.1 * i, 0] for i in range(8)], dtype=np.float32)
    vectors[3:] += np.array([0, 0, 2], dtype=np.float32)
    similarities = boundary_similarities(vectors)
    assert int(np.argmin(similarities)) == 2
    chunks = semantic_chunks(TEXT, pieces, similarities, max_tokens=5 * per_unit, topic_threshold=-1.0, min_tokens=1)
    assert [c.text.count("Sentence") for c in chunks] == [3, 5]
    assert all(a.end < b.start for a, b in pairwise(chunks))
    assert [c.ord for c in chunks] == [0, 1]


def test_equally_weak_boundaries_leave_the_sides_most_alike_in_size() -> None:
    text = "# Glaucoma\n\n## Treatment\n\nDrops lower the pressure inside the eye.\n\nLaser helps.\n"
    pieces = _pieces(text)
    assert [u.tokens for u in pieces] == [2, 3, 8, 3]
    # No boundary is balanced or more similar than another: the cut leaves the sides nearest in
    # size (5 and 11 tokens), not the first heading alone (2 and 14).
    chunks = semantic_chunks(text, pieces, np.zeros(3), max_tokens=15, topic_threshold=-1.0, min_tokens=16)
    assert [c.text for c in chunks] == [
        "# Glaucoma\n\n## Treatment",
        "Drops lower the pressure inside the eye.\n\nLaser helps.",
    ]


def test_pieces_too_short_for_two_balanced_parts_and_under_budget_cannot_be_split() -> None:
    pieces = _pieces(TEXT)
    total = sum(u.tokens for u in pieces)
    assert not splittable(pieces, max_tokens=total, min_tokens=total // 2 + 1)
    assert not splittable(pieces[:1], max_tokens=1, min_tokens=1)
    assert splittable(pieces, max_tokens=total - 1, min_tokens=total)
    assert splittable(pieces, max_tokens=total, min_tokens=total // 2)
    # Whatever the vectors say, what cannot be split is one chunk.
    similarities = boundary_similarities(np.array([[1, 0], [0, 1]] * 4, dtype=np.float32))
    chunks = semantic_chunks(
        TEXT, pieces, similarities, max_tokens=total, topic_threshold=0.99, min_tokens=total // 2 + 1
    )
    assert [c.text for c in chunks] == [TEXT[pieces[0].start : pieces[-1].end]]


def test_content_words_fold_case_plurals_spelling_and_hyphens_and_leave_out_stop_words_and_numbers() -> None:
    words = content_words("The Tumours and the tumor: non-steroidal drugs, IV 25 mg in 2019's trial.")
    assert words == {"tumor": 2, "non": 1, "steroidal": 1, "drug": 1, "trial": 1}


def test_word_similarities_dip_where_the_windows_share_no_content_word() -> None:
    texts = [
        "Asthma causes wheezing in children.",
        "Inhaled steroids control asthma and wheezing.",
        "Asthma attacks need a rescue inhaler.",
        "Gout is a painful arthritis of the big toe.",
        "Uric acid crystals cause gout.",
        "Allopurinol lowers uric acid in gout.",
    ]
    similarities = word_similarities(texts)
    assert similarities.shape == (5,)
    assert int(np.argmin(similarities)) == 2 and similarities[2] == 0.0
    assert all(similarities[i] > 0.1 for i in (0, 1, 3, 4))
    assert word_similarities(texts[:1]).shape == (0,)
    # Lexical cohesion cuts the two topics apart under the budget, as embeddings would.
    text = " ".join(texts)
    pieces = _pieces(text)
    assert len(pieces) == len(texts)
    chunks = semantic_chunks(
        text,
        pieces,
        word_similarities([text[u.start : u.end] for u in pieces]),
        max_tokens=1000,
        topic_threshold=0.01,
        min_tokens=4,
    )
    assert [c.text for c in chunks] == [" ".join(texts[:3]), " ".join(texts[3:])]


def test_topic_chunks_ask_with_a_window_of_five_paragraphs_and_keep_the_budget() -> None:
    text = "\n\n".join(f"Paragraph {i} about {'asthma' if i < 6 else 'gout'}." for i in range(9))
    seen: list[int] = []

    def same_topic(current: list[str], following: str) -> bool:
        seen.append(len(current))
        return ("asthma" in current[-1]) == ("asthma" in following)

    chunks = topic_chunks(text, _pieces(text), same_topic, max_tokens=1000)
    assert [c.text.count("Paragraph") for c in chunks] == [6, 3]
    assert max(seen) == 4  # four paragraphs of the chunk plus the next one: a window of five
    capped = topic_chunks(text, _pieces(text), lambda current, following: True, max_tokens=12)
    assert all(len(c.text.split()) <= 12 for c in capped) and len(capped) > 1


def test_the_offline_chunker_cuts_two_topics_apart_by_words_or_by_embeddings(embedder: Embedder) -> None:
    asthma = [
        "Asthma narrows the airways of the lungs and causes wheezing.",
        "An inhaled steroid controls asthma and the wheezing it brings.",
        "A rescue inhaler opens the airways during an asthma attack.",
    ]
    gout = [
        "Gout is a painful arthritis of the big toe.",
        "Uric acid crystals in the joint cause the pain of gout.",
        "Allopurinol lowers uric acid and prevents attacks of gout.",
    ]
    text = " ".join(asthma + gout)
    document = SourceDocument("topics.txt", "Two topics", text, "text/plain")
    parsed = ParsedDocument(document, parse([text])[0])
    for signal in ("words", "embedding"):
        settings = IngestSettings(topic_signal=signal, unit_tokens=16, chunk_tokens=90)
        (chunked,) = SemanticChunker(embedder, settings).chunk([parsed])
        assert isinstance(chunked, ChunkedDocument)
        assert [c.text for c in chunked.chunks] == [" ".join(asthma), " ".join(gout)], signal
        assert chunked.contexts == ["Two topics", "Two topics"]
