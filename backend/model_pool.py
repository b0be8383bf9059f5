"""The studio's cache of loaded models, shared by all sessions of one process, under a memory budget.

Entries are keyed by base checkpoint. LoRA adapters asked for with a base are loaded *into* that base's
entry (one PEFT model, one copy of the base weights), so an A/B pair of adapters costs little more than
one model. A merged full checkpoint is its own entry. Each entry's size is the bytes of its parameters and
buffers (adapters included); when loading would exceed the budget, the least recently used entries that no
running chat holds are evicted first; if that is not enough the load is refused with a clear message.
``usage()`` reports budget and current use for the UI.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.errors import PastError
from past.models import LoadedModel, ModelRegistry
from past.serving.engine import ServedModel
from past.serving.errors import AdapterError, MemoryBudgetError

BUDGET_ENV = "PAST_MODEL_MEMORY_GB"
GIB = 1024**3


def default_budget_bytes() -> int:
    """``$PAST_MODEL_MEMORY_GB`` if set, else half of this machine's memory."""
    raw = os.environ.get(BUDGET_ENV)
    if raw:
        try:
            return int(float(raw) * GIB)
        except ValueError as exc:
            raise PastError(f"{BUDGET_ENV} must be a number of GiB, got '{raw}'") from exc
    import psutil

    return psutil.virtual_memory().total // 2


def model_bytes(model: Any) -> int:
    """Bytes held by a model's parameters and buffers (shared/tied tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for tensor in [*model.parameters(), *model.buffers()]:
        ptr = tensor.untyped_storage().data_ptr()
        if ptr not in seen:
            seen.add(ptr)
            total += tensor.untyped_storage().nbytes()
    return total


def checkpoint_bytes(path: Path) -> int:
    """Estimate of a checkpoint's size in memory before loading it: its safetensors files."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.glob("*.safetensors"))


def format_bytes(n: int) -> str:
    return f"{n / GIB:.2f} GiB" if n >= GIB / 4 else f"{n / 1024**2:.0f} MiB"


@dataclass(frozen=True)
class EntryUsage:
    key: str
    label: str
    bytes: int
    in_use: int
    adapters: tuple[str, ...]


@dataclass(frozen=True)
class PoolUsage:
    budget_bytes: int
    used_bytes: int
    entries: tuple[EntryUsage, ...]

    def describe(self) -> str:
        """One line for people: budget, use, and what is loaded (most recently used last)."""
        parts = [
            f"{e.label}{f' + {len(e.adapters)} adapter(s)' if e.adapters else ''} ({format_bytes(e.bytes)}"
            f"{', in use' if e.in_use else ''})"
            for e in self.entries
        ]
        loaded = "; ".join(parts) if parts else "nothing loaded yet"
        return f"Model memory: {format_bytes(self.used_bytes)} of {format_bytes(self.budget_bytes)} — {loaded}"


@dataclass
class _Entry:
    loaded: LoadedModel
    served: ServedModel
    base_bytes: int
    adapter_bytes: dict[str, int] = field(default_factory=dict)
    pins: int = 0

    @property
    def bytes(self) -> int:
        return self.base_bytes + sum(self.adapter_bytes.values())


