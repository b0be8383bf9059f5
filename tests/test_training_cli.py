"""The training CLI commands: registered, and bad input gives a specific error (exit 2), not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.cli.main import main


@pytest.mark.parametrize("command", ["sft", "grpo", "build-skill", "adapt"])
def test_commands_are_registered(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and "--threads" in capsys.readouterr().out


def test_bad_recipe_and_unknown_skill(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"name": "x", "rounds": [["a.md"]], "grpo": {"group": 4}}))
    assert main(["--data-dir", str(tmp_path / "d"), "build-skill", "--recipe", str(recipe)]) == 2
    assert "unknown GRPOTrainConfig setting(s): group" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path / "d"), "build-skill", "--recipe", str(tmp_path / "none.json")]) == 2
    assert "recipe not found" in capsys.readouterr().err
    doc = tmp_path / "doc.md"
    doc.write_text("text")
    code = main(["--data-dir", str(tmp_path / "d"), "adapt", str(doc), "--model", str(tmp_path), "--skill", "nope"])
    assert code == 2 and "error:" in capsys.readouterr().err
