"""``past tools``: ingest with per-API issues, SFT data from templates, an A/B agent run with every step printed,
and clear errors (exit 2, no traceback) for unusable input."""

from __future__ import annotations

import json
from pathlib import Path

from past.cli.main import main
from tests.tool_fixtures import OPENAPI, PARCEL_APIS, make_byte_chat_model


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_ingest_reports_issues_and_keeps_the_rest(tmp_path: Path, capsys) -> None:
    good = write(tmp_path / "parcel.json", PARCEL_APIS)
    weather = write(tmp_path / "weather.json", OPENAPI)
    bad = write(tmp_path / "bad.json", [{"tool_name": "t", "api_description": "no name"}])
    out = tmp_path / "apis.jsonl"
    code = main(
        ["--data-dir", str(tmp_path / "d"), "tools", "ingest", str(good), str(weather), str(bad), "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0 and "wrote 4 API(s) of 2 tool(s)" in captured.out
    assert "warning: bad.json: [0]: the API of tool 't' has no 'api_name'" in captured.err
    functions = [json.loads(line)["function"] for line in out.read_text().splitlines()]
    assert functions[:2] == ["latest_for_suivi_colis", "count_for_suivi_colis"]
    code = main(["--data-dir", str(tmp_path / "d"), "tools", "ingest", str(bad), "--out", str(tmp_path / "x")])
    assert code == 2 and "error: no usable APIs" in capsys.readouterr().err


def test_template_data_and_unusable_api_files(tmp_path: Path, capsys) -> None:
    apis = write(tmp_path / "parcel.json", PARCEL_APIS)
    out = tmp_path / "sft.jsonl"
    assert main(["--data-dir", str(tmp_path / "d"), "tools", "data", str(apis), "--templates", "--out", str(out)]) == 0
    kinds = [json.loads(line)["kind"] for line in out.read_text().splitlines()]
    assert kinds.count("format") == 4 and kinds.count("schema") == 2 and "usage_to_name" in kinds
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"tool": "t"}\n')
    code = main(["--data-dir", str(tmp_path / "d"), "tools", "data", str(broken), "--templates", "--out", str(out)])
    assert code == 2 and "broken.jsonl:1 is not an API record" in capsys.readouterr().err


def test_an_ab_agent_run_prints_every_step(tmp_path: Path, capsys) -> None:
    apis = write(tmp_path / "parcel.json", PARCEL_APIS)
    model_a = make_byte_chat_model(tmp_path / "a", seed=1)
    model_b = make_byte_chat_model(tmp_path / "b", seed=2)
    out = tmp_path / "ab.json"
    code = main(
        [
            "--data-dir",
            str(tmp_path / "d"),
            "tools",
            "run",
            "--apis",
            str(apis),
            "--query",
            "Where is CA1?",
            "--model",
            f"left={model_a}",
            "--model",
            f"right={model_b}",
            "--max-turns",
            "2",
            "--max-new-tokens",
            "6",
            "--json",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0 and "=== left ===" in printed and "=== right ===" in printed
    assert printed.count("--- turn 1:") == 2 and printed.count("--- turn 2:") == 2
    assert 'Observation: {"error": "Your step could not be read' in printed
    record = json.loads(out.read_text())
    assert set(record) == {"left", "right"} and record["left"]["stop_reason"] == "turn_limit"
