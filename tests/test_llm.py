"""The LLM client against a real local OpenAI-compatible HTTP server."""

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from medgraphrag.core.errors import LLMError, LLMOutputError
from medgraphrag.models.llm import ChatModel, LLMUsage, answer_model, construction_model
from tests.conftest import make_settings
from tests.openai_server import OpenAIServer, serve_openai, word_count

StartServer = Callable[..., OpenAIServer]


class Entity(BaseModel):
    name: str
    kind: str


class Relation(BaseModel):
    source: str
    target: str


def replies(*answers: str | tuple[int, str]) -> Callable[[dict[str, Any]], str | tuple[int, str]]:
    """A responder giving `answers` in turn, then repeating the last one."""
    queue = list(answers)

    def respond(body: dict[str, Any]) -> str | tuple[int, str]:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


@pytest.fixture
def model_on(tmp_path: Path) -> Iterator[Callable[..., ChatModel]]:
    """Opens ChatModels on a server's base URL; each is closed when the test ends."""
    models: list[ChatModel] = []

    def open_model(server: OpenAIServer, **options: Any) -> ChatModel:
        model = ChatModel(server.base_url, "test-model", **options)
        models.append(model)
        return model

    yield open_model
    for model in models:
        model.close()


def test_plain_completion(openai_server: StartServer) -> None:
    server = openai_server(replies("Myocardial infarction."))
    with ChatModel(server.base_url + "/", "test-model") as model:
        assert model.complete("You are terse.", "Diagnosis?") == "Myocardial infarction."
    [request] = server.requests
    assert request["model"] == "test-model"
    assert request["temperature"] == 0
    assert "response_format" not in request
    assert request["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Diagnosis?"},
    ]


def test_json_in_a_fenced_block_with_prose(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies('Here it is:\n```json\n{"name": "troponin", "kind": "lab"}\n```\nDone.'))
    entity = model_on(server).complete_json("Extract.", "Troponin is raised.", Entity)
    assert entity == Entity(name="troponin", kind="lab")
    [request] = server.requests
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Entity", "schema": Entity.model_json_schema(), "strict": False},
    }
    assert '"kind"' in request["messages"][0]["content"]  # the schema is part of the instructions


def test_a_refused_response_format_falls_back_to_json_object(
    openai_server: StartServer, model_on: Callable[..., ChatModel]
) -> None:
    def respond(body: dict[str, Any]) -> str | tuple[int, str]:
        shape = body.get("response_format", {})
        if shape.get("type") == "json_schema":
            return 400, '{"error": {"message": "response_format json_schema is not supported"}}'
        if "schema" in shape:
            # llama-cpp-python's way of refusing a response_format: HTTP 500 naming it
            return 500, '{"error": {"message": "validation error: body.response_format.schema: extra field"}}'
        return '{"name": "troponin", "kind": "lab"}'

    server = openai_server(respond)
    model = model_on(server)
    assert model.complete_json("Extract.", "Troponin is raised.", Entity) == Entity(name="troponin", kind="lab")
    shapes = [request["response_format"] for request in server.requests]
    assert shapes[0]["type"] == "json_schema"
    # llama.cpp's form: a JSON object constrained by the schema; then a plain JSON object
    assert shapes[1] == {"type": "json_object", "schema": Entity.model_json_schema()}
    assert shapes[-1] == {"type": "json_object"}
    calls = len(server.requests)
    # The accepted shape is remembered: the next request asks for a JSON object at once.
    assert model.complete_json("Extract.", "Troponin is normal.", Entity).kind == "lab"
    assert len(server.requests) == calls + 1 and server.requests[-1]["response_format"] == {"type": "json_object"}


def test_invalid_json_is_retried_with_the_validation_error(
    openai_server: StartServer, model_on: Callable[..., ChatModel]
) -> None:
    server = openai_server(replies('{"name": "troponin"}', '{"name": "troponin", "kind": "lab"}'))
    model = model_on(server)
    assert model.complete_json("Extract.", "Troponin is raised.", Entity) == Entity(name="troponin", kind="lab")
    assert len(server.requests) == 2 and model.usage.calls == 2
    retry = server.requests[1]["messages"]
    assert retry[:2] == server.requests[0]["messages"]
    assert retry[2] == {"role": "assistant", "content": '{"name": "troponin"}'}
    assert retry[3]["role"] == "user"
    assert "kind: Field required" in retry[3]["content"]
    assert "JSON" in retry[3]["content"]


def test_always_invalid_raises_after_every_retry(
    openai_server: StartServer, model_on: Callable[..., ChatModel]
) -> None:
    server = openai_server(replies("I cannot answer that."))
    model = model_on(server, json_attempts=4)
    with pytest.raises(LLMOutputError) as info:
        model.complete_json("Extract.", "Troponin is raised.", Entity)
    assert len(server.requests) == 4
    assert server.base_url in str(info.value)
    assert "Entity" in str(info.value) and "no JSON object" in str(info.value)


