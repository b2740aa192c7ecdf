from medgraphrag.ingest.chunking import chunk_text, count_tokens, paragraphs, sentence_spans

NOTE = (
    "# Admission note\r\n\r\n"
    "Patient seen by Dr. Smith for chest pain, e.g. at rest. Troponin 0.5 ng/mL was raised.\r\n"
    "No fever.\r\n\r\n"
    "Plan:\n- aspirin 325 mg\n- ticagrelor 180 mg\n\n"
    "Café-au-lait spots noted — see dermatology. Follow up in 2 weeks!\n"
)


def test_chunks_slice_back_to_the_source() -> None:
    for budget in (8, 16, 40, 1000):
        chunks = chunk_text(NOTE, budget)
        assert chunks, budget
        for chunk in chunks:
            assert NOTE[chunk.start : chunk.end] == chunk.text
            assert chunk.text == chunk.text.strip()
        assert [c.ord for c in chunks] == list(range(len(chunks)))
        assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))


def test_chunks_respect_the_token_budget_and_cover_every_word() -> None:
    chunks = chunk_text(NOTE, 12)
    assert all(count_tokens(c.text) <= 12 for c in chunks)
    assert sum(count_tokens(c.text) for c in chunks) == count_tokens(NOTE)


def test_paragraph_break_is_the_preferred_boundary() -> None:
    text = "First paragraph has five words.\n\nSecond one has five too."
    assert len(chunk_text(text, 100)) == 1
    two = chunk_text(text, 8)
    assert [c.text for c in two] == ["First paragraph has five words.", "Second one has five too."]


def test_over_long_sentence_is_cut_between_words() -> None:
    text = " ".join(f"word{i}" for i in range(50))
    chunks = chunk_text(text, 20)
    assert [count_tokens(c.text) for c in chunks] == [20, 20, 10]
    assert " ".join(c.text for c in chunks) == text


def test_sentences_keep_abbreviations_and_list_items() -> None:
    texts = [NOTE[s.start : s.end] for s in sentence_spans(NOTE)]
    assert "Patient seen by Dr. Smith for chest pain, e.g. at rest." in texts
    assert "Troponin 0.5 ng/mL was raised." in texts
    assert "- aspirin 325 mg" in texts and "- ticagrelor 180 mg" in texts
    assert len(paragraphs(NOTE)) == 4
