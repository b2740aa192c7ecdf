"""Reading source files into documents, with errors that name the file and the reason."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES: dict[str, str] = {".txt": "text/plain", ".md": "text/markdown"}

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class LoadError(ValueError):
    """A file that cannot be ingested; `str()` is `path: reason`."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True)
class SourceDocument:
    """One document's text as read, and where it came from."""

    source: str
    title: str
    text: str
    media_type: str

    @property
    def doc_id(self) -> str:
        """Stable identity of the document: its source, so a changed file replaces itself."""
        return "doc_" + hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:24]

    @property
    def sha256(self) -> str:
        """Hash of the content, to tell an unchanged re-ingest from an update."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def discover(paths: Iterable[Path | str]) -> tuple[list[Path], list[LoadError]]:
    """The supported files under `paths` (folders recursively, sorted) and errors for the rest."""
    found: list[Path] = []
    errors: list[LoadError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _supported(p)))
        elif path.is_file():
            if _supported(path):
                found.append(path)
            else:
                errors.append(LoadError(path, f"unsupported file type {path.suffix or '(none)'!r}; "
                                              f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"))
        else:
            errors.append(LoadError(path, "no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, errors


def load(path: Path) -> SourceDocument:
    """Read one file as UTF-8; raise `LoadError` for unreadable, undecodable or empty files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    if not text.strip():
        raise LoadError(path, "empty file (no text to ingest)")
    media_type = SUPPORTED_SUFFIXES[path.suffix.lower()]
    return SourceDocument(
        source=path.resolve().as_posix(), title=_title(path, text, media_type), text=text, media_type=media_type
    )


def load_all(paths: Iterable[Path]) -> Iterator[SourceDocument | LoadError]:
    """Each file loaded, or the `LoadError` that explains why it was not."""
    for path in paths:
        try:
            yield load(path)
        except LoadError as exc:
            yield exc


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(".")


def _title(path: Path, text: str, media_type: str) -> str:
    if media_type == "text/markdown" and (match := _MD_HEADING.search(text)):
        return match.group(1)
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name
