"""``extract(θ_rl, θ_sft) -> v``: the skill vector as the difference of two checkpoints, streamed.

Either side may be a checkpoint directory, a (base, adapter) pair or an opened weight source. The
delta is computed tensor by tensor in float32 (or float64 for bit-exact round trips of float32
models) and written in full form, or compressed straight to LoRA form with ``rank``/``energy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch

from past.progress import NullReporter, Reporter
from past.skills.errors import SkillCompatibilityError, SkillError
from past.skills.forms.full import FULL_PREFIX
from past.skills.forms.lora import write_lora_adapter
from past.skills.manifest import SkillManifest
from past.skills.ops.compress import compress_deltas
from past.skills.outdir import atomic_output_dir
from past.skills.tensors.io import DEFAULT_SHARD_BYTES, TensorEntry, row_blocks, write_sharded
from past.skills.tensors.source import Weights, open_weights
from past.skills.vector import SkillVector, check_finite, finalize_skill

WeightsRef = Weights | Path | str | tuple[Path | str, Path | str]


def as_weights(ref: WeightsRef) -> tuple[Weights, bool]:
    """Open a weights reference; the flag says whether the caller owns (must close) it."""
    if isinstance(ref, tuple):
        return open_weights(ref[0], ref[1]), True
    if isinstance(ref, (str, Path)):
        return open_weights(ref), True
    return ref, False


def extract(
    rl: WeightsRef,
    sft: WeightsRef,
    out_dir: Path | str,
    *,
    name: str | None = None,
    base_fingerprint: str | None = None,
    base_ref: str = "",
    dtype: torch.dtype = torch.float32,
    rank: int | None = None,
    energy: float | None = None,
    skip_zero: bool = True,
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    overwrite: bool = False,
    reporter: Reporter | None = None,
    **fields: object,
) -> SkillVector:
    """Write v = θ_rl − θ_sft as a skill at ``out_dir`` and return it opened.

    ``base_fingerprint`` defaults to the base of ``sft`` (its model.json record, else its weights).
    Unchanged parameters are left out with ``skip_zero``. Manifest fields (description,
    source_domain, source_documents, rounds, recipe, metrics, default_lambda, extra) pass through.
    """
    reporter = reporter or NullReporter()
    out_dir = Path(out_dir)
    rl_w, own_rl = as_weights(rl)
    try:
        sft_w, own_sft = as_weights(sft)
    except BaseException:
        if own_rl:
            rl_w.close()
        raise
    try:
        names = _matching_names(rl_w, sft_w)
        if skip_zero:
            names = [n for n in names if not _equal(rl_w, sft_w, n)]
            if not names:
                raise SkillError("the two checkpoints are identical: there is no skill to extract")
        manifest = SkillManifest(
            name=name or out_dir.name,
            form="lora" if (rank or energy) else "full",
            base_ref=base_ref or str(sft_w.base_path),
            base_fingerprint=base_fingerprint if base_fingerprint is not None else sft_w.base_fingerprint(),
            architecture=sft_w.architecture,
            model_type=sft_w.model_type,
            **fields,  # type: ignore[arg-type]
        )

        def delta(n: str, rows: tuple[int, int] | None = None) -> torch.Tensor:
            if reporter.should_stop():
                raise SkillError("extraction stopped by the user; nothing was written")
            if rows is None:
                d = rl_w.tensor(n).to(dtype, copy=True).sub_(sft_w.tensor(n).to(dtype))
            else:
                d = rl_w.rows(n, *rows).to(dtype, copy=True).sub_(sft_w.rows(n, *rows).to(dtype))
            rl_w.release(n, rows)
            sft_w.release(n, rows)
            check_finite(n, d, "the difference of")
            return d

        def blocks(n: str) -> Iterator[torch.Tensor]:
            entry = rl_w.entry(n)
            if len(entry.shape) < 2:
                yield delta(n)
                return
            for rows in row_blocks(entry.shape, max(dtype.itemsize, entry.dtype.itemsize)):
                yield delta(n, rows)

        with atomic_output_dir(out_dir, overwrite=overwrite) as tmp:
            if manifest.form == "full":
                entries = [TensorEntry(n, dtype, rl_w.entry(n).shape) for n in names]
                done = [0]

                def produce(entry: TensorEntry) -> Iterator[torch.Tensor]:
                    done[0] += 1
                    reporter.progress(done[0] / len(entries), f"delta {entry.name}")
                    return blocks(entry.name)

                write_sharded(tmp, entries, produce, prefix=FULL_PREFIX, max_shard_bytes=max_shard_bytes)
            else:
                factors, kept, dropped, total = compress_deltas(
                    ((n, delta(n)) for n in names), rank=rank, energy=energy
                )
                if not factors:
                    raise SkillError("no linear-layer weights changed: nothing to store in LoRA form")
                manifest.extra = {
                    **manifest.extra,
                    "energy_kept": total,
                    "energy_per_matrix": kept,
                    "dropped_params": sorted(dropped),
                    "rank_request": rank,
                    "energy_request": energy,
                }
                write_lora_adapter(tmp, factors, base_ref=manifest.base_ref)
            finalize_skill(tmp, manifest)
        reporter.progress(1.0, f"skill {manifest.name}: {len(manifest.params)} parameters")
        return SkillVector.open(out_dir, verify=False)
    finally:
        if own_rl:
            rl_w.close()
        if own_sft:
            sft_w.close()


def _matching_names(rl: Weights, sft: Weights) -> list[str]:
    a, b = set(rl.names()), set(sft.names())
    if a != b:
        only_rl, only_sft = sorted(a - b), sorted(b - a)
        raise SkillCompatibilityError(
            "the two checkpoints have different parameters "
            f"(only in RL: {only_rl[:3]}{'...' if len(only_rl) > 3 else ''}; "
            f"only in SFT: {only_sft[:3]}{'...' if len(only_sft) > 3 else ''}); they are not the same architecture"
        )
    names = []
    for n in sft.names():
        ea, eb = rl.entry(n), sft.entry(n)
        if ea.shape != eb.shape:
            raise SkillCompatibilityError(f"{n} has shape {list(ea.shape)} in RL but {list(eb.shape)} in SFT")
        if eb.dtype.is_floating_point:
            names.append(n)
    return names


def _equal(rl: Weights, sft: Weights, name: str) -> bool:
    """Whether a tensor is unchanged, compared block by block (pages released behind)."""
    entry = rl.entry(name)
    if len(entry.shape) < 2:
        same = bool(torch.equal(rl.tensor(name), sft.tensor(name)))
        rl.release(name)
        sft.release(name)
        return same
    for rows in row_blocks(entry.shape, entry.dtype.itemsize):
        same = bool(torch.equal(rl.rows(name, *rows), sft.rows(name, *rows)))
        rl.release(name, rows)
        sft.release(name, rows)
        if not same:
            return False
    return True
