"""Truncated SVD of full deltas into LoRA form, by fixed rank or by kept Frobenius energy.

Each weight matrix ΔW = U S Vᵀ keeps its top r singular values; the factors are balanced
(B = U_r √S_r, A = √S_r V_rᵀ). The fraction of ‖ΔW‖²_F kept is reported per matrix. Parameters
that cannot be LoRA modules (embeddings, norms, 1-D tensors) are dropped and their share of the
total energy is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from past.progress import NullReporter, Reporter
from past.skills.errors import SkillError
from past.skills.forms.lora import write_lora_adapter
from past.skills.manifest import SkillManifest
from past.skills.outdir import atomic_output_dir
from past.skills.vector import SkillVector, check_finite, finalize_skill


def is_lora_target(name: str, shape: tuple[int, ...]) -> bool:
    """Whether ``name`` can be a PEFT LoRA module (a 2-D linear weight, not an embedding or head)."""
    return len(shape) == 2 and name.endswith(".weight") and "embed" not in name and "lm_head" not in name


def lowrank(
    delta: torch.Tensor, rank: int | None = None, energy: float | None = None
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(B, A, kept energy fraction) with B @ A ≈ delta; rank and energy may be combined (the smaller wins)."""
    if rank is None and energy is None:
        raise SkillError("compress needs a rank, an energy fraction, or both")
    if energy is not None and not 0.0 < energy <= 1.0:
        raise SkillError(f"energy must be in (0, 1], not {energy}")
    if rank is not None and rank < 1:
        raise SkillError(f"rank must be at least 1, not {rank}")
    matrix = delta.to(torch.float32)
    u, s, vh = torch.linalg.svd(matrix, full_matrices=False)
    power = s.double() ** 2
    total = float(power.sum())
    full = s.shape[0]
    r = full if rank is None else min(rank, full)
    if energy is not None and total > 0:
        cumulative = torch.cumsum(power, 0) / total
        needed = int(torch.searchsorted(cumulative, torch.tensor(energy - 1e-12, dtype=torch.float64)).item()) + 1
        r = min(r, needed)
    r = max(r, 1)
    root = s[:r].sqrt()
    b = (u[:, :r] * root).contiguous()
    a = (root[:, None] * vh[:r]).contiguous()
    kept = float(power[:r].sum()) / total if total > 0 else 1.0
    return b, a, kept


@dataclass
class CompressResult:
    skill: SkillVector
    kept: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> {"rank", "energy_kept"}
    dropped: dict[str, float] = field(default_factory=dict)  # name -> its share of the total energy
    total_energy_kept: float = 1.0

    def to_dict(self) -> dict:
        return {
            "skill": self.skill.name,
            "path": str(self.skill.path),
            "total_energy_kept": self.total_energy_kept,
            "kept": self.kept,
            "dropped": self.dropped,
        }


def compress_deltas(
    items: list[tuple[str, torch.Tensor]] | object,
    *,
    rank: int | None,
    energy: float | None,
) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], dict, dict, float]:
    """SVD every LoRA-able delta from an iterable of (name, dense delta); returns factors and the energy report."""
    factors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    kept: dict[str, dict[str, float]] = {}
    dropped_energy: dict[str, float] = {}
    total = kept_total = 0.0
    for name, delta in items:  # type: ignore[attr-defined]
        check_finite(name, delta)
        power = float(delta.double().pow(2).sum())
        total += power
        if not is_lora_target(name, tuple(delta.shape)):
            dropped_energy[name] = power
            continue
        if power == 0.0:
            continue
        b, a, fraction = lowrank(delta, rank, energy)
        factors[name] = (b, a)
        kept[name] = {"rank": int(a.shape[0]), "energy_kept": fraction}
        kept_total += fraction * power
    dropped = {n: (p / total if total else 0.0) for n, p in dropped_energy.items()}
    return factors, kept, dropped, (kept_total / total if total else 1.0)


def compress(
    skill: SkillVector,
    out_dir: Path | str,
    *,
    rank: int | None = None,
    energy: float | None = None,
    name: str | None = None,
    overwrite: bool = False,
    reporter: Reporter | None = None,
) -> CompressResult:
    """Write a LoRA-form copy of ``skill`` at ``out_dir`` (truncated SVD per matrix)."""
    reporter = reporter or NullReporter()
    keys = skill.names()

    def deltas():
        for i, key in enumerate(keys):
            if reporter.should_stop():
                raise SkillError("compression stopped by the user; nothing was written")
            reporter.progress(i / max(len(keys), 1), f"SVD {key}")
            yield key, skill.dense(key)
            skill.release(key)

    factors, kept, dropped, total = compress_deltas(deltas(), rank=rank, energy=energy)
    if not factors:
        raise SkillError(f"skill '{skill.name}' has no non-zero linear-layer deltas to compress")
    src = skill.manifest
    manifest = SkillManifest.from_dict({**src.to_dict(), "params": {}, "content_hash": "", "size_bytes": 0})
    manifest.name = name or src.name
    manifest.form = "lora"
    manifest.extra = {
        **src.extra,
        "compressed_from": {"name": src.name, "content_hash": src.content_hash, "rank": rank, "energy": energy},
        "energy_kept": total,
        "energy_per_matrix": kept,
        "dropped_params": sorted(dropped),
    }
    with atomic_output_dir(Path(out_dir), overwrite=overwrite) as tmp:
        write_lora_adapter(tmp, factors, base_ref=src.base_ref)
        finalize_skill(tmp, manifest)
    reporter.progress(1.0, f"compressed {len(factors)} matrices, {total:.2%} of the energy kept")
    return CompressResult(SkillVector.open(out_dir, verify=False), kept, dropped, total)
