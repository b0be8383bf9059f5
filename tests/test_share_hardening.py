"""Share-link hardening, by real HTTP requests against one exposed studio (``--host 0.0.0.0``, an editor and
two viewers, uploads capped at 5 MB): a viewer cannot upload (and nothing lands in the upload cache), an editor's
upload over the cap is refused however its size is sent, every page carries anti-framing and nosniff headers,
wrong passwords are throttled, a viewer's pages and API schema name no server path, one viewer's flood of
chats does not hold up another user's reply beyond the per-user cap, and endpoint URLs that lead to this machine,
its networks or a metadata service are refused. The upload-cache sweeper and the login throttle have fast units.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from past.models import ModelRegistry
from past.settings import Settings
from studio.http_guard import LOGIN_FAILURES, LoginThrottle, UploadSweeper
from tests.conftest import launched_studio

EDITOR, VIEWER, OTHER_VIEWER = ("ed", "pw-ed"), ("vi", "pw-vi"), ("vo", "pw-vo")
UPLOAD_CAP_MB = 5


@pytest.fixture(scope="module")
def studio(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One exposed studio for the whole module (launching one is slow on a small machine)."""
    args = ["--host", "0.0.0.0", "--auth", ":".join(EDITOR), "--max-upload-mb", str(UPLOAD_CAP_MB)]
    args += ["--viewer-auth", ":".join(VIEWER), "--viewer-auth", ":".join(OTHER_VIEWER)]
    log_path = tmp_path_factory.mktemp("hardened-studio") / "studio.log"
    with launched_studio(session_settings, args, log_path, timeout=300) as url:
        yield url


