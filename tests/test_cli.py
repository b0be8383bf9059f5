"""The ``past`` CLI: help, model commands, and errors printed without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from past.settings import Settings
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent


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


def test_parsing_and_listing_load_no_torch(tmp_path: Path) -> None:
    """The command line, its help and the library listings start without torch (~0.5 s instead of ~2 s)."""
    probe = (
        "import sys\n"
        "from past.cli.main import main\n"
        "for argv in (['--help'], ['skill', 'list'], ['model', 'list'], ['adapt', '--help']):\n"
        "    try:\n"
        "        main(['--data-dir', sys.argv[1], *argv])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


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


def test_commands_of_other_packages_come_through_entry_points(tmp_path: Path) -> None:
    """``past`` registers the command modules of the ``past.commands`` entry-point group of any installed
    distribution (how the backend adds ``past job``), without naming them."""
    site = tmp_path / "site"
    (site / "hello_cmd.py").parent.mkdir(parents=True)
    (site / "hello_cmd.py").write_text(
        "def register(subparsers):\n"
        "    p = subparsers.add_parser('hello', help='say hello')\n"
        "    p.set_defaults(func=lambda args, settings: print('hello from a plugin') or 0)\n"
    )
    dist = site / "hello_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[past.commands]\nhello = hello_cmd\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "past.cli.main", "--data-dir", str(tmp_path / "data"), "hello"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello from a plugin"


def test_the_backend_registers_past_job_as_an_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    """pyproject.toml declares ``past job`` in the group ``past`` reads; ``python -m backend.cli`` runs it too."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["past.commands"]
    assert declared == {
        "job": "backend.cli.job_cmd",
        "report-card": "backend.cli.report_card_cmd",
        "docs": "backend.cli.docs_cmd",
        "ab": "backend.cli.ab_cmd",
        "audit": "backend.cli.audit_cmd",
    }
    from backend.cli.__main__ import declared_commands
    from past.cli.main import build_parser

    parser = build_parser(declared_commands())  # every declared module exists and registers its command
    for name in declared:
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([name, "--help"])
        assert exited.value.code == 0 and "usage: past " + name in capsys.readouterr().out
    result = subprocess.run([sys.executable, "-m", "backend.cli", "job", "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # and `python -m backend.cli` runs them
    assert "submit" in result.stdout and "daemon" in result.stdout
