"""λ, defined once: its range, its default, and :class:`LambdaSpec` — a number or a per-module / per-layer schedule.

Every place that takes a λ checks it here, at the boundary where it comes in: ``past inject --lam``, the
``extract --default-lambda`` flag, an adaptation's λ (:class:`past.pipeline.adapt_params.AdaptParams`, which
``past adapt``, the studio's Adapt screen and the ``pipeline.adapt`` job all build), ``evaluate``'s
``sweep_lambdas``, the studio's sliders (their range is :data:`LAMBDA_MIN`..:data:`LAMBDA_MAX`) and a
skill manifest's ``default_lambda``. A :class:`LambdaSpec` that exists is valid: the injection arithmetic
(:mod:`past.skills.ops.inject`) reads it without checking it again.

- A λ is a finite number in [:data:`LAMBDA_MIN`, :data:`LAMBDA_MAX`] = [-4, 4]. 1 adds the skill as
  learned (the paper's setting), 0 leaves the model unchanged, a negative λ subtracts the skill; beyond
  ±4 the injected model no longer produces language for the skills this project builds, so such a
  value is refused as a typo rather than written out.
- Text form (CLI): ``"0.8"`` or ``"0.8,q_proj=0.5,mlp=1.2,layers=0-9:0.3"``: at most one plain number
  (the default, :data:`DEFAULT_LAMBDA` when absent), ``MODULE=NUMBER`` for a module of
  :data:`MODULE_NAMES` or a group of :data:`GROUP_NAMES`, and ``layers=START-END:NUMBER`` (or
  ``layers=N:NUMBER``) for an inclusive range of decoder layers. The most specific match wins: a layer
  range (the last one given) over a module over its group over the default.
- JSON form (job parameters, records, the studio's "Advanced" field): a number, or
  ``{"default": 0.8, "modules": {"q_proj": 0.5}, "layers": [[0, 9, 0.3]]}``; :meth:`LambdaSpec.to_json`
  writes a plain number as a number, so records of a single λ read as before.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from past.errors import ConfigError

LAMBDA_MIN = -4.0
LAMBDA_MAX = 4.0
DEFAULT_LAMBDA = 1.0
MODULE_ORDER = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# every parameter's module name a skill of the supported (Llama-style) models can hold, and the groups
MODULE_NAMES = (*MODULE_ORDER, "embed_tokens", "lm_head", "input_layernorm", "post_attention_layernorm", "norm")
GROUP_NAMES = ("attn", "mlp", "other")
SYNTAX = "a number, MODULE=NUMBER (q_proj, mlp, attn, ...) or layers=START-END:NUMBER, separated by commas"
_LAYER_SPAN = re.compile(r"(\d+)(?:-(\d+))?:(.*)")


class LambdaError(ConfigError, ValueError):
    """A λ that is not a finite number in range, or a schedule that cannot be read.

    A ``ValueError`` as well, so that job parameter validation reports it like any other bad value."""


def check_lambda(value: object, where: str = "λ") -> float:
    """``value`` as a float λ, or :class:`LambdaError` saying what is wrong with it (``where`` names it)."""
    if isinstance(value, bool):
        raise LambdaError(f"{where} must be a number, not {value!r}")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise LambdaError(f"{where} must be a number, not {value!r}") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise LambdaError(f"{where} must be a number, not {value!r}")
    if not math.isfinite(number):
        raise LambdaError(f"{where} must be a finite number, not {value!r}")
    if not LAMBDA_MIN <= number <= LAMBDA_MAX:
        raise LambdaError(f"{where} = {value} is outside the allowed range {LAMBDA_MIN:g} to {LAMBDA_MAX:g}")
    return number


_LAYER = re.compile(r"\.layers\.(\d+)\.")


def layer_of(name: str) -> int | None:
    match = _LAYER.search(name)
    return int(match.group(1)) if match else None


def module_of(name: str) -> str:
    """``model.layers.3.self_attn.q_proj.weight`` -> ``q_proj``."""
    parts = name.split(".")
    if parts[-1] in ("weight", "bias") and len(parts) > 1:
        return parts[-2]
    return parts[-1]


def group_of(name: str) -> str:
    if ".self_attn." in name or ".attention." in name:
        return "attn"
    if ".mlp." in name or ".feed_forward." in name:
        return "mlp"
    return "other"


@dataclass
class LambdaSpec:
    """λ: one number (``default`` alone), or per parameter ``default`` overridden by ``modules`` then by ``layers``
    (inclusive ranges).

    Every value, module name and layer range is checked on construction, so a spec that exists is valid.
    """

    default: float = DEFAULT_LAMBDA
    modules: dict[str, float] = field(default_factory=dict)
    layers: list[tuple[int, int, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.default = check_lambda(self.default)
        known = (*MODULE_NAMES, *GROUP_NAMES)
        for name in self.modules:
            if name not in known:
                raise LambdaError(f"unknown module {name!r} in λ; known modules: {', '.join(known)}")
        self.modules = {name: check_lambda(value, f"λ of {name}") for name, value in self.modules.items()}
        spans = []
        for span in self.layers:
            if len(span) != 3 or not all(isinstance(n, int) and not isinstance(n, bool) for n in span[:2]):
                raise LambdaError(f"a layer range of λ is (START, END, VALUE) with whole numbers, not {span!r}")
            start, end, value = span
            if start < 0 or end < start:
                raise LambdaError(f"layer range {start}-{end} of λ is empty; write START-END with 0 <= START <= END")
            spans.append((start, end, check_lambda(value, f"λ of layers {start}-{end}")))
        self.layers = spans

    def value(self, name: str) -> float:
        layer = layer_of(name)
        if layer is not None:
            for start, end, lam in reversed(self.layers):
                if start <= layer <= end:
                    return lam
        module = module_of(name)
        if module in self.modules:
            return self.modules[module]
        group = group_of(name)
        if group in self.modules:
            return self.modules[group]
        return self.default

    @property
    def is_number(self) -> bool:
        """One λ for every parameter (no module or layer overrides)."""
        return not self.modules and not self.layers

    def to_dict(self) -> dict:
        return {"default": self.default, "modules": dict(self.modules), "layers": [list(x) for x in self.layers]}

    def to_json(self) -> float | dict:
        """A plain number when it is one, else :meth:`to_dict` (what job parameters and records hold)."""
        return self.default if self.is_number else self.to_dict()

    def text(self) -> str:
        """The CLI's text form (``0.8,mlp=1,layers=0-9:0.3``), which :meth:`parse` reads back."""
        parts = [f"{self.default:g}", *(f"{k}={v:g}" for k, v in self.modules.items())]
        parts += [f"layers={a}-{b}:{v:g}" for a, b, v in self.layers]
        return ",".join(parts)

    @classmethod
    def coerce(cls, lam: float | LambdaSpec | str | dict, where: str = "λ") -> LambdaSpec:
        """Any form of λ as a spec: a spec as it is, a number, a dict (JSON form), or text (JSON or the CLI's form);
        :class:`LambdaError` names ``where`` and what is wrong."""
        if isinstance(lam, LambdaSpec):
            return lam
        if isinstance(lam, str):
            return cls.parse(lam, where)
        if isinstance(lam, dict):
            unknown = set(lam) - {"default", "modules", "layers"}
            if unknown:
                raise LambdaError(f"a λ schedule has default, modules and layers, not {', '.join(sorted(unknown))}")
            modules, layers = lam.get("modules") or {}, lam.get("layers") or []
            if not isinstance(modules, dict) or not isinstance(layers, list):
                raise LambdaError("a λ schedule's modules map names to numbers and its layers is a list")
            if not all(isinstance(x, list | tuple) for x in layers):
                raise LambdaError(f"a layer range of λ is [START, END, VALUE], not {layers!r}")
            default = check_lambda(lam.get("default", DEFAULT_LAMBDA), f"the default {where}")
            return cls(default, dict(modules), [tuple(x) for x in layers])
        return cls(check_lambda(lam, where))

    from_json = coerce

    @classmethod
    def parse(cls, text: str, where: str = "λ") -> LambdaSpec:
        """Read the text form, or the JSON form written out (see the module docstring); :class:`LambdaError` names
        the part that is wrong."""
        if not text.strip():
            raise LambdaError(f"{where} is empty; use {SYNTAX}")
        if text.strip().startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                where_ = f"at character {exc.pos + 1}"
                raise LambdaError(f"cannot read the λ schedule {text.strip()!r} as JSON: {exc.msg} {where_}") from None
            return cls.coerce(data, where)
        parts = [p.strip() for p in text.split(",")]
        if not all(parts):
            raise LambdaError(f"cannot read λ {text!r}: an empty part; use {SYNTAX}")
        default: str | None = None
        modules: dict[str, float] = {}
        layers: list[tuple[int, int, float]] = []
        for part in parts:
            key, eq, value = (x.strip() for x in part.partition("="))
            if not eq:
                if default is not None:
                    raise LambdaError(f"λ {text!r} gives two defaults ({default} and {part}); give one number")
                default = part
            elif key == "layers":
                match = _LAYER_SPAN.fullmatch(value)
                if not match:
                    raise LambdaError(f"cannot read {part!r} in λ {text!r}: write layers=START-END:NUMBER")
                start, end = int(match.group(1)), int(match.group(2) or match.group(1))
                if end < start:
                    raise LambdaError(
                        f"layer range {start}-{end} in λ {text!r} runs backwards; write START-END with START <= END"
                    )
                layers.append((start, end, check_lambda(match.group(3), f"λ of layers {start}-{end}")))
            elif key in modules:
                raise LambdaError(f"λ {text!r} gives {key} twice")
            elif key not in (*MODULE_NAMES, *GROUP_NAMES):
                known = ", ".join((*MODULE_NAMES, *GROUP_NAMES))
                raise LambdaError(f"unknown module {key!r} in λ {text!r}; known modules: {known}")
            else:
                modules[key] = check_lambda(value, f"λ of {key}")
        return cls(check_lambda(default, where) if default is not None else DEFAULT_LAMBDA, modules, layers)
