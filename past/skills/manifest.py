"""The ``skill.json`` manifest: what a skill vector is, where it came from and how to check it.

:class:`SkillManifest` is also the manifest's schema: its type annotations (with pydantic constraints) are
checked field by field whenever a manifest is read, on import and on every load. A wrong type (``rank:
"eight"``), a non-finite number (``default_lambda: NaN``), a missing ``base_fingerprint`` or a format newer
than this version (``format_version: 99``) is refused with a message naming the field.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, Strict, TypeAdapter, ValidationError

from past.datasets.jsonl import read_json_file
from past.skills.errors import SkillFormatError
from past.skills.lambdas import LambdaError, check_lambda

MANIFEST_FILE = "skill.json"
# The files of a PEFT LoRA adapter (a LoRA-form skill is one, with a manifest beside it).
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
FORMAT_VERSION = 1
FORMS = ("full", "lora")

# Field types of the schema: strict (no "8" for 8, no 8.0 for 8), finite floats, non-negative sizes.
Text = Annotated[str, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
Shape = list[Count]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SkillManifest:
    """Metadata of one skill vector; serialised as ``skill.json`` next to its tensors.

    ``params`` maps every base-model parameter the skill changes to its shape (for LoRA form: the
    shape of the dense weight the low-rank factors stand for). ``content_hash`` is a sha256 over the
    tensor files (and the adapter config for LoRA form) and is verified on load.
    """

    __pydantic_config__ = ConfigDict(allow_inf_nan=False)  # class attribute, not a field

    name: Annotated[str, Strict(), Field(min_length=1)]
    form: Literal["full", "lora"] = "full"
    description: Text = ""
    base_ref: Text = ""
    # required when read: a skill whose base cannot be checked is refused (code always sets it on creation)
    base_fingerprint: Annotated[str, Strict(), Field(min_length=1, validate_default=True)] = ""
    architecture: Text = ""
    model_type: Text = ""
    params: dict[str, Shape] = field(default_factory=dict)
    dtype: Literal["float16", "bfloat16", "float32", "float64"] = "float32"
    source_domain: Text = ""
    source_documents: list[Text] = field(default_factory=list)
    rounds: Annotated[int, Strict(), Field(ge=1)] = 1
    recipe: dict[str, Any] = field(default_factory=dict)  # {"sft": {...}, "rl": {...}, "seeds": [...]}
    metrics: dict[str, Any] = field(default_factory=dict)
    default_lambda: Annotated[float, Strict()] = 1.0
    created_at: Text = field(default_factory=_now)
    size_bytes: Count = 0
    content_hash: Annotated[str, Strict(), Field(pattern=r"^(sha256:[0-9a-f]{64})?$")] = ""
    rank: Annotated[int, Strict(), Field(ge=1)] | None = None  # LoRA form: the largest rank among its modules
    extra: dict[str, Any] = field(default_factory=dict)
    format_version: Annotated[int, Strict(), Field(ge=1, le=FORMAT_VERSION)] = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise SkillFormatError(f"skill form must be one of {', '.join(FORMS)}, not {self.form!r}")
        try:
            self.default_lambda = check_lambda(self.default_lambda, "the skill's default_lambda")
        except LambdaError as exc:
            raise SkillFormatError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "the skill manifest") -> SkillManifest:
        """Validate ``data`` against the schema; :class:`SkillFormatError` names every bad field."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SkillFormatError(f"{where} must be a JSON object with at least a 'name'")
        version = data.get("format_version", FORMAT_VERSION)
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            raise SkillFormatError(
                f"{where} is in skill format {version}; this PaST Studio reads formats up to {FORMAT_VERSION}: "
                "upgrade PaST Studio to use this skill"
            )
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in known}
        unknown = {k: v for k, v in data.items() if k not in known}
        if unknown:  # newer writers' fields survive a round trip through this version
            extra = kept.get("extra") if isinstance(kept.get("extra"), dict) else {}
            kept["extra"] = {**unknown, **extra}
        try:
            return _schema().validate_python(kept)
        except ValidationError as exc:
            problems = [_describe(error) for error in exc.errors()]
            more = f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""
            raise SkillFormatError(f"{where} is invalid: " + "; ".join(problems[:6]) + more) from None

    def write(self, directory: Path) -> Path:
        """Write ``skill.json`` atomically into ``directory``."""
        return write_json_atomic(directory / MANIFEST_FILE, self.to_dict())

    @classmethod
    def read(cls, directory: Path) -> SkillManifest:
        data = read_json_file(directory, MANIFEST_FILE, SkillFormatError, "it is not a skill vector directory")
        return cls.from_dict(data, str(directory / MANIFEST_FILE))

    @property
    def kind(self) -> str:
        """What the skill is for, as its builder tagged it in ``extra.kind`` (e.g. "tool_use"); "" when untagged."""
        return str((self.extra or {}).get("kind") or "")

    @property
    def num_parameters(self) -> int:
        total = 0
        for shape in self.params.values():
            count = 1
            for dim in shape:
                count *= int(dim)
            total += count
        return total


@functools.cache
def _schema() -> TypeAdapter[SkillManifest]:
    return TypeAdapter(SkillManifest)


def _describe(error: Any) -> str:
    """One pydantic error as ``field: what is wrong (got value)``."""
    where = ".".join(str(part) for part in error["loc"]) or "manifest"
    if where == "base_fingerprint":
        return (
            "base_fingerprint is missing: the skill cannot be checked against a model's base, so it is refused "
            "(re-extract it, or record its base's fingerprint from `past model info`)"
        )
    got = repr(error.get("input"))
    return f"{where}: {error['msg'].lower()} (got {got[:60]})"


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write JSON through a temp file in the same directory and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