def test_malformed_json_is_retried(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies('{"name": "troponin", kind: lab}', '{"name": "troponin", "kind": "lab"}'))
    assert model_on(server).complete_json("Extract.", "x", Entity).kind == "lab"
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]


def test_http_error_names_the_status(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies((500, '{"error": {"message": "model overloaded"}}')))
    with pytest.raises(LLMError) as info:
        model_on(server, max_retries=0).complete("s", "u")
    message = str(info.value)
    assert "HTTP 500" in message and "model overloaded" in message and server.base_url in message
    assert len(server.requests) == 1


def test_http_5xx_is_retried_and_then_succeeds(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies((503, "busy"), "Myocardial infarction."))
    model = model_on(server, max_retries=2)
    assert model.complete("s", "u") == "Myocardial infarction."
    assert len(server.requests) == 2
    assert server.requests[0] == server.requests[1]
    assert model.usage.calls == 1


def test_http_5xx_fails_after_max_retries(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies((503, "busy")))
    with pytest.raises(LLMError, match="HTTP 503"):
        model_on(server, max_retries=1).complete("s", "u")
    assert len(server.requests) == 2


def test_http_error_is_not_retried_as_bad_json(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies((503, "busy")))
    with pytest.raises(LLMError, match="HTTP 503") as info:
        model_on(server, max_retries=0).complete_json("s", "u", Entity)
    assert not isinstance(info.value, LLMOutputError)
    assert len(server.requests) == 1


def test_connection_refused_names_the_endpoint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    with ChatModel(base_url, "test-model", max_retries=0) as model, pytest.raises(LLMError) as info:
        model.complete("s", "u")
    assert f"{base_url}/chat/completions" in str(info.value)
    assert "cannot connect" in str(info.value)