def logged_in(url: str, login: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    response = client.post("/login", data={"username": login[0], "password": login[1]})
    assert response.status_code == 200, response.text
    return client


def cache_files(settings: Settings) -> set[Path]:
    return {p for p in settings.gradio_temp_dir.rglob("*") if p.is_file()}


def multipart(size: int, name: str = "big.md") -> Iterator[bytes]:
    """A valid multipart upload of ``size`` bytes, streamed in chunks (no Content-Length: chunked encoding)."""
    yield f'--bnd\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n\r\n'.encode()
    for _ in range(size // 1_000_000):
        yield b"x" * 1_000_000
    yield b"\r\n--bnd--\r\n"


@pytest.mark.slow
def test_uploads_only_by_editors_within_the_cap_and_headers(studio: str, session_settings: Settings) -> None:
    before = cache_files(session_settings)
    viewer = logged_in(studio, VIEWER)
    refused = viewer.post("/gradio_api/upload", files={"files": ("note.md", b"# should never be stored")})
    assert refused.status_code == 403 and "viewer" in refused.text and "Traceback" not in refused.text
    assert httpx.post(f"{studio}gradio_api/upload", files={"files": ("a.md", b"x")}).status_code == 401
    assert cache_files(session_settings) == before, "a refused upload was stored"

    editor = logged_in(studio, EDITOR)
    ok = editor.post("/gradio_api/upload", files={"files": ("note.md", b"# Note\nThe lichen glows.")})
    assert ok.status_code == 200 and len(ok.json()) == 1
    too_big = editor.post("/gradio_api/upload", files={"files": ("big.md", b"x" * (UPLOAD_CAP_MB + 1) * 1_000_000)})
    assert too_big.status_code == 413 and f"at most {UPLOAD_CAP_MB} MB" in too_big.text
    streamed = editor.post(
        "/gradio_api/upload",
        content=multipart((UPLOAD_CAP_MB + 2) * 1_000_000),
        headers={"content-type": "multipart/form-data; boundary=bnd"},
    )
    assert streamed.status_code == 411, streamed.text  # a size that is not declared is not taken
    assert declared_upload_status(studio, editor, 2_000_000_000) == 413  # refused before a byte of it is read
    added = cache_files(session_settings) - before  # the shared studio's cache holds other tests' uploads too
    assert not any(p.stat().st_size > 1_000_000 for p in added), "an oversized upload stayed"

    for page in ("/", "/config", "/gradio_api/info"):
        headers = viewer.get(page).headers
        assert headers["x-frame-options"] == "DENY", page
        assert "frame-ancestors 'none'" in headers["content-security-policy"], page
        assert headers["x-content-type-options"] == "nosniff", page


def declared_upload_status(url: str, client: httpx.Client, length: int) -> int:
    """The status of an upload that only declares a huge body (sent through a raw socket, nothing follows)."""
    parts = urlsplit(url)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            f"POST /gradio_api/upload HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary=bnd\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        return int(sock.recv(200).split(b" ")[1])


@pytest.mark.slow
def test_viewer_pages_and_api_schema_name_no_server_path(studio: str, session_settings: Settings) -> None:
    from gradio_client import Client

    data = str(session_settings.data_dir)
    viewer = logged_in(studio, VIEWER)
    for page in ("/", "/config", "/gradio_api/info"):
        text = viewer.get(page).text
        assert data not in text, (
            f"{page} names the data directory: …{text[text.find(data) - 200 : text.find(data) + 100]}…"
        )
    listing = Client(studio, auth=VIEWER, verbose=False).predict("default", None, api_name="/list_skills")
    assert listing and data not in str(listing)


@pytest.mark.slow
def test_one_viewers_flood_of_chats_does_not_hold_up_another_users_reply(
    studio: str, session_settings: Settings
) -> None:
    from gradio_client import Client

    model = ModelRegistry(session_settings).list()[0].name
    editor = Client(studio, auth=EDITOR, verbose=False)
    ask = ("Say hello.", [], model, 48, 0.0)
    editor.predict(*ask, api_name="/chat")  # the model is loaded once, outside the timing
    alone = min(timed(lambda: editor.predict(*ask, api_name="/chat")) for _ in range(2))

    viewer = logged_in(studio, VIEWER)
    chat = next(d for d in viewer.get("/config").json()["dependencies"] if d.get("api_name") == "chat")
    answers = []
    for i in range(30):
        body = {
            "data": ["Write a long story about a cat and a lighthouse.", [], model, 400, 0.0],
            "fn_index": chat["id"],
            "trigger_id": chat["targets"][0][0],
            "session_hash": f"flood-{os.getpid()}-{i}",
            "event_data": None,
        }
        answers.append(viewer.post("/gradio_api/queue/join", json=body))
    refused = [a for a in answers if a.status_code == 429]
    assert refused and all("Too many requests" in a.json()["detail"] for a in refused)
    assert all(a.status_code in (200, 429) for a in answers)

    # at most one of the viewer's replies is written at a time: the editor's reply shares the machine with
    # that one stream (about 2x on a small CPU), where before it waited behind the whole flood (7x)
    flooded = timed(lambda: editor.predict(*ask, api_name="/chat"))
    assert flooded < 3.5 * alone + 2, f"alone {alone:.1f} s, during the viewer's flood {flooded:.1f} s"
    other = Client(studio, auth=OTHER_VIEWER, verbose=False)  # another viewer, too
    assert timed(lambda: other.predict(*ask, api_name="/chat")) < 3.5 * alone + 2


def timed(call) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


@pytest.mark.slow
def test_endpoints_on_this_machine_or_its_networks_are_refused(studio: str) -> None:
    from gradio_client import Client

    editor = Client(studio, auth=EDITOR, verbose=False)
    own = urlsplit(studio)
    for url in (
        "http://[::1]:8000/v1",
        "http://0x7f000001/v1",
        "http://169.254.169.254/latest/meta-data",
        f"http://localhost:{own.port}/",  # the studio itself
        f"http://{socket.gethostname()}:{own.port}/",
        "http://10.0.0.7:8000/v1",
    ):
        with pytest.raises(Exception) as info:
            editor.predict(url, "some-model", api_name="/tools_simulator")
        assert "public internet" in str(info.value) or "cannot be resolved" in str(info.value), (url, info.value)


@pytest.mark.slow
def test_wrong_passwords_are_throttled(studio: str) -> None:
    client = httpx.Client(base_url=studio, timeout=60)
    for _ in range(LOGIN_FAILURES):
        assert client.post("/login", data={"username": "mallory", "password": "guess"}).status_code == 400
    throttled = client.post("/login", data={"username": "mallory", "password": "guess"})
    assert throttled.status_code == 429 and "Too many failed logins" in throttled.json()["detail"]
    assert int(throttled.headers["retry-after"]) > 0
    logged_in(studio, EDITOR)  # someone else's login from the same address still works


def test_login_throttle_window() -> None:
    throttle = LoginThrottle(per_name=2, per_client=3)
    throttle.failed("1.2.3.4", "ed", now=0.0)
    assert throttle.wait_s("1.2.3.4", "ed", now=1.0) == 0
    throttle.failed("1.2.3.4", "ed", now=1.0)
    assert throttle.wait_s("1.2.3.4", "ed", now=2.0) == pytest.approx(58.0)
    assert throttle.wait_s("5.6.7.8", "ed", now=2.0) == 0  # another client
    throttle.failed("1.2.3.4", "vi", now=2.0)
    assert throttle.wait_s("1.2.3.4", "anyone", now=3.0) > 0  # the client's own cap over all names
    assert throttle.wait_s("1.2.3.4", "ed", now=61.5) == 0  # the window has passed


def test_upload_sweeper_removes_old_uploads_only(tmp_path: Path) -> None:
    old = tmp_path / "abc" / "old.md"
    new = tmp_path / "def" / "new.md"
    for path in (old, new):
        path.parent.mkdir()
        path.write_text("x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert UploadSweeper(tmp_path, max_age_s=3600).sweep() == 1
    assert not old.exists() and not old.parent.exists() and new.exists()
