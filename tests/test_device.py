"""Device and engine choice with CUDA faked absent or present (and vllm faked installed or not)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from backend.model_pool import GPU_FRACTION, ModelPool, default_budget_bytes
from past.device import (
    CPU,
    choose_chat_engine,
    detect,
    rollouts_use_vllm,
    training_dtype,
    training_precision,
)
from past.errors import ConfigError
from past.models import ModelRegistry
from past.serving.choice import RoutedChatEngine, create_chat_engine, describe_serving
from past.serving.engine import SideSpec, StreamEvent
from past.serving.generation import GenerationParams
from past.serving.transformers_engine import TransformersChatEngine
from past.settings import Settings
from past.training.grpo import GRPOTrainConfig
from past.training.sft import SFTTrainConfig
from tests.lora_adapters import make_tiny_chat_model

H200 = SimpleNamespace(name="NVIDIA H200", total_memory=140 * 1024**3, major=9, minor=0)
T4 = SimpleNamespace(name="Tesla T4", total_memory=16 * 1024**3, major=7, minor=5)


def fake_cuda(monkeypatch: pytest.MonkeyPatch, props: SimpleNamespace | None, count: int = 1) -> None:
    """Make torch believe a GPU with ``props`` is visible (``None``: no GPU)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: props is not None)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count if props else 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index=0: props)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bool(props and props.major >= 8))
    monkeypatch.delenv("PAST_DEVICE", raising=False)


def fake_vllm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, installed: bool) -> None:
    """An importable (empty) ``vllm`` package on sys.path, or none at all."""
    if installed:
        (tmp_path / "fakesite" / "vllm").mkdir(parents=True)
        (tmp_path / "fakesite" / "vllm" / "__init__.py").write_text("")
        monkeypatch.syspath_prepend(str(tmp_path / "fakesite"))
    else:
        monkeypatch.setattr(sys, "path", [p for p in sys.path if not (Path(p) / "vllm").exists()])
    monkeypatch.delitem(sys.modules, "vllm", raising=False)


def test_no_gpu_means_cpu_fp32_and_transformers(monkeypatch, tmp_path) -> None:
    fake_cuda(monkeypatch, None)
    fake_vllm(monkeypatch, tmp_path, installed=True)  # vllm alone is not enough
    device = detect()
    assert device == CPU and device.dtype_name == "float32" and device.torch_device == "cpu"
    assert choose_chat_engine(device).name == "transformers"
    assert training_precision(device).trainer_kwargs() == {"use_cpu": True, "bf16": False, "fp16": False, "tf32": None}
    assert training_dtype("lora", device) is torch.float32
    assert rollouts_use_vllm(None, device) is False and rollouts_use_vllm(True, device) is True
    assert default_budget_bytes(device) > 0  # half of the machine's memory


def test_a_modern_gpu_means_bf16_tf32_and_vllm_when_installed(monkeypatch, tmp_path) -> None:
    fake_cuda(monkeypatch, H200, count=2)
    device = detect()
    assert (device.type, device.name, device.count, device.dtype_name) == ("cuda", "NVIDIA H200", 2, "bfloat16")
    assert device.describe() == "CUDA · NVIDIA H200 (140.0 GiB) × 2 · bfloat16"
    precision = training_precision(device)
    assert (precision.use_cpu, precision.bf16, precision.fp16, precision.tf32) == (False, True, False, True)
    assert training_dtype("lora", device) is torch.bfloat16  # frozen base in bf16
    assert training_dtype("full", device) is torch.float32  # fp32 master weights under bf16 autocast
    fake_vllm(monkeypatch, tmp_path, installed=False)
    choice = choose_chat_engine(device)
    assert choice.name == "transformers" and "vllm is not installed" in choice.reason
    assert rollouts_use_vllm(None, device) is False
    fake_vllm(monkeypatch, tmp_path, installed=True)
    assert choose_chat_engine(device).name == "vllm" and rollouts_use_vllm(None, device) is True
    assert rollouts_use_vllm(False, device) is False  # an explicit choice wins
    # the pool's budget is the GPU's memory, less what vLLM holds
    assert default_budget_bytes(device) == int(H200.total_memory * GPU_FRACTION)
    assert default_budget_bytes(device, reserved_fraction=0.45) == int(H200.total_memory * (GPU_FRACTION - 0.45))
    monkeypatch.setenv("PAST_MODEL_MEMORY_GB", "3")
    assert default_budget_bytes(device) == 3 * 1024**3


def test_an_older_gpu_falls_back_to_fp16_without_tf32(monkeypatch) -> None:
    fake_cuda(monkeypatch, T4)
    device = detect()
    assert device.dtype_name == "float16" and not device.tf32
    precision = training_precision(device)
    assert (precision.bf16, precision.fp16, precision.tf32) == (False, True, None)


