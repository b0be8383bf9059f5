"""Read tool documentation files into :class:`ApiSpec` lists, strictly, one issue per malformed API.

Accepted (JSON only; never YAML, pickles or code):

* StableToolBench query files (``[{query, api_list: [...]}, ...]``) and bare ``api_list`` arrays or objects
  (``{category_name, tool_name, api_name, api_description, required_parameters, optional_parameters,
  method, template_response}``);
* OpenAPI 3 and Swagger 2 documents (``paths`` with operations; local ``$ref`` resolved);
* JSON-Schema function definitions (``{name, description, parameters}``, alone, in a list, or in the
  OpenAI ``{"type": "function", "function": {...}}`` wrapper).

A malformed API becomes a :class:`SchemaIssue` naming the file, the place and the reason; the others are
kept. A file that is not JSON or has no recognisable form is one issue for the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.datasets.jsonl import loads_json
from past.tools.schema import UNCATEGORIZED, ApiParam, ApiSpec, SchemaIssue, dedupe, param_type

MAX_TOOL_FILE_BYTES = 20 * 1024 * 1024
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
MAX_REF_DEPTH = 8


@dataclass
class ToolIngestResult:
    """The APIs read from one or more files, and what could not be read."""

    apis: list[ApiSpec] = field(default_factory=list)
    issues: list[SchemaIssue] = field(default_factory=list)

    def extend(self, other: ToolIngestResult) -> None:
        self.apis.extend(other.apis)
        self.issues.extend(other.issues)

    def deduplicated(self) -> ToolIngestResult:
        apis, issues = dedupe(self.apis)
        return ToolIngestResult(apis, [*self.issues, *issues])


class _Bad(Exception):
    """A problem with one API entry (caught per entry, turned into a SchemaIssue)."""


def ingest_tool_files(paths: Iterable[str | Path]) -> ToolIngestResult:
    """All APIs of the given files, de-duplicated by function name; issues from every file."""
    result = ToolIngestResult()
    for path in paths:
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            result.issues.append(SchemaIssue(path.name, "", f"cannot read the file: {exc.strerror or exc}"))
            continue
        if size > MAX_TOOL_FILE_BYTES:
            result.issues.append(SchemaIssue(path.name, "", f"file is larger than {MAX_TOOL_FILE_BYTES >> 20} MB"))
            continue
        result.extend(ingest_tool_bytes(path.read_bytes(), path.name))
    return result.deduplicated()


def ingest_tool_bytes(data: bytes, source: str) -> ToolIngestResult:
    """Parse one file's bytes (JSON) into APIs and issues."""
    try:
        document = loads_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return ToolIngestResult(issues=[SchemaIssue(source, "", "not UTF-8 text; tool documents must be JSON")])
    except json.JSONDecodeError as exc:
        return ToolIngestResult(
            issues=[SchemaIssue(source, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")]
        )
    return ingest_tool_json(document, source)


def ingest_tool_json(document: Any, source: str) -> ToolIngestResult:
    """Recognise the form of a parsed JSON document and read its APIs."""
    if isinstance(document, dict) and ("openapi" in document or "swagger" in document):
        return _openapi(document, source)
    entries = document if isinstance(document, list) else [document]
    if not entries:
        return ToolIngestResult(issues=[SchemaIssue(source, "", "the file holds an empty list: no APIs")])
    result = ToolIngestResult()
    for index, entry in enumerate(entries):
        where = f"[{index}]" if isinstance(document, list) else ""
        if isinstance(entry, dict) and isinstance(entry.get("api_list"), list):
            for j, api in enumerate(entry["api_list"]):
                _collect(result, source, f"{where}.api_list[{j}]".lstrip("."), lambda a=api: _toolbench(a, source))
        elif isinstance(entry, dict) and ("api_name" in entry or "tool_name" in entry):
            _collect(result, source, where or "api", lambda e=entry: _toolbench(e, source))
        elif isinstance(entry, dict) and ("parameters" in entry or entry.get("type") == "function" or "name" in entry):
            _collect(result, source, where or "function", lambda e=entry: _function(e, source))
        else:
            result.issues.append(
                SchemaIssue(
                    source,
                    where,
                    "not a recognised tool document: expected StableToolBench api_list entries, an OpenAPI/Swagger "
                    "document or JSON-Schema function definitions ({name, description, parameters})",
                )
            )
    return result


def _collect(result: ToolIngestResult, source: str, location: str, parse: Any) -> None:
    try:
        result.apis.append(parse())
    except _Bad as exc:
        result.issues.append(SchemaIssue(source, location, str(exc)))


def _text(entry: dict[str, Any], key: str, *, required: bool = False, what: str = "") -> str:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad(f"{what or 'the API'} has no '{key}'")
        return ""
    if not isinstance(value, str | int | float):
        raise _Bad(f"'{key}' must be a string, not {type(value).__name__}")
    return str(value).strip()


def _params(raw: Any, key: str) -> tuple[ApiParam, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Bad(f"'{key}' must be a list of parameters, not {type(raw).__name__}")
    params = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _Bad(f"{key}[{i}] must be an object with a 'name'")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _Bad(f"{key}[{i}] has no 'name'")
        enum = item.get("enum") or ()
        if not isinstance(enum, list | tuple):
            raise _Bad(f"{key}[{i}] ('{name}'): 'enum' must be a list")
        params.append(
            ApiParam(
                name=name.strip(),
                type=param_type(item.get("type")),
                description=str(item.get("description") or "").strip(),
                default=item.get("default"),
                enum=tuple(enum),
            )
        )
    return tuple(params)


def _check_unique(required: tuple[ApiParam, ...], optional: tuple[ApiParam, ...]) -> None:
    names = [p.name for p in required + optional]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _Bad(f"parameter(s) listed twice: {', '.join(duplicates)}")


def _toolbench(entry: Any, source: str) -> ApiSpec:
    if not isinstance(entry, dict):
        raise _Bad(f"an API entry must be a JSON object, not {type(entry).__name__}")
    tool = _text(entry, "tool_name", required=True)
    name = _text(entry, "api_name", required=True, what=f"the API of tool '{tool}'")
    try:
        required = _params(entry.get("required_parameters"), "required_parameters")
        optional = _params(entry.get("optional_parameters"), "optional_parameters")
        _check_unique(required, optional)
        description = _text(entry, "api_description")
        method = _text(entry, "method") or "GET"
    except _Bad as exc:
        raise _Bad(f"{tool} / {name}: {exc}") from exc
    return ApiSpec(
        tool=tool,
        name=name,
        category=_text(entry, "category_name") or UNCATEGORIZED,
        description=description,
        method=method.upper(),
        required=required,
        optional=optional,
        template_response=entry.get("template_response"),
        source=source,
    )


def _schema_params(schema: Any, where: str) -> tuple[tuple[ApiParam, ...], tuple[ApiParam, ...]]:
    """Required and optional parameters from a JSON Schema ``{"type": "object", "properties", "required"}``."""
    if schema is None:
        return (), ()
    if not isinstance(schema, dict):
        raise _Bad(f"{where} must be a JSON Schema object")
    properties = schema.get("properties") or {}
    if not isinstance(properties, dict):
        raise _Bad(f"{where}.properties must be an object mapping names to schemas")
    required_names = schema.get("required") or []
    if not isinstance(required_names, list) or not all(isinstance(n, str) for n in required_names):
        raise _Bad(f"{where}.required must be a list of property names")
    missing = [n for n in required_names if n not in properties]
    if missing:
        raise _Bad(f"{where}.required names properties that are not defined: {', '.join(missing)}")
    required, optional = [], []
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            raise _Bad(f"{where}.properties.{name} must be a schema object")
        param = _param_from_schema(name, prop)
        (required if name in required_names else optional).append(param)
    return tuple(required), tuple(optional)


def _param_from_schema(name: str, schema: dict[str, Any], description: str = "") -> ApiParam:
    enum = schema.get("enum") or ()
    return ApiParam(
        name=name,
        type="enum" if enum and schema.get("type") in (None, "string") else param_type(schema.get("type")),
        description=str(description or schema.get("description") or "").strip(),
        default=schema.get("default", schema.get("example")),
        enum=tuple(enum) if isinstance(enum, list) else (),
    )


def _function(entry: dict[str, Any], source: str) -> ApiSpec:
    body = entry.get("function") if entry.get("type") == "function" else entry
    if not isinstance(body, dict):
        raise _Bad("'function' must be an object with name, description and parameters")
    name = _text(body, "name", required=True, what="the function")
    required, optional = _schema_params(body.get("parameters"), f"{name}.parameters")
    _check_unique(required, optional)
    tool = _text(body, "x-tool") or _text(entry, "x-tool") or Path(source).stem or name
    return ApiSpec(
        tool=tool,
        name=name,
        category=_text(body, "x-category") or _text(entry, "x-category") or UNCATEGORIZED,
        description=_text(body, "description"),
        method="POST",
        required=required,
        optional=optional,
        template_response=body.get("x-template-response"),
        source=source,
    )


def _resolve(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """Follow local ``$ref`` pointers (``#/components/...``) up to a fixed depth; cycles stop there."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise _Bad(f"only local $ref pointers are supported, not '{ref}'")
        if depth >= MAX_REF_DEPTH:
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise _Bad(f"$ref '{ref}' points at nothing")
            target = target[part]
        return _resolve(target, root, depth + 1)
    return node


def _template(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """A ToolBench-style response shape (``{"field": "str"}``) from a JSON Schema."""
    schema = _resolve(schema, root, depth)
    if not isinstance(schema, dict) or depth > MAX_REF_DEPTH:
        return "str"
    if "example" in schema:
        return schema["example"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: _template(v, root, depth + 1) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [_template(schema.get("items"), root, depth + 1)]
    return {"integer": "int", "number": "float", "boolean": "bool"}.get(str(kind), "str")


def _openapi(document: dict[str, Any], source: str) -> ToolIngestResult:
    result = ToolIngestResult()
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    tool = str(info.get("title") or Path(source).stem).strip()
    paths = document.get("paths")
    if not isinstance(paths, dict) or not paths:
        result.issues.append(SchemaIssue(source, "paths", "an OpenAPI document needs a non-empty 'paths' object"))
        return result
    category = str(info.get("x-category") or UNCATEGORIZED)
    for path, item in paths.items():
        if not isinstance(item, dict):
            result.issues.append(SchemaIssue(source, f"paths.{path}", "must be an object of operations"))
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            if method in item:
                where = f"paths.{path}.{method}"
                _collect(
                    result,
                    source,
                    where,
                    lambda o=item[method], m=method, p=path, s=shared: _operation(
                        o, m, p, s, document, tool, category, source
                    ),
                )
    return result


def _operation(
    op: Any, method: str, path: str, shared: Any, root: dict[str, Any], tool: str, category: str, source: str
) -> ApiSpec:
    if not isinstance(op, dict):
        raise _Bad("an operation must be a JSON object")
    name = str(op.get("operationId") or f"{method.upper()} {path}").strip()
    tags = op.get("tags") or []
    if category == UNCATEGORIZED and isinstance(tags, list) and tags and isinstance(tags[0], str):
        category = tags[0]
    required, optional = [], []
    raw_params = [*(shared if isinstance(shared, list) else []), *(op.get("parameters") or [])]
    for i, raw in enumerate(raw_params):
        param = _resolve(raw, root)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str) or not param["name"].strip():
            raise _Bad(f"parameters[{i}] has no 'name'")
        schema = _resolve(param.get("schema"), root) or {"type": param.get("type", "string")}
        if not isinstance(schema, dict):
            raise _Bad(f"parameters[{i}] ('{param['name']}'): 'schema' must be an object")
        spec = _param_from_schema(param["name"].strip(), schema, str(param.get("description") or ""))
        (required if param.get("required") or param.get("in") == "path" else optional).append(spec)
    body = _resolve(op.get("requestBody"), root)
    if isinstance(body, dict):
        content = body.get("content") or {}
        media = content.get("application/json") if isinstance(content, dict) else None
        if isinstance(media, dict) and media.get("schema") is not None:
            schema = _resolve(media["schema"], root)
            if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
                schema = {**schema, "properties": {k: _resolve(v, root) for k, v in schema["properties"].items()}}
            body_required, body_optional = _schema_params(schema, "requestBody")
            required += body_required
            optional += body_optional
    _check_unique(tuple(required), tuple(optional))
    return ApiSpec(
        tool=tool,
        name=name,
        category=category,
        description=str(op.get("description") or op.get("summary") or "").strip(),
        method=method.upper(),
        path=path,
        required=tuple(required),
        optional=tuple(optional),
        template_response=_response_template(op, root),
        source=source,
    )


def _response_template(op: dict[str, Any], root: dict[str, Any]) -> Any:
    responses = op.get("responses")
    if not isinstance(responses, dict):
        return None
    ok = _resolve(responses.get("200") or responses.get("201") or responses.get("default"), root)
    if not isinstance(ok, dict):
        return None
    if isinstance(ok.get("schema"), dict):  # Swagger 2
        return _template(ok["schema"], root)
    media = (ok.get("content") or {}).get("application/json") if isinstance(ok.get("content"), dict) else None
    if isinstance(media, dict):
        if "example" in media:
            return media["example"]
        if media.get("schema") is not None:
            return _template(media["schema"], root)
    return None
