"""The typed form of one API's documentation (:class:`ApiSpec`), and its ToolBench-style function name.

Every ingest format (StableToolBench ``api_list`` entries, OpenAPI/Swagger, JSON-Schema function
definitions) ends up as a list of :class:`ApiSpec`; the SFT data, the agent, the simulator and the reward
all read this one form. It round-trips through plain JSON (``to_dict``/``from_dict``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from past.errors import PastError

UNCATEGORIZED = "Uncategorized"
MAX_FUNCTION_NAME = 64
# The parameter types the documents use, lower-cased; anything else is kept as written and treated as a string.
# the fields of ApiSpec.to_dict that its document() shows, in order, and their ToolBench names
TOOLBENCH_NAMES = {
    "category": "category_name",
    "tool": "tool_name",
    "name": "api_name",
    "function": "function_name",
    "description": "api_description",
    "method": "method",
    "required_parameters": "required_parameters",
    "optional_parameters": "optional_parameters",
    "template_response": "template_response",
}
KNOWN_TYPES = ("string", "number", "integer", "boolean", "enum", "array", "object", "date", "time", "binary")


class ToolSchemaError(PastError):
    """A tool document (or one API in it) is malformed; the message says where and why."""


@dataclass(frozen=True)
class SchemaIssue:
    """One malformed API (or file): ``source`` is the file, ``location`` the place in it."""

    source: str
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.location}" if self.location else self.source
        return f"{where}: {self.message}"


def standardize(name: str) -> str:
    """ToolBench's identifier rule: lower case, runs of other characters as one '_', no leading digit."""
    text = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not text:
        return "api"
    if text[0].isdigit():
        text = f"get_{text}"
    return text


def function_name(tool: str, api: str) -> str:
    """The name an agent calls: ``{api}_for_{tool}``, standardised and at most 64 characters (as ToolBench)."""
    return f"{standardize(api)}_for_{standardize(tool)}"[:MAX_FUNCTION_NAME]


def param_type(raw: Any) -> str:
    """A parameter's type, lower-cased and mapped to :data:`KNOWN_TYPES` where one fits."""
    text = str(raw or "string").strip().lower()
    if text.startswith("date"):
        return "date"
    if text.startswith("time"):
        return "time"
    if text in ("str", "text"):
        return "string"
    if text in ("int", "long"):
        return "integer"
    if text in ("float", "double"):
        return "number"
    if text in ("bool",):
        return "boolean"
    if text in ("list",):
        return "array"
    if text in ("dict",):
        return "object"
    return text if text in KNOWN_TYPES else "string"


@dataclass(frozen=True)
class ApiParam:
    name: str
    type: str = "string"
    description: str = ""
    default: Any = None
    enum: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        if self.default not in (None, ""):
            data["default"] = self.default
        if self.enum:
            data["enum"] = list(self.enum)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiParam:
        return cls(
            name=str(data["name"]),
            type=param_type(data.get("type")),
            description=str(data.get("description") or ""),
            default=data.get("default"),
            enum=tuple(data.get("enum") or ()),
        )


@dataclass(frozen=True)
class ApiSpec:
    """One callable API: which tool and category it belongs to, its parameters and an example response shape."""

    tool: str
    name: str
    category: str = UNCATEGORIZED
    description: str = ""
    method: str = "GET"
    path: str = ""
    required: tuple[ApiParam, ...] = ()
    optional: tuple[ApiParam, ...] = ()
    template_response: Any = None  # a JSON example/shape of the response, when the document gives one
    source: str = ""  # the file it came from
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def function(self) -> str:
        return function_name(self.tool, self.name)

    @property
    def params(self) -> tuple[ApiParam, ...]:
        return self.required + self.optional

    def param(self, name: str) -> ApiParam | None:
        return next((p for p in self.params if p.name == name), None)

    def example_arguments(self, include_optional: bool = False) -> dict[str, Any]:
        """Arguments filled from the documented defaults (or a placeholder of the right type)."""
        chosen = self.params if include_optional else self.required
        return {p.name: example_value(p) for p in chosen}

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "tool": self.tool,
            "name": self.name,
            "function": self.function,
            "description": self.description,
            "method": self.method,
            "path": self.path,
            "required_parameters": [p.to_dict() for p in self.required],
            "optional_parameters": [p.to_dict() for p in self.optional],
            "template_response": self.template_response,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiSpec:
        return cls(
            tool=str(data["tool"]),
            name=str(data["name"]),
            category=str(data.get("category") or UNCATEGORIZED),
            description=str(data.get("description") or ""),
            method=str(data.get("method") or "GET").upper(),
            path=str(data.get("path") or ""),
            required=tuple(ApiParam.from_dict(p) for p in data.get("required_parameters") or ()),
            optional=tuple(ApiParam.from_dict(p) for p in data.get("optional_parameters") or ()),
            template_response=data.get("template_response"),
            source=str(data.get("source") or ""),
        )

    def document(self) -> str:
        """The raw documentation as the model sees it in SFT: a compact JSON schema, the :meth:`to_dict` fields
        of :data:`TOOLBENCH_NAMES` under ToolBench's names (the template response only when there is one)."""
        own = self.to_dict()
        data = {name: own[key] for key, name in TOOLBENCH_NAMES.items()}
        if self.template_response is None:
            del data["template_response"]
        return json.dumps(data, ensure_ascii=False)


PLACEHOLDERS = {
    "string": "example",
    "number": 1,
    "integer": 1,
    "boolean": True,
    "array": [],
    "object": {},
    "date": "2024-01-01",
    "time": "12:00",
}


def example_value(param: ApiParam) -> Any:
    """The documented default, else the first enum value, else a placeholder of the parameter's type."""
    if param.default not in (None, ""):
        return param.default
    if param.enum:
        return param.enum[0]
    return PLACEHOLDERS.get(param.type, "example")


def dedupe(apis: list[ApiSpec], source: str = "") -> tuple[list[ApiSpec], list[SchemaIssue]]:
    """Keep the first API of each function name; later ones become issues."""
    seen: dict[str, ApiSpec] = {}
    issues = []
    for api in apis:
        if api.function in seen:
            first = seen[api.function]
            if api.to_dict() | {"source": ""} != first.to_dict() | {"source": ""}:
                issues.append(
                    SchemaIssue(
                        api.source or source,
                        f"{api.tool} / {api.name}",
                        f"function name '{api.function}' is already used by another API "
                        f"({first.tool} / {first.name}); this one is skipped",
                    )
                )
            continue
        seen[api.function] = api
    return list(seen.values()), issues
