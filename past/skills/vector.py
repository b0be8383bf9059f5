"""A skill vector on disk: manifest + tensors in one of two forms, seen through one interface."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from past.progress import NullReporter, Reporter
from past.skills.errors import (
    NonFiniteDeltaError,
    SkillError,
    SkillFormatError,
    SkillIntegrityError,
    SkillNotFoundError,
)
from past.skills.forms import ADAPTER_CONFIG, ADAPTER_WEIGHTS, DeltaForm, FullDelta, LoraDelta, LowRank
from past.skills.manifest import MANIFEST_FILE, SkillManifest
from past.skills.outdir import atomic_output_dir
from past.skills.tensors.io import dtype_name, hash_files


class SkillVector:
    """An opened skill: ``.manifest``, ``.path``, ``.form`` and per-parameter deltas.

    ``dense(name)`` gives a dense float delta (materialised lazily for LoRA form); ``factors(name)``
    gives the low-rank factors for LoRA form and None for full form. Keys are base-model parameter
    names. Use as a context manager, or call ``close()``, to unmap the files.
    """

    def __init__(self, path: Path, manifest: SkillManifest, delta: DeltaForm) -> None:
        self.path, self.manifest, self.delta = path, manifest, delta

    @classmethod
    def open(cls, path: Path | str, *, verify: bool = True) -> SkillVector:
        """Open a skill directory; with ``verify`` the content hash and manifest are checked first."""
        path = Path(path).expanduser()
        if not path.is_dir():
            raise SkillNotFoundError(f"no skill vector at {path}")
        manifest = SkillManifest.read(path)
        if verify and manifest.content_hash:
            actual = hash_files(_hashed_files(path, manifest.form))
            if actual != manifest.content_hash:
                raise SkillIntegrityError(
                    f"skill '{manifest.name}' at {path} does not match its content hash: its tensor files were "
                    "modified or truncated after it was saved. Re-import it from a good copy."
                )
        delta: DeltaForm = FullDelta(path) if manifest.form == "full" else LoraDelta(path)
        skill = cls(path, manifest, delta)
        if verify:
            try:
                skill._check_manifest()
            except SkillFormatError:
                skill.close()
                raise
        return skill

    def _check_manifest(self) -> None:
        keys = set(self.delta.names())
        declared = set(self.manifest.params)
        if declared and keys != declared:
            extra, missing = sorted(keys - declared), sorted(declared - keys)
            raise SkillFormatError(
                f"skill '{self.name}': its manifest does not describe its tensors "
                f"(undeclared: {extra[:3]}, declared but absent: {missing[:3]})"
            )
        for name in keys & declared:
            if tuple(self.manifest.params[name]) != tuple(self.delta.shape(name)):
                raise SkillFormatError(
                    f"skill '{self.name}': manifest says {name} has shape {self.manifest.params[name]}, "
                    f"its tensor has {list(self.delta.shape(name))}"
                )

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def form(self) -> str:
        return self.manifest.form

    @property
    def is_low_rank(self) -> bool:
        return self.form == "lora"

    def names(self) -> list[str]:
        return self.delta.names()

    def shape(self, name: str) -> tuple[int, ...]:
        return self.delta.shape(name)

    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self.delta.dense(name, dtype)

    def factors(self, name: str) -> LowRank | None:
        return self.delta.factors(name)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        self.delta.release(name, rows)

    def close(self) -> None:
        self.delta.close()

    def __enter__(self) -> SkillVector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SkillVector({self.name!r}, form={self.form}, params={len(self.manifest.params)}, path={self.path})"


def _hashed_files(path: Path, form: str) -> list[Path]:
    if form == "lora":
        return [path / ADAPTER_WEIGHTS, path / ADAPTER_CONFIG]
    from past.skills.forms.full import full_delta_files

    files = full_delta_files(path)
    index = path / "delta.safetensors.index.json"
    return [*files, index] if index.is_file() else files


def finalize_skill(directory: Path, manifest: SkillManifest) -> SkillManifest:
    """Fill params, dtype, size, rank and content hash from the tensors in ``directory``; write skill.json."""
    delta: DeltaForm = FullDelta(directory) if manifest.form == "full" else LoraDelta(directory)
    try:
        manifest.params = {name: list(delta.shape(name)) for name in delta.names()}
        manifest.dtype = dtype_name(delta.dtype())
        if isinstance(delta, LoraDelta):
            manifest.rank = max(delta.rank(n) for n in delta.names())
        files = _hashed_files(directory, manifest.form)
    finally:
        delta.close()
    manifest.size_bytes = sum(f.stat().st_size for f in files)
    manifest.content_hash = hash_files(files)
    manifest.write(directory)
    return manifest


def all_finite(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` has no NaN/Inf: one fast summing pass, confirmed elementwise if the sum is not finite."""
    if not tensor.is_floating_point() or tensor.numel() == 0:
        return True
    if bool(torch.isfinite(tensor.sum(dtype=torch.float64 if tensor.dtype == torch.float64 else torch.float32))):
        return True
    return bool(torch.isfinite(tensor).all())  # the sum may overflow for finite values


