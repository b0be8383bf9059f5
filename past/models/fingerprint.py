"""Fingerprints of base weights: a short hash that tells whether two models share a base.

The hash covers a fixed, evenly spaced sample of the 2-D weight matrices (names, shapes and the
values of their first rows, rounded to bfloat16 so that fp32 and bf16 copies of one base agree).
It reads only a few rows per tensor through safetensors memory maps, so it costs milliseconds even
for multi-gigabyte checkpoints. torch is imported when a fingerprint is taken, not with the module: the model
store (and with it the ``past`` CLI) loads without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import safe_open

from past.models.checkpoint import weight_files

if TYPE_CHECKING:
    import torch

SAMPLE_TENSORS = 16
SAMPLE_ELEMENTS = 4096
EXCLUDED = ("lm_head.weight",)  # tied to the embeddings in many checkpoints; absent from their files


def _select(shapes: Mapping[str, tuple[int, ...]]) -> list[str]:
    names = sorted(n for n, s in shapes.items() if len(s) == 2 and n not in EXCLUDED)
    if len(names) <= SAMPLE_TENSORS:
        return names
    step = (len(names) - 1) / (SAMPLE_TENSORS - 1)
    return [names[round(i * step)] for i in range(SAMPLE_TENSORS)]


def _digest(names: list[str], shapes: Mapping[str, tuple[int, ...]], rows: Callable[[str, int], torch.Tensor]) -> str:
    import torch

    sha = hashlib.sha256()
    for name in names:
        shape = shapes[name]
        count = max(1, -(-SAMPLE_ELEMENTS // shape[1]))  # ceil(SAMPLE_ELEMENTS / columns) rows
        sample = rows(name, min(count, shape[0])).reshape(-1)[:SAMPLE_ELEMENTS]
        sha.update(f"{name}:{tuple(shape)}".encode())
        sha.update(sample.to(torch.bfloat16).view(torch.int16).numpy().tobytes())
    return sha.hexdigest()[:16]


def fingerprint_state_dict(state_dict: Mapping[str, torch.Tensor]) -> str:
    """Fingerprint of an in-memory state dict (same value as for its saved checkpoint)."""
    shapes = {n: tuple(t.shape) for n, t in state_dict.items()}
    return _digest(_select(shapes), shapes, lambda n, k: state_dict[n].detach()[:k].float().cpu())


def fingerprint_checkpoint(path: Path) -> str:
    """Fingerprint of a checkpoint directory, read through memory maps."""
    handles = {}
    shapes: dict[str, tuple[int, ...]] = {}
    owner = {}
    try:
        for file in weight_files(path):
            handle = safe_open(str(file), framework="pt")
            handles[file] = handle
            for name in handle.keys():  # noqa: SIM118 (safe_open is not iterable)
                shapes[name] = tuple(handle.get_slice(name).get_shape())
                owner[name] = handle
        return _digest(_select(shapes), shapes, lambda n, k: owner[n].get_slice(n)[:k].float())
    finally:
        handles.clear()
