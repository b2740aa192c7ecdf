"""Chat completions from any OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, OpenAI), through
the openai SDK: plain text, streamed text, or JSON validated against a pydantic model.

The SDK retries timeouts, 408, 409, 429, 5xx and dropped connections with exponential backoff
(`max_retries`). JSON is asked for with `response_format` carrying the model's JSON schema where
the server accepts it (OpenAI's form, else llama.cpp's), else as a JSON object, else by the
instructions alone; whatever comes back is validated, and an invalid reply is sent back with the
validation error for another try. Replies are cached on disk by model, prompt and schema, so a
re-run costs nothing. Each model counts its calls, tokens and seconds: the ledger of the run it
serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar, cast

import openai
from openai import Omit, Stream, omit
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
    completion_create_params,
)
from pydantic import BaseModel, ValidationError

from medgraphrag.core.errors import LLMError, LLMOutputError
from medgraphrag.core.settings import LLMSettings, PathSettings

ModelT = TypeVar("ModelT", bound=BaseModel)
ResponseFormat = completion_create_params.ResponseFormat
JsonMode = Literal["json_schema", "json_object_schema", "json_object", "prompt"]

log = logging.getLogger(__name__)
_BODY_EXCERPT_CHARS = 300
_ERROR_EXCERPT_CHARS = 2000
# json_object_schema is llama.cpp's form (llama-cpp-python's server): a JSON object constrained by
# the schema's grammar, where its server refuses OpenAI's json_schema.
_JSON_MODES: tuple[JsonMode, ...] = ("json_schema", "json_object_schema", "json_object", "prompt")
# What each (endpoint, model) accepted, learnt once per process: a refusal costs one call.
_accepted_modes: dict[tuple[str, str], JsonMode] = {}
_modes_lock = threading.Lock()


class LLMUsage(BaseModel):
    """What one model cost a run: calls made, replies served from the cache, tokens the endpoint
    reported, and seconds spent waiting for it."""

    model: str
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def plus(self, other: LLMUsage) -> LLMUsage:
        """The usage of both (one model's, in two parts of a run)."""
        return self._combined(other, 1)

    def minus(self, earlier: LLMUsage) -> LLMUsage:
        """What was used since the ledger read `earlier`."""
        return self._combined(earlier, -1)

    def _combined(self, other: LLMUsage, sign: int) -> LLMUsage:
        return LLMUsage(
            model=self.model,
            calls=self.calls + sign * other.calls,
            cache_hits=self.cache_hits + sign * other.cache_hits,
            prompt_tokens=self.prompt_tokens + sign * other.prompt_tokens,
            completion_tokens=self.completion_tokens + sign * other.completion_tokens,
            seconds=self.seconds + sign * other.seconds,
        )


class _BadAnswer(ValueError):
    """An answer that is not a JSON object valid against the requested schema."""


class ChatModel:
    """One model behind an OpenAI-compatible endpoint, with its usage ledger."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        cache_dir: Path | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 2,
        max_tokens: int | None = None,
        json_attempts: int = 3,
    ) -> None:
        if max_retries < 0 or json_attempts < 1:
            raise ValueError(f"max_retries must be >= 0 and json_attempts >= 1, got {max_retries}, {json_attempts}")
        self.base_url = base_url.rstrip("/")
        self.endpoint = f"{self.base_url}/chat/completions"
        self.model = model
        self.cache_dir = cache_dir
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.json_attempts = json_attempts
        # Local servers want no key; the SDK insists on one, which they ignore.
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=max_retries
        )
        self._usage = LLMUsage(model=model)
        # Graph construction may call one model from several threads; the ledger must add up.
        self._lock = threading.Lock()

    @property
    def usage(self) -> LLMUsage:
        """A snapshot of this model's ledger."""
        with self._lock:
            return self._usage.model_copy()

    def complete(self, system: str, user: str) -> str:
        """The assistant's reply to `user` under the instructions `system`."""
        key = self._cache_key(system, user, None)
        cached = self._cache_read(key)
        if cached is not None:
            self._count(cache_hit=True)
            return cached
        content = self._create(_messages(system, user), mode="prompt", schema=None)
        self._cache_write(key, content)
        return content

    def stream(self, system: str, user: str) -> Iterator[str]:
        """The assistant's reply to `user` in pieces as the endpoint generates them (a cached reply
        comes in one piece); the whole reply is cached like `complete`'s."""
        key = self._cache_key(system, user, None)
        cached = self._cache_read(key)
        if cached is not None:
            self._count(cache_hit=True)
            yield cached
            return
        started = time.perf_counter()
        pieces: list[str] = []
        usage: Any = None
        response = self._open_stream(_messages(system, user))
        with self._errors():
            try:
                for chunk in response:
                    usage = chunk.usage or usage
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if delta:
                        pieces.append(delta)
                        yield delta
            finally:
                response.close()
        self._count(usage=usage, seconds=time.perf_counter() - started)
        self._cache_write(key, "".join(pieces))

    def complete_json(self, system: str, user: str, schema: type[ModelT]) -> ModelT:
        """The assistant's reply as an instance of `schema`; `LLMOutputError` when no valid answer
        comes within `json_attempts` tries, `LLMError` when the endpoint fails."""
        key = self._cache_key(system, user, schema)
        cached = self._cache_read(key)
        if cached is not None:
            try:
                answer = _parse(cached, schema)
            except _BadAnswer:
                pass  # a validator of `schema` changed without changing its JSON schema: ask again
            else:
                self._count(cache_hit=True)
                return answer
        instructions = (
            f"{system}\n\nReply with one JSON object and nothing else. It must validate against this "
            f"JSON schema:\n{json.dumps(schema.model_json_schema(), sort_keys=True)}"
        )
        messages = _messages(instructions, user)
        error = ""
        for _attempt in range(self.json_attempts):
            content = self._create_json(messages, schema)
            try:
                answer = _parse(content, schema)
            except _BadAnswer as exc:
                error = str(exc)
                log.info("%s gave an invalid %s (%s); asking again", self.model, schema.__name__, error)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": f"Your answer is invalid: {error}\nReply with the corrected JSON object only.",
                    },
                ]
                continue
            self._cache_write(key, _json_object_text(content))
            return answer
        raise LLMOutputError(
            f"LLM endpoint {self.endpoint} (model {self.model}): no valid {schema.__name__} JSON "
            f"after {self.json_attempts} attempts; last error: {error}"
        )

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    def __enter__(self) -> ChatModel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open_stream(self, messages: list[ChatCompletionMessageParam]) -> Stream[ChatCompletionChunk]:
        """A streamed completion, asking for token usage at its end where the endpoint allows."""
        usage_options: list[ChatCompletionStreamOptionsParam | Omit] = [{"include_usage": True}, omit]
        for options in usage_options:
            try:
                with self._errors():
                    return self._client.chat.completions.create(
                        model=self.model,
                        messages=messages,
                        temperature=0,
                        stream=True,
                        stream_options=options,
                        max_tokens=self._max_tokens,
                    )
            except _Refused as refused:
                if options is omit:
                    raise LLMError(f"LLM endpoint {self.endpoint}: the request was refused: {refused}") from None
        raise AssertionError("unreachable")

    def _create_json(self, messages: list[ChatCompletionMessageParam], schema: type[BaseModel]) -> str:
        """One JSON reply, in the strictest `response_format` the endpoint accepts."""
        where = (self.base_url, self.model)
        with _modes_lock:
            first = _accepted_modes.get(where, _JSON_MODES[0])
        for mode in _JSON_MODES[_JSON_MODES.index(first) :]:
            try:
                content = self._create(messages, mode=mode, schema=schema)
            except _Refused:
                log.info("%s refuses response_format %s; trying the next", self.endpoint, mode)
                continue
            with _modes_lock:
                _accepted_modes[where] = mode
            return content
        raise LLMError(f"LLM endpoint {self.endpoint}: every request shape was refused")

    def _create(
        self, messages: list[ChatCompletionMessageParam], *, mode: JsonMode, schema: type[BaseModel] | None
    ) -> str:
        response_format: ResponseFormat | Omit = omit
        if schema is not None and mode == "json_schema":
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
            }
        elif schema is not None and mode == "json_object_schema":
            response_format = cast(ResponseFormat, {"type": "json_object", "schema": schema.model_json_schema()})
        elif schema is not None and mode == "json_object":
            response_format = {"type": "json_object"}
        started = time.perf_counter()
        try:
            with self._errors():
                response = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,
                    temperature=0,
                    max_tokens=self._max_tokens,
                    response_format=response_format,
                )
        except _Refused as refused:
            if response_format is omit:
                raise LLMError(f"LLM endpoint {self.endpoint}: the request was refused: {refused}") from None
            raise
        self._count(usage=response.usage, seconds=time.perf_counter() - started)
        content = response.choices[0].message.content if response.choices else None
        if not isinstance(content, str):
            raise LLMError(f"LLM endpoint {self.endpoint}: the response carries no message content")
        return content

    @property
    def _max_tokens(self) -> int | Omit:
        return omit if self.max_tokens is None else self.max_tokens

    def _errors(self) -> _ErrorTranslation:
        return _ErrorTranslation(self)

    def _count(self, *, usage: Any = None, seconds: float = 0.0, cache_hit: bool = False) -> None:
        log.debug("%s: %s in %.2f s, usage %s", self.model, "cache hit" if cache_hit else "call", seconds, usage)
        with self._lock:
            if cache_hit:
                self._usage.cache_hits += 1
                return
            self._usage.calls += 1
            self._usage.seconds = round(self._usage.seconds + seconds, 4)
            if usage is not None:
                self._usage.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                self._usage.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def _cache_key(self, system: str, user: str, schema: type[BaseModel] | None) -> str:
        schema_part = None if schema is None else [schema.__name__, schema.model_json_schema()]
        material = json.dumps([self.model, system, user, schema_part], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _cache_read(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None:
            return None
        try:
            content = json.loads(path.read_text(encoding="utf-8"))["content"]
        except (OSError, ValueError, LookupError, TypeError):
            return None
        return content if isinstance(content, str) else None

    def _cache_write(self, key: str, content: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:8]}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"model": self.model, "content": content}, file, ensure_ascii=False)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class _Refused(Exception):
    """The endpoint refused the request's shape (HTTP 400 or 422): try a plainer one."""


