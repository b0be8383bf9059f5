"""One Stage II: the same document, preset, skill, λ and seed through `past adapt` and through the studio's Adapt
job (a real worker subprocess over a collection in the store) give bit-identical adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from backend.bootstrap import seed_default_skills
from backend.documents import DocumentService
from backend.store import Store
from past.models import ModelRegistry
from tests.jobs_support import ROOT, job_settings, past_cli, runner, service, wait_until  # noqa: F401 (fixtures)

DOC = ROOT / "assets" / "documents" / "orvane-glass-lichen.md"
SKILL = "closed-book-qa-smollm2-135m"

pytestmark = pytest.mark.slow


def tensors(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "adapter_model.safetensors")


def test_cli_and_studio_job_produce_identical_adapters(job_settings, service, runner) -> None:  # noqa: F811
    ModelRegistry(job_settings).ensure_default()
    assert SKILL in seed_default_skills(job_settings)
    DocumentService(job_settings, Store(job_settings.db_path)).upload_paths([DOC], "parity")
    settings = {"skill": SKILL, "preset": "short-notes", "epochs": 1.0, "seed": 3, "lam": 0.7}
    job = service.submit("pipeline.adapt", {"collection": "parity", "name": "from-job", **settings})
    wait_until(lambda: service.get(job.id).terminal, timeout=900, what="the Adapt job")
    assert service.get(job.id).state == "succeeded", service.get(job.id).error

    done = past_cli(
        job_settings,
        *("adapt", str(DOC), "--skill", SKILL, "--preset", "short-notes", "--epochs", "1", "--seed", "3"),
        *("--lam", "0.7", "--name", "from-cli"),
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    # the same estimate before each run (the job logs it and keeps it beside its measured stage times)
    logged = [e["message"] for e in service.logs(job.id) if e["message"].startswith("estimated time: ")]
    printed = [line for line in done.stderr.splitlines() if line.startswith("estimated time: ")]
    assert logged and printed and printed[0].startswith(logged[0]), (logged, printed)
    result = service.get(job.id).result
    assert result["estimate_s"] > 0 and result["stage_seconds"]["documents.sft"] > 0

    adapters = job_settings.adapters_dir
    for part in ("baseline", "injected"):
        ours, theirs = tensors(adapters / "from-cli" / part), tensors(adapters / "from-job" / part)
        assert ours.keys() == theirs.keys() and ours
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), f"{part} adapters differ"
