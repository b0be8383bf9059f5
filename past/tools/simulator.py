"""A simulated API environment: validates a call against the documentation, then answers it.

As in the paper (and StableToolBench's virtual API server), a language model writes a realistic response from
the API's documentation, its ``template_response`` and the arguments, through any
:class:`~past.generators.ChatGenerator` (a local model or an OpenAI-compatible endpoint). Without a generator,
or when its reply is not JSON, a deterministic schema-based response is built from ``template_response`` (same
call, same response), so tests and CPU runs need no endpoint. Generated responses are cached on disk by call
(one JSON file per (simulator, function, arguments)), so a rerun of an evaluation sees the same observations.
An endpoint that is down is answered by the schema simulator instead (``fallback=True``, the default) or is a
``simulator_error`` result (``fallback=False``); either way the result carries the reason, and nothing is
cached for it. Every :class:`CallResult` says who answered (:attr:`CallResult.answered_by`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from past.datasets.jsonl import loads_json
from past.errors import PastError
from past.generators.base import ChatGenerator, Conversation
from past.serving.generation import GenerationParams
from past.tools.schema import ApiParam, ApiSpec

Status = Literal["ok", "unknown_api", "invalid_arguments", "api_error", "simulator_error"]
Source = Literal["llm", "schema", "cache", "none"]

SIMULATOR_SYSTEM = (
    "You simulate a REST API. Given its documentation, an example response shape and a call's arguments, "
    'reply with ONE JSON object and nothing else: {"error": "", "response": <a realistic response>}. '
    "Follow the example response's fields; make values consistent with the arguments. If the arguments cannot "
    'work for this API, set "error" to a short message and "response" to "".'
)


@dataclass(frozen=True)
class CallResult:
    """What one API call returned, and where the answer came from."""

    status: Status
    response: Any
    source: Source
    message: str = ""
    fallback: str = ""  # why the LLM simulator did not answer and the schema simulator did (endpoint down ...)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def answered_by(self) -> str:
        """``llm``, ``llm (cached)``, ``schema``, ``schema fallback`` or ``none`` (refused before any answer)."""
        if self.source == "schema" and self.fallback:
            return "schema fallback"
        return {"cache": "llm (cached)"}.get(self.source, self.source)

    def observation(self) -> dict[str, Any]:
        """The payload the agent sees after ``Observation:`` (StableToolBench's ``{error, response}``)."""
        return {"error": "" if self.ok else self.message, "response": self.response if self.ok else ""}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ANSWERED_BY = {
    "llm": "the LLM simulator",
    "cache": "the LLM simulator (cached response)",
    "schema": "the schema simulator",
    "none": "no simulator (the call was refused before any answer)",
}


def answered_by(call: dict[str, Any]) -> str:
    """Who answered a recorded call (:meth:`CallResult.to_dict`), in words, with the reason for a fallback."""
    source, fallback = str(call.get("source")), str(call.get("fallback") or "")
    if source == "schema" and fallback:
        return f"the schema simulator (fallback: {fallback})"
    return ANSWERED_BY.get(source, source)


def _accepts(param: ApiParam, value: Any) -> bool:
    if value is None:
        return False
    kind = param.type
    if kind in ("number", "integer"):
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        try:
            float(str(value))
        except ValueError:
            return False
        return True
    if kind == "boolean":
        return isinstance(value, bool) or str(value).lower() in ("true", "false", "0", "1")
    if kind == "enum" and param.enum:
        return value in param.enum or str(value) in {str(v) for v in param.enum}
    if kind in ("array", "object"):
        return isinstance(value, list | dict | str)
    return isinstance(value, str | int | float | bool)


def validate_call(api: ApiSpec, arguments: dict[str, Any]) -> str:
    """Empty when the arguments fit the documentation; otherwise why not (missing, unknown or mistyped)."""
    problems = []
    missing = [p.name for p in api.required if p.name not in arguments]
    if missing:
        problems.append(f"missing required parameter(s): {', '.join(missing)}")
    known = {p.name for p in api.params}
    unknown = [k for k in arguments if k not in known]
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        problems.append(f"unknown parameter(s): {', '.join(unknown)} (allowed: {allowed})")
    for param in api.params:
        if param.name in arguments and not _accepts(param, arguments[param.name]):
            problems.append(f"'{param.name}' must be of type {param.type}")
    return "; ".join(problems)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def schema_response(api: ApiSpec, arguments: dict[str, Any]) -> Any:
    """A deterministic response shaped like ``template_response``: argument values where a field is named after
    an argument, otherwise values derived from a hash of the call."""
    lowered = {k.lower(): v for k, v in arguments.items()}
    seed = _digest(api.function, arguments)

    def fill(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: fill(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(node[0], key)] if node else []
        if key.lower() in lowered and not isinstance(lowered[key.lower()], dict | list):
            return lowered[key.lower()]
        number = int(_digest(seed, key)[:8], 16)
        shape = str(node).lower()
        if shape == "empty list":
            return []
        if shape in ("int", "integer", "number"):
            return number % 1000
        if shape in ("float", "double"):
            return round((number % 100000) / 100, 2)
        if shape in ("bool", "boolean"):
            return bool(number % 2)
        if shape in ("str", "string", "none", ""):
            return f"{key or 'value'}-{number % 10000:04d}"
        return node  # a concrete example value: keep it

    template = api.template_response
    if template is None or template == {}:
        return {"result": f"{api.name} succeeded", "arguments": arguments}
    return fill(template, "")


def simulator_prompt(api: ApiSpec, arguments: dict[str, Any]) -> Conversation:
    example = json.dumps(api.template_response, ensure_ascii=False) if api.template_response is not None else "{}"
    user = (
        f"API documentation: {api.document()}\n"
        f"Example response shape: {example}\n"
        f"Call arguments: {json.dumps(arguments, ensure_ascii=False)}\n"
        'Reply with {"error": "...", "response": ...} only.'
    )
    return [{"role": "system", "content": SIMULATOR_SYSTEM}, {"role": "user", "content": user}]


def _parse_simulated(text: str) -> tuple[str, Any] | None:
    """(error, response) from the simulator LLM's reply, or None when it is not the JSON asked for."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "response" not in data:
        return None
    return str(data.get("error") or ""), data["response"]


class ResponseCache:
    """Simulated responses on disk, one JSON file per call key (atomic writes; unreadable entries are misses)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = loads_json(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) and "response" in data else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entry, handle, ensure_ascii=False)
        os.replace(tmp, path)


class ApiSimulator:
    """Answers calls to the given APIs; ``generator`` None means schema-based responses only."""

    def __init__(
        self,
        apis: Sequence[ApiSpec],
        generator: ChatGenerator | None = None,
        cache_dir: str | Path | None = None,
        params: GenerationParams | None = None,
        seed: int = 0,
        fallback: bool = True,
    ) -> None:
        self.apis = {a.function: a for a in apis}
        self.generator = generator
        self.fallback = fallback
        self.cache = ResponseCache(cache_dir) if cache_dir else None
        self.params = params or GenerationParams(max_new_tokens=256, temperature=0.0)
        self.seed = seed
        self.name = generator.name if generator else "schema"

    def describe(self) -> dict[str, Any]:
        return {
            "simulator": self.name,
            "fallback": "schema" if self.generator is not None and self.fallback else None,
            "cache": str(self.cache.root) if self.cache else None,
            "apis": len(self.apis),
        }

    def call(self, function: str, arguments: dict[str, Any], apis: Sequence[ApiSpec] | None = None) -> CallResult:
        return self.call_many([(function, arguments, apis)])[0]

    def call_many(self, calls: Sequence[tuple[str, dict[str, Any], Sequence[ApiSpec] | None]]) -> list[CallResult]:
        """Answer several calls; the LLM ones go to the generator as one batch. ``apis`` per call restricts what
        the agent may call (a query's api_list); None means every API the simulator knows."""
        results: list[CallResult | None] = [None] * len(calls)
        pending: list[tuple[int, ApiSpec, dict[str, Any], str]] = []
        for i, (function, arguments, allowed) in enumerate(calls):
            api = self._lookup(function, allowed)
            if api is None:
                results[i] = CallResult("unknown_api", None, "none", f"no API named '{function}'")
                continue
            problem = validate_call(api, arguments)
            if problem:
                results[i] = CallResult("invalid_arguments", None, "none", problem)
                continue
            if self.generator is None:
                results[i] = CallResult("ok", schema_response(api, arguments), "schema")
                continue
            key = _digest(self.name, function, arguments)
            cached = self.cache.get(key) if self.cache else None
            if cached is not None:
                results[i] = _result(cached["error"], cached["response"], "cache")
                continue
            pending.append((i, api, arguments, key))
        if pending:
            self._generate(pending, results)
        return [r for r in results if r is not None]

    def _lookup(self, function: str, allowed: Sequence[ApiSpec] | None) -> ApiSpec | None:
        if allowed is not None:
            return next((a for a in allowed if a.function == function), None)
        return self.apis.get(function)

    def _generate(self, pending: list[tuple[int, ApiSpec, dict[str, Any], str]], results: list) -> None:
        assert self.generator is not None
        conversations = [simulator_prompt(api, args) for _, api, args, _ in pending]
        try:
            replies = self.generator.generate(conversations, self.params, seed=self.seed)
        except PastError as exc:  # an endpoint that is down, refuses or answers garbage
            reason = f"API simulator unavailable: {exc}"
            for i, api, args, _ in pending:
                if self.fallback:
                    results[i] = CallResult("ok", schema_response(api, args), "schema", reason, fallback=reason)
                else:
                    results[i] = CallResult("simulator_error", None, "none", reason)
            return
        for (i, api, args, key), reply in zip(pending, replies, strict=True):
            parsed = _parse_simulated(reply)
            if parsed is None:
                reason = "the simulator's reply was not JSON; schema response"
                results[i] = CallResult("ok", schema_response(api, args), "schema", reason, fallback=reason)
                continue
            error, response = parsed
            if self.cache:
                self.cache.put(
                    key,
                    {
                        "function": api.function,
                        "arguments": args,
                        "simulator": self.name,
                        "error": error,
                        "response": response,
                    },
                )
            results[i] = _result(error, response, "llm")


def _result(error: str, response: Any, source: Source) -> CallResult:
    if error:
        return CallResult("api_error", response, source, error)
    return CallResult("ok", response, source)
