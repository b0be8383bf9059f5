"""Concurrency slots per resource: ``cpu`` (a count) and each GPU (``gpu:0``, ``gpu:1``, ...).

A job asks for a list like ``["cpu"]``, ``["gpu"]`` (any one GPU), ``["gpu:1"]`` or
``["gpu", "gpu"]``; it starts only when every item can be granted at once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from backend.jobs.errors import JobSpecError
from past.numbers import THREADS

_RESOURCE = re.compile(r"^(cpu|gpu)(:\d+)?$")


def check_resources(resources: list[str]) -> None:
    for item in resources:
        if not _RESOURCE.match(item) or item.startswith("cpu:"):
            raise JobSpecError(f"unknown resource {item!r}: use cpu, gpu or gpu:N")


def detect_slots(cpu_slots: int | None = None) -> dict[str, int]:
    """``cpu`` slots (``PAST_CPU_SLOTS`` or 2) and one slot per visible GPU."""
    if cpu_slots is None:
        cpu_slots = THREADS.check(os.environ.get("PAST_CPU_SLOTS", "2"), "PAST_CPU_SLOTS")
    slots = {"cpu": cpu_slots}
    for index in range(gpu_count()):
        slots[f"gpu:{index}"] = 1
    return slots


def gpu_count() -> int:
    """GPUs this machine offers jobs: ``CUDA_VISIBLE_DEVICES`` when set, else what ``nvidia-smi -L`` lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([v for v in visible.split(",") if v.strip()])
    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


class SlotPool:
    def __init__(self, capacity: dict[str, int]) -> None:
        self.capacity = dict(capacity)
        self.used: dict[str, int] = dict.fromkeys(capacity, 0)

    def _free(self, name: str, extra: dict[str, int]) -> int:
        return self.capacity.get(name, 0) - self.used.get(name, 0) - extra.get(name, 0)

    def can_ever(self, resources: list[str]) -> bool:
        gpus = [k for k in self.capacity if k.startswith("gpu:")]
        for item in resources:
            if item == "gpu" and not gpus:
                return False
            if item != "gpu" and item not in self.capacity:
                return False
        return sum(1 for r in resources if r == "gpu") <= len(gpus)

    def try_acquire(self, resources: list[str]) -> list[str] | None:
        """The concrete slots granted (e.g. ``["cpu", "gpu:1"]``), or None if not all are free."""
        granted: dict[str, int] = {}
        names = []
        for item in sorted(resources, key=lambda r: r == "gpu"):  # exact names first
            if item == "gpu":
                choice = next(
                    (k for k in sorted(self.capacity) if k.startswith("gpu:") and self._free(k, granted) > 0), None
                )
                if choice is None:
                    return None
                item = choice
            if self._free(item, granted) <= 0:
                return None
            granted[item] = granted.get(item, 0) + 1
            names.append(item)
        for name, count in granted.items():
            self.used[name] = self.used.get(name, 0) + count
        return names

    def release(self, names: list[str]) -> None:
        for name in names:
            self.used[name] = max(0, self.used.get(name, 0) - 1)