class _ErrorTranslation:
    """The SDK's failures as `LLMError`s that name the endpoint and say what happened."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or not isinstance(exc, openai.OpenAIError):
            return
        where = f"LLM endpoint {self.model.endpoint}"
        if isinstance(exc, openai.APITimeoutError):
            raise LLMError(f"{where}: no answer within {self.model.timeout_s:g} s") from exc
        if isinstance(exc, openai.APIConnectionError):
            raise LLMError(f"{where}: cannot connect ({exc.__cause__ or exc})") from exc
        if isinstance(exc, openai.APIStatusError):
            body = exc.response.text[:_BODY_EXCERPT_CHARS].strip() if exc.response is not None else ""
            # llama-cpp-python's server answers a response_format it does not know with HTTP 500.
            if exc.status_code in (400, 422) or (exc.status_code == 500 and "response_format" in body):
                raise _Refused(f"HTTP {exc.status_code}: {body}") from exc
            raise LLMError(f"{where}: HTTP {exc.status_code} {exc.response.reason_phrase}: {body}") from exc
        raise LLMError(f"{where}: {type(exc).__name__}: {exc}") from exc


def construction_model(llm: LLMSettings, paths: PathSettings) -> ChatModel | None:
    """The model that builds the graph, or None when no LLM endpoint is configured."""
    return _from_settings(llm, paths, llm.construction_model or llm.answer_model)


def answer_model(llm: LLMSettings, paths: PathSettings) -> ChatModel | None:
    """The model that writes answers, or None when no LLM endpoint is configured."""
    return _from_settings(llm, paths, llm.answer_model)


def _from_settings(llm: LLMSettings, paths: PathSettings, model: str | None) -> ChatModel | None:
    if llm.base_url is None or not model:
        return None
    key = llm.api_key.get_secret_value() if llm.api_key else None
    return ChatModel(
        llm.base_url,
        model,
        api_key=key,
        cache_dir=paths.data_dir / "llm-cache",
        timeout_s=llm.timeout_s,
        max_retries=llm.max_retries,
        max_tokens=llm.max_tokens,
    )


def _messages(system: str, user: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _json_object_text(content: str) -> str:
    """The outermost `{...}` of `content`, which may wrap it in a fenced block or prose."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise _BadAnswer("the answer contains no JSON object")
    return content[start : end + 1]


def _parse(content: str, schema: type[ModelT]) -> ModelT:
    """`content` validated as `schema`; raise `_BadAnswer` saying what is wrong."""
    text = _json_object_text(content)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadAnswer(f"not valid JSON: {exc}") from exc
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise _BadAnswer(f"does not match {schema.__name__}: {problems}"[:_ERROR_EXCERPT_CHARS]) from exc
