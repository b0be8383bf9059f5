"""One progress/metrics interface for every long-running stage.

Library code (SFT, GRPO, synthesis, evaluation, skill operations) reports through a
:class:`Reporter`; the CLI prints it, the job runner stores it (logs, metrics, progress) and asks it
whether the user pressed Stop. ``past/`` only knows this protocol, never the runner behind it.
"""

from __future__ import annotations

import sys
from typing import Protocol, runtime_checkable


@runtime_checkable
class Reporter(Protocol):
    def progress(self, fraction: float, message: str) -> None:
        """Overall completion of the current job in [0, 1], with a short human message."""

    def metric(self, step: int, name: str, value: float) -> None:
        """A scalar at a training/eval step (loss, reward, kl, accuracy, ...)."""

    def log(self, message: str) -> None:
        """A free-form log line."""

    def should_stop(self) -> bool:
        """True once a cooperative stop was requested; long loops check it and end cleanly."""


class NullReporter:
    """Reports nothing and never asks to stop."""

    def progress(self, fraction: float, message: str) -> None:
        del fraction, message

    def metric(self, step: int, name: str, value: float) -> None:
        del step, name, value

    def log(self, message: str) -> None:
        del message

    def should_stop(self) -> bool:
        return False


class ConsoleReporter(NullReporter):
    """Prints progress and logs to stderr (the CLI's reporter)."""

    def progress(self, fraction: float, message: str) -> None:
        print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)

    def metric(self, step: int, name: str, value: float) -> None:
        print(f"  step {step}: {name}={value:.4g}", file=sys.stderr, flush=True)

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


class ScaledReporter:
    """Maps a sub-stage's [0, 1] progress into [start, end] of its parent's, forwarding the rest."""

    def __init__(self, parent: Reporter, start: float, end: float) -> None:
        self.parent, self.start, self.end = parent, start, end

    def progress(self, fraction: float, message: str) -> None:
        clamped = min(max(fraction, 0.0), 1.0)
        self.parent.progress(self.start + (self.end - self.start) * clamped, message)

    def metric(self, step: int, name: str, value: float) -> None:
        self.parent.metric(step, name, value)

    def log(self, message: str) -> None:
        self.parent.log(message)

    def should_stop(self) -> bool:
        return self.parent.should_stop()
