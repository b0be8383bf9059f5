"""A studio reachable from other machines (``--host 0.0.0.0`` with logins), driven through its HTTP API.

Every endpoint that takes a path or a model reference is called with ``/etc/passwd``, ``../../`` and a
symbolic link out of the data directory: each call is refused with a message and nothing is read, written
or queued. A viewer login's calls to the endpoints that change things are refused on the server, and in a
real browser a viewer logged in through Gradio's login page sees none of the controls that change things.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.documents import DocumentService
from backend.jobs import JobService
from backend.store import AuditRepository, Store
from past.adapt_params import DEFAULT_PRESET
from past.settings import DATA_DIR_ENV, Settings
from past.skills import SkillLibrary
from tests.browser import chromium_page
from tests.conftest import ROOT, launched_studio

SKILL = "closed-book-qa-smollm2-135m"
EDITOR, VIEWER = ("ed", "pw-ed"), ("vi", "pw-vi")


@pytest.fixture(scope="module")
def exposed_url(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A studio on every interface of this machine with an editor and a viewer login (reached on loopback)."""
    args = ["--host", "0.0.0.0", "--auth", ":".join(EDITOR), "--viewer-auth", ":".join(VIEWER)]
    log_path = tmp_path_factory.mktemp("exposed-studio") / "studio.log"
    with launched_studio(session_settings, args, log_path, timeout=300) as url:
        yield url


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
def test_exposed_studio_refuses_outside_paths_and_viewer_changes(
    exposed_url: str, session_settings: Settings, tmp_path: Path
) -> None:
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
    env = {**os.environ, DATA_DIR_ENV: str(data)}

    try:
        editor = Client(exposed_url, auth=EDITOR, verbose=False)
        viewer = Client(exposed_url, auth=VIEWER, verbose=False)
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
            "/build_skill": ("viewer-skill", "exposed", 1.0, "custom", 1, 1, 1, 2, 1, 0.0, 1e-5),
            "/evaluate": (["default"], "exposed", "rule", 8, 1, "", "", ""),
            "/attach_questions": (handle_file(str(ROOT / "assets/documents/isle-of-vessary.qa.json")), "exposed"),
            "/cancel_job": (jobs_before[0] if jobs_before else "nojob",),
            "/analyze": (SKILL, SKILL, "", ""),
        }
        for name, call_args in changes.items():  # calls with a file are stopped at the upload itself (403)
            refused(viewer, call_args, name, ("Not allowed", "403 Forbidden"))
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
            "upload",  # by studio.http_guard, before Gradio stores the file
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
    finally:
        link.unlink(missing_ok=True)
        DocumentService(session_settings, store).delete(doc.row["id"])


def log_in(page, url: str, login: tuple[str, str]) -> None:
    """Sign in through Gradio's login page and wait until the studio's page has loaded."""
    page.context.clear_cookies()
    page.goto(url)
    page.get_by_label("username").fill(login[0])
    page.get_by_label("password").fill(login[1])
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#studio-access")).to_contain_text(f"logged in as {login[0]}", timeout=60_000)


@pytest.mark.slow
def test_viewer_login_sees_no_editing_controls(exposed_url: str, output_dir: Path) -> None:
    """A viewer's page has no Documents, Adapt, Build a skill or Jobs screen, no skill import/export/delete,
    question upload, evaluation launch or analysis button; the editor's page on the same studio has them all
    (so each check can fail). Their direct API calls are refused: the test above."""
    editing_screens = ("Documents", "Adapt", "Build a skill", "Jobs")
    viewing_screens = ("Chat", "Skill library", "A/B chat", "Arena", "Evaluate", "Analyse")
    controls = {  # screen -> its editing controls (a fold's title, or a button)
        "Skill library": ("#skills-manage",),
        "Evaluate": ("#ev-add-questions", "#ev-launch"),
        "Analyse": ("#an-run",),
    }
    with chromium_page() as page:
        for login, editor in ((VIEWER, False), (EDITOR, True)):
            log_in(page, exposed_url, login)
            role = "editor" if editor else "viewer"  # the header names this page's own role
            expect(page.locator("#studio-access")).to_contain_text(f"logged in as {login[0]}, {role}")
            for name in viewing_screens:
                expect(page.get_by_role("tab", name=name, exact=True)).to_be_visible()
            for name in editing_screens:
                shown(expect(page.get_by_role("tab", name=name, exact=True)), editor)
            for screen, selectors in controls.items():
                page.get_by_role("tab", name=screen, exact=True).click()
                for selector in selectors:
                    shown(expect(page.locator(selector)), editor)
                page.screenshot(path=output_dir / f"{login[0]}-{screen.lower().replace(' ', '-')}.png", full_page=True)
            if not editor:  # what a viewer is there for is on the page
                page.get_by_role("tab", name="A/B chat", exact=True).click()
                expect(page.locator("#ab-send")).to_be_visible()
                page.get_by_role("tab", name="Arena", exact=True).click()
                expect(page.locator("#arena-ask")).to_be_visible()


def shown(assertion, visible: bool) -> None:
    """Visible to an editor; hidden (or absent) for a viewer, once the page's load has hidden it."""
    if visible:
        assertion.to_be_visible(timeout=30_000)
    else:
        assertion.to_be_hidden(timeout=30_000)
