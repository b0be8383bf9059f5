"""launch.py: share-link safety, flag validation, and a real studio answering a chat over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from past.errors import ConfigError
from past.settings import Settings
from studio.launcher import AUTH_ENV, exposure_warning
from tests.conftest import ROOT


def run_launch(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != AUTH_ENV}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "launch.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )


def test_share_without_auth_refuses(tmp_path: Path) -> None:
    result = run_launch("--share", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "needs authentication" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists(), "nothing should be set up before the refusal"


def test_listening_on_all_interfaces_without_a_login_refuses(tmp_path: Path) -> None:
    result = run_launch("--host", "0.0.0.0", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--host 0.0.0.0 makes the studio reachable" in result.stderr and "--no-auth-i-know" in result.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir()), "nothing should be set up before the refusal"


def test_exposure_needs_a_login_or_an_explicit_acceptance() -> None:
    for host in ("127.0.0.1", "localhost", "::1"):
        assert exposure_warning(host, None, accept_no_auth=False) == ""
    assert exposure_warning("0.0.0.0", ("me", "secret"), accept_no_auth=False) == ""
    for host in ("0.0.0.0", "::", "192.0.2.10", "no-such-host.invalid"):
        with pytest.raises(ConfigError, match="without --auth"):
            exposure_warning(host, None, accept_no_auth=False)
    banner = exposure_warning("0.0.0.0", None, accept_no_auth=True)
    assert banner.startswith("WARNING") and "WITHOUT a login" in banner


def test_malformed_auth_refuses(tmp_path: Path) -> None:
    result = run_launch("--auth", "no-colon", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "user:password" in result.stderr


def test_share_offline_fails_fast_with_a_message(tmp_path: Path) -> None:
    """Without a route to Gradio's share servers, --share must say so and exit, never hang.

    The route is taken away for this process only (every request goes through a proxy on a closed local
    port), so the test means the same on a machine with internet access. A hang is a failure; the limit is
    generous because the refusal comes after importing Gradio (seconds alone, minutes on a crowded CPU)."""
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = {AUTH_ENV: "demo:secret", "HTTPS_PROXY": unreachable, "HTTP_PROXY": unreachable, "ALL_PROXY": unreachable}
    env.update({"NO_PROXY": "", "no_proxy": "", "https_proxy": unreachable, "http_proxy": unreachable})
    try:
        result = run_launch("--share", "--data-dir", str(tmp_path), env=env, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("launch.py --share kept running for 300 s with the share servers unreachable; it must fail fast")
    assert result.returncode == 2, result.stderr
    assert "cannot create a share link" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists(), "nothing should be set up before the refusal"


@pytest.mark.slow
def test_studio_answers_a_chat(studio_url: str) -> None:
    from gradio_client import Client

    client = Client(studio_url, verbose=False)
    history, prompt_box, status = client.predict(
        "What is the capital of France?", [], "smollm2-135m-instruct", 32, 0.0, api_name="/chat"
    )
    assert prompt_box == ""
    assert history[-1]["role"] == "assistant"
    reply = history[-1]["content"]
    text = reply if isinstance(reply, str) else " ".join(part["text"] for part in reply)
    assert text.strip() and "Paris" in text
    assert "SmolLM2-135M-Instruct" in status


@pytest.mark.slow
def test_studio_empty_message_is_a_plain_error(studio_url: str) -> None:
    from gradio_client import Client

    client = Client(studio_url, verbose=False)
    with pytest.raises(Exception, match="Type a message first"):
        client.predict("   ", [], "smollm2-135m-instruct", 32, 0.0, api_name="/chat")


@pytest.mark.slow
def test_browser_uploads_land_inside_the_data_directory(studio_url: str, session_settings: Settings) -> None:
    import httpx

    reply = httpx.post(f"{studio_url}gradio_api/upload", files={"files": ("note.txt", b"hello from a browser")})
    reply.raise_for_status()
    (stored,) = reply.json()
    assert Path(stored).resolve().is_relative_to(session_settings.gradio_temp_dir.resolve())
    assert Path(stored).read_bytes() == b"hello from a browser"
