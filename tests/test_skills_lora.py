"""LoRA form on tiny models: PEFT adapters as skills, exact `cat` adapters, streaming adapter merges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from past.skills import SkillFormatError, SkillVector, extract, inject, merge_adapter, skill_from_adapter
from past.skills.tensors.source import base_fingerprint_of
from tests.skill_fixtures import checkpoint_state, peft_merged_state, random_lora
from tests.tiny_models import make_tiny_llama


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lora")
    base = make_tiny_llama(root / "base", seed=0)
    return {
        "root": root,
        "base": base,
        "skill_adapter": random_lora(base, root / "rl-adapter", seed=1),
        "target_adapter": random_lora(
            base, root / "sft-adapter", seed=2, r=3, alpha=6, targets=("q_proj", "k_proj", "up_proj")
        ),
    }


@pytest.fixture(scope="module")
def lora_skill(setup: dict[str, Path]) -> SkillVector:
    return skill_from_adapter(
        setup["skill_adapter"],
        setup["root"] / "skill",
        name="qa",
        base_fingerprint=base_fingerprint_of(setup["base"]),
        source_domain="squad",
        recipe={"rl": {"algo": "grpo"}},
    )


def test_skill_from_adapter_keeps_the_peft_layout(lora_skill: SkillVector, setup: dict[str, Path]) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    assert lora_skill.form == "lora" and lora_skill.manifest.rank == 4
    assert lora_skill.manifest.recipe == {"rl": {"algo": "grpo"}}
    name = "model.layers.1.self_attn.v_proj.weight"
    factors = lora_skill.factors(name)
    assert factors is not None and factors.scale == 2.0 and lora_skill.shape(name) == (16, 32)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(setup["base"]), lora_skill.path)
    merged = model.merge_and_unload().state_dict()
    base = checkpoint_state(setup["base"])
    torch.testing.assert_close(merged[name] - base[name], lora_skill.dense(name), rtol=1e-5, atol=1e-6)
    reopened = SkillVector.open(lora_skill.path, verify=True)
    assert reopened.manifest.content_hash == lora_skill.manifest.content_hash


def test_lora_inject_equals_peft_merge_and_dense_inject(
    lora_skill: SkillVector, setup: dict[str, Path], tmp_path: Path
) -> None:
    base = setup["base"]
    via_lora = checkpoint_state(inject(base, [(lora_skill, 1.0)], tmp_path / "a").path)
    reference = peft_merged_state(base, setup["skill_adapter"])
    dense_skill = extract((base, lora_skill.path), base, tmp_path / "dense")  # the same delta in full form
    assert dense_skill.form == "full" and set(dense_skill.names()) == set(lora_skill.names())
    via_dense = checkpoint_state(inject(base, [(dense_skill, 1.0)], tmp_path / "b").path)
    for name, tensor in via_lora.items():
        torch.testing.assert_close(tensor, reference[name], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(tensor, via_dense[name], rtol=1e-5, atol=1e-6)


def test_cat_adapter_is_exact_and_loadable_by_peft(
    lora_skill: SkillVector, setup: dict[str, Path], tmp_path: Path
) -> None:
    base, target_adapter = setup["base"], setup["target_adapter"]
    result = inject((base, target_adapter), [(lora_skill, 0.7)], tmp_path / "combined", output="adapter")
    assert result.output == "adapter" and not (result.path / "model.json").exists()
    config = json.loads((result.path / "adapter_config.json").read_text())
    assert config["r"] == 7  # 3 (target) + 4 (skill) on modules both touch
    combined = peft_merged_state(base, result.path)
    merged = checkpoint_state(inject((base, target_adapter), [(lora_skill, 0.7)], tmp_path / "merged").path)
    basew = checkpoint_state(base)
    target_delta = {k: v - basew[k] for k, v in peft_merged_state(base, target_adapter).items() if k in basew}
    for name in basew:
        expected = (
            basew[name] + target_delta[name] + (0.7 * lora_skill.dense(name) if name in lora_skill.names() else 0)
        )
        torch.testing.assert_close(combined[name], expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(merged[name], expected, rtol=1e-5, atol=1e-6)


def test_adapter_output_refuses_full_form_skills(setup: dict[str, Path], tmp_path: Path) -> None:
    base = setup["base"]
    dense = extract((base, setup["skill_adapter"]), base, tmp_path / "dense")
    from past.skills import SkillCompatibilityError

    with pytest.raises(SkillCompatibilityError, match="full form"):
        inject(base, [(dense, 1.0)], tmp_path / "x", output="adapter")
    assert not (tmp_path / "x").exists()


def test_merge_adapter_streams_the_same_weights_as_peft(setup: dict[str, Path], tmp_path: Path) -> None:
    result = merge_adapter(setup["base"], setup["target_adapter"], tmp_path / "sft")
    out = checkpoint_state(result.path)
    reference = peft_merged_state(setup["base"], setup["target_adapter"])
    for name, tensor in out.items():
        torch.testing.assert_close(tensor, reference[name], rtol=1e-6, atol=1e-7)
    from past.models.record import read_record

    record = read_record(result.path)
    assert record is not None and record.kind == "merged"
    assert record.base_fingerprint == base_fingerprint_of(setup["base"])  # derived models remember their base


def test_extract_from_base_plus_adapter_recovers_the_adapter_delta(
    lora_skill: SkillVector, setup: dict[str, Path], tmp_path: Path
) -> None:
    base = setup["base"]
    sft = merge_adapter(base, setup["target_adapter"], tmp_path / "sft").path
    v = extract((sft, setup["skill_adapter"]), sft, tmp_path / "v")
    assert v.manifest.base_fingerprint == base_fingerprint_of(base)
    for name in v.names():
        torch.testing.assert_close(v.dense(name), lora_skill.dense(name), rtol=1e-4, atol=1e-6)
    low = extract((sft, setup["skill_adapter"]), sft, tmp_path / "v-low", rank=4)
    assert low.form == "lora" and low.manifest.extra["energy_kept"] == pytest.approx(1.0, abs=1e-6)


def test_non_additive_adapters_are_refused(setup: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    dora = tmp_path / "dora"
    shutil.copytree(setup["skill_adapter"], dora)
    config = json.loads((dora / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(SkillFormatError, match="DoRA"):
        skill_from_adapter(dora, tmp_path / "s1", name="s1", base_fingerprint="x")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    shutil.copy(setup["skill_adapter"] / "adapter_config.json", pickled)
    (pickled / "adapter_model.bin").write_bytes(b"\x80\x04fake pickle")
    with pytest.raises(SkillFormatError, match="pickle"):
        skill_from_adapter(pickled, tmp_path / "s2", name="s2", base_fingerprint="x")
    assert not (tmp_path / "s1").exists() and not (tmp_path / "s2").exists()
