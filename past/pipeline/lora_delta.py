"""LoRA adapters as weight deltas: ΔW = (α/r)·B·A per target module, added to a full model with a factor λ.

Only what the pipeline needs to move skill vectors between stages (the skill library's own engine in
``past.skills`` does analysis, compression and exact adapter injection). Tensors are read with
safetensors only; arithmetic is float32.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from past.errors import PastError

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


class AdapterError(PastError):
    """A LoRA adapter directory is missing or malformed."""


def read_adapter(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    path = Path(path)
    if not (path / ADAPTER_WEIGHTS).is_file() or not (path / ADAPTER_CONFIG).is_file():
        raise AdapterError(f"{path} is not a LoRA adapter (needs {ADAPTER_WEIGHTS} and {ADAPTER_CONFIG})")
    config = json.loads((path / ADAPTER_CONFIG).read_text())
    return config, load_file(str(path / ADAPTER_WEIGHTS))


def module_key(adapter_key: str) -> str:
    """``base_model.model.model.layers.0.mlp.up_proj.lora_A.weight`` -> ``model.layers.0.mlp.up_proj.weight``."""
    key = adapter_key.removeprefix("base_model.model.")
    for part in (".lora_A.weight", ".lora_B.weight", ".lora_A.default.weight", ".lora_B.default.weight"):
        if key.endswith(part):
            return key[: -len(part)] + ".weight"
    raise AdapterError(f"unexpected tensor in a LoRA adapter: {adapter_key}")


def lora_deltas(path: str | Path) -> dict[str, torch.Tensor]:
    """Full-weight deltas (float32) keyed by the model's parameter names."""
    config, tensors = read_adapter(path)
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    scale = alpha / (rank**0.5 if config.get("use_rslora") else rank)
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        side = "A" if ".lora_A." in key else "B" if ".lora_B." in key else None
        if side is None:
            raise AdapterError(f"{path}: only LoRA A/B tensors are supported, found {key}")
        pairs.setdefault(module_key(key), {})[side] = value.float()
    deltas = {}
    for key, ab in pairs.items():
        if set(ab) != {"A", "B"}:
            raise AdapterError(f"{path}: {key} lacks its lora_A or lora_B tensor")
        deltas[key] = scale * (ab["B"] @ ab["A"])
    return deltas


@torch.no_grad()
def add_deltas(model: torch.nn.Module, deltas: dict[str, torch.Tensor], lam: float) -> int:
    """θ += λ·Δ in place for every delta (the names must exist with matching shapes); returns the count."""
    params = dict(model.named_parameters())
    for key, delta in deltas.items():
        if key not in params:
            raise AdapterError(f"the skill targets {key}, which this model does not have")
        if params[key].shape != delta.shape:
            raise AdapterError(
                f"shape mismatch for {key}: model {tuple(params[key].shape)}, skill {tuple(delta.shape)}"
            )
        params[key].add_(delta.to(params[key].dtype), alpha=lam)
    return len(deltas)


def copy_adapter(src: str | Path, dst: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Copy an adapter dir (weights converted to ``dtype`` if given), atomically."""
    src, dst = Path(src), Path(dst)
    config, tensors = read_adapter(src)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if dtype is not None:
        tensors = {k: v.to(dtype).contiguous() for k, v in tensors.items()}
    save_file(tensors, str(tmp / ADAPTER_WEIGHTS), metadata={"format": "pt"})
    (tmp / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2))
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst


def concat_adapters(parts: list[tuple[str | Path, float]], dst: str | Path) -> Path:
    """One LoRA adapter whose delta is exactly Σ wᵢ·ΔWᵢ: A stacked by rows, scaled B by columns (α = r)."""
    loaded = [(read_adapter(p), float(w)) for p, w in parts]
    by_module: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    for (config, tensors), weight in loaded:
        rank, alpha = int(config["r"]), float(config["lora_alpha"])
        scale = weight * alpha / (rank**0.5 if config.get("use_rslora") else rank)
        a_keys = [k for k in tensors if ".lora_A." in k]
        for a_key in a_keys:
            b_key = a_key.replace(".lora_A.", ".lora_B.")
            by_module.setdefault(module_key(a_key), []).append((tensors[a_key].float(), scale * tensors[b_key].float()))
    ranks = [int(c["r"]) for (c, _), _ in loaded]
    total = sum(ranks)
    out: dict[str, torch.Tensor] = {}
    for key, pieces in by_module.items():
        if len(pieces) != len(loaded):
            raise AdapterError(f"{key} is not targeted by every adapter; concatenation needs the same modules")
        base = "base_model.model." + key.removesuffix(".weight")
        out[base + ".lora_A.weight"] = torch.cat([a for a, _ in pieces], dim=0).contiguous()
        out[base + ".lora_B.weight"] = torch.cat([b for _, b in pieces], dim=1).contiguous()
    config = dict(loaded[0][0][0])
    modules = sorted({k.rsplit(".", 2)[-2] for k in by_module})
    config.update(
        r=total, lora_alpha=total, use_rslora=False, target_modules=modules, rank_pattern={}, alpha_pattern={}
    )
    dst = Path(dst)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(out, str(tmp / ADAPTER_WEIGHTS), metadata={"format": "pt"})
    (tmp / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2))
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst
