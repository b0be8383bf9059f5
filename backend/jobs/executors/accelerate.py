"""``accelerate launch`` for multi-process / multi-GPU training kinds.

The job's ``executor_options`` may set ``config_file`` (an accelerate config, e.g. for FSDP or
DeepSpeed, passed through as is), ``num_processes``, ``cpu`` (force CPU), ``mixed_precision`` and
``extra_args`` (a list appended before the module). Every rank runs the worker; rank 0 reports (see
:mod:`backend.jobs.worker`). ``cpu`` with ``num_processes`` > 1 runs that many CPU processes over gloo.
"""

from __future__ import annotations

import sys
from pathlib import Path

from backend.jobs.errors import JobSpecError
from backend.jobs.executors.base import LaunchRequest
from backend.jobs.executors.local import ProcessHandle, spawn, stop_local_orphan

OPTIONS = ("config_file", "num_processes", "cpu", "mixed_precision", "main_process_port", "extra_args")


def check_options(options: dict) -> None:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise JobSpecError(f"unknown accelerate option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
    config = options.get("config_file")
    if config and not Path(config).is_file():
        raise JobSpecError(f"accelerate config file {config} does not exist")


class AccelerateExecutor:
    name = "accelerate"

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def command(self, request: LaunchRequest) -> list[str]:
        opts = request.options
        argv = [self.python, "-m", "accelerate.commands.launch"]
        if opts.get("config_file"):
            argv += ["--config_file", str(opts["config_file"])]
        if opts.get("cpu"):
            # accelerate's --cpu launcher starts one process (several need MPI); torchrun's starts N, and the
            # ranks then use gloo on the CPU (ACCELERATE_USE_CPU, set in launch)
            several = int(opts.get("num_processes") or 1) > 1
            argv.append("--multi_gpu" if several else "--cpu")
        if opts.get("num_processes") is not None:
            argv += ["--num_processes", str(int(opts["num_processes"]))]
        if opts.get("mixed_precision"):
            argv += ["--mixed_precision", str(opts["mixed_precision"])]
        if opts.get("main_process_port"):
            argv += ["--main_process_port", str(int(opts["main_process_port"]))]
        argv += [str(a) for a in opts.get("extra_args", [])]
        argv += ["-m", "backend.jobs.worker", request.job_id, "--data-dir", str(request.data_dir)]
        return argv

    def launch(self, request: LaunchRequest) -> ProcessHandle:
        if request.options.get("cpu"):
            request.env["ACCELERATE_USE_CPU"] = "true"
        return spawn(self.command(request), request)

    def stop_orphan(self, pid: int | None, pid_started: float | None, external_id: str | None) -> None:
        del external_id
        stop_local_orphan(pid, pid_started)
