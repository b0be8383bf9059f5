"""The model registry: the bundled default converts and answers; fingerprints; clear errors."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from past.errors import MalformedModelError, ModelNotFoundError
from past.models import ModelRegistry, fingerprint_checkpoint, fingerprint_state_dict
from past.models.bundled import provision_bundled_model
from past.serving.chat import stream_chat
from past.serving.generation import GenerationParams
from past.settings import BUNDLED_MODEL_NAME, Settings
from tests.tiny_models import make_tiny_llama


@pytest.mark.slow
def test_default_model_converts_loads_and_answers(session_settings: Settings, default_model) -> None:
    target = session_settings.models_dir / BUNDLED_MODEL_NAME
    config = json.loads((target / "config.json").read_text())
    assert "quantization_config" not in config, "TRL refuses checkpoints that claim to be quantised"
    assert (target / "model.safetensors").is_file()
    assert default_model.model.dtype == torch.float32
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    reply = "".join(stream_chat(default_model.model, default_model.tokenizer, messages, GenerationParams(32)))
    assert reply.strip(), "the default model produced no text"
    assert "Paris" in reply


@pytest.mark.slow
def test_conversion_is_idempotent(session_settings: Settings) -> None:
    target = session_settings.models_dir / BUNDLED_MODEL_NAME
    before = (target / "model.safetensors").stat().st_mtime_ns
    started = time.monotonic()
    record = provision_bundled_model(session_settings.models_dir, BUNDLED_MODEL_NAME)
    assert time.monotonic() - started < 2.0
    assert (target / "model.safetensors").stat().st_mtime_ns == before
    assert record.fingerprint == fingerprint_checkpoint(target)


@pytest.mark.slow
def test_fingerprint_stable_across_loads(session_settings: Settings, default_model) -> None:
    registry = ModelRegistry(session_settings)
    again = registry.load("default")
    path = session_settings.models_dir / BUNDLED_MODEL_NAME
    assert again.fingerprint == default_model.fingerprint == fingerprint_checkpoint(path)
    assert fingerprint_state_dict(again.model.state_dict()) == default_model.fingerprint
    half = {k: v.to(torch.bfloat16) for k, v in again.model.state_dict().items()}
    assert fingerprint_state_dict(half) == default_model.fingerprint, "bf16 copy of one base must agree"


def test_fingerprint_differs_between_models(tmp_path: Path) -> None:
    a = fingerprint_checkpoint(make_tiny_llama(tmp_path / "a", seed=0))
    b = fingerprint_checkpoint(make_tiny_llama(tmp_path / "b", seed=1))
    a_again = fingerprint_checkpoint(make_tiny_llama(tmp_path / "a2", seed=0))
    assert a != b
    assert a == a_again


def test_fingerprint_sees_a_changed_sampled_tensor(tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "m")
    before = fingerprint_checkpoint(path)
    tensors = load_file(path / "model.safetensors")
    tensors["model.embed_tokens.weight"][0, 0] += 1.0
    save_file(tensors, path / "model.safetensors", metadata={"format": "pt"})
    assert fingerprint_checkpoint(path) != before


def test_local_directory_loads(tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "tiny")
    shutil.copy(Path(__file__).parent / "data" / "tiny_tokenizer.json", path / "tokenizer.json")
    (path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "PreTrainedTokenizerFast"}))
    loaded = ModelRegistry(Settings.load(tmp_path / "data")).load(str(path))
    assert loaded.fingerprint == fingerprint_checkpoint(path)
    assert loaded.model.config.num_hidden_layers == 2


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(Settings.load(tmp_path / "data").ensure())


def test_missing_directory(registry: ModelRegistry, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        registry.load(str(tmp_path / "nowhere"))


def test_truncated_weights(registry: ModelRegistry, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "corrupt")
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(MalformedModelError, match="truncated"):
        registry.load(str(path))


def test_garbage_weights(registry: ModelRegistry, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "garbage")
    (path / "model.safetensors").write_bytes(b"\x00\x01not a safetensors file at all")
    with pytest.raises(MalformedModelError, match="not a valid safetensors file"):
        registry.load(str(path))


def test_missing_config(registry: ModelRegistry, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "noconfig")
    (path / "config.json").unlink()
    with pytest.raises(MalformedModelError, match=r"no config\.json"):
        registry.load(str(path))


def test_config_not_json(registry: ModelRegistry, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "badconfig")
    (path / "config.json").write_text("{ not json")
    with pytest.raises(MalformedModelError, match="not valid JSON"):
        registry.load(str(path))


def test_pickled_weights_are_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "pickled")
    (path / "model.safetensors").unlink()
    (path / "pytorch_model.bin").write_bytes(b"pretend pickle")
    with pytest.raises(MalformedModelError, match="safetensors only"):
        registry.load(str(path))


def test_unknown_reference_lists_what_exists(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown model 'no such model'"):
        registry.resolve("no such model")


def test_hub_id_offline_is_a_clear_error(registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError, match="not in the local hub cache"):
        registry.resolve("past-studio-tests/does-not-exist")


def test_a_model_with_an_unreadable_record_is_listed_as_broken_not_hidden(
    registry: ModelRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    from past.cli.main import main
    from tests.skill_fixtures import register_base

    models = registry.settings.models_dir
    register_base(make_tiny_llama(models / "tiny", seed=0))
    for name, record in {
        "garbled": "{not json",
        "a-list": "[1, 2]",
        "half": json.dumps({"name": "half", "kind": "base"}),
        "deep": "[" * 100_000 + "]" * 100_000,
    }.items():
        make_tiny_llama(models / name, seed=1)
        (models / name / "model.json").write_text(record)

    assert [r.name for r in registry.list()] == ["tiny"]  # never offered as a model to use
    broken = dict(registry.broken())
    assert sorted(broken) == ["a-list", "deep", "garbled", "half"]
    assert "is not a JSON object" in broken["a-list"] and "lacks display_name" in broken["half"]

    assert main(["--data-dir", str(registry.settings.data_dir), "model", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tiny ") and len(lines) == 5
    assert all(" broken " in line and "fix it or remove" in line for line in lines[1:])
    assert main(["--data-dir", str(registry.settings.data_dir), "model", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["name"], m["kind"]) for m in listed][-1] == ("half", "broken")
