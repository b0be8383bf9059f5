"""Skill operations on tiny random Llama models: extract, inject, compose, λ schedules, compress, analyze."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from past.models.record import read_record
from past.skills import (
    LambdaSpec,
    SkillCompatibilityError,
    SkillVector,
    analyze,
    check,
    compose,
    compress,
    extract,
    heatmap_figure,
    inject,
)
from past.skills.forms.base import LowRank
from past.skills.ops.analysis_report import write_report
from past.skills.ops.analyze import dense_inner, lowrank_inner
from tests.skill_fixtures import checkpoint_state, perturbed_copy
from tests.tiny_models import make_tiny_llama


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pair")
    sft = make_tiny_llama(root / "sft", seed=0, layers=3)
    rl = perturbed_copy(sft, root / "rl", seed=1)
    return sft, rl


@pytest.fixture(scope="module")
def skill(pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> SkillVector:
    sft, rl = pair
    return extract(rl, sft, tmp_path_factory.mktemp("skills") / "v", name="v", source_domain="squad", rounds=2)


def test_extract_writes_only_changed_params_and_a_full_manifest(skill: SkillVector, pair: tuple[Path, Path]) -> None:
    sft, rl = pair
    m = skill.manifest
    assert m.form == "full" and m.rounds == 2 and m.source_domain == "squad"
    assert set(m.params) == {n for n in checkpoint_state(sft) if "proj" in n}  # norms and embeddings unchanged
    assert m.architecture == "LlamaForCausalLM" and len(m.base_fingerprint) == 16
    assert m.content_hash.startswith("sha256:") and m.size_bytes > 0
    expected = (
        checkpoint_state(rl)["model.layers.1.mlp.up_proj.weight"]
        - checkpoint_state(sft)["model.layers.1.mlp.up_proj.weight"]
    )
    torch.testing.assert_close(skill.dense("model.layers.1.mlp.up_proj.weight"), expected, rtol=0, atol=0)


def test_round_trip_reproduces_rl_exactly_and_registers_the_result(
    skill: SkillVector, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    sft, rl = pair
    result = inject(sft, [(skill, 1.0)], tmp_path / "final")
    out, want = checkpoint_state(result.path), checkpoint_state(rl)
    assert out.keys() == want.keys()
    assert all(torch.equal(out[k], want[k]) for k in want)
    record = read_record(result.path)
    assert record is not None and record.kind == "injected"
    assert record.extra["skills"][0]["name"] == "v"
    assert (result.path / "config.json").is_file()
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(result.path)  # loadable by transformers


def test_lambda_scales_and_schedules_select_modules_and_layers(
    skill: SkillVector, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    sft, _ = pair
    base = checkpoint_state(sft)
    schedule = LambdaSpec.parse("0.5,q_proj=0,layers=2-2:2.0")
    result = inject(sft, [(skill, schedule)], tmp_path / "sched")
    out = checkpoint_state(result.path)
    q0, up0, up2 = (
        f"model.layers.{i}.{m}.weight" for i, m in ((0, "self_attn.q_proj"), (0, "mlp.up_proj"), (2, "mlp.up_proj"))
    )
    assert torch.equal(out[q0], base[q0])
    torch.testing.assert_close(out[up0], base[up0] + 0.5 * skill.dense(up0))
    torch.testing.assert_close(out[up2], base[up2] + 2.0 * skill.dense(up2))
    assert LambdaSpec.coerce(schedule.to_dict()) == schedule


def test_compose_adds_each_skill_with_its_own_lambda(
    skill: SkillVector, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    sft, _ = pair
    other_rl = perturbed_copy(sft, tmp_path / "rl2", seed=7, match="mlp")
    other = extract(other_rl, sft, tmp_path / "w", name="w")
    result = compose(sft, [(skill, 0.3), (other, -1.5)], tmp_path / "both")
    out, base = checkpoint_state(result.path), checkpoint_state(sft)
    name = "model.layers.0.mlp.down_proj.weight"
    torch.testing.assert_close(out[name], base[name] + 0.3 * skill.dense(name) - 1.5 * other.dense(name))


def test_multi_shard_output_is_loadable(skill: SkillVector, pair: tuple[Path, Path], tmp_path: Path) -> None:
    sft, rl = pair
    result = inject(sft, [(skill, 1.0)], tmp_path / "sharded", max_shard_bytes=20_000)
    shards = sorted(result.path.glob("model-*.safetensors"))
    assert len(shards) > 2 and (result.path / "model.safetensors.index.json").is_file()
    out, want = checkpoint_state(result.path), checkpoint_state(rl)
    assert all(torch.equal(out[k], want[k]) for k in want)
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(result.path)
    torch.testing.assert_close(
        model.state_dict()["model.layers.2.mlp.down_proj.weight"], want["model.layers.2.mlp.down_proj.weight"]
    )


def test_bf16_checkpoints_round_trip_bit_exactly(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    sft = make_tiny_llama(tmp_path / "f32", seed=3)
    model = AutoModelForCausalLM.from_pretrained(sft).to(torch.bfloat16)
    model.save_pretrained(tmp_path / "sft16")
    rl = perturbed_copy(tmp_path / "sft16", tmp_path / "rl16", seed=4)
    v = extract(rl, tmp_path / "sft16", tmp_path / "v16")
    assert v.manifest.dtype == "float32"
    out = checkpoint_state(inject(tmp_path / "sft16", [(v, 1.0)], tmp_path / "out16").path)
    want = checkpoint_state(rl)
    assert all(out[k].dtype == torch.bfloat16 and torch.equal(out[k], want[k]) for k in want)


def test_compress_full_rank_reproduces_and_energy_is_reported(skill: SkillVector, tmp_path: Path) -> None:
    full = compress(skill, tmp_path / "full", rank=10_000)
    assert full.total_energy_kept == pytest.approx(1.0, abs=1e-9)
    for name in skill.names():
        torch.testing.assert_close(full.skill.dense(name), skill.dense(name), rtol=1e-4, atol=1e-6)
    half = compress(skill, tmp_path / "half", energy=0.5)
    for name, info in half.kept.items():
        assert info["energy_kept"] >= 0.5 - 1e-9
        assert info["rank"] < min(skill.shape(name))
    rank2 = compress(skill, tmp_path / "r2", rank=2)
    assert all(info["rank"] == 2 for info in rank2.kept.values())
    assert rank2.skill.manifest.rank == 2 and rank2.skill.form == "lora"
    assert 0 < rank2.total_energy_kept < half.total_energy_kept + 0.5


def test_compress_reports_params_that_cannot_be_lora(pair: tuple[Path, Path], tmp_path: Path) -> None:
    sft, _ = pair
    rl = perturbed_copy(sft, tmp_path / "rl-all", seed=5, match="")
    v = extract(rl, sft, tmp_path / "v-all")
    result = compress(v, tmp_path / "c", rank=4)
    assert "model.embed_tokens.weight" in result.dropped
    assert "model.norm.weight" in result.dropped
    assert all(0 < share < 1 for share in result.dropped.values())


def test_lowrank_inner_product_matches_dense() -> None:
    g = torch.Generator().manual_seed(0)
    a = LowRank(torch.randn(48, 5, generator=g), torch.randn(5, 40, generator=g), scale=0.7)
    b = LowRank(torch.randn(48, 3, generator=g), torch.randn(3, 40, generator=g), scale=2.0)
    assert lowrank_inner(a, b) == pytest.approx(dense_inner(a.dense(), b.dense()), rel=1e-5)


def test_analyze_lowrank_matches_dense_and_writes_reports(
    skill: SkillVector, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    sft, _ = pair
    other = extract(perturbed_copy(sft, tmp_path / "rl3", seed=9), sft, tmp_path / "u")
    dense = analyze(skill, other, label="dense")
    low_a = compress(skill, tmp_path / "la", rank=10_000).skill
    low_b = compress(other, tmp_path / "lb", rank=10_000).skill
    low = analyze(low_a, low_b, label="lowrank")
    mixed = analyze(skill, low_b, label="mixed")
    for d, lo, mx in zip(dense.rows, low.rows, mixed.rows, strict=True):
        assert lo.cosine == pytest.approx(d.cosine, abs=1e-5)
        assert mx.cosine == pytest.approx(d.cosine, abs=1e-5)
        assert lo.norm_a == pytest.approx(d.norm_a, rel=1e-5)
    self_table = analyze(skill, skill)
    assert all(math.isclose(r.cosine, 1.0, rel_tol=1e-6) for r in self_table.rows)
    assert abs(dense.summary()["mean_cosine"]) < 0.1  # independent noise is near-orthogonal

    layers, modules, _z = dense.grid()
    assert layers == [0, 1, 2] and modules == [
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    ]
    fig = heatmap_figure([dense, self_table])
    heat = fig.data[0]
    assert heat.zmid == 0 and heat.zmin == -1 and heat.zmax == 1 and list(heat.y) == modules
    write_report(
        [dense, self_table], html=tmp_path / "a.html", json_path=tmp_path / "a.json", csv_path=tmp_path / "a.csv"
    )
    assert "plotly" in (tmp_path / "a.html").read_text()[:5000].lower()
    assert len(json.loads((tmp_path / "a.json").read_text())) == 2
    assert len((tmp_path / "a.csv").read_text().splitlines()) == 1 + 2 * len(dense.rows)


def test_skill_from_another_base_is_refused_unless_forced_with_reason(skill: SkillVector, tmp_path: Path) -> None:
    stranger = make_tiny_llama(tmp_path / "stranger", seed=42, layers=3)
    with pytest.raises(SkillCompatibilityError, match="base fingerprint"):
        inject(stranger, [(skill, 1.0)], tmp_path / "no")
    assert not (tmp_path / "no").exists()
    with pytest.raises(SkillCompatibilityError, match="reason"):
        inject(stranger, [(skill, 1.0)], tmp_path / "no", force=True)
    result = inject(stranger, [(skill, 1.0)], tmp_path / "yes", force=True, reason="same init, testing")
    assert result.reports[0].forced and read_record(result.path).extra["forced"] == "same init, testing"


def test_check_reports_shape_and_key_mismatch(skill: SkillVector, tmp_path: Path) -> None:
    wider = make_tiny_llama(tmp_path / "wide", seed=0, layers=3, hidden=48)
    report = check(skill, wider, raise_on_error=False)
    assert not report.ok and any("shape" in p for p in report.problems)
    shallow = make_tiny_llama(tmp_path / "shallow", seed=0, layers=2)
    report = check(skill, shallow, raise_on_error=False, force=True, reason="x")
    assert not report.ok and any("missing from the model" in p for p in report.problems)  # never forceable


def test_big_tensors_stream_in_row_blocks_with_identical_results(
    pair: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from past.skills import merge_adapter, skill_from_adapter
    from past.skills.tensors import io
    from past.skills.tensors.source import base_fingerprint_of
    from tests.skill_fixtures import random_lora

    sft, rl = pair
    adapter = random_lora(sft, tmp_path / "adapter", seed=3)
    lora = skill_from_adapter(adapter, tmp_path / "lora", name="lora", base_fingerprint=base_fingerprint_of(sft))
    whole = {
        "v": checkpoint_state(extract(rl, sft, tmp_path / "v1").path),
        "inject": checkpoint_state(inject(rl, [(lora, 0.5)], tmp_path / "i1", force=True, reason="test").path),
        "merge": checkpoint_state(merge_adapter(sft, adapter, tmp_path / "m1").path),
    }
    monkeypatch.setattr(io, "BLOCK_BYTES", 300)  # a few rows per block: every matrix is split
    assert len(io.row_blocks((64, 32), 4)) == 32
    blocked = {
        "v": checkpoint_state(extract(rl, sft, tmp_path / "v2").path),
        "inject": checkpoint_state(inject(rl, [(lora, 0.5)], tmp_path / "i2", force=True, reason="test").path),
        "merge": checkpoint_state(merge_adapter(sft, adapter, tmp_path / "m2").path),
    }
    for key, state in whole.items():
        assert state.keys() == blocked[key].keys()
        for name, tensor in state.items():
            torch.testing.assert_close(blocked[key][name], tensor, rtol=1e-6, atol=1e-7, msg=f"{key} {name}")
