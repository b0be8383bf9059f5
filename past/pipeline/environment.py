"""Where a pipeline ran: host, hardware and library versions, recorded in manifests."""

from __future__ import annotations

import os
import platform
import socket


def run_environment() -> dict[str, str | int | None]:
    import torch
    import transformers
    import trl

    from past.device import detect

    device = detect()
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": device.name if device.is_cuda else None,
        "device": device.torch_device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
    }
