"""Every error medgraphrag raises, in one tree rooted at `MedGraphError`.

Each class says what the command line exits with and what the HTTP API answers, so both surfaces
handle the whole tree in one place (the CLI's command group, the API's error table) and a new error
needs no new handler. The message is written for the person who has to act on it: it names the
setting, file or id at fault and, where there is one, the remedy.

    MedGraphError                      exit 1   HTTP 500
    ├── ConfigurationError             exit 2   HTTP 500   a setting is invalid
    │   └── EmbeddingModelError        exit 2   HTTP 500   the embedding model cannot be loaded
    ├── InvalidRequest                 exit 2   HTTP 422   a caller's argument is invalid
    ├── NotFound                       exit 1   HTTP 404   no such document, concept, job, answer
    ├── Conflict                       exit 1   HTTP 409   another run holds what this one needs
    ├── CypherRefused                  exit 1   HTTP 400   user Cypher refused or failed
    ├── DocumentError                  exit 1   HTTP 422   a file cannot be read as a document
    ├── VocabularyError                exit 1   HTTP 422   vocabulary release files are missing or bad
    ├── GraphUnavailable               exit 3   HTTP 503   Neo4j cannot be reached or refuses us
    │   └── SchemaConflict             exit 3   HTTP 503   the stored schema contradicts the settings
    ├── ServerError                    exit 3   HTTP 503   Neo4j cannot be started, stopped or found
    └── LLMError                       exit 4   HTTP 502   the LLM endpoint failed
        └── LLMOutputError             exit 4   HTTP 502   its replies stayed invalid after retries

The API's error body names the status's code (`not_found`, `unavailable`, ...), not the class, so a
client sees the same codes whatever the server version.
"""

from __future__ import annotations

from typing import ClassVar


class MedGraphError(Exception):
    """The root of every error medgraphrag raises on purpose."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500
    # What the API tells a client in place of the message, where the message is for the operator
    # (it may name a server address or setting); None: the message itself.
    public: ClassVar[str | None] = None


class ConfigurationError(MedGraphError):
    """A setting has an invalid value; the message names the environment variable."""

    exit_code = 2


class EmbeddingModelError(ConfigurationError):
    """The configured embedding model cannot be found or loaded."""


class InvalidRequest(MedGraphError):
    """An argument of a call is invalid (an empty question, an unknown tier or mode)."""

    exit_code = 2
    http_status = 422


class NotFound(MedGraphError):
    """What a call names does not exist (a document, concept, job, answer or saved query)."""

    http_status = 404


class Conflict(MedGraphError):
    """Another run holds what this one needs (a tag rebuild in progress)."""

    http_status = 409


class CypherRefused(MedGraphError):
    """User-written Cypher was refused as not read-only, or Neo4j could not run it."""

    http_status = 400


class DocumentError(MedGraphError):
    """A file (or a unit of one) cannot be read as a document; the message names it."""

    http_status = 422

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class VocabularyError(MedGraphError):
    """Vocabulary release files are missing or malformed."""

    http_status = 422


class GraphUnavailable(MedGraphError):
    """Neo4j cannot be reached or refuses the configured credentials."""

    exit_code = 3
    http_status = 503
    public: ClassVar[str | None] = (
        "the graph database is unavailable: try again shortly; if it persists, the operator can check it with "
        "`medgraph db status` (the server log has the details)"
    )


class SchemaConflict(GraphUnavailable):
    """The stored schema contradicts the configuration (another embedding dimension)."""

    public = None


class ServerError(MedGraphError):
    """A Neo4j server could not be started, stopped or found."""

    exit_code = 3
    http_status = 503


class LLMError(MedGraphError):
    """The LLM endpoint failed or gave no usable answer; the message names the endpoint and why."""

    exit_code = 4
    http_status = 502


class LLMOutputError(LLMError):
    """The model's replies stayed invalid (not JSON, or not the requested shape) after retries."""
