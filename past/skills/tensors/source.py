"""Model weights as a streaming source: a checkpoint directory, or a base checkpoint plus a LoRA adapter.

Both give per-tensor access (``entry``, ``tensor``, ``release``) without loading the model, and know
which base-model fingerprints identify them, for compatibility checks.
"""

from __future__ import annotations

from pathlib import Path

import torch

from past.errors import PastError
from past.models.checkpoint import validate_checkpoint, weight_files
from past.models.fingerprint import fingerprint_checkpoint
from past.models.record import read_record
from past.skills.errors import SkillFormatError
from past.skills.forms.lora import ADAPTER_CONFIG, LoraDelta
from past.skills.tensors.io import SafetensorsFile, TensorEntry

COPIED_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
)


class CheckpointWeights:
    """A transformers checkpoint directory, read tensor by tensor through memory maps."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser().resolve()
        self.config = validate_checkpoint(self.path)
        self._files = [SafetensorsFile(f) for f in weight_files(self.path)]
        self._owner: dict[str, SafetensorsFile] = {}
        for handle in self._files:
            for name in handle.names():
                self._owner[name] = handle

    @property
    def architecture(self) -> str:
        return (self.config.get("architectures") or [""])[0]

    @property
    def model_type(self) -> str:
        return str(self.config.get("model_type", ""))

    @property
    def base_path(self) -> Path:
        return self.path

    def names(self) -> list[str]:
        return list(self._owner)

    def entry(self, name: str) -> TensorEntry:
        return self._owner[name].entry(name)

    def tensor(self, name: str) -> torch.Tensor:
        """A read-only memory-mapped view."""
        return self._owner[name].tensor(name)

    def rows(self, name: str, start: int, stop: int) -> torch.Tensor:
        """Rows ``[start, stop)`` of ``name`` (a read-only view)."""
        return self._owner[name].rows(name, start, stop)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self._owner[name].release(name, rows)

    def fingerprints(self) -> set[str]:
        """Fingerprints that identify the base this checkpoint derives from (its own included)."""
        return identity_fingerprints(self.path)

    def base_fingerprint(self) -> str:
        return base_fingerprint_of(self.path)

    def close(self) -> None:
        for handle in self._files:
            handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AdapterWeights:
    """A base checkpoint with a LoRA adapter merged on the fly, tensor by tensor (never all at once)."""

    def __init__(self, base: CheckpointWeights, adapter: LoraDelta) -> None:
        self.base, self.adapter = base, adapter
        self.path = adapter.path
        self.config = base.config
        missing = [k for k in adapter.names() if k not in set(base.names())]
        if missing:
            raise SkillFormatError(
                f"the adapter {adapter.path} targets {len(missing)} weights the base {base.path} lacks, "
                f"e.g. {missing[0]}"
            )
        self._targets = set(adapter.names())

    architecture = property(lambda self: self.base.architecture)
    model_type = property(lambda self: self.base.model_type)
    base_path = property(lambda self: self.base.path)

    def names(self) -> list[str]:
        return self.base.names()

    def entry(self, name: str) -> TensorEntry:
        return self.base.entry(name)

    def tensor(self, name: str) -> torch.Tensor:
        weight = self.base.tensor(name)
        if name not in self._targets:
            return weight
        f = self.adapter.factors(name)
        merged = torch.addmm(weight.to(torch.float32), f.B.to(torch.float32), f.A.to(torch.float32), alpha=f.scale)
        return merged.to(weight.dtype)

    def rows(self, name: str, start: int, stop: int) -> torch.Tensor:
        weight = self.base.rows(name, start, stop)
        if name not in self._targets:
            return weight
        f = self.adapter.factors(name)
        b = f.B[start:stop].to(torch.float32)
        return torch.addmm(weight.to(torch.float32), b, f.A.to(torch.float32), alpha=f.scale).to(weight.dtype)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self.base.release(name, rows)
        if name in self._targets:
            self.adapter.release(name)

    def fingerprints(self) -> set[str]:
        return self.base.fingerprints()

    def base_fingerprint(self) -> str:
        return self.base.base_fingerprint()

    def close(self) -> None:
        self.base.close()
        self.adapter.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Weights = CheckpointWeights | AdapterWeights


def open_weights(path: Path | str, adapter: Path | str | None = None) -> Weights:
    """Open a checkpoint, or base + adapter. A bare adapter dir uses its ``base_model_name_or_path``."""
    path = Path(path).expanduser()
    if adapter is None and (path / ADAPTER_CONFIG).is_file() and not (path / "config.json").is_file():
        delta = LoraDelta(path)
        base_ref = delta.config.get("base_model_name_or_path") or ""
        base_dir = Path(base_ref).expanduser()
        if not base_ref or not base_dir.is_dir():
            delta.close()
            raise SkillFormatError(
                f"{path} is a LoRA adapter whose base ({base_ref or 'unset'}) is not a local directory; "
                "pass the base checkpoint explicitly"
            )
        return AdapterWeights(CheckpointWeights(base_dir), delta)
    base = CheckpointWeights(path)
    if adapter is None:
        return base
    try:
        return AdapterWeights(base, LoraDelta(Path(adapter).expanduser()))
    except PastError:
        base.close()
        raise


def identity_fingerprints(path: Path) -> set[str]:
    record = read_record(path)
    found = {fingerprint_checkpoint(path)}
    if record is not None:
        found |= {record.fingerprint, record.base_fingerprint}
    return {f for f in found if f}


def base_fingerprint_of(path: Path) -> str:
    """The fingerprint of the base a checkpoint derives from (its record's, else its own weights')."""
    record = read_record(path)
    if record is not None and (record.base_fingerprint or record.fingerprint):
        return record.base_fingerprint or record.fingerprint
    return fingerprint_checkpoint(path)
