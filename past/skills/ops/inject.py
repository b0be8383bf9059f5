"""``inject(θ_target, [(v, λ), ...]) -> θ_final``: add scaled skills to a model, streamed.

Two outputs:

* ``merged``: a safetensors checkpoint loadable by transformers, written tensor by tensor and shard
  by shard (config and tokenizer copied). The target may itself be base + LoRA adapter.
* ``adapter``: for a LoRA target (or a plain base) and LoRA-form skills, one exact PEFT adapter by
  concatenation: A = [A_T; A_1; ...], B = [s_T B_T, λ_1 s_1 B_1, ...], so base + ΔT + Σ λ_i v_i
  holds to float precision without a merged copy.

Compatibility is checked for every skill before anything is written; the output appears atomically
(temp dir + rename) and a merged output is registered (model.json) only once complete.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from past.models.fingerprint import fingerprint_checkpoint
from past.models.record import ModelRecord, write_record
from past.progress import NullReporter, Reporter
from past.skills.errors import NonFiniteDeltaError, SkillCompatibilityError, SkillError
from past.skills.forms.lora import write_lora_adapter
from past.skills.lambdas import LambdaSpec
from past.skills.ops.check import CompatibilityReport, check
from past.skills.ops.extract import WeightsRef, as_weights
from past.skills.outdir import atomic_output_dir
from past.skills.tensors.io import (
    BLOCK_BYTES,
    DEFAULT_SHARD_BYTES,
    WRITE_BUFFERS,
    TensorEntry,
    dtype_name,
    row_blocks,
)
from past.skills.tensors.source import COPIED_FILES, AdapterWeights, Weights
from past.skills.vector import SkillVector, all_finite

OUTPUTS = ("merged", "adapter")
Lambda = float | LambdaSpec | str | dict


@dataclass
class InjectResult:
    path: Path
    output: str
    reports: list[CompatibilityReport] = field(default_factory=list)
    seconds: float = 0.0
    bytes_written: int = 0
    tensors_changed: int = 0

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "output": self.output,
            "seconds": self.seconds,
            "bytes_written": self.bytes_written,
            "tensors_changed": self.tensors_changed,
            "reports": [r.to_dict() for r in self.reports],
        }


def inject(
    target: WeightsRef,
    skills: list[tuple[SkillVector, Lambda]],
    out_dir: Path | str,
    *,
    output: str = "merged",
    force: bool = False,
    reason: str = "",
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    overwrite: bool = False,
    register: bool = True,
    record_name: str | None = None,
    reporter: Reporter | None = None,
) -> InjectResult:
    """θ_final = θ_target + Σ λ_i · v_i, written to ``out_dir`` (see the module docstring)."""
    if output not in OUTPUTS:
        raise SkillError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    reporter = reporter or NullReporter()
    started = time.monotonic()
    weights, owned = as_weights(target)
    try:
        schedules = [(skill, LambdaSpec.coerce(lam)) for skill, lam in skills]
        reports = [check(skill, weights, force=force, reason=reason) for skill, _ in schedules]
        for report in reports:
            for warning in report.warnings:
                reporter.log(f"{report.skill}: {warning}")
        if output == "merged":
            result = _merged(weights, schedules, Path(out_dir), max_shard_bytes, overwrite, reporter)
        else:
            result = _adapter(weights, schedules, Path(out_dir), overwrite, reporter)
        result.reports = reports
        if output == "merged" and register:
            _register(result.path, weights, schedules, record_name, reason if force else "")
        result.seconds = time.monotonic() - started
        reporter.progress(1.0, f"wrote {result.path}")
        return result
    finally:
        if owned:
            weights.close()


def compose(
    target: WeightsRef, skills: list[tuple[SkillVector, Lambda]], out_dir: Path | str, **kwargs: object
) -> InjectResult:
    """Several skills with their own λ at once (an alias of :func:`inject`, which takes a list)."""
    return inject(target, skills, out_dir, **kwargs)  # type: ignore[arg-type]


def merge_adapter(base_dir: Path | str, adapter_dir: Path | str, out_dir: Path | str, **kwargs: object) -> InjectResult:
    """Merge a LoRA adapter into its base as a plain checkpoint (e.g. θ_sft for the next PaST stage)."""
    return inject((base_dir, adapter_dir), [], out_dir, output="merged", **kwargs)  # type: ignore[arg-type]


def _merged(
    weights: Weights,
    schedules: list[tuple[SkillVector, LambdaSpec]],
    out_dir: Path,
    max_shard_bytes: int,
    overwrite: bool,
    reporter: Reporter,
) -> InjectResult:
    names = weights.names()
    entries = [weights.entry(n) for n in names]
    total = sum(e.nbytes for e in entries) or 1
    progress = {"bytes": 0, "changed": 0}
    # float32 output blocks reused in a ring: the writer thread has finished with a buffer before it comes round
    ring = [torch.empty(BLOCK_BYTES // 4, dtype=torch.float32) for _ in range(WRITE_BUFFERS)]
    turn = [0]

    def next_buffer() -> torch.Tensor:
        turn[0] += 1
        return ring[turn[0] % len(ring)]

    def produce(entry: TensorEntry) -> Iterator[torch.Tensor]:
        if reporter.should_stop():
            raise SkillError("injection stopped by the user; nothing was written")
        name = entry.name
        contributions = [(s, lam) for s, lam in covering.get(name, []) if lam != 0.0]
        progress["bytes"] += entry.nbytes
        reporter.progress(0.98 * progress["bytes"] / total, name)
        if contributions:
            progress["changed"] += 1
        blocks = row_blocks(entry.shape, entry.dtype.itemsize) if len(entry.shape) >= 2 else [None]
        for i, rows in enumerate(blocks):
            if rows is not None and i + 1 < len(blocks):  # disk reads of the next block overlap this one
                weights.prefetch(name, blocks[i + 1])
                for skill, _ in contributions:
                    prefetch = getattr(skill.delta, "prefetch", None)
                    if prefetch is not None:
                        prefetch(name, blocks[i + 1])
            base = weights.tensor(name) if rows is None else weights.rows(name, *rows)
            yield _add(name, base, contributions, rows, next_buffer()).to(entry.dtype) if contributions else base
            del base
            if rows is not None:  # let go of the pages behind us: RSS stays at about one block
                weights.release(name, rows)
                for skill, _ in contributions:
                    skill.release(name, rows)

    def released(entry: TensorEntry, tensor: torch.Tensor | None) -> None:
        del tensor
        weights.release(entry.name)
        for skill, _ in covering.get(entry.name, []):
            skill.release(entry.name)

    key_sets = [set(s.names()) for s, _ in schedules]
    covering = {
        n: [(s, sch.value(n)) for (s, sch), keys in zip(schedules, key_sets, strict=True) if n in keys] for n in names
    }

    with atomic_output_dir(out_dir, overwrite=overwrite) as tmp:
        files = _write_model(tmp, entries, produce, released, max_shard_bytes)
        for file_name in COPIED_FILES:
            source = weights.base_path / file_name
            if source.is_file():
                shutil.copyfile(source, tmp / file_name)
        written = sum(f.stat().st_size for f in files)
    return InjectResult(
        path=out_dir.absolute(),
        output="merged",
        bytes_written=written,
        tensors_changed=progress["changed"],
    )


def _add(
    name: str,
    base: torch.Tensor,
    contributions: list[tuple[SkillVector, float]],
    rows: tuple[int, int] | None,
    buffer: torch.Tensor | None = None,
) -> torch.Tensor:
    """base + Σ λ·v for one tensor or one row block of it, accumulated in float32 (float64 for float64 deltas)."""
    sl = slice(None) if rows is None else slice(*rows)
    wide = any(s.factors(name) is None and s.delta.raw(name).dtype == torch.float64 for s, _ in contributions)
    acc = torch.float64 if wide else torch.float32
    out: torch.Tensor | None = None
    for skill, lam in contributions:
        factors = skill.factors(name)
        if factors is not None:
            b, a = factors.B[sl].to(acc), factors.A.to(acc)
            if out is None:  # one pass over the weight, no intermediate copy
                reuse = buffer is not None and base.dtype == acc and buffer.numel() >= base.numel()
                target = buffer[: base.numel()].view(base.shape) if reuse else None  # type: ignore[index]
                out = torch.addmm(base.to(acc), b, a, alpha=lam * factors.scale, out=target)
            else:
                out.addmm_(b, a, alpha=lam * factors.scale)
            continue
        delta = skill.delta
        raw = delta.raw(name) if rows is None else delta.rows(name, *rows)  # type: ignore[attr-defined]
        if out is None and base.dtype == acc and raw.dtype == acc:
            target = (
                None if buffer is None or buffer.numel() < base.numel() else buffer[: base.numel()].view(base.shape)
            )
            out = torch.add(base, raw, alpha=lam, out=target)  # one pass, into a reused buffer
        else:
            if out is None:
                out = base.to(acc, copy=True)
            out.add_(raw, alpha=lam)
    assert out is not None
    if not all_finite(out):
        bad = ", ".join(s.name for s, _ in contributions)
        raise NonFiniteDeltaError(f"adding {bad} to {name} gives NaN/Inf values; nothing was written")
    return out


def _write_model(tmp: Path, entries, produce, released, max_shard_bytes: int) -> list[Path]:
    from past.skills.tensors import io

    shards = io.plan_shards(entries, max_shard_bytes)
    total = len(shards)
    files, weight_map, size = [], {}, 0
    for i, shard in enumerate(shards, start=1):
        file_name = "model.safetensors" if total == 1 else f"model-{i:05d}-of-{total:05d}.safetensors"
        io.write_safetensors(tmp / file_name, shard, produce, {"format": "pt"}, after_write=released)
        files.append(tmp / file_name)
        for entry in shard:
            weight_map[entry.name] = file_name
            size += entry.nbytes
    if total > 1:
        import json

        index = {"metadata": {"total_size": size}, "weight_map": weight_map}
        (tmp / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    return files


def _adapter(
    weights: Weights,
    schedules: list[tuple[SkillVector, LambdaSpec]],
    out_dir: Path,
    overwrite: bool,
    reporter: Reporter,
) -> InjectResult:
    full = [s.name for s, _ in schedules if not s.is_low_rank]
    if full:
        raise SkillCompatibilityError(
            f"skills {', '.join(full)} are in full form; an exact adapter needs LoRA-form skills. "
            "Compress them first (past compress) or write a merged checkpoint."
        )
    parts: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    if isinstance(weights, AdapterWeights):
        for name in weights.adapter.names():
            f = weights.adapter.factors(name)
            parts.setdefault(name, []).append((f.scaled_B(), f.A.to(torch.float32)))
    for skill, schedule in schedules:
        for name in skill.names():
            lam = schedule.value(name)
            if lam == 0.0:
                continue
            f = skill.factors(name)
            assert f is not None
            b, a = f.scaled_B(lam), f.A.to(torch.float32)
            if not (bool(torch.isfinite(b).all()) and bool(torch.isfinite(a).all())):
                raise NonFiniteDeltaError(f"skill {skill.name} has NaN/Inf values in {name}; nothing was written")
            parts.setdefault(name, []).append((b, a))
    if not parts:
        raise SkillError("nothing to write: no adapter on the target and no skill with a non-zero λ")
    modules = {n: (torch.cat([b for b, _ in p], dim=1), torch.cat([a for _, a in p], dim=0)) for n, p in parts.items()}
    reporter.progress(0.5, f"writing a combined adapter over {len(modules)} modules")
    with atomic_output_dir(out_dir, overwrite=overwrite) as tmp:
        files = write_lora_adapter(tmp, modules, base_ref=str(weights.base_path))
        written = sum(f.stat().st_size for f in files)
    return InjectResult(
        path=out_dir.absolute(),
        output="adapter",
        bytes_written=written,
        tensors_changed=len(modules),
    )


def _register(
    path: Path, weights: Weights, schedules: list[tuple[SkillVector, LambdaSpec]], name: str | None, forced: str
) -> None:
    """Write model.json after the directory is complete, so only finished models are registered."""
    first = weights.entry(weights.names()[0])
    record = ModelRecord(
        name=name or path.name,
        display_name=name or path.name,
        kind="injected" if schedules else "merged",
        source=str(weights.path),
        architecture=weights.architecture,
        fingerprint=fingerprint_checkpoint(path),
        num_parameters=sum(_numel(weights.entry(n).shape) for n in weights.names()),
        dtype=dtype_name(first.dtype),
        base_fingerprint=weights.base_fingerprint(),
        extra={
            "skills": [
                {"name": s.name, "content_hash": s.manifest.content_hash, "lambda": sch.to_dict()}
                for s, sch in schedules
            ],
            **({"forced": forced} if forced else {}),
        },
    )
    write_record(path, record)


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count
