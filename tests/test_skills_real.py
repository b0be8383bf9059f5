"""Skill operations on the real default model (SmolLM2-135M): exactness of the round trips that matter."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from past.models.fingerprint import fingerprint_checkpoint
from past.models.record import ModelRecord, read_record, write_record
from past.settings import Settings
from past.skills import SkillCompatibilityError, SkillVector, analyze, compress, extract, inject, skill_from_adapter
from tests.skill_fixtures import checkpoint_state, perturbed_copy, random_lora

pytestmark = pytest.mark.slow
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class Materialised:
    """A LoRA skill seen as dense matrices (forces the dense inner product in analyze)."""

    def __init__(self, skill: SkillVector) -> None:
        self.skill, self.name = skill, skill.name

    def names(self) -> list[str]:
        return self.skill.names()

    def dense(self, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self.skill.dense(name, dtype)

    def factors(self, name: str) -> None:
        return None


@pytest.fixture(scope="module")
def real(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("real-skills")
    base = session_settings.models_dir / session_settings.default_model
    rl = perturbed_copy(base, root / "rl", seed=1, scale=1e-3, match=r"layers\.(3|29)\..*proj")
    return {"root": root, "base": base, "rl": rl}


def test_extract_then_inject_reproduces_rl_exactly(real: dict[str, Path]) -> None:
    root, base, rl = real["root"], real["base"], real["rl"]
    skill = extract(rl, base, root / "v")
    assert len(skill.manifest.params) == 14
    assert skill.manifest.base_fingerprint == read_record(base).fingerprint
    result = inject(base, [(skill, 1.0)], root / "final")
    out, want = checkpoint_state(result.path), checkpoint_state(rl)
    assert out.keys() == want.keys()
    differing = [k for k in want if not torch.equal(out[k], want[k])]
    assert differing == []
    assert fingerprint_checkpoint(result.path) == read_record(result.path).fingerprint


def test_compress_at_full_rank_reproduces_the_delta(real: dict[str, Path]) -> None:
    root = real["root"]
    skill = extract(real["rl"], real["base"], root / "v-compress")
    result = compress(skill, root / "v-full-rank", rank=10_000)
    assert result.total_energy_kept == pytest.approx(1.0, abs=1e-9)
    for name in skill.names():
        dense = skill.dense(name)
        error = torch.linalg.matrix_norm(result.skill.dense(name) - dense) / torch.linalg.matrix_norm(dense)
        assert float(error) < 1e-5, name


def test_lora_inject_equals_dense_inject_and_lowrank_cosine_equals_dense(real: dict[str, Path]) -> None:
    root, base = real["root"], real["base"]
    fingerprint = read_record(base).fingerprint
    adapters = [random_lora(base, root / f"lora{i}", seed=10 + i, r=8, alpha=16, targets=ALL_LINEAR) for i in (1, 2)]
    low = [
        skill_from_adapter(a, root / f"s{i}", name=f"s{i}", base_fingerprint=fingerprint)
        for i, a in enumerate(adapters)
    ]
    dense = extract((base, adapters[0]), base, root / "d0")  # the same delta, materialised in full form
    assert all(s.form == "lora" for s in low) and dense.form == "full"

    via_lora = checkpoint_state(inject(base, [(low[0], 0.8)], root / "via-lora").path)
    via_dense = checkpoint_state(inject(base, [(dense, 0.8)], root / "via-dense").path)
    for name, tensor in via_lora.items():
        torch.testing.assert_close(tensor, via_dense[name], rtol=1e-5, atol=1e-6)

    table_low, table_dense = analyze(low[0], low[1]), analyze(Materialised(low[0]), Materialised(low[1]))
    assert len(table_low.rows) == 30 * 7
    for lo, de in zip(table_low.rows, table_dense.rows, strict=True):
        assert lo.name == de.name
        assert lo.dot == pytest.approx(de.dot, rel=1e-5, abs=1e-5 * lo.norm_a * lo.norm_b)
        assert lo.norm_a == pytest.approx(de.norm_a, rel=1e-5)


def test_delta_from_another_base_is_refused_and_derived_models_are_accepted(real: dict[str, Path]) -> None:
    root, base = real["root"], real["base"]
    skill = extract(real["rl"], base, root / "v-base")
    other_base = perturbed_copy(base, root / "other-base", seed=3, scale=0.02, match="")
    with pytest.raises(SkillCompatibilityError, match="base fingerprint"):
        inject(other_base, [(skill, 1.0)], root / "refused")
    assert not (root / "refused").exists()
    # an SFT model of the same base, registered with its base fingerprint, takes the skill
    target_sft = perturbed_copy(base, root / "target-sft", seed=4, scale=1e-3, match="mlp")
    write_record(
        target_sft,
        ModelRecord(
            "target-sft",
            "target",
            "sft",
            str(base),
            "LlamaForCausalLM",
            fingerprint_checkpoint(target_sft),
            base_fingerprint=skill.manifest.base_fingerprint,
        ),
    )
    result = inject(target_sft, [(skill, 1.0)], root / "accepted")
    assert result.reports[0].fingerprint_match
