"""Where models run, decided in one place: CUDA when a GPU is visible (bf16, TF32), CPU otherwise (fp32).

Everything that loads, trains, evaluates or serves a model asks this module instead of calling
``torch.cuda.is_available()`` itself: :func:`detect` describes the device, :func:`training_precision`
gives the trainer's precision settings, :func:`training_dtype` the dtype to load weights in for training,
:func:`choose_chat_engine` picks vLLM (installed and a GPU present) or transformers, and
:func:`rollouts_use_vllm` decides the same for GRPO rollouts. ``PAST_DEVICE=cpu`` forces the CPU path on
a GPU machine; ``PAST_DEVICE=cuda`` refuses to start without a GPU instead of silently using the CPU.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any, Literal

from past.errors import ConfigError

DEVICE_ENV = "PAST_DEVICE"
GIB = 1024**3

DeviceType = Literal["cuda", "cpu"]
EngineName = Literal["vllm", "transformers"]


@dataclass(frozen=True)
class Device:
    """The accelerator a process uses: its type, name, memory and preferred dtype."""

    type: DeviceType
    name: str
    count: int = 0  # visible GPUs (0 on CPU)
    memory_bytes: int | None = None  # of the first GPU; None on CPU
    bf16: bool = False  # the GPU computes in bf16 natively (Ampere and newer)
    tf32: bool = False  # the GPU has TF32 tensor cores (Ampere and newer)

    @property
    def is_cuda(self) -> bool:
        return self.type == "cuda"

    @property
    def torch_device(self) -> str:
        return "cuda" if self.is_cuda else "cpu"

    @property
    def dtype_name(self) -> str:
        """The dtype weights are loaded in for inference: bf16 (or fp16 on older GPUs) on CUDA, fp32 on CPU."""
        if not self.is_cuda:
            return "float32"
        return "bfloat16" if self.bf16 else "float16"

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype_name)

    def describe(self) -> str:
        """One line for people, e.g. ``CUDA · NVIDIA H200 (139.8 GiB) · bfloat16``."""
        if not self.is_cuda:
            return f"CPU · {self.dtype_name}"
        memory = f" ({self.memory_bytes / GIB:.1f} GiB)" if self.memory_bytes else ""
        count = f" × {self.count}" if self.count > 1 else ""
        return f"CUDA · {self.name}{memory}{count} · {self.dtype_name}"


CPU = Device(type="cpu", name="CPU")


def detect(prefer: str | None = None) -> Device:
    """The device of this process. ``prefer`` (else ``$PAST_DEVICE``, else ``auto``) is auto, cpu or cuda."""
    choice = (prefer or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if choice not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"{DEVICE_ENV} must be auto, cpu or cuda, got '{choice}'")
    if choice == "cpu":
        return CPU
    import torch

    if not torch.cuda.is_available():
        if choice == "cuda":
            raise ConfigError(f"{DEVICE_ENV}=cuda but no CUDA GPU is visible to this process")
        return CPU
    props = torch.cuda.get_device_properties(0)
    ampere = props.major >= 8
    return Device(
        type="cuda",
        name=str(props.name),
        count=torch.cuda.device_count(),
        memory_bytes=int(props.total_memory),
        bf16=bool(torch.cuda.is_bf16_supported()),
        tf32=ampere,
    )


def configure_torch(device: Device) -> None:
    """Process-wide torch settings for ``device``: TF32 matmuls on GPUs that have them."""
    if device.is_cuda and device.tf32:
        import torch

        torch.set_float32_matmul_precision("high")  # TF32 for fp32 matmuls; bf16 weights are unaffected


@dataclass(frozen=True)
class TrainingPrecision:
    """The precision settings of a transformers/TRL trainer on a device."""

    use_cpu: bool
    bf16: bool  # bf16 autocast
    fp16: bool  # fp16 autocast with loss scaling (GPUs without bf16)
    tf32: bool | None  # None: leave torch's default

    def trainer_kwargs(self) -> dict[str, Any]:
        return {"use_cpu": self.use_cpu, "bf16": self.bf16, "fp16": self.fp16, "tf32": self.tf32}


def training_precision(device: Device | None = None, *, force_cpu: bool = False) -> TrainingPrecision:
    """bf16 autocast (fp16 on older GPUs) and TF32 on CUDA; plain fp32 on CPU (bf16 is a slowdown there)."""
    device = CPU if force_cpu else (device or detect())
    if not device.is_cuda:
        return TrainingPrecision(use_cpu=True, bf16=False, fp16=False, tf32=None)
    return TrainingPrecision(use_cpu=False, bf16=device.bf16, fp16=not device.bf16, tf32=True if device.tf32 else None)


def training_dtype(method: str, device: Device | None = None) -> Any:
    """The dtype to load weights in for training with ``method`` (``lora`` or ``full``).

    LoRA on CUDA: the frozen base in bf16 (half the memory; PEFT keeps the adapter in fp32). Full
    fine-tuning keeps fp32 master weights and trains under bf16 autocast, so the optimizer never rounds
    updates away. On CPU: fp32.
    """
    import torch

    device = device or detect()
    if device.is_cuda and method == "lora":
        return device.torch_dtype
    return torch.float32


def vllm_installed() -> bool:
    """Whether the ``vllm`` package can be imported (without importing it: that takes seconds)."""
    try:
        return importlib.util.find_spec("vllm") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class EngineChoice:
    """Which chat engine serves, on which device, and why."""

    name: EngineName
    device: Device
    reason: str

    def describe(self) -> str:
        engine = "vLLM" if self.name == "vllm" else "transformers"
        return f"{engine} on {self.device.describe()}"


def choose_chat_engine(device: Device | None = None) -> EngineChoice:
    """vLLM when it is installed and a GPU is present, transformers otherwise."""
    device = device or detect()
    if not device.is_cuda:
        return EngineChoice("transformers", device, "no CUDA GPU: transformers on CPU")
    if not vllm_installed():
        return EngineChoice("transformers", device, "vllm is not installed (pip install 'past-studio[gpu]')")
    return EngineChoice("vllm", device, "a CUDA GPU and vllm are present")


def rollouts_use_vllm(requested: bool | None, device: Device | None = None) -> bool:
    """Whether GRPO generates its rollouts with vLLM: as requested, or (``None``) when vLLM can serve."""
    if requested is not None:
        return requested
    return choose_chat_engine(device).name == "vllm"
