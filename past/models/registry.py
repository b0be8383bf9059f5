"""Resolve a model reference to a checkpoint directory and load it.

A reference is one of: ``default`` (the configured default base), the name of a model registered in
the store (``<data>/models/<name>/model.json``), a local checkpoint directory, or a hub id
(``owner/name``). Loading reads safetensors only and reports a missing or malformed model with a
message that names what was expected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from past.errors import MalformedModelError, ModelExistsError, ModelNotFoundError
from past.models.bundled import Progress, _no_progress, provision_bundled_model
from past.models.checkpoint import validate_checkpoint
from past.models.embedded import embedded_model
from past.models.fingerprint import fingerprint_checkpoint
from past.models.hub import download_checkpoint, looks_like_hub_id
from past.models.record import ModelRecord, read_record, record_problem
from past.paths import check_name
from past.settings import Settings


@dataclass
class ResolvedModel:
    """Where a reference points, before anything is loaded."""

    ref: str
    path: Path
    record: ModelRecord | None

    @property
    def label(self) -> str:
        return self.record.display_name if self.record else self.ref


@dataclass
class LoadedModel:
    """A model and tokenizer in memory, with what is known of where they came from."""

    resolved: ResolvedModel
    model: Any  # transformers.PreTrainedModel (kept untyped so importing this module stays cheap)
    tokenizer: Any
    fingerprint: str
    load_seconds: float


class ModelRegistry:
    """The local model store plus resolution of references to checkpoints."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def list(self) -> list[ModelRecord]:
        """Registered models, base models first, then by name."""
        if not self.settings.models_dir.is_dir():
            return []
        records = [read_record(p) for p in self.settings.models_dir.iterdir() if p.is_dir()]
        found = [r for r in records if r is not None]
        return sorted(found, key=lambda r: (r.kind != "base", r.name))

    def broken(self) -> list[tuple[str, str]]:
        """Folders of the store whose ``model.json`` is there but unreadable: (name, what is wrong), by name.

        They are listed, never hidden: the folder still takes its name, and its owner should know why it is
        missing from the model choices.
        """
        if not self.settings.models_dir.is_dir():
            return []
        found = [(p.name, record_problem(p)) for p in self.settings.models_dir.iterdir() if p.is_dir()]
        return sorted((name, problem) for name, problem in found if problem)

    def new_path(self, name: str) -> Path:
        """Where a new model called ``name`` goes in the store; a name already taken is refused.

        Stored models are never overwritten: replacing one would silently change every model, skill and
        adapter derived from it.
        """
        path = self.settings.models_dir / check_name(name, "model")
        if path.exists() or path.is_symlink():
            what = "a registered model" if read_record(path) is not None else "a folder in the model store"
            raise ModelExistsError(
                f"'{name}' is already {what}; stored models are never overwritten: choose another name"
            )
        return path

    def ensure_default(self, progress: Progress = _no_progress) -> ModelRecord:
        """Provision the bundled default model if needed and return the default base's record."""
        if embedded_model(self.settings.default_model) is not None:
            return provision_bundled_model(self.settings.models_dir, self.settings.default_model, progress)
        resolved = self.resolve(self.settings.default_model)
        if resolved.record is not None:
            return resolved.record
        config = validate_checkpoint(resolved.path)
        return ModelRecord(
            name=resolved.ref,
            display_name=resolved.ref,
            kind="base",
            source=str(resolved.path),
            architecture=(config.get("architectures") or [""])[0],
            fingerprint=fingerprint_checkpoint(resolved.path),
        )

    def resolve(self, ref: str) -> ResolvedModel:
        """Turn a reference into a checkpoint directory (downloading from the hub if allowed)."""
        ref = ref.strip()
        if not ref:
            raise ModelNotFoundError("no model given: pass a registered name, a directory or a hub id")
        if ref == "default":
            ref = self.settings.default_model
        stored = self.settings.models_dir / ref
        if "/" not in ref and ref not in (".", ".."):
            if embedded_model(ref) is not None and read_record(stored) is None:
                provision_bundled_model(self.settings.models_dir, ref)
            record = read_record(stored)
            if record is not None:
                return ResolvedModel(ref=ref, path=stored, record=record)
        local = Path(ref).expanduser()
        if local.exists() or ref.startswith((".", "/", "~")):
            return ResolvedModel(ref=ref, path=local.resolve(), record=read_record(local))
        if looks_like_hub_id(ref):
            return ResolvedModel(ref=ref, path=download_checkpoint(ref), record=None)
        raise self._unknown(ref)

    def check_ref(self, ref: str) -> str:
        """``ref`` if it names a model, checked without loading, converting or downloading anything.

        A local checkpoint directory is validated and returned as an absolute path (so the reference means
        the same from any working directory); a hub id is accepted as is (fetched when loaded).
        """
        ref = ref.strip()
        name = self.settings.default_model if ref == "default" else ref
        if not name:
            raise ModelNotFoundError("no model given: pass a registered name, a directory or a hub id")
        if embedded_model(name) is not None:
            return ref  # converted on first use
        if "/" not in name and name not in (".", "..") and read_record(self.settings.models_dir / name) is not None:
            return ref
        local = Path(name).expanduser()
        if local.exists():
            validate_checkpoint(local.resolve())
            return ref if ref == "default" else str(local.resolve())
        if name.startswith((".", "/", "~")):
            raise ModelNotFoundError(f"no model at {local}: the directory does not exist")
        if looks_like_hub_id(name):
            return ref
        raise self._unknown(name)

    def _unknown(self, ref: str) -> ModelNotFoundError:
        names = ", ".join(r.name for r in self.list()) or "none yet"
        return ModelNotFoundError(
            f"unknown model '{ref}': not a registered model (registered: {names}), "
            "not an existing directory, and not a hub id of the form owner/name"
        )

    def fingerprint(self, ref: str) -> str:
        resolved = self.resolve(ref)
        validate_checkpoint(resolved.path)
        if resolved.record is not None and resolved.record.fingerprint:
            return resolved.record.fingerprint
        return fingerprint_checkpoint(resolved.path)

    def load(self, ref: str, dtype: str | None = None, device: str | None = None) -> LoadedModel:
        """Load model and tokenizer for ``ref``; errors name the file or setting that is wrong.

        ``dtype`` (a torch dtype name, or ``auto`` for the checkpoint's own) and ``device`` default to
        :func:`past.device.detect`'s choice: bf16 on a CUDA GPU, fp32 on the CPU.
        """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from past.device import detect

        resolved = self.resolve(ref)
        validate_checkpoint(resolved.path)
        started = time.monotonic()
        if dtype is None or device is None:
            chosen = detect()
            dtype, device = dtype or chosen.dtype_name, device or chosen.torch_device
        torch_dtype: Any = "auto" if dtype == "auto" else getattr(torch, dtype)
        try:
            model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=torch_dtype, use_safetensors=True)
            tokenizer = AutoTokenizer.from_pretrained(resolved.path)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise MalformedModelError(f"could not load the model at {resolved.path}: {exc}") from exc
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if device != "cpu":
            model.to(device)
        model.eval()
        fingerprint = (
            resolved.record.fingerprint
            if resolved.record and resolved.record.fingerprint
            else fingerprint_checkpoint(resolved.path)
        )
        return LoadedModel(resolved, model, tokenizer, fingerprint, time.monotonic() - started)
