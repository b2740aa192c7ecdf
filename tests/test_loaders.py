import dataclasses
import hashlib
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from medgraphrag.core.errors import DocumentError
from medgraphrag.ingest.loaders import SUPPORTED_SUFFIXES, SourceDocument, discover, load, load_all


def _pdf(pages: list[str | None], title: str = "") -> bytes:
    """A minimal PDF with one Helvetica line per page; a None page only draws a line (no text layer)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text is not None else "72 720 m 300 720 l S"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    info = ""
    if title:
        objects.append(f"<< /Title ({title}) >>")
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def _medquad(pairs: list[tuple[str, str, str]], source: str = "GHR", number: str = "0000042") -> str:
    qa = "".join(
        f'<QAPair pid="{pid}"><Question qid="{number}-{pid}" qtype="{qtype}">{question}</Question>'
        f"<Answer>{answer}</Answer></QAPair>"
        for pid, (question, qtype, answer) in enumerate(pairs, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document id="{number}" source="{source}" '
        f'url="https://example.org/cf"><Focus>Cystic fibrosis</Focus><QAPairs>{qa}</QAPairs></Document>'
    )


def _reason(path: Path) -> str:
    with pytest.raises(DocumentError) as info:
        load(path)
    assert info.value.path == str(path)
    return info.value.reason


def test_markdown_title_and_stable_identity(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("Intro line\n\n## Sepsis bundle ##\n\nGive fluids.\n", encoding="utf-8")
    [first] = load(path)
    assert first.title == "Sepsis bundle"
    assert first.media_type == "text/markdown"
    assert (first.unit, first.pages, first.metadata) == ("", (), ())
    path.write_text("Changed text.\n", encoding="utf-8")
    [second] = load(path)
    assert second.doc_id == first.doc_id
    assert second.sha256 != first.sha256


def test_single_document_identity_is_the_source_alone_and_units_add_to_it(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("Aspirin.", encoding="utf-8")
    [document] = load(path)
    assert document.source == path.resolve().as_posix()
    assert document.doc_id == "doc_" + hashlib.sha256(document.source.encode("utf-8")).hexdigest()[:24]
    unit = dataclasses.replace(document, unit="7")
    assert unit.doc_id == "doc_" + hashlib.sha256(f"{document.source}#7".encode()).hexdigest()[:24]


def test_content_hash_covers_title_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("Aspirin.", encoding="utf-8")
    [document] = load(path)
    hashes = {
        document.sha256,
        dataclasses.replace(document, title="Other").sha256,
        dataclasses.replace(document, metadata=(("url", "https://example.org"),)).sha256,
    }
    assert len(hashes) == 3
    assert dataclasses.replace(document).sha256 == document.sha256


def test_empty_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(path)
    assert str(path) in str(info.value) and "empty" in str(info.value)


def test_non_utf8_file_is_refused_with_the_offending_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Fièvre persistante".encode("latin-1"))
    with pytest.raises(DocumentError) as info:
        load(path)
    assert info.value.path == str(path)
    assert "not valid UTF-8" in info.value.reason and "0xe8" in info.value.reason


def test_discover_recurses_and_reports_what_it_cannot_take(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "top.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / "b" / "notes").write_text("x", encoding="utf-8")
    (tmp_path / "a" / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a" / ".git").mkdir()
    (tmp_path / "a" / ".git" / "HEAD").write_text("ref: refs/heads/main", encoding="utf-8")
    (tmp_path / "a" / ".git" / "kept.txt").write_text("x", encoding="utf-8")
    (tmp_path / "scan.tiff").write_bytes(b"II*\x00")
    files, errors = discover([tmp_path / "a", tmp_path / "scan.tiff", tmp_path / "missing.txt"])
    assert [f.name for f in files] == ["deep.md", "top.txt"]
    reasons = {Path(e.path).name: e.reason for e in errors}
    # Inside a folder, an unsupported file is reported; hidden files and folders are skipped silently.
    assert set(reasons) == {"notes", "image.png", "scan.tiff", "missing.txt"}
    assert "unsupported file type '(none)'" in reasons["notes"]
    assert "unsupported file type '.png'" in reasons["image.png"] and ".txt" in reasons["image.png"]
    assert "unsupported file type '.tiff'" in reasons["scan.tiff"]
    assert reasons["missing.txt"] == "no such file or folder"


def test_discover_names_a_hidden_file_given_directly_as_hidden(tmp_path: Path) -> None:
    for name in ("..dots.txt", ".note.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    files, errors = discover([tmp_path / "..dots.txt", tmp_path / ".note.md"])
    assert files == []
    for error in errors:
        assert "hidden file (its name starts with a dot)" in error.reason
        assert "unsupported" not in error.reason


def test_discover_takes_every_supported_suffix_in_any_case(tmp_path: Path) -> None:
    names = ["a.html", "b.HTM", "c.pdf", "d.jsonl", "e.xml", "f.json", "g.txt", "h.md"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    files, errors = discover([tmp_path])
    assert [f.name for f in files] == names
    assert errors == []
    assert {Path(n).suffix.lower() for n in names} == set(SUPPORTED_SUFFIXES)


def test_html_keeps_visible_text_as_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title> Asthma &amp; COPD </title><style>p {color: red}</style>"
        "<script>var hidden = 1;</script></head><body>"
        "<header>Site banner</header><nav><a href='/'>Home</a></nav>"
        "<h1>Main heading</h1><p>Inhaled   corticosteroids\n reduce <b>exacerbations</b>.</p>"
        "<ul><li>First&nbsp;item</li><li>Second &lt;item&gt;</li></ul>"
        "<table><tr><td>FEV1</td><td>80%</td></tr></table>"
        "<noscript>Enable JS</noscript><template><p>Template</p></template>"
        "line one<br>line two<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    [document] = load(path)
    assert document.media_type == "text/html"
    assert document.title == "Asthma & COPD"
    assert document.text.split("\n\n") == [
        "Main heading",
        "Inhaled corticosteroids reduce exacerbations.",
        "First item",
        "Second <item>",
        "FEV1 80%",
        "line one",
        "line two",
    ]


def test_html_title_falls_back_to_h1_then_stem_and_survives_an_unclosed_head(tmp_path: Path) -> None:
    heading = tmp_path / "with-heading.htm"
    heading.write_text("<head><meta charset=utf-8><body><h1>Gout</h1><p>Urate crystals.</p>", encoding="utf-8")
    bare = tmp_path / "bare_page.html"
    bare.write_text("<div>Just text</div>", encoding="utf-8")
    [first] = load(heading)
    [second] = load(bare)
    assert (first.title, first.text) == ("Gout", "Gout\n\nUrate crystals.")
    assert (second.title, second.text) == ("bare page", "Just text")


def test_html_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shell.html"
    path.write_text(
        "<html><head><title>App</title><script>render()</script></head><body><nav>Menu</nav></body>", encoding="utf-8"
    )
    assert _reason(path) == "no text in HTML"


def test_pdf_pages_keep_their_offsets_and_title(tmp_path: Path) -> None:
    data = _pdf(["Page one about sepsis.", "Page two about lactate.", "Page three."], title="Sepsis guide")
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == 3
    path = tmp_path / "guide.pdf"
    path.write_bytes(data)
    [document] = load(path)
    assert document.media_type == "application/pdf"
    assert document.title == "Sepsis guide"
    assert document.text == "Page one about sepsis.\n\nPage two about lactate.\n\nPage three."
    assert document.pages[0] == 0 and len(document.pages) == 3
    assert document.text[document.pages[1] :].startswith("Page two about lactate.")
    assert document.text[document.pages[2] :] == "Page three."
    assert [document.page_of(o) for o in (0, document.pages[1] - 1, document.pages[1], len(document.text) - 1)] == [
        1,
        1,
        2,
        3,
    ]
    assert document.page_of(len(document.text)) is None and document.page_of(-1) is None


def test_pdf_without_title_is_named_after_the_file_and_text_documents_have_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "discharge_letter.pdf"
    path.write_bytes(_pdf(["Only page."]))
    [document] = load(path)
    assert document.title == "discharge letter"
    assert document.pages == (0,)
    text = tmp_path / "note.txt"
    text.write_text("No pages here.", encoding="utf-8")
    assert load(text)[0].page_of(0) is None


def test_bad_pdfs_are_refused_with_the_reason(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4 garbage")
    scanned = tmp_path / "scanned.pdf"
    scanned.write_bytes(_pdf([None, None]))
    assert _reason(corrupt).startswith("not a valid PDF: ")
    assert _reason(scanned) == "no text layer (scanned PDF?); run OCR first"


def test_encrypted_pdf_needs_its_password_unless_it_is_empty(tmp_path: Path) -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(["Secret page."]))))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted("secret"))
    open_ = tmp_path / "permissions_only.pdf"
    open_.write_bytes(encrypted(""))
    assert _reason(locked) == "encrypted PDF (password required); decrypt it first"
    assert load(open_)[0].text == "Secret page."


def test_jsonl_bad_lines_are_reported_while_good_lines_load(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    lines = [
        json.dumps(
            {
                "id": "a",
                "text": "Metformin for type 2 diabetes.",
                "title": "Metformin",
                "metadata": {"year": 2020, "source": "ward", "tags": ["dm", "t2"], "reviewed": True},
            }
        ),
        "",
        "{not json",
        json.dumps({"id": 7, "text": "Insulin glargine."}),
        json.dumps({"id": "b", "title": "No text"}),
        json.dumps({"id": "a", "text": "Again."}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "No id."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(load_all([path]))
    documents = [i for i in items if isinstance(i, SourceDocument)]
    errors = [i for i in items if isinstance(i, DocumentError)]
    assert [(d.unit, d.title, d.text) for d in documents] == [
        ("a", "Metformin", "Metformin for type 2 diabetes."),
        ("7", "notes 7", "Insulin glargine."),
    ]
    assert documents[0].metadata == (
        ("reviewed", "true"),
        ("source", "ward"),
        ("tags", '["dm", "t2"]'),
        ("year", "2020"),
    )
    assert documents[0].media_type == "application/jsonl"
    assert documents[0].doc_id != documents[1].doc_id
    assert {e.path for e in errors} == {str(path)}
    assert [e.reason for e in errors] == [
        "line 3: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        "line 5: missing or empty 'text'",
        "line 6: duplicate id 'a' (first on line 1)",
        "line 7: expected a JSON object, found list",
        "line 8: missing 'id' (a non-empty string or an integer)",
    ]
    with pytest.raises(DocumentError) as info:
        load(path)
    assert info.value.reason.startswith("line 3: ")


def test_medquad_gives_one_document_per_answered_pair(tmp_path: Path) -> None:
    path = tmp_path / "0000042.xml"
    path.write_text(
        _medquad(
            [
                (
                    "What is (are) cystic fibrosis ?",
                    "information",
                    "\n      Cystic fibrosis affects the lungs.\n      It also affects digestion."
                    "\n\n\n\n      Treatment helps.\n  ",
                ),
                ("How many people are affected by cystic fibrosis ?", "frequency", ""),
                ("What causes cystic fibrosis &amp; is it inherited ?", "genetic changes", "CFTR gene mutations."),
            ]
        ),
        encoding="utf-8",
    )
    documents = load(path)
    assert [d.unit for d in documents] == ["GHR_0000042_Sec1", "GHR_0000042_Sec3"]
    first, third = documents
    assert first.title == "What is (are) cystic fibrosis ?"
    assert first.text == "Cystic fibrosis affects the lungs.\nIt also affects digestion.\n\nTreatment helps."
    assert first.media_type == "application/medquad+xml"
    assert dict(third.metadata) == {
        "focus": "Cystic fibrosis",
        "question": "What causes cystic fibrosis & is it inherited ?",
        "qtype": "genetic changes",
        "url": "https://example.org/cf",
        "source": "GHR",
    }
    assert first.doc_id != third.doc_id


def test_medquad_file_with_withheld_answers_yields_nothing_without_error(tmp_path: Path) -> None:
    path = tmp_path / "0000001.xml"
    path.write_text(
        _medquad(
            [("What is (are) gout ?", "information", ""), ("How to treat gout ?", "treatment", "  ")],
            source="MPlusHealthTopics",
        ),
        encoding="utf-8",
    )
    assert load(path) == []
    assert list(load_all([path])) == []


def test_bad_xml_is_refused_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<Document id="1" source="GHR"><QAPairs></Document>', encoding="utf-8")
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel><title>News</title></channel></rss>", encoding="utf-8")
    assert _reason(broken).startswith("not well-formed XML: mismatched tag")
    assert _reason(other) == "unsupported XML: expected a MedQuAD <Document> root, found <rss>"


def test_pubmedqa_gives_one_document_per_pmid_without_the_answer(tmp_path: Path) -> None:
    path = tmp_path / "pqal.json"
    path.write_text(
        json.dumps(
            {
                "12345": {
                    "QUESTION": "Does lactate predict mortality?",
                    "CONTEXTS": ["Background text.", " Methods text. "],
                    "LABELS": ["BACKGROUND", "METHODS"],
                    "MESHES": ["Sepsis", "Lactic Acid"],
                    "YEAR": "2011",
                    "LONG_ANSWER": "Yes, lactate predicts mortality.",
                    "final_decision": "yes",
                },
                "67890": {"QUESTION": "No contexts here?", "LONG_ANSWER": "x"},
                "24680": {"CONTEXTS": ["Only context."]},
            }
        ),
        encoding="utf-8",
    )
    items = list(load_all([path]))
    documents = [i for i in items if isinstance(i, SourceDocument)]
    errors = [i for i in items if isinstance(i, DocumentError)]
    assert [(d.unit, d.title) for d in documents] == [("12345", "PubMed 12345"), ("24680", "PubMed 24680")]
    first = documents[0]
    assert first.text == "Background text.\n\nMethods text."
    assert first.media_type == "application/pubmedqa+json"
    assert first.metadata == (
        ("labels", "BACKGROUND; METHODS"),
        ("meshes", "Sepsis; Lactic Acid"),
        ("pmid", "12345"),
        ("question", "Does lactate predict mortality?"),
        ("year", "2011"),
    )
    assert "predicts mortality" not in first.text and "yes" not in dict(first.metadata).values()
    assert documents[1].metadata == (("pmid", "24680"),)
    assert [(e.path, e.reason) for e in errors] == [(str(path), "PMID 67890: no CONTEXTS")]


def test_json_that_is_not_pubmedqa_is_refused(tmp_path: Path) -> None:
    ground_truth = tmp_path / "truth.json"
    ground_truth.write_text('{"12345": "yes"}', encoding="utf-8")
    listing = tmp_path / "list.json"
    listing.write_text('[{"CONTEXTS": ["x"]}]', encoding="utf-8")
    invalid = tmp_path / "invalid.json"
    invalid.write_text('{"12345": {"CONTEXTS": ["x"]}\n', encoding="utf-8")
    expected = "unsupported JSON: expected PubMedQA (an object of PMID -> {CONTEXTS: [...]})"
    assert _reason(ground_truth) == expected
    assert _reason(listing) == expected
    assert _reason(invalid) == "invalid JSON: Expecting ',' delimiter (line 2, column 1)"


def test_load_all_reports_a_bad_file_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Fine.", encoding="utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    later = tmp_path / "later.md"
    later.write_text("# Later\n", encoding="utf-8")
    items = list(load_all([good, bad, later]))
    assert [type(i).__name__ for i in items] == ["SourceDocument", "DocumentError", "SourceDocument"]
    assert isinstance(items[1], DocumentError) and items[1].path == str(bad)


def test_medquad_older_layout_of_some_ninds_files(tmp_path: Path) -> None:
    path = tmp_path / "0000007.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<doc docid="0000007" corpus="NINDS" url="http://x">\n'
        '<doctitle-focus>Holmes-Adie</doctitle-focus>\n<qaPairs>\n<pair pid="1">\n'
        '<question qid="0000007-1" qtype="information">what is holmes-adie syndrome ?</question>\n'
        "<answer>Holmes-Adie syndrome affects the pupil.</answer>\n</pair>\n</qaPairs>\n</doc>\n",
        encoding="utf-8",
    )
    [document] = load(path)
    assert document.unit == "NINDS_0000007_Sec1"
    assert document.text == "Holmes-Adie syndrome affects the pupil."
    assert dict(document.metadata)["focus"] == "Holmes-Adie"


def test_utf16_and_utf32_text_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    for encoding in ("utf-16", "utf-32"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes("Fièvre persistante; toux.\n".encode(encoding))  # Python writes the BOM
        (document,) = load(path)
        assert document.text == "Fièvre persistante; toux.\n"


def test_a_binary_file_named_txt_is_refused_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"GIF89a\x00\x00\x01\x00" * 10)
    assert _reason(path) == "a binary file, not text (a NUL character at offset 6)"


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_xml_declaring_entities_is_refused_before_parsing(tmp_path: Path, declaration: str) -> None:
    path = tmp_path / "hostile.xml"
    body = _medquad([("1", "What is fever?", "&lol2; &xxe;")]).split("\n", 1)[1]
    path.write_text(f'<?xml version="1.0"?>\n{declaration}\n{body}', encoding="utf-8")
    assert _reason(path) == "XML with a DOCTYPE or ENTITY declaration is refused (MedQuAD files have none)"


def test_a_file_larger_than_any_allowed_document_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("fever " * 1_000, encoding="utf-8")
    (error,) = list(load_all([path], max_chars=1_000))
    assert isinstance(error, DocumentError)
    assert error.reason == "6,000 bytes, over 4,000 (4 x MEDGRAPH_MAX_DOCUMENT_CHARS); split it"
    path.write_text("fever " * 300, encoding="utf-8")
    (error,) = list(load_all([path], max_chars=1_000))
    assert (
        isinstance(error, DocumentError)
        and error.reason == "1,800 characters, over 1,000 (MEDGRAPH_MAX_DOCUMENT_CHARS); split it"
    )