def test_timeout(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    def slow(body: dict[str, Any]) -> str:
        time.sleep(1.0)
        return "late"

    server = openai_server(slow)
    with pytest.raises(LLMError, match=r"no answer within 0\.2 s"):
        model_on(server, timeout_s=0.2, max_retries=0).complete("s", "u")
    assert len(server.requests) == 1


def test_unknown_path_is_404(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies("unused"))
    with ChatModel(server.base_url.removesuffix("/v1") + "/v2", "test-model") as model:
        with pytest.raises(LLMError, match="HTTP 404"):
            model.complete("s", "u")
    assert server.requests == []


def test_cache_answers_without_http(
    openai_server: StartServer, model_on: Callable[..., ChatModel], tmp_path: Path
) -> None:
    server = openai_server(replies('{"name": "troponin", "kind": "lab"}'))
    cache = tmp_path / "cache"
    first = model_on(server, cache_dir=cache)
    expected = Entity(name="troponin", kind="lab")
    assert first.complete_json("Extract.", "Troponin is raised.", Entity) == expected
    assert first.complete_json("Extract.", "Troponin is raised.", Entity) == expected
    assert (first.usage.calls, first.usage.cache_hits) == (1, 1)

    second = model_on(server, cache_dir=cache)
    assert second.complete_json("Extract.", "Troponin is raised.", Entity) == expected
    assert (second.usage.calls, second.usage.cache_hits) == (0, 1)
    assert len(server.requests) == 1

    [stored] = list(cache.glob("*/*.json"))
    assert stored.parent.name == stored.stem[:2] and len(stored.stem) == 64
    assert json.loads(json.loads(stored.read_text(encoding="utf-8"))["content"]) == expected.model_dump()
    assert not list(cache.rglob("*.tmp"))


def test_cache_misses_on_a_different_schema_prompt_or_model(
    openai_server: StartServer, model_on: Callable[..., ChatModel], tmp_path: Path
) -> None:
    server = openai_server(replies('{"name": "a", "kind": "b", "source": "a", "target": "b"}'))
    cache = tmp_path / "cache"
    model = model_on(server, cache_dir=cache)
    model.complete_json("Extract.", "Troponin is raised.", Entity)
    model.complete_json("Extract.", "Troponin is raised.", Relation)
    model.complete_json("Extract.", "Troponin is normal.", Entity)
    model.complete_json("Extract carefully.", "Troponin is raised.", Entity)
    model.complete("Extract.", "Troponin is raised.")
    with ChatModel(server.base_url, "other-model", cache_dir=cache) as other:
        other.complete_json("Extract.", "Troponin is raised.", Entity)
    assert model.usage.cache_hits == 0 and other.usage.cache_hits == 0
    assert len(server.requests) == 6
    assert len(list(cache.glob("*/*.json"))) == 6


def test_plain_completion_is_cached(
    openai_server: StartServer, model_on: Callable[..., ChatModel], tmp_path: Path
) -> None:
    server = openai_server(replies("first", "second"))
    model = model_on(server, cache_dir=tmp_path)
    assert model.complete("s", "u") == "first"
    assert model.complete("s", "u") == "first"
    assert len(server.requests) == 1 and model.usage.cache_hits == 1


def test_invalid_answers_are_not_cached(
    openai_server: StartServer, model_on: Callable[..., ChatModel], tmp_path: Path
) -> None:
    server = openai_server(replies("nope"))
    model = model_on(server, cache_dir=tmp_path, json_attempts=1)
    for _ in range(2):
        with pytest.raises(LLMError):
            model.complete_json("s", "u", Entity)
    assert len(server.requests) == 2
    assert not list(tmp_path.rglob("*.json"))


def test_no_cache_without_a_folder(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies("same"))
    model = model_on(server)
    model.complete("s", "u")
    model.complete("s", "u")
    assert len(server.requests) == 2 and model.usage.cache_hits == 0


def test_api_key_is_sent_as_bearer(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies("ok"), api_key="sk-test-123")
    assert model_on(server, api_key="sk-test-123").complete("s", "u") == "ok"
    with pytest.raises(LLMError, match="HTTP 401"):
        model_on(server).complete("s", "u")
    with pytest.raises(LLMError, match="HTTP 401") as info:
        model_on(server, api_key="sk-wrong").complete("s", "u")
    assert "sk-wrong" not in str(info.value)


def test_usage_accumulates(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies("one two three"))
    model = model_on(server)
    model.complete("Be brief.", "First question?")
    model.complete("Be brief.", "Second question here?")
    usage = model.usage
    assert isinstance(usage, LLMUsage) and usage.model == "test-model"
    assert usage.calls == 2 and usage.cache_hits == 0
    assert usage.completion_tokens == 6
    assert (
        usage.prompt_tokens
        == sum(word_count(message["content"]) for request in server.requests for message in request["messages"])
        == 9
    )
    assert usage.seconds >= 0


def test_serve_openai_context_manager_stops_the_server() -> None:
    with serve_openai(replies("hi")) as server, ChatModel(server.base_url, "m") as model:
        assert model.complete("s", "u") == "hi"
        base_url = server.base_url
    with ChatModel(base_url, "m", max_retries=0) as model, pytest.raises(LLMError, match="cannot connect"):
        model.complete("s", "u")


def test_models_from_settings(tmp_path: Path) -> None:
    offline = make_settings(paths={"data_dir": tmp_path})
    assert construction_model(offline.llm, offline.paths) is None
    assert answer_model(offline.llm, offline.paths) is None

    online = make_settings(
        paths={"data_dir": tmp_path},
        llm={"base_url": "http://127.0.0.1:9/v1/", "answer_model": "answerer", "api_key": "sk-x"},
    )
    with (
        construction_model(online.llm, online.paths) as builder,  # type: ignore[union-attr]
        answer_model(online.llm, online.paths) as answerer,  # type: ignore[union-attr]
    ):
        assert (builder.model, answerer.model) == ("answerer", "answerer")
        assert answerer.endpoint == "http://127.0.0.1:9/v1/chat/completions"
        assert answerer.cache_dir == tmp_path / "llm-cache"

    split = online.replace(llm={"base_url": "http://127.0.0.1:9/v1", "construction_model": "builder"})
    with construction_model(split.llm, split.paths) as builder:  # type: ignore[union-attr]
        assert builder.model == "builder"


def test_settings_models_talk_to_the_server(openai_server: StartServer, tmp_path: Path) -> None:
    server = openai_server(replies('{"name": "aspirin", "kind": "drug"}'), api_key="sk-settings")
    settings = make_settings(
        paths={"data_dir": tmp_path},
        llm={
            "base_url": server.base_url,
            "answer_model": "answerer",
            "construction_model": "builder",
            "api_key": "sk-settings",
        },
    )
    with construction_model(settings.llm, settings.paths) as builder:  # type: ignore[union-attr]
        assert builder.complete_json("Extract.", "Aspirin 75 mg.", Entity).kind == "drug"
    assert server.requests[0]["model"] == "builder"
    assert list((tmp_path / "llm-cache").glob("*/*.json"))


def test_streamed_completion_arrives_in_pieces_and_is_cached(
    openai_server: StartServer, model_on: Callable[..., ChatModel], tmp_path: Path
) -> None:
    server = openai_server(replies("Metformin is first-line [1]."))
    model = model_on(server, cache_dir=tmp_path / "cache")
    pieces = list(model.stream("You answer.", "First-line drug?"))
    assert pieces == ["Metformin ", "is ", "first-line ", "[1]."] and server.requests[0]["stream"] is True
    assert list(model.stream("You answer.", "First-line drug?")) == ["Metformin is first-line [1]."]
    assert len(server.requests) == 1 and model.usage.cache_hits == 1
    assert model.complete("You answer.", "First-line drug?") == "Metformin is first-line [1]."


def test_streamed_http_error_names_the_status(openai_server: StartServer, model_on: Callable[..., ChatModel]) -> None:
    server = openai_server(replies((503, "overloaded")))
    model = model_on(server, max_retries=0)
    with pytest.raises(LLMError, match="HTTP 503"):
        list(model.stream("s", "u"))
    assert len(server.requests) == 1
