"""The ``past`` CLI: help, model commands, and errors printed without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from past.settings import Settings
from tests.tiny_models import make_tiny_llama


def run_past(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "past.cli.main", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_lists_commands(tmp_path: Path) -> None:
    result = run_past("--help", data_dir=tmp_path)
    assert result.returncode == 0
    assert "model" in result.stdout and "chat" in result.stdout


def test_model_info_on_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "corrupt")
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    result = run_past("model", "info", str(path), data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "error:" in result.stderr and "model.safetensors" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_info_reports_fingerprint(tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "tiny")
    result = run_past("model", "info", str(path), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model_type"] == "llama" and len(info["fingerprint"]) == 16


@pytest.mark.slow
def test_model_list_and_chat_on_default(session_settings: Settings) -> None:
    listed = run_past("model", "list", "--json", data_dir=session_settings.data_dir)
    assert listed.returncode == 0, listed.stderr
    assert [m["name"] for m in json.loads(listed.stdout)] == ["smollm2-135m-instruct"]
    chat = run_past("chat", "Name a colour.", "--max-new-tokens", "16", data_dir=session_settings.data_dir)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip()
