"""Job parameters that name something stored or on disk, checked once, at submit.

A kind marks such a parameter in its schema with ``param(..., ref=KIND)`` (one of :data:`CHECKERS`).
:func:`check_refs` runs when a job is submitted: a model, skill, collection or QA file that does not exist
is refused before anything is queued, with the parameter named, instead of failing later in the worker. A
relative path is made absolute on the way, since the worker runs in another directory. Nothing heavy
happens here: no weights are loaded, nothing is converted or downloaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.jobs.errors import ParamTypeError
from backend.jobs.params import describe_params
from backend.path_policy import PathPolicy
from backend.store import Store
from past.errors import PastError
from past.settings import Settings


class ParamRefError(ParamTypeError):
    """A parameter names a model, skill, collection or file that does not exist (or cannot be used)."""


def _model(value: str, settings: Settings, store: Store) -> str:
    from past.models import ModelRegistry

    del store
    return ModelRegistry(settings).check_ref(value)


def _adapter(path: str) -> str:
    folder = Path(path).expanduser()
    if not (folder / "adapter_config.json").is_file():
        raise PastError(f"{path} is not an adapter folder (it has no adapter_config.json)")
    return str(folder.resolve())


def _model_spec(text: str, settings: Settings, store: Store) -> str:
    """A ``[LABEL=]REF[+ADAPTER_DIR][@SEED]`` spec: the model and the adapter must exist."""
    from past.evaluation.spec import ModelSpec

    spec = ModelSpec.parse(text)
    ref = _model(spec.ref, settings, store)
    adapter = f"+{_adapter(spec.adapter)}" if spec.adapter else ""
    label = f"{spec.label}=" if spec.label else ""
    seed = f"@{spec.seed}" if spec.seed is not None else ""
    return f"{label}{ref}{adapter}{seed}"


def _model_specs(values: list[str], settings: Settings, store: Store) -> list[str]:
    return [_model_spec(text, settings, store) for text in values]


def _skill(value: str, settings: Settings, store: Store) -> str:
    from past.skills import SkillLibrary
    from past.skills.library import NAME_RE

    del store
    with SkillLibrary(settings).resolve(value, verify=False) as skill:
        is_library_name = NAME_RE.match(value) and skill.path.parent == settings.skills_dir
        return value if is_library_name else str(skill.path.resolve())


def _documents(settings: Settings, store: Store):
    from backend.documents import DocumentService

    return DocumentService(settings, store)


def _tool_collections(settings: Settings, store: Store, with_queries: bool = False) -> list[str]:
    from backend.tool_collections import ToolCollections

    tools = ToolCollections(settings, store)
    return tools.query_collections() if with_queries else tools.collections()


def _collection(value: str, settings: Settings, store: Store, tools: bool = True) -> str:
    """A collection with documents in it (or API schemas: a tools collection, unless ``tools`` is False)."""
    from backend.documents import check_collection

    name = check_collection(value)
    known = _documents(settings, store).collections() + (_tool_collections(settings, store) if tools else [])
    if name not in known:
        raise PastError(
            f"the collection {name!r} has no documents (collections: {', '.join(known) or 'none yet'}); "
            "upload some on the Documents screen first"
        )
    return name


def _qa_collection(value: str, settings: Settings, store: Store, tools: bool = True) -> str:
    """A collection with questions attached (documents are not needed to ask them), or a tools collection with
    tool-use queries (unless ``tools`` is False)."""
    from backend.documents import check_collection

    name = check_collection(value)
    known = _documents(settings, store).question_collections()
    known += _tool_collections(settings, store, with_queries=True) if tools else []
    if name not in known:
        raise PastError(
            f"the collection {name!r} has no questions (collections with questions: {', '.join(known) or 'none'}); "
            "attach a .qa.json file to it first"
        )
    return name


def _source_collection(value: str, settings: Settings, store: Store) -> str:
    """A collection with documents and questions (what building a skill learns from)."""
    return _qa_collection(_collection(value, settings, store, tools=False), settings, store, tools=False)


def _qa_path(value: str, settings: Settings, store: Store) -> str:
    """A QA file or folder that loads (parsed here, so a malformed file is refused at submit)."""
    from past.evaluation import load_qa_set

    del settings, store
    load_qa_set(value)
    return str(Path(value).expanduser().resolve())


def _endpoint(value: str, settings: Settings, store: Store) -> str:
    """An OpenAI-compatible base URL (http(s), a host, no credentials); an exposed studio's policy also
    refuses addresses of this machine and its networks."""
    from backend.path_policy import LOCAL

    del settings, store
    return LOCAL.endpoint(value, "endpoint")


CHECKERS: dict[str, Callable[[Any, Settings, Store], Any]] = {
    "model": _model,
    "model_spec": _model_spec,
    "model_specs": _model_specs,
    "skill": _skill,
    "collection": _collection,
    "qa_collection": _qa_collection,
    "source_collection": _source_collection,
    "qa_path": _qa_path,
    "endpoint": _endpoint,
}


def apply_policy(params_type: type, raw: dict[str, Any], policy: PathPolicy | None) -> dict[str, Any]:
    """``raw`` job parameters with every ``ref`` value passed through ``policy`` (the studio's, when exposed).

    Runs before the parameters are typed and validated, so a refused path is never even looked at.
    """
    if policy is None or not policy.exposed:
        return raw
    kinds = {spec.name: spec.ref for spec in describe_params(params_type) if spec.ref is not None}
    checked = dict(raw)
    for name, value in raw.items():
        if name in kinds and value not in (None, "", []):
            try:
                checked[name] = policy.check_ref(kinds[name], value)
            except PastError as exc:
                raise ParamRefError(f"parameter {name!r}: {exc}") from None
    return checked


def check_refs(params: Any, settings: Settings, store: Store, policy: PathPolicy | None = None) -> Any:
    """``params`` with every ``ref`` parameter checked (and paths made absolute); :class:`ParamRefError` if not.

    With a ``policy`` (the studio's, when it is reachable from elsewhere) every value must pass it first,
    before anything else is looked at.
    """
    refs = [
        (spec, getattr(params, spec.name))
        for spec in describe_params(type(params))
        if spec.ref is not None and getattr(params, spec.name) not in (None, "", [])
    ]
    if policy is not None:
        allowed = []
        for spec, value in refs:
            try:
                allowed.append((spec, policy.check_ref(spec.ref, value)))
            except PastError as exc:
                raise ParamRefError(f"parameter {spec.name!r}: {exc}") from None
        refs = allowed
    changes = {}
    for spec, value in refs:
        try:
            checked = CHECKERS[spec.ref](value, settings, store)
        except PastError as exc:
            raise ParamRefError(f"parameter {spec.name!r}: {exc}") from None
        if checked != getattr(params, spec.name):
            changes[spec.name] = checked
    return dataclasses.replace(params, **changes) if changes else params


__all__ = ["CHECKERS", "ParamRefError", "apply_policy", "check_refs"]
