"""Reading source files into documents, with errors that name the file and the reason.

A file holds one document (text, Markdown, HTML, PDF) or several units, each its own document
(JSONL lines, MedQuAD question/answer pairs, PubMedQA abstracts).
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from medgraphrag.core.errors import DocumentError
from medgraphrag.core.ids import document_id

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".jsonl": "application/jsonl",
    ".xml": "application/medquad+xml",
    ".json": "application/pubmedqa+json",
}

# What one document may expand to (a PDF's streams can inflate a small file many times over).
MAX_DOCUMENT_CHARS = 100_000_000
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_PAGE_BREAK = "\n\n"

_HTML_DROPPED = frozenset({"script", "style", "noscript", "template", "head", "nav", "header", "footer"})
_HTML_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_HTML_CELLS = frozenset({"td", "th"})


@dataclass(frozen=True)
class SourceDocument:
    """One document's text as read, and where it came from."""

    source: str
    title: str
    text: str
    media_type: str
    unit: str = ""
    pages: tuple[int, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def doc_id(self) -> str:
        """Stable identity: the source (and unit, in a multi-document file), so a changed file replaces itself."""
        return document_id(self.source, self.unit)

    @property
    def sha256(self) -> str:
        """Hash of the content (title, text, page starts, metadata), to tell an unchanged re-ingest from an update."""
        content = json.dumps([self.title, self.text, self.pages, self.metadata], ensure_ascii=False)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding character `offset` of `text`; None without pages or outside the text."""
        if not self.pages or not 0 <= offset < len(self.text):
            return None
        return bisect.bisect_right(self.pages, offset)


def discover(paths: Iterable[Path | str]) -> tuple[list[Path], list[DocumentError]]:
    """The supported files under `paths` (folders recursively, sorted) and errors for the rest: an
    unsupported or unreadable file, a hidden file named directly, a path that does not exist.

    Inside a folder, hidden files and folders (a name starting with a dot: `.git`, `.DS_Store`) are
    skipped without a word; every other file is either found or reported.
    """

    def unsupported(file: Path) -> DocumentError:
        return DocumentError(
            file,
            f"unsupported file type {file.suffix or '(none)'!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}",
        )

    found: list[Path] = []
    errors: list[DocumentError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files: list[Path] = []
            refused: list[DocumentError] = []
            folders = [path]
            while folders:
                folder = folders.pop()
                try:
                    entries = list(folder.iterdir())
                except OSError as exc:
                    refused.append(DocumentError(folder, f"cannot read the folder: {exc.strerror or exc}"))
                    continue
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    # Symbolic links to folders are not followed (as rglob does): no cycles, no escapes.
                    if entry.is_dir() and not entry.is_symlink():
                        folders.append(entry)
                    elif entry.is_file():
                        if _supported(entry):
                            files.append(entry)
                        else:
                            refused.append(unsupported(entry))
            found.extend(sorted(files))
            errors.extend(sorted(refused, key=lambda e: Path(e.path)))
        elif path.is_file():
            if path.name.startswith("."):
                errors.append(DocumentError(path, "a hidden file (its name starts with a dot); rename it to ingest it"))
            elif _supported(path):
                found.append(path)
            else:
                errors.append(unsupported(path))
        else:
            errors.append(DocumentError(path, "no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, errors


def load(path: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> list[SourceDocument]:
    """The documents in one file (possibly none, e.g. a MedQuAD file whose answers are all withheld).

    Raises `DocumentError` when the file as a whole is unusable, and also for the first bad unit, since a
    list has no room for it: `load_all` keeps a file's good units next to the errors of its bad ones.
    """
    items = _read(path, max_chars)
    for item in items:
        if isinstance(item, DocumentError):
            raise item
    return [item for item in items if isinstance(item, SourceDocument)]


def load_all(
    paths: Iterable[Path], names: Mapping[Path, str] | None = None, *, max_chars: int = MAX_DOCUMENT_CHARS
) -> Iterator[SourceDocument | DocumentError]:
    """Every document of every file in file order, with a `DocumentError` for each unusable file or bad unit.

    `names` gives files a stable source name that replaces their path as the documents' source (and
    so their identity): an uploaded file is known by its name, not by the folder it waits in.
    """
    for path in paths:
        name = (names or {}).get(path)
        try:
            items = _read(path, max_chars)
        except DocumentError as exc:
            items = [exc]
        for item in items:
            if name is None:
                yield item
            elif isinstance(item, DocumentError):
                yield DocumentError(name, item.reason)
            else:
                yield dataclasses.replace(item, source=name)


def _supported(path: Path) -> bool:
    """Whether a loader reads files of this name's type (hidden names are `discover`'s business)."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def _read(path: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> list[SourceDocument | DocumentError]:
    try:
        size = path.stat().st_size
        # A character takes at most 4 bytes of UTF-8: a larger file is refused before it is read.
        if size > 4 * max_chars:
            raise DocumentError(
                path, f"{size:,} bytes, over {4 * max_chars:,} (4 x MEDGRAPH_MAX_DOCUMENT_CHARS); split it"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from exc
    items = _READERS[SUPPORTED_SUFFIXES[path.suffix.lower()]](path, data, max_chars)
    return [
        DocumentError(
            path,
            f"{item.unit + ': ' if item.unit else ''}{len(item.text):,} characters, over "
            f"{max_chars:,} (MEDGRAPH_MAX_DOCUMENT_CHARS); split it",
        )
        if isinstance(item, SourceDocument) and len(item.text) > max_chars
        else item
        for item in items
    ]


def _document(
    path: Path,
    title: str,
    text: str,
    *,
    unit: str = "",
    pages: tuple[int, ...] = (),
    metadata: Mapping[str, str] | None = None,
) -> SourceDocument:
    # An empty value says no more than an absent key; dropping it keeps one spelling for "unknown".
    pairs = tuple(sorted((k, v) for k, v in (metadata or {}).items() if v))
    return SourceDocument(
        source=path.resolve().as_posix(),
        title=title,
        text=text,
        media_type=SUPPORTED_SUFFIXES[path.suffix.lower()],
        unit=unit,
        pages=pages,
        metadata=pairs,
    )


# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(path: Path, data: bytes, *, lines: bool = False) -> str:
    """The text of a file: UTF-8, or UTF-16/32 when it starts with their byte-order mark. A NUL
    character marks a binary file, unless the file is read by `lines` (each line judged alone)."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8-sig")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(
            path, f"not valid {encoding.upper()} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc
    if not lines and "\x00" in text:
        raise DocumentError(path, f"a binary file, not text (a NUL character at offset {text.index(chr(0))})")
    if not text.strip():
        raise DocumentError(path, "empty file (no text to ingest)")
    return text


def _stem_title(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _read_text(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    text = _decode(path, data)
    match = _MD_HEADING.search(text) if path.suffix.lower() == ".md" else None
    return [_document(path, match.group(1) if match else _stem_title(path), text)]


class _HtmlText(HTMLParser):
    """Visible text of an HTML page as paragraphs, plus its <title> and first <h1>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self._current: list[str] = []
        self._dropped: list[str] = []
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            # An omitted </head> must not hide the whole body.
            self._dropped.clear()
        elif tag == "title":
            self._in_title = True
        elif tag in _HTML_DROPPED:
            self._dropped.append(tag)
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        if tag in _HTML_BLOCKS:
            self._break()
        elif tag in _HTML_CELLS:
            self._current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._dropped:
            # Closing an element also closes the dropped ones left open inside it.
            del self._dropped[max(i for i, t in enumerate(self._dropped) if t == tag) :]
        elif tag == "h1" and self._in_h1:
            self._in_h1 = False
            self._h1_done = bool(_collapse("".join(self.h1)))
        if tag in _HTML_BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
            return
        if self._in_h1:
            self.h1.append(data)
        if not self._dropped:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._break()

    def _break(self) -> None:
        if paragraph := _collapse("".join(self._current)):
            self.paragraphs.append(paragraph)
        self._current.clear()


def _read_html(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    parser = _HtmlText()
    parser.feed(_decode(path, data))
    parser.close()
    if not parser.paragraphs:
        raise DocumentError(path, "no text in HTML")
    title = _collapse("".join(parser.title)) or _collapse("".join(parser.h1)) or _stem_title(path)
    return [_document(path, title, "\n\n".join(parser.paragraphs))]


def _read_pdf(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    try:
        reader = PdfReader(io.BytesIO(data))
        page_texts: list[str] = []
        for page in reader.pages:
            page_texts.append((page.extract_text() or "").strip())
            if sum(map(len, page_texts)) > max_chars:
                raise DocumentError(
                    path, f"its text expands past {max_chars:,} characters (MEDGRAPH_MAX_DOCUMENT_CHARS); split it"
                )
        title = _collapse(str((reader.metadata and reader.metadata.title) or ""))
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        # pypdf opens with the empty user password by itself, so only a real password stops it here.
        raise DocumentError(path, "encrypted PDF (password required); decrypt it first") from exc
    except DependencyError as exc:
        raise DocumentError(path, f"encrypted PDF: {exc}") from exc
    except Exception as exc:  # pypdf raises many exception types (not only PdfReadError) on damaged files
        raise DocumentError(path, f"not a valid PDF: {exc}") from exc
    if not any(page_texts):
        raise DocumentError(path, "no text layer (scanned PDF?); run OCR first")
    starts = []
    offset = 0
    for page_text in page_texts:
        starts.append(offset)
        offset += len(page_text) + len(_PAGE_BREAK)
    return [_document(path, title or _stem_title(path), _PAGE_BREAK.join(page_texts), pages=tuple(starts))]


def _read_jsonl(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    items: list[SourceDocument | DocumentError] = []
    first_line: dict[str, int] = {}
    # Not splitlines(): it also splits at U+2028 and friends, which JSON strings may hold unescaped.
    for number, line in enumerate(_decode(path, data, lines=True).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            unit, title, text, metadata = _jsonl_record(line)
            if unit in first_line:
                raise ValueError(f"duplicate id {unit!r} (first on line {first_line[unit]})")
        except ValueError as exc:
            items.append(DocumentError(path, f"line {number}: {exc}"))
            continue
        first_line[unit] = number
        items.append(_document(path, title or f"{_stem_title(path)} {unit}", text, unit=unit, metadata=metadata))
    return items


def _jsonl_record(line: str) -> tuple[str, str, str, dict[str, str]]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")
    unit = record.get("id")
    # bool is an int to Python, but `true` is no identifier.
    if isinstance(unit, bool) or not isinstance(unit, (str, int)) or not str(unit).strip():
        raise ValueError("missing 'id' (a non-empty string or an integer)")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    title = record.get("title") or ""
    if not isinstance(title, str):
        raise ValueError("'title' is not a string")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' is not an object")
    return str(unit), title.strip(), text, {str(k): _metadata_value(v) for k, v in metadata.items()}


def _metadata_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class _MedQuADLayout:
    id: str
    source: str
    focus: str
    pairs: str
    question: str
    answer: str


# Root tag -> where its parts are: the published layout, and the older one some NINDS files keep.
_MEDQUAD_LAYOUTS = {
    "Document": _MedQuADLayout("id", "source", "Focus", "QAPairs/QAPair", "Question", "Answer"),
    "doc": _MedQuADLayout("docid", "corpus", "doctitle-focus", "qaPairs/pair", "question", "answer"),
}


_XML_DECLARATIONS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _read_medquad(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    # MedQuAD files declare no DTD; one that does could expand entities (a "billion laughs") or
    # name external ones (XXE), so it is refused before any parser sees it.
    if _XML_DECLARATIONS.search(data):
        raise DocumentError(path, "XML with a DOCTYPE or ENTITY declaration is refused (MedQuAD files have none)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DocumentError(path, f"not well-formed XML: {exc}") from exc
    layout = _MEDQUAD_LAYOUTS.get(root.tag)
    if layout is None:
        raise DocumentError(path, f"unsupported XML: expected a MedQuAD <Document> root, found <{root.tag}>")
    source, number = root.get(layout.source, ""), root.get(layout.id, "")
    if not (source and number) or root.find(layout.pairs.split("/")[0]) is None:
        raise DocumentError(path, "unsupported XML: a MedQuAD <Document> needs id and source attributes and <QAPairs>")
    common = {"focus": _collapse(root.findtext(layout.focus) or ""), "url": root.get("url", ""), "source": source}
    items: list[SourceDocument | DocumentError] = []
    for position, pair in enumerate(root.iterfind(layout.pairs), start=1):
        answer_element, question_element = pair.find(layout.answer), pair.find(layout.question)
        answer = _tidy_lines("".join(answer_element.itertext())) if answer_element is not None else ""
        if not answer:
            continue
        question = _collapse("".join(question_element.itertext())) if question_element is not None else ""
        if not (pair.get("pid") and question):
            items.append(DocumentError(path, f"QAPair {position}: no pid or no question"))
            continue
        items.append(
            _document(
                path,
                question,
                answer,
                unit=f"{source}_{number}_Sec{pair.get('pid')}",
                metadata={
                    **common,
                    "question": question,
                    "qtype": question_element.get("qtype", "") if question_element is not None else "",
                },
            )
        )
    return items


def _tidy_lines(text: str) -> str:
    # MedQuAD answers keep the source's indentation; lines and paragraphs matter, the indentation does not.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def _read_pubmedqa(path: Path, data: bytes, max_chars: int) -> list[SourceDocument | DocumentError]:
    try:
        entries = json.loads(_decode(path, data))
    except json.JSONDecodeError as exc:
        raise DocumentError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not (
        isinstance(entries, dict)
        and entries
        and all(isinstance(e, dict) for e in entries.values())
        and any("CONTEXTS" in e for e in entries.values())
    ):
        raise DocumentError(path, "unsupported JSON: expected PubMedQA (an object of PMID -> {CONTEXTS: [...]})")
    items: list[SourceDocument | DocumentError] = []
    for pmid, entry in entries.items():
        contexts = entry.get("CONTEXTS") or []
        if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
            items.append(DocumentError(path, f"PMID {pmid}: CONTEXTS is not a list of strings"))
            continue
        if not (text := "\n\n".join(c.strip() for c in contexts if c.strip())):
            items.append(DocumentError(path, f"PMID {pmid}: no CONTEXTS"))
            continue
        items.append(
            _document(
                path,
                f"PubMed {pmid}",
                text,
                unit=pmid,
                metadata={
                    "pmid": pmid,
                    "year": str(entry.get("YEAR") or ""),
                    "meshes": _joined(entry.get("MESHES")),
                    "labels": _joined(entry.get("LABELS")),
                    "question": _collapse(str(entry.get("QUESTION") or "")),
                },
            )
        )
    return items


def _joined(values: Any) -> str:
    return "; ".join(str(v) for v in values) if isinstance(values, list) else ""


_READERS: dict[str, Callable[[Path, bytes, int], list[SourceDocument | DocumentError]]] = {
    "text/plain": _read_text,
    "text/markdown": _read_text,
    "text/html": _read_html,
    "application/pdf": _read_pdf,
    "application/jsonl": _read_jsonl,
    "application/medquad+xml": _read_medquad,
    "application/pubmedqa+json": _read_pubmedqa,
}