def test_past_device_forces_or_refuses(monkeypatch) -> None:
    fake_cuda(monkeypatch, H200)
    monkeypatch.setenv("PAST_DEVICE", "cpu")
    assert detect() == CPU  # forced CPU on a GPU machine
    fake_cuda(monkeypatch, None)
    monkeypatch.setenv("PAST_DEVICE", "cuda")
    with pytest.raises(ConfigError, match="no CUDA GPU is visible"):
        detect()
    monkeypatch.setenv("PAST_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="auto, cpu or cuda"):
        detect()


def test_trainer_configs_follow_the_device(monkeypatch, tmp_path) -> None:
    fake_cuda(monkeypatch, None)
    args = SFTTrainConfig().to_trl(tmp_path)
    assert args.use_cpu is True and args.bf16 is False
    grpo = GRPOTrainConfig(prompts_per_step=2, num_generations=2).to_trl(tmp_path)
    assert grpo.use_cpu is True and not grpo.use_vllm
    fake_cuda(monkeypatch, H200)
    precision = training_precision()
    assert precision.bf16 and not precision.use_cpu  # what to_trl passes to TRL on this GPU
    assert SFTTrainConfig().to_trl(tmp_path, use_cpu=True).bf16 is False  # forced CPU stays fp32


def test_the_pool_loads_on_its_device_in_its_dtype(tmp_path) -> None:
    base = make_tiny_chat_model(tmp_path / "tiny", seed=0)
    registry = ModelRegistry(Settings.load(tmp_path / "data").ensure())
    pool = ModelPool(registry, budget_bytes=10**9)
    model = pool.get(str(base)).model
    assert model.device.type == "cpu" and model.dtype == torch.float32


class _Recorder:
    """A chat engine that records what it was asked to serve."""

    def __init__(self, name: str) -> None:
        self.name, self.calls = name, []

    def stream(self, sides, conversations, params, stop=None):
        self.calls.append(list(sides))
        yield StreamEvent(0, "done", "", "eos")


def test_routed_engine_sends_base_requests_to_vllm_and_others_to_transformers(tmp_path) -> None:
    paths = {"default": tmp_path / "base", "smollm": tmp_path / "base", "other": tmp_path / "other"}
    fallback, vllm = _Recorder("transformers"), _Recorder("vllm")
    started: list[Path] = []

    def start(path: Path):
        started.append(path)
        return vllm

    engine = RoutedChatEngine(fallback, lambda ref: paths[ref], "default", start)
    assert "starts on the first chat" in engine.describe()
    ab = [SideSpec("default", tmp_path / "a"), SideSpec("smollm", tmp_path / "b")]
    list(engine.stream(ab, [[], []], GenerationParams(4)))
    assert started == [tmp_path / "base"] and len(vllm.calls) == 1 and not fallback.calls
    assert [s.model for s in vllm.calls[0]] == ["default", "default"]  # vLLM is addressed by its own reference
    assert [s.adapter for s in vllm.calls[0]] == [tmp_path / "a", tmp_path / "b"]
    list(engine.stream([SideSpec("default"), SideSpec("other")], [[], []], GenerationParams(4)))
    assert len(fallback.calls) == 1 and len(vllm.calls) == 1 and len(started) == 1
    assert "running" in engine.describe()


def test_routed_engine_falls_back_for_good_when_vllm_cannot_start(tmp_path) -> None:
    fallback = _Recorder("transformers")

    def start(path: Path):
        raise RuntimeError("CUDA out of memory")

    engine = RoutedChatEngine(fallback, lambda ref: tmp_path, "default", start)
    list(engine.stream([SideSpec("default")], [[]], GenerationParams(4)))
    list(engine.stream([SideSpec("default")], [[]], GenerationParams(4)))
    assert len(fallback.calls) == 2
    assert engine.describe() == "transformers (vLLM could not start: RuntimeError: CUDA out of memory)"


def test_engine_factory_follows_the_choice(monkeypatch, tmp_path) -> None:
    registry = ModelRegistry(Settings.load(tmp_path / "data").ensure())
    pool = ModelPool(registry, budget_bytes=10**9)
    resolve = lambda ref: registry.resolve(ref).path  # noqa: E731
    fake_cuda(monkeypatch, None)
    cpu_choice = choose_chat_engine()
    engine = create_chat_engine(cpu_choice, pool, resolve)
    assert isinstance(engine, TransformersChatEngine)
    assert describe_serving(cpu_choice, engine) == "Chat engine: transformers · device CPU · float32"
    fake_cuda(monkeypatch, H200)
    fake_vllm(monkeypatch, tmp_path, installed=True)
    gpu_choice = choose_chat_engine()
    routed = create_chat_engine(gpu_choice, pool, resolve)
    assert isinstance(routed, RoutedChatEngine) and isinstance(routed.fallback, TransformersChatEngine)
    line = describe_serving(gpu_choice, routed)
    assert line.startswith("Chat engine: vLLM for default") and "CUDA · NVIDIA H200" in line


def test_model_jobs_take_a_gpu_when_the_machine_has_one(monkeypatch, tmp_path) -> None:
    from backend.documents import DocumentService
    from backend.jobs import JobService
    from backend.store import Store

    def with_documents(settings: Settings) -> Settings:  # adapt refuses an empty collection at submit
        DocumentService(settings, Store(settings.db_path)).upload([("notes.md", b"# Notes\n\nThe sky is blue.")])
        return settings

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # what the job runner counts its GPU slots from
    service = JobService(with_documents(Settings.load(tmp_path / "gpu").ensure()))
    assert service.submit("pipeline.adapt", {"mode": "sft"}).resources == ["gpu"]
    assert service.submit("selftest.count").resources == ["cpu"]  # runs no model
    assert service.submit("pipeline.adapt", {"mode": "sft"}, resources=["cpu"]).resources == ["cpu"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    cpu_only = JobService(with_documents(Settings.load(tmp_path / "cpu").ensure()))
    assert cpu_only.submit("pipeline.adapt", {"mode": "sft"}).resources == ["cpu"]
