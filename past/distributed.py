"""Rank awareness for code that may run as several processes under ``accelerate launch`` (DDP, FSDP).

Every process (rank) runs the same program. Work whose effect must happen once — writing outputs,
publishing to the store or the library, synthesis — runs on the main process while the others wait at a
barrier (:func:`run_once`, :func:`main_process_first`); training itself runs on every rank, and TRL's
trainers shard the data by rank. Ranks are read from the launcher's environment (``RANK``, ``WORLD_SIZE``),
so a plain single process costs nothing: the process group is initialised, through accelerate's
``PartialState`` (which TRL's trainers then share), only when ``WORLD_SIZE`` > 1.

A rank that fails must exit rather than wait at a barrier: ``accelerate launch`` then stops the others.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT_ENV = "PAST_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 6 * 3600  # ranks may wait this long at a barrier (synthesis on the main rank is slow)


def rank() -> int:
    """This process's global rank (0 without a distributed launch)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes run this program (1 without a distributed launch)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def is_main() -> bool:
    """Whether this process does the once-only work (rank 0)."""
    return rank() == 0


def init() -> None:
    """Start the process group now (gloo on CPU, NCCL on GPUs) with a barrier timeout long enough for
    once-only work; the trainers reuse it. A no-op in a single process and when already started."""
    if not is_distributed():
        return
    import torch.distributed
    from accelerate import PartialState

    if torch.distributed.is_available() and torch.distributed.is_initialized():
        PartialState()
        return
    from past.device import detect

    cpu = not detect().is_cuda or os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    timeout = timedelta(seconds=float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)))
    PartialState(cpu=cpu, timeout=timeout)  # on the CPU: gloo (accelerate's MULTI_CPU)


def shutdown() -> None:
    """End the process group (at the end of a distributed run; a no-op otherwise)."""
    if is_distributed():
        import torch.distributed

        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def barrier() -> None:
    """Wait until every rank is here (a no-op in a single process)."""
    if is_distributed():
        from accelerate import PartialState

        init()
        PartialState().wait_for_everyone()


@contextlib.contextmanager
def main_process_first() -> Iterator[None]:
    """The main rank runs the block first (e.g. writes a cache); the others run it after (and read it)."""
    if not is_distributed():
        yield
        return
    from accelerate import PartialState

    init()
    with PartialState().main_process_first():
        yield


def run_once(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``fn`` on the main rank only, the others waiting at a barrier until it is done; its result on the
    main rank, ``None`` elsewhere."""
    result = fn(*args, **kwargs) if is_main() else None
    barrier()
    return result


def broadcast_json(obj: Any) -> Any:
    """The main rank's JSON-serialisable ``obj`` on every rank (sent as JSON text, never pickled)."""
    if not is_distributed():
        return obj
    import json

    import torch
    import torch.distributed
    from accelerate import PartialState

    init()
    device = PartialState().device  # NCCL moves CUDA tensors only
    data = json.dumps(obj).encode() if is_main() else b""
    size = torch.tensor([len(data)], dtype=torch.long, device=device)
    torch.distributed.broadcast(size, src=0)
    buffer = torch.zeros(int(size.item()), dtype=torch.uint8, device=device)
    if is_main():
        buffer.copy_(torch.frombuffer(bytearray(data), dtype=torch.uint8))
    torch.distributed.broadcast(buffer, src=0)
    return json.loads(buffer.cpu().numpy().tobytes().decode())
