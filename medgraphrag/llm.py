"""Chat completions from an OpenAI-compatible endpoint: plain text or schema-validated JSON, cached on disk."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from medgraphrag.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)

_BODY_EXCERPT_CHARS = 300
_ERROR_EXCERPT_CHARS = 2000


class LLMError(RuntimeError):
    """The LLM endpoint failed or gave no usable answer; the message names the endpoint and the reason."""


class _BadAnswer(ValueError):
    """An answer that is not a JSON object valid against the requested schema."""


class ChatModel:
    """One model behind an OpenAI-compatible `/chat/completions` endpoint, with usage counters."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        cache_dir: Path | None = None,
        timeout_s: float = 120.0,
        retries: int = 2,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.base_url = base_url.rstrip("/")
        self.endpoint = f"{self.base_url}/chat/completions"
        self.model = model
        self.cache_dir = cache_dir
        self.timeout_s = timeout_s
        self.retries = retries
        self.calls = 0
        self.cache_hits = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)
        # Graph construction may call one model from several worker threads; the counters must add up.
        self._lock = threading.Lock()

    def complete(self, system: str, user: str) -> str:
        """The assistant's reply to `user` under the instructions `system`."""
        key = self._cache_key(system, user, None)
        cached = self._cache_read(key)
        if cached is not None:
            self._count_hit()
            return cached
        content = self._post(_messages(system, user), json_mode=False)
        self._cache_write(key, content)
        return content

    def stream(self, system: str, user: str) -> Iterator[str]:
        """The assistant's reply to `user` in pieces as the endpoint generates them (a cached reply
        comes in one piece); the whole reply is cached like `complete`'s."""
        key = self._cache_key(system, user, None)
        cached = self._cache_read(key)
        if cached is not None:
            self._count_hit()
            yield cached
            return
        body = {"model": self.model, "messages": _messages(system, user), "temperature": 0, "stream": True}
        with self._lock:
            self.calls += 1
        where = f"LLM endpoint {self.endpoint}"
        pieces: list[str] = []
        with self._transport_errors(where), self._client.stream("POST", self.endpoint, json=body) as response:
            if response.status_code >= 400:
                excerpt = response.read().decode("utf-8", "replace")[:_BODY_EXCERPT_CHARS].strip()
                raise LLMError(f"{where}: HTTP {response.status_code} {response.reason_phrase}: {excerpt}")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    break
                try:
                    delta = json.loads(data)["choices"][0]["delta"].get("content") or ""
                except (ValueError, LookupError, TypeError, AttributeError) as exc:
                    raise LLMError(f"{where}: not a chat completion chunk: {data[:_BODY_EXCERPT_CHARS]}") from exc
                if delta:
                    pieces.append(delta)
                    yield delta
        self._cache_write(key, "".join(pieces))

    def complete_json(self, system: str, user: str, schema: type[ModelT]) -> ModelT:
        """The assistant's reply as an instance of `schema`; raise `LLMError` when no valid answer comes."""
        key = self._cache_key(system, user, schema)
        cached = self._cache_read(key)
        if cached is not None:
            try:
                answer = _parse(cached, schema)
            except _BadAnswer:
                pass  # a validator of `schema` changed without changing its JSON schema: ask again
            else:
                self._count_hit()
                return answer
        instructions = (
            f"{system}\n\nReply with one JSON object and nothing else. It must validate against this "
            f"JSON schema:\n{json.dumps(schema.model_json_schema(), sort_keys=True)}"
        )
        messages = _messages(instructions, user)
        error = ""
        for _attempt in range(self.retries + 1):
            content = self._post(messages, json_mode=True)
            try:
                answer = _parse(content, schema)
            except _BadAnswer as exc:
                error = str(exc)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": f"Your answer is invalid: {error}\n"
                                                "Reply with the corrected JSON object only."},
                ]
                continue
            self._cache_write(key, _json_object_text(content))
            return answer
        raise LLMError(
            f"LLM endpoint {self.endpoint} (model {self.model}): no valid {schema.__name__} JSON after "
            f"{self.retries + 1} attempts; last error: {error}"
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

    def _post(self, messages: list[dict[str, str]], *, json_mode: bool) -> str:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        with self._lock:
            self.calls += 1
        where = f"LLM endpoint {self.endpoint}"
        with self._transport_errors(where):
            response = self._client.post(self.endpoint, json=body)
        if response.status_code >= 400:
            excerpt = response.text[:_BODY_EXCERPT_CHARS].strip()
            raise LLMError(f"{where}: HTTP {response.status_code} {response.reason_phrase}: {excerpt}")
        try:
            data = response.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError) as exc:
            excerpt = response.text[:_BODY_EXCERPT_CHARS].strip()
            raise LLMError(f"{where}: not a chat completion response: {excerpt}") from exc
        if not isinstance(content, str):
            raise LLMError(f"{where}: the response carries no message content")
        usage = data.get("usage") if isinstance(data, dict) else None
        if isinstance(usage, dict):
            with self._lock:
                self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                self.completion_tokens += int(usage.get("completion_tokens") or 0)
        return content

    @contextmanager
    def _transport_errors(self, where: str) -> Iterator[None]:
        """httpx's failures as `LLMError`s that say what happened at `where`."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise LLMError(f"{where}: cannot connect ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise LLMError(f"{where}: no answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"{where}: request failed ({type(exc).__name__}: {exc})") from exc

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

    def _count_hit(self) -> None:
        with self._lock:
            self.cache_hits += 1

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


def construction_model(settings: Settings) -> ChatModel | None:
    """The model that builds the graph, or None when no LLM endpoint is configured."""
    model = settings.llm_construction_model or settings.llm_answer_model
    return _from_settings(settings, model)


def answer_model(settings: Settings) -> ChatModel | None:
    """The model that writes answers, or None when no LLM endpoint is configured."""
    return _from_settings(settings, settings.llm_answer_model)


def _from_settings(settings: Settings, model: str | None) -> ChatModel | None:
    if settings.llm_base_url is None or not model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ChatModel(settings.llm_base_url, model, api_key=key, cache_dir=settings.data_dir / "llm-cache")


def _messages(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _json_object_text(content: str) -> str:
    """The outermost `{...}` of `content`, which may wrap it in a fenced block or prose."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise _BadAnswer("the answer contains no JSON object")
    return content[start:end + 1]


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
