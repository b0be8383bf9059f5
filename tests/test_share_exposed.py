"""A studio reachable from other machines (``--host 0.0.0.0`` with logins), driven through its HTTP API.

Every endpoint that takes a path or a model reference is called with ``/etc/passwd``, ``../../`` and a
symbolic link out of the data directory: each call is refused with a message and nothing is read, written
or queued. A viewer login's calls to the endpoints that change things are refused on the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from backend.documents import DocumentService
from backend.jobs import JobService
from backend.store import AuditRepository, Store
from past.pipeline.adapt import DEFAULT_PRESET
from past.settings import DATA_DIR_ENV, Settings
from past.skills import SkillLibrary
from tests.conftest import ROOT, free_port, wait_for_http

SKILL = "closed-book-qa-smollm2-135m"


def snapshot(root: Path) -> set[str]:
    """Every file under ``root`` but the store itself and Gradio's upload cache."""
    skip = ("studio.sqlite", "tmp/")
    return {str(p.relative_to(root)) for p in root.rglob("*") if not str(p.relative_to(root)).startswith(skip)}


def refused(client, args: tuple, api_name: str, words: tuple[str, ...]) -> str:
    with pytest.raises(Exception) as info:
        client.predict(*args, api_name=api_name)
    message = str(info.value)
    assert any(w in message for w in words), f"{api_name}{args!r}: unexpected message {message!r}"
    return message


@pytest.mark.slow
def test_exposed_studio_refuses_outside_paths_and_viewer_changes(session_settings: Settings, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    data = session_settings.data_dir
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("adapter_config.json", "config.json", "manifest.json"):
        (outside / name).write_text("{}")
    link = data / f"link-out-{uuid.uuid4().hex[:6]}"
    link.symlink_to(outside)
    store = Store(session_settings.db_path)
    doc = DocumentService(session_settings, store).upload([("note.md", b"# Note\nThe lichen glows.")], "exposed")[0]
    note = tmp_path / "viewer-note.md"
    note.write_text("# Viewer\nshould never be stored")

    port = free_port()
    log_path = tmp_path / "studio.log"
    env = {**os.environ, DATA_DIR_ENV: str(data), "PYTHONUNBUFFERED": "1"}
    args = ["--host", "0.0.0.0", "--port", str(port), "--auth", "ed:pw-ed", "--viewer-auth", "vi:pw-vi"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "launch.py"), *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process, timeout=300)
        editor = Client(f"http://127.0.0.1:{port}/", auth=("ed", "pw-ed"), verbose=False)
        viewer = Client(f"http://127.0.0.1:{port}/", auth=("vi", "pw-vi"), verbose=False)
        jobs = JobService(session_settings, store=store)
        jobs_before = [j.id for j in jobs.list(limit=1000)]
        files_before, outside_before = snapshot(data), sorted(os.listdir(outside))
        skills_before = [m.name for m in SkillLibrary(session_settings).list()]

        words = ("data directory", "not in the list of choices", "not a registered model", "not a skill in the library")
        for bad in ("/etc/passwd", "../../", str(link), link.name):
            calls = {
                "/chat": ("hi", [], bad, 16, 0.0),
                "/ab_chat": ("hi", [], [], bad, "", "default", "", 16, 0.0, 1.0, False),
                "/list_skills": (bad, None),
                "/import_skill": (None, bad, "default", None),
                "/analyze": (bad, SKILL, "", ""),
                "/evaluate": ([f"x=default+{bad}"], "exposed", "rule", 8, 1, "", "", ""),
                "/adapt": (bad, "exposed", SKILL, 1.0, "", 1, DEFAULT_PRESET),
            }
            calls["/ab_chat (adapter)"] = ("hi", [], [], "default", bad, "default", "", 16, 0.0, 1.0, False)
            calls["/evaluate (model)"] = ([bad], "exposed", "rule", 8, 1, "", "", "")
            calls["/evaluate (sweep skill)"] = ([], "exposed", "rule", 8, 1, bad, "default", "0, 1")
            calls["/adapt (skill)"] = ("default", "exposed", bad, 1.0, "", 1, DEFAULT_PRESET)
            calls["/tools_agent"] = ("exposed", "hi", bad, "", "default", "", 1, 16, "none")
            calls["/tools_agent (adapter)"] = ("exposed", "hi", "default", "", "default", bad, 1, 16, "none")
            for name, call_args in calls.items():
                refused(editor, call_args, name.split(" ")[0], words)

        changes = {
            "/upload": ([handle_file(str(note))], "exposed", "all", None),
            "/upload_tools": ([handle_file(str(ROOT / "assets/documents/isle-of-vessary.qa.json"))], "exposed-tools"),
            "/delete_document": (None, True, "all"),
            "/import_skill": (None, str(data / "skills" / SKILL), "default", None),
            "/delete_skill": (SKILL, True, "default"),
            "/export_skill": (SKILL,),
            "/adapt": ("default", "exposed", SKILL, 1.0, "", 1, DEFAULT_PRESET),
            "/build_skill": ("viewer-skill", "exposed", 1.0, 1, 1, 1, 2, 1, 0.0, 1e-5),
            "/evaluate": (["default"], "exposed", "rule", 8, 1, "", "", ""),
            "/attach_questions": (handle_file(str(ROOT / "assets/documents/isle-of-vessary.qa.json")), "exposed"),
            "/cancel_job": (jobs_before[0] if jobs_before else "nojob",),
            "/analyze": (SKILL, SKILL, "", ""),
        }
        for name, call_args in changes.items():
            refused(viewer, call_args, name, ("Not allowed",))
        assert viewer.predict("default", None, api_name="/list_skills")  # looking is allowed

        assert [j.id for j in jobs.list(limit=1000)] == jobs_before, "a refused call queued a job"
        assert snapshot(data) == files_before, "a refused call wrote into the data directory"
        assert sorted(os.listdir(outside)) == outside_before
        assert [m.name for m in SkillLibrary(session_settings).list()] == skills_before
        assert DocumentService(session_settings, store).get(doc.row["id"])  # still there
        audit = AuditRepository(store)
        viewer_rows = audit.list(user="vi", limit=100)
        assert {r["action"] for r in viewer_rows if r["outcome"] == "refused"} >= {
            "delete_skill",
            "upload_documents",
            "upload_tools",
            "adapt",
        }
        assert any(
            r["outcome"] == "refused" and "data directory" in r["detail"] for r in audit.list(user="ed", limit=200)
        )
        out = subprocess.run(
            [sys.executable, "-m", "backend.cli", "audit", "--user", "vi", "--action", "delete_skill"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and "delete_skill" in out.stdout and "refused" in out.stdout, out.stderr
    except Exception:
        print(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        link.unlink(missing_ok=True)
        DocumentService(session_settings, store).delete(doc.row["id"])
