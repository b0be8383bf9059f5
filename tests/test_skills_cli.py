"""The skill commands of the ``past`` CLI, end to end in subprocesses on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

from tests.skill_fixtures import perturbed_copy
from tests.test_cli import run_past
from tests.tiny_models import make_tiny_llama


def test_extract_compress_analyze_inject_and_manage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sft = make_tiny_llama(tmp_path / "sft", seed=0)
    rl = perturbed_copy(sft, tmp_path / "rl", seed=1)

    done = run_past("extract", "--rl", str(rl), "--sft", str(sft), "--name", "qa", "--domain", "squad", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["form"] == "full"

    done = run_past("compress", "qa", "--rank", "2", data_dir=data)
    assert done.returncode == 0 and "qa-r2" in done.stdout, done.stderr

    html = tmp_path / "cos.html"
    done = run_past("analyze", "qa", "qa-r2", "--control", "qa", "qa", "--html", str(html), data_dir=data)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["qa vs qa"]["mean_cosine"] > 0.999 and 0 < summary["qa vs qa-r2"]["mean_cosine"] < 1
    assert html.stat().st_size > 10_000

    done = run_past("inject", str(sft), "--skill", "qa", "--lam", "0.5,mlp=1", "--name", "final", data_dir=data)
    assert done.returncode == 0, done.stderr
    listed = run_past("model", "list", "--json", data_dir=data)
    assert "final" in [m["name"] for m in json.loads(listed.stdout)]

    done = run_past("skill", "export", "qa", str(tmp_path / "zips"), data_dir=data)
    assert done.returncode == 0, done.stderr
    assert run_past("skill", "rm", "qa", data_dir=data).returncode == 0
    done = run_past("skill", "import", str(tmp_path / "zips" / "qa.zip"), "--name", "qa2", data_dir=data)
    assert done.returncode == 0, done.stderr
    listing = json.loads(run_past("skill", "list", "--json", data_dir=data).stdout)
    assert sorted(m["name"] for m in listing) == ["qa-r2", "qa2"]


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run_past("skill", "rename", "nothing", "../up", data_dir=data)
    assert done.returncode == 2 and "error:" in done.stderr and "Traceback" not in done.stderr
    sft = make_tiny_llama(tmp_path / "sft", seed=0)
    done = run_past("inject", str(sft), "--skill", "missing", "--name", "x", data_dir=data)
    assert done.returncode == 2 and "neither a skill" in done.stderr and "Traceback" not in done.stderr