def check_finite(name: str, tensor: torch.Tensor, what: str = "delta") -> None:
    """Raise :class:`NonFiniteDeltaError` if ``tensor`` holds NaN or Inf."""
    if tensor.is_floating_point() and not all_finite(tensor):
        bad = int((~torch.isfinite(tensor)).sum())
        raise NonFiniteDeltaError(f"{what} {name} holds {bad} NaN/Inf values; refusing to use it")


def check_all_finite(skill: SkillVector) -> None:
    """Raise :class:`NonFiniteDeltaError` if any value of the skill is NaN or Inf (one streamed pass)."""
    for name in skill.names():
        factors = skill.factors(name)
        if factors is not None:
            check_finite(name, factors.A, f"skill '{skill.name}': LoRA A of")
            check_finite(name, factors.B, f"skill '{skill.name}': LoRA B of")
        else:
            check_finite(name, skill.delta.raw(name), f"skill '{skill.name}': delta")  # type: ignore[attr-defined]
        skill.release(name)


def skill_from_adapter(
    adapter_dir: Path | str,
    out_dir: Path | str | None = None,
    *,
    name: str,
    library: object | None = None,
    base_fingerprint: str,
    base_ref: str = "",
    architecture: str = "",
    model_type: str = "",
    overwrite: bool = False,
    reporter: Reporter | None = None,
    dtype: torch.dtype | None = None,
    **fields: object,
) -> SkillVector:
    """Turn a PEFT LoRA adapter (e.g. the GRPO adapter trained on θ_sft) into a LoRA-form skill at ``out_dir``.

    With ``dtype`` the factors are stored in that dtype (scale folded into B, α = r), otherwise copied as is.

    The adapter is validated (safetensors only, a pure additive LoRA, finite values), copied with
    its layout unchanged (so ``PeftModel.from_pretrained(base, out_dir)`` still loads it), and a
    manifest is written. Extra keyword arguments fill manifest fields (description, source_domain,
    source_documents, rounds, recipe, metrics, default_lambda, extra). Give ``out_dir``, or a
    :class:`~past.skills.library.SkillLibrary` as ``library`` to store it there under ``name``.
    """
    reporter = reporter or NullReporter()
    if out_dir is None:
        if library is None:
            raise SkillError("skill_from_adapter needs out_dir or library")
        out_dir = library.new_path(name, overwrite=overwrite)  # type: ignore[attr-defined]
    adapter_dir = Path(adapter_dir).expanduser()
    source = LoraDelta(adapter_dir)
    try:
        for key in source.names():
            factors = source.factors(key)
            check_finite(key, factors.A, "LoRA A of")
            check_finite(key, factors.B, "LoRA B of")
        base_ref = base_ref or str(source.config.get("base_model_name_or_path") or "")
    finally:
        source.close()
    reporter.progress(0.3, f"copying adapter {adapter_dir.name}")
    with atomic_output_dir(Path(out_dir), overwrite=overwrite) as tmp:
        if dtype is None:
            shutil.copyfile(adapter_dir / ADAPTER_WEIGHTS, tmp / ADAPTER_WEIGHTS)
            shutil.copyfile(adapter_dir / ADAPTER_CONFIG, tmp / ADAPTER_CONFIG)
        else:
            _write_converted(adapter_dir, tmp, base_ref, dtype)
        manifest = SkillManifest(
            name=name,
            form="lora",
            base_ref=base_ref,
            base_fingerprint=base_fingerprint,
            architecture=architecture,
            model_type=model_type,
            **fields,  # type: ignore[arg-type]
        )
        finalize_skill(tmp, manifest)
    reporter.progress(1.0, f"skill {name} saved")
    return SkillVector.open(out_dir, verify=False)


def _write_converted(adapter_dir: Path, out_dir: Path, base_ref: str, dtype: torch.dtype) -> None:
    """Rewrite a LoRA adapter's factors in ``dtype`` (scale folded into B)."""
    from past.skills.forms.lora import write_lora_adapter

    source = LoraDelta(adapter_dir)
    try:
        modules = {}
        for name in source.names():
            factors = source.factors(name)
            modules[name] = (factors.scaled_B(), factors.A.float())
        write_lora_adapter(out_dir, modules, base_ref=base_ref, dtype=dtype)
    finally:
        source.close()


__all__ = ["MANIFEST_FILE", "SkillVector", "check_all_finite", "check_finite", "finalize_skill", "skill_from_adapter"]
