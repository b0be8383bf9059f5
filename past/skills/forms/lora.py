"""The ``lora`` form: a PEFT LoRA adapter directory, loadable by ``peft.PeftModel.from_pretrained``.

ΔW for a module is ``scale · B @ A`` with PEFT's scale ``lora_alpha / r`` (``/ sqrt(r)`` with
rsLoRA), honouring ``rank_pattern`` and ``alpha_pattern``. Adapters this engine writes fold the scale
into B and set alpha = r per module, so their scale is exactly 1. Adapter features that are not an
additive low-rank delta (DoRA, trained biases, modules_to_save, embedding LoRA) are refused.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import torch

from past.datasets.jsonl import read_json_file
from past.skills.errors import SkillFormatError
from past.skills.forms.base import LowRank
from past.skills.manifest import ADAPTER_CONFIG, ADAPTER_WEIGHTS
from past.skills.tensors.io import SafetensorsFile, TensorEntry, write_safetensors

PEFT_PREFIX = "base_model.model."
_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<which>[AB])(?:\.[A-Za-z0-9_]+)?\.weight$")


def _pattern_value(patterns: dict, module: str, default: float) -> float:
    for key, value in (patterns or {}).items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def read_adapter_config(path: Path) -> dict:
    file = Path(path) / ADAPTER_CONFIG
    config = read_json_file(path, ADAPTER_CONFIG, SkillFormatError, "it is not a PEFT LoRA adapter")
    if not isinstance(config, dict):
        raise SkillFormatError(f"{file} is not a JSON object")
    if config.get("peft_type", "LORA") != "LORA":
        raise SkillFormatError(f"{path} is a {config.get('peft_type')} adapter; only LoRA adapters are skill vectors")
    refusals = {
        "use_dora": "DoRA adapters are not additive deltas",
        "fan_in_fan_out": "fan_in_fan_out (Conv1D) adapters are not supported",
        "modules_to_save": "modules_to_save stores full weights, not deltas",
        "lora_bias": "adapters with trained LoRA biases are not supported",
        "trainable_token_indices": "trainable token adapters are not supported",
    }
    for key, why in refusals.items():
        if config.get(key):
            raise SkillFormatError(f"{path}: {why} ({key} is set)")
    if config.get("bias", "none") != "none":
        raise SkillFormatError(f"{path}: adapters that train biases (bias={config['bias']!r}) are not supported")
    return config


class LoraDelta:
    """A PEFT LoRA adapter seen as per-parameter low-rank deltas."""

    form = "lora"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.config = read_adapter_config(self.path)
        weights = self.path / ADAPTER_WEIGHTS
        if not weights.is_file():
            pickled = self.path / "adapter_model.bin"
            if pickled.exists():
                raise SkillFormatError(f"{pickled} is a pickle file; only {ADAPTER_WEIGHTS} is loaded")
            raise SkillFormatError(f"{self.path} has no {ADAPTER_WEIGHTS}")
        self._file = SafetensorsFile(weights)
        pairs: dict[str, dict[str, str]] = {}
        for key in self._file.names():
            match = _KEY.match(key)
            if not match:
                raise SkillFormatError(
                    f"{weights}: tensor {key!r} is not a LoRA A/B matrix (DoRA, embedding LoRA and saved "
                    "modules are not additive deltas and are refused)"
                )
            pairs.setdefault(match["module"], {})[match["which"]] = key
        self._modules: dict[str, tuple[str, str, float]] = {}  # param name -> (key A, key B, scale)
        r0 = float(self.config.get("r", 8))
        alpha0 = float(self.config.get("lora_alpha", r0))
        for module, found in sorted(pairs.items()):
            if set(found) != {"A", "B"}:
                raise SkillFormatError(f"{weights}: module {module} has lora_{next(iter(found))} without its pair")
            a, b = self._file.entry(found["A"]), self._file.entry(found["B"])
            if len(a.shape) != 2 or len(b.shape) != 2 or a.shape[0] != b.shape[1]:
                raise SkillFormatError(f"{weights}: module {module} has mismatched shapes A{a.shape} B{b.shape}")
            rank = _pattern_value(self.config.get("rank_pattern"), module, r0)
            if int(rank) != a.shape[0]:
                raise SkillFormatError(f"{weights}: module {module} has rank {a.shape[0]} but the config says {rank:g}")
            alpha = _pattern_value(self.config.get("alpha_pattern"), module, alpha0)
            scale = alpha / math.sqrt(rank) if self.config.get("use_rslora") else alpha / rank
            self._modules[f"{module}.weight"] = (found["A"], found["B"], float(scale))
        if not self._modules:
            raise SkillFormatError(f"{weights} holds no LoRA matrices")

    def names(self) -> list[str]:
        return list(self._modules)

    def shape(self, name: str) -> tuple[int, ...]:
        key_a, key_b, _ = self._modules[name]
        return (self._file.entry(key_b).shape[0], self._file.entry(key_a).shape[1])

    def rank(self, name: str) -> int:
        return self._file.entry(self._modules[name][0]).shape[0]

    def dtype(self) -> torch.dtype:
        return self._file.entry(self._modules[next(iter(self._modules))][0]).dtype

    def factors(self, name: str) -> LowRank:
        key_a, key_b, scale = self._modules[name]
        return LowRank(B=self._file.tensor(key_b), A=self._file.tensor(key_a), scale=scale)

    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self.factors(name).dense(dtype)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        del rows  # the factors are small; they are released whole
        key_a, key_b, _ = self._modules[name]
        self._file.release(key_a)
        self._file.release(key_b)

    def tensor_files(self) -> list[Path]:
        return [self._file.path, self.path / ADAPTER_CONFIG]

    def close(self) -> None:
        self._file.close()


def write_lora_adapter(
    directory: Path,
    modules: dict[str, tuple[torch.Tensor, torch.Tensor]],
    *,
    base_ref: str = "",
    dtype: torch.dtype = torch.float32,
) -> list[Path]:
    """Write ``{param name: (B, A)}`` (scale folded into B) as a PEFT adapter with scale 1 everywhere."""
    if not modules:
        raise SkillFormatError("a LoRA adapter needs at least one module")
    ranks = {name.removesuffix(".weight"): int(a.shape[0]) for name, (_, a) in modules.items()}
    r = max(ranks.values())
    pattern = {module: rank for module, rank in ranks.items() if rank != r}
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_ref or None,
        "r": r,
        "lora_alpha": r,
        "rank_pattern": pattern,
        "alpha_pattern": dict(pattern),
        "target_modules": sorted(ranks),
        "lora_dropout": 0.0,
        "bias": "none",
        "fan_in_fan_out": False,
        "use_rslora": False,
        "use_dora": False,
        "init_lora_weights": True,
        "inference_mode": True,
        "modules_to_save": None,
    }
    entries: list[TensorEntry] = []
    tensors: dict[str, torch.Tensor] = {}
    for name in sorted(modules):
        b, a = modules[name]
        module = name.removesuffix(".weight")
        for which, tensor in (("A", a), ("B", b)):
            key = f"{PEFT_PREFIX}{module}.lora_{which}.weight"
            entries.append(TensorEntry(key, dtype, tuple(tensor.shape)))
            tensors[key] = tensor
    weights = Path(directory) / ADAPTER_WEIGHTS
    write_safetensors(weights, entries, lambda e: tensors[e.name].to(e.dtype).contiguous(), {"format": "pt"})
    (Path(directory) / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    return [weights, Path(directory) / ADAPTER_CONFIG]
