"""Uploaded files: a safe file name for each, a private folder to wait in until its job ends, and
the stable source name that is its identity in the graph (not the folder it waited in)."""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
import uuid
from pathlib import Path

from medgraphrag.core.settings import Settings

# Documents given as JSON share one source; each is known by its JSON `id` within it.
JSON_SOURCE = "api/documents.jsonl"
UPLOAD_PREFIX = "upload/"
# File systems take names of up to 255 bytes; this leaves room for what a name might grow by.
MAX_NAME_BYTES = 200
MAX_SUFFIX_CHARS = 16
DEFAULT_STEM = "upload"
# An upload folder this old belongs to a server process that stopped mid-job: no job waits a day.
ABANDONED_AFTER_S = 24 * 3600
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: Unicode letters and digits, and the underscore
_SUFFIX_UNSAFE = re.compile(r"[^\w]+")


def upload_name(filename: str | None) -> str:
    """A safe file name for a client's `filename`: its last path part, with Unicode letters and
    digits kept, anything else a `_`, never hidden or empty, at most `MAX_NAME_BYTES` in UTF-8,
    and its extension (which picks the loader) kept whole."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", filename or "")[-1])
    stem, suffix = os.path.splitext(name)
    suffix = _SUFFIX_UNSAFE.sub("", suffix[1:])[:MAX_SUFFIX_CHARS]
    suffix = f".{suffix}" if suffix else ""
    stem = _UNSAFE.sub("_", stem).strip("._-")
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    # A cut inside a multi-byte character drops that character.
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("._-")
    return (stem or DEFAULT_STEM) + suffix


def upload_source(name: str) -> str:
    """The source name (and identity) of the uploaded file `name`: uploading it again replaces it."""
    return UPLOAD_PREFIX + name


def upload_folder(settings: Settings) -> Path:
    """A new private folder under the data folder for one upload."""
    folder = settings.paths.data_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def remove_folder(folder: Path) -> None:
    """Delete an upload's folder and what it holds (nothing if it is gone)."""
    shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(settings: Settings, *, older_than_s: float = ABANDONED_AFTER_S) -> int:
    """Delete the upload folders left by server processes that stopped before their jobs ended
    (folders older than `older_than_s`); returns how many went."""
    root = settings.paths.data_dir / "uploads"
    if not root.is_dir():
        return 0
    removed = 0
    cutoff = time.time() - older_than_s
    for folder in root.iterdir():
        try:
            stale = folder.is_dir() and folder.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            remove_folder(folder)
            removed += 1
    return removed
