"""Parameter schemas of job kinds: dataclass fields described for forms/flags, and typed coercion.

A kind's parameters are a dataclass; each field may carry ``metadata={"help": ..., "choices": [...],
"ref": ...}`` (use :func:`param`); ``ref`` marks a parameter that names something stored or on disk,
checked at submit by :mod:`backend.jobs.refs`. :func:`describe_params` turns it into :class:`FieldSpec`
rows the studio and CLI build forms and flags from; :func:`build_params` validates a JSON/dict (or CLI strings) into an
instance, with a :class:`ParamTypeError` that names the field.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from backend.jobs.errors import ParamTypeError
from past.datasets.jsonl import loads_json
from past.errors import PastError
from past.numbers import Bounds

_SCALARS = {int: "int", float: "float", str: "str", bool: "bool"}
# What a ``ref`` parameter names (see backend.jobs.refs): a model reference, one or a list of evaluation model
# specs, a skill, a collection with documents / with questions / with both, a QA file or folder, an endpoint URL.
REF_KINDS = (
    "model",
    "model_spec",
    "model_specs",
    "skill",
    "collection",
    "qa_collection",
    "source_collection",
    "qa_path",
    "endpoint",
)


def param(
    default: Any = dataclasses.MISSING,
    *,
    help: str = "",
    choices: list[Any] | None = None,
    ref: str | None = None,
    bounds: Bounds | None = None,
) -> Any:
    """A dataclass field with help text (and optional choices, the kind of thing it names, or the range of a
    number, one of :mod:`past.numbers`' bounds) for the schema."""
    if ref is not None and ref not in REF_KINDS:
        raise ValueError(f"unknown ref kind {ref!r}; use one of {', '.join(REF_KINDS)}")
    meta = {"help": help, "choices": choices, "ref": ref, "bounds": bounds}
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldSpec:
    """One parameter as the UI/CLI sees it."""

    name: str
    type: str  # int | float | str | bool | list[str] | list[int] | list[float] | json
    required: bool
    default: Any
    help: str
    optional: bool  # None is accepted
    choices: list[Any] | None = None
    ref: str | None = None  # names a model, skill, collection or file (one of REF_KINDS), checked at submit
    takes_text: bool = False  # a json parameter that may also be text (a CLI string that is not JSON stays text)
    bounds: Bounds | None = None  # the range of a number (or of each number of a list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """(inner type, accepts None); a union of several types other than None is itself the inner type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        if len(args) == 1:
            return args[0], optional
        return tp, optional
    return tp, False


def _type_name(tp: Any) -> str:
    if tp in _SCALARS:
        return _SCALARS[tp]
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (str,)
        return f"list[{_SCALARS.get(item, 'str')}]"
    return "json"


def describe_params(cls: type) -> list[FieldSpec]:
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        inner, optional = _unwrap(hints[f.name])
        if f.default is not dataclasses.MISSING:
            default, required = f.default, False
        elif f.default_factory is not dataclasses.MISSING:
            default, required = f.default_factory(), False
        else:
            default, required = None, True
        specs.append(
            FieldSpec(
                name=f.name,
                type=_type_name(inner),
                required=required,
                default=default,
                help=f.metadata.get("help", ""),
                optional=optional,
                choices=f.metadata.get("choices"),
                ref=f.metadata.get("ref"),
                takes_text=_type_name(inner) == "json" and str in typing.get_args(inner),
                bounds=f.metadata.get("bounds"),
            )
        )
    return specs


def _coerce_scalar(name: str, kind: str, value: Any, from_string: bool, bounds: Bounds | None = None) -> Any:
    out = _scalar(name, kind, value, from_string)
    if kind == "float" and not math.isfinite(out):
        raise ParamTypeError(f"parameter {name!r} must be a finite number, got {value!r}")
    problem = bounds.problem(out) if bounds is not None and kind in ("int", "float") else None
    if problem:
        raise ParamTypeError(
            f"parameter {name!r} {problem}" if problem.startswith("must") else f"parameter {name!r}: {problem}"
        )
    return out


def _scalar(name: str, kind: str, value: Any, from_string: bool) -> Any:
    if from_string and isinstance(value, str):
        text = value.strip()
        try:
            if kind == "int":
                return int(text)
            if kind == "float":
                return float(text)
            if kind == "bool":
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError
        except ValueError:
            raise ParamTypeError(f"parameter {name!r} expects {kind}, got {value!r}") from None
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "str" and isinstance(value, str):
        return value
    raise ParamTypeError(f"parameter {name!r} expects {kind}, got {type(value).__name__} {value!r}")


def coerce_value(spec: FieldSpec, value: Any, *, from_string: bool = False) -> Any:
    if value is None or (from_string and spec.optional and value in ("", "none", "null")):
        if spec.optional:
            return None
        raise ParamTypeError(f"parameter {spec.name!r} may not be empty")
    if spec.type.startswith("list["):
        item = spec.type[5:-1]
        if from_string and isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()] if not value.startswith("[") else loads_json(value)
        if not isinstance(value, list):
            raise ParamTypeError(f"parameter {spec.name!r} expects a list of {item}, got {value!r}")
        out = [_coerce_scalar(spec.name, item, v, from_string, spec.bounds) for v in value]
    elif spec.type == "json":
        if from_string and isinstance(value, str):
            try:
                value = loads_json(value)
            except json.JSONDecodeError as exc:
                if not spec.takes_text:
                    raise ParamTypeError(f"parameter {spec.name!r} expects JSON: {exc}") from None
        out = value
    else:
        out = _coerce_scalar(spec.name, spec.type, value, from_string, spec.bounds)
    if spec.choices is not None and out not in spec.choices:
        raise ParamTypeError(f"parameter {spec.name!r} must be one of {spec.choices}, got {out!r}")
    return out


def build_params(cls: type, raw: dict[str, Any] | None, *, from_strings: bool = False) -> Any:
    """An instance of ``cls`` from ``raw``; unknown names, missing required fields or wrong types raise."""
    raw = dict(raw or {})
    specs = {s.name: s for s in describe_params(cls)}
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise ParamTypeError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(specs) or 'none'}")
    values = {}
    for name, spec in specs.items():
        if name in raw:
            values[name] = coerce_value(spec, raw[name], from_string=from_strings)
        elif spec.required:
            raise ParamTypeError(f"parameter {name!r} is required ({spec.help or spec.type})")
    try:
        instance = cls(**values)
    except (TypeError, ValueError) as exc:
        raise ParamTypeError(f"invalid parameters: {exc}") from exc
    validate = getattr(instance, "validate", None)
    if callable(validate):
        try:
            validate()
        except ParamTypeError:
            raise
        except (ValueError, PastError) as exc:  # PastError: a shared validator, e.g. past.paths.check_name
            raise ParamTypeError(str(exc)) from exc
    return instance


def params_to_json(instance: Any) -> dict[str, Any]:
    return dataclasses.asdict(instance)
