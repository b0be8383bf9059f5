"""The ``full`` form: one dense delta per parameter in ``delta.safetensors`` (sharded when large)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from past.datasets.jsonl import loads_json
from past.skills.errors import SkillFormatError
from past.skills.forms.base import LowRank
from past.skills.tensors.io import SafetensorsFile

FULL_PREFIX = "delta"


def full_delta_files(path: Path) -> list[Path]:
    index = path / f"{FULL_PREFIX}.safetensors.index.json"
    if index.is_file():
        try:
            names = sorted(set(loads_json(index.read_text())["weight_map"].values()))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise SkillFormatError(f"{index} is not a valid safetensors index: {exc}") from exc
        return [path / n for n in names]
    files = sorted(path.glob(f"{FULL_PREFIX}*.safetensors"))
    if not files:
        pickled = sorted(p.name for p in path.glob(f"{FULL_PREFIX}*") if p.suffix in {".bin", ".pt", ".pth", ".pkl"})
        hint = f" (found pickled files {', '.join(pickled)}, which are refused)" if pickled else ""
        raise SkillFormatError(f"{path} has no {FULL_PREFIX}.safetensors{hint}")
    return files


class FullDelta:
    """Dense deltas read through memory maps."""

    form = "full"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._files = [SafetensorsFile(f) for f in full_delta_files(self.path)]
        self._owner: dict[str, SafetensorsFile] = {}
        for handle in self._files:
            for name in handle.names():
                self._owner[name] = handle
                if not handle.entry(name).dtype.is_floating_point:
                    raise SkillFormatError(f"{handle.path}: delta {name!r} is not a floating-point tensor")

    def names(self) -> list[str]:
        return list(self._owner)

    def shape(self, name: str) -> tuple[int, ...]:
        return self._owner[name].entry(name).shape

    def dtype(self) -> torch.dtype:
        return self._files[0].entry(next(iter(self._owner))).dtype if self._owner else torch.float32

    def raw(self, name: str) -> torch.Tensor:
        """The stored tensor as a read-only memory-mapped view."""
        return self._owner[name].tensor(name)

    def rows(self, name: str, start: int, stop: int) -> torch.Tensor:
        """Rows ``[start, stop)`` of the stored tensor (read-only view, prefetched)."""
        return self._owner[name].rows(name, start, stop)

    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self.raw(name).to(dtype, copy=True)

    def factors(self, name: str) -> LowRank | None:
        del name
        return None

    def prefetch(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self._owner[name].prefetch(name, rows)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self._owner[name].release(name, rows)

    def tensor_files(self) -> list[Path]:
        files = [h.path for h in self._files]
        index = self.path / f"{FULL_PREFIX}.safetensors.index.json"
        return [*files, index] if index.is_file() else files

    def close(self) -> None:
        for handle in self._files:
            handle.close()