def validate_adapter(path: Path) -> dict[str, Any]:
    """Check a LoRA adapter directory (PEFT format, safetensors weights); return its config."""
    if not path.is_dir():
        raise AdapterError(f"adapter directory not found: {path}")
    config_path = path / "adapter_config.json"
    if not config_path.is_file():
        raise AdapterError(f"{path} is not a LoRA adapter: adapter_config.json is missing")
    if not (path / "adapter_model.safetensors").is_file():
        raise AdapterError(f"{path} has no adapter_model.safetensors (only safetensors adapters are loaded)")
    try:
        config = json.loads(config_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AdapterError(f"{config_path} is not valid JSON: {exc}") from exc
    if config.get("peft_type") != "LORA":
        raise AdapterError(f"{path} holds a {config.get('peft_type')!r} adapter; only LoRA adapters are supported")
    return config


def check_adapter_fits(model: Any, path: Path) -> None:
    """Refuse, before touching the model, an adapter whose layers or shapes do not match it."""
    from past.skills.errors import SkillError
    from past.skills.forms.lora import LoraDelta

    inner = model.base_model.model if hasattr(model, "peft_config") else model
    modules = dict(inner.named_modules())
    try:
        delta = LoraDelta(path)
    except SkillError as exc:
        raise AdapterError(str(exc)) from exc
    try:
        for param in delta.names():
            name = param.removesuffix(".weight")
            module = modules.get(name)
            if module is None or not hasattr(module, "in_features"):
                raise AdapterError(f"the adapter {path} changes a layer '{name}' that this model does not have")
            base = getattr(module, "base_layer", module)
            if delta.shape(param) != (base.out_features, base.in_features):
                raise AdapterError(
                    f"the adapter {path} does not fit this model: layer '{name}' has shape "
                    f"{base.out_features}x{base.in_features}, the adapter expects otherwise. "
                    "Check that it was trained on this base model."
                )
    finally:
        delta.close()


def adapter_name(path: Path) -> str:
    """A stable PEFT adapter name for a directory (its content may change: the mtime is part of it)."""
    weights = path / "adapter_model.safetensors"
    digest = hashlib.sha1(f"{path}:{weights.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    return f"ad_{digest}"


class ModelPool:
    """Loaded models keyed by base checkpoint, LRU-evicted under a memory budget in bytes."""

    def __init__(self, registry: ModelRegistry, budget_bytes: int | None = None) -> None:
        self.registry = registry
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget_bytes()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.RLock()

    # --- what engines call -------------------------------------------------------------------------
    @contextmanager
    def acquire(self, ref: str, adapters: Sequence[Path] = ()) -> Iterator[ServedModel]:
        """The model for ``ref`` with ``adapters`` loaded, held (never evicted) until the block ends."""
        entry = self._checkout(ref, [Path(a).expanduser().resolve() for a in adapters])
        try:
            yield entry.served
        finally:
            with self._lock:
                entry.pins -= 1

    def get(self, ref: str) -> LoadedModel:
        """The loaded model for ``ref`` (not held: prefer :meth:`acquire` while generating)."""
        entry = self._checkout(ref, [])
        with self._lock:
            entry.pins -= 1
        return entry.loaded

    # --- what the UI shows -------------------------------------------------------------------------
    def usage(self) -> PoolUsage:
        with self._lock:
            entries = tuple(
                EntryUsage(key, e.served.label, e.bytes, e.pins, tuple(e.served.adapter_names))
                for key, e in self._entries.items()
            )
            return PoolUsage(self.budget_bytes, sum(e.bytes for e in entries), entries)

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def evict(self, key: str) -> bool:
        """Drop an entry that no chat holds; ``False`` if it is absent or in use."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.pins:
                return False
            del self._entries[key]
        gc.collect()
        return True

    # --- internals ---------------------------------------------------------------------------------
    def _checkout(self, ref: str, adapters: list[Path]) -> _Entry:
        resolved = self.registry.resolve(ref)
        key = str(resolved.path)
        for path in adapters:
            validate_adapter(path)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._make_room(checkpoint_bytes(resolved.path), what=resolved.label)
                entry = self._load(ref, key)
                self._entries[key] = entry
            self._entries.move_to_end(key)
            entry.pins += 1
            try:
                for path in adapters:
                    self._add_adapter(entry, path)
            except BaseException:
                entry.pins -= 1
                raise
            return entry

    def _load(self, ref: str, key: str) -> _Entry:
        loaded = self.registry.load(ref)
        served = ServedModel(
            key=key,
            label=loaded.resolved.label,
            fingerprint=loaded.fingerprint,
            model=loaded.model,
            tokenizer=loaded.tokenizer,
        )
        return _Entry(loaded=loaded, served=served, base_bytes=model_bytes(loaded.model))

    def _add_adapter(self, entry: _Entry, path: Path) -> None:
        served = entry.served
        if str(path) in served.adapter_names:
            return
        check_adapter_fits(served.model, path)
        name = adapter_name(path)
        self._make_room(checkpoint_bytes(path / "adapter_model.safetensors"), what=f"adapter {path.name}")
        before = model_bytes(served.model)
        with served.lock:  # no forward pass of this model runs while its modules change
            try:
                if not served.is_peft:
                    from peft import PeftModel

                    served.model = PeftModel.from_pretrained(served.model, str(path), adapter_name=name)
                    served.model.eval()
                    served.is_peft = True
                    entry.loaded.model = served.model
                else:
                    served.model.load_adapter(str(path), adapter_name=name, is_trainable=False)
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                self._entries.pop(served.key, None)  # the model may be half changed: never hand it out again
                raise AdapterError(
                    f"could not load the adapter {path} onto {served.label}: {exc}. "
                    "Check that it was trained on this base model."
                ) from exc
            served.adapter_names[str(path)] = name
            self._restack(served)
        entry.adapter_bytes[str(path)] = max(0, model_bytes(served.model) - before)

    @staticmethod
    def _restack(served: ServedModel) -> None:
        """Use fast stacked mixed batches when every loaded adapter allows it, else PEFT's own path."""
        from past.serving.lora_batch import StackedLora, unsupported_reason

        if unsupported_reason(served.model) is None:
            if served.stacked is None:
                served.stacked = StackedLora(served.model)
            else:
                served.stacked.refresh()
        elif served.stacked is not None:
            served.stacked = None
            served.model.base_model.enable_adapter_layers()

    def _make_room(self, needed: int, what: str) -> None:
        """Evict least recently used idle entries until ``needed`` more bytes fit in the budget."""
        if needed > self.budget_bytes:
            raise MemoryBudgetError(
                f"{what} needs about {format_bytes(needed)}, more than the whole model memory budget "
                f"({format_bytes(self.budget_bytes)}); raise {BUDGET_ENV} to load it"
            )
        evicted = False
        for key in list(self._entries):
            if sum(e.bytes for e in self._entries.values()) + needed <= self.budget_bytes:
                break
            if self._entries[key].pins == 0:
                del self._entries[key]
                evicted = True
        if evicted:
            gc.collect()
        used = sum(e.bytes for e in self._entries.values())
        if used + needed > self.budget_bytes:
            raise MemoryBudgetError(
                f"not enough model memory for {what} (needs about {format_bytes(needed)}; "
                f"{format_bytes(used)} of {format_bytes(self.budget_bytes)} are held by chats running now). "
                "Try again when they finish."
            )
