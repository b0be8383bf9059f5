"""The path policy of an exposed studio, roles and logins, the guard's decorators and the audit log (fast units)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from backend.path_policy import PathPolicy, PathRefusedError
from backend.store import AuditRepository, Store
from backend.users import EDITOR, VIEWER, Users, read_users_file
from past.errors import ConfigError, PastError
from studio.guard import Guard, TooManyRequestsError


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "adapters" / "mine").mkdir(parents=True)
    (root / "adapters" / "mine" / "adapter_config.json").write_text("{}")
    (root / "models" / "registered").mkdir(parents=True)
    (root / "skills" / "closed-book-qa").mkdir(parents=True)
    (root / "tmp" / "gradio").mkdir(parents=True)
    (root / "tmp" / "gradio" / "upload.md").write_text("# doc")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.txt").write_text("secret")
    (root / "link-out").symlink_to(outside)
    (root / "file-link-out").symlink_to(outside / "key.txt")
    (root / "adapters" / "sneaky").mkdir()
    (root / "adapters" / "sneaky" / "adapter_model.safetensors").symlink_to(outside / "key.txt")
    (root / "link-in").symlink_to(root / "adapters" / "mine")
    return root


def exposed(root: Path) -> PathPolicy:
    return PathPolicy.for_launch(root, host_is_loopback=False, share=False)


def test_policy_is_exposed_for_share_or_network_host(data: Path) -> None:
    assert not PathPolicy.for_launch(data, host_is_loopback=True, share=False).exposed
    assert PathPolicy.for_launch(data, host_is_loopback=True, share=True).exposed
    assert PathPolicy.for_launch(data, host_is_loopback=False, share=False).exposed


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("/etc/passwd", "outside the data directory"),
        ("../../etc/passwd", "contains '..'"),
        ("adapters/../../secret", "contains '..'"),
        ("~/secret", "home directory"),
        ("link-out", "symbolic link that leads outside"),
        ("link-out/key.txt", "symbolic link that leads outside"),
        ("file-link-out", "symbolic link that leads outside"),
        ("adapters/sneaky", "holds a symbolic link"),
        ("", "no path given"),
    ],
)
def test_exposed_policy_refuses_paths_out_of_the_data_dir(data: Path, raw: str, why: str) -> None:
    with pytest.raises(PathRefusedError, match=why):
        exposed(data).path(raw)
    # an absolute spelling of the same escape is refused as well
    if raw and not raw.startswith(("/", "~")):
        with pytest.raises(PathRefusedError):
            exposed(data).path(str(data / raw))


def test_exposed_policy_allows_paths_inside(data: Path) -> None:
    policy = exposed(data)
    assert policy.path(str(data / "tmp" / "gradio" / "upload.md")) == (data / "tmp/gradio/upload.md").resolve()
    assert policy.path("adapters/mine") == (data / "adapters/mine").resolve()
    assert policy.path("link-in") == (data / "adapters/mine").resolve()  # a link that stays inside is fine
    assert policy.adapter("") == ""


def test_local_policy_allows_what_the_studio_always_allowed(data: Path) -> None:
    local = PathPolicy.for_launch(data, host_is_loopback=True, share=False)
    assert local.path("/etc/passwd") == Path("/etc/passwd")
    assert local.model_ref("/some/checkpoint") == "/some/checkpoint"
    assert local.model_spec("x=default+/tmp/adapter@1") == "x=default+/tmp/adapter@1"
    assert local.check_ref("qa_path", "/etc/passwd") == "/etc/passwd"


def test_exposed_model_and_skill_references(data: Path) -> None:
    policy = exposed(data)
    assert policy.model_ref("default") == "default"
    assert policy.model_ref("registered") == "registered"
    assert policy.model_ref("HuggingFaceTB/SmolLM2-135M") == "HuggingFaceTB/SmolLM2-135M"  # a hub id
    for bad in ("/etc", "../../etc", "~", "not-registered", "tests/data", "a/b/c"):
        with pytest.raises(PathRefusedError):
            policy.model_ref(bad)
    inside = (data / "adapters/mine").resolve()
    assert policy.model_spec(f"ft=default+{data}/adapters/mine@2") == f"ft=default+{inside}@2"
    with pytest.raises(PathRefusedError, match="outside"):
        policy.model_spec("ft=default+/etc@2")
    assert policy.skill_ref("closed-book-qa") == "closed-book-qa"
    for bad in ("/etc", "tests", "no-such-skill", "link-out"):
        with pytest.raises(PathRefusedError):
            policy.skill_ref(bad)
    with pytest.raises(PathRefusedError):
        policy.check_ref("model_specs", ["default", "default+/etc"])
    with pytest.raises(PathRefusedError):
        policy.check_ref("qa_path", "/etc/passwd")
    assert policy.check_ref("collection", "../x") == "../x"  # names are the store's business


def test_users_roles_and_file(tmp_path: Path) -> None:
    users = Users.from_flags([("ed", "pw1")], [("vi", "pw2")])
    assert users.check("ed", "pw1") and not users.check("ed", "pw2") and not users.check("nobody", "")
    assert users.role("ed") == EDITOR and users.role("vi") == VIEWER and users.role("stranger") == VIEWER
    assert Users().role(None) == EDITOR  # no logins: a local studio, everyone edits
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"name": "a", "password": "b", "role": "viewer"}]}))
    assert read_users_file(path) == [("a", "b", "viewer")]
    path.write_text(json.dumps({"users": [{"name": "a", "password": "b", "role": "admin"}]}))
    with pytest.raises(ConfigError, match="role must be one of"):
        read_users_file(path)
    with pytest.raises(ConfigError, match="given twice"):
        Users.from_flags([("a", "b")], [("a", "c")])


def request_of(user: str | None) -> SimpleNamespace:
    return SimpleNamespace(username=user)


def test_guard_refuses_viewers_and_audits_every_call(tmp_path: Path) -> None:
    audit = AuditRepository(Store(tmp_path / "store.sqlite"))
    guard = Guard(users=Users.from_flags([("ed", "pw")], [("vi", "pw")]), audit=audit)
    deleted = []

    @guard.editor("delete_skill", target=0)
    def delete(name: str, sure: bool) -> str:
        deleted.append(name)
        return name

    with pytest.raises(gr.Error, match="Not allowed"):
        delete(request_of("vi"), "s1", True)
    assert delete(request_of("ed"), "s2", True) == "s2"
    assert deleted == ["s2"]
    rows = audit.list()
    assert [(r["user"], r["role"], r["action"], r["target"], r["outcome"]) for r in rows] == [
        ("ed", "editor", "delete_skill", "s2", "ok"),
        ("vi", "viewer", "delete_skill", "s1", "refused"),
    ]
    assert [r["user"] for r in audit.list(user="vi")] == ["vi"]
    # Gradio sees the request parameter first, with its type (that is how it knows to pass it)
    import inspect

    assert list(inspect.signature(delete).parameters) == ["request", "name", "sure"]
    assert guard.visibility(request_of("vi")) == [] and guard.role_of(request_of("ed")) == EDITOR


def test_guard_logs_refused_paths_and_caps_generations(tmp_path: Path) -> None:
    audit = AuditRepository(Store(tmp_path / "store.sqlite"))
    data = tmp_path / "data"
    data.mkdir()
    guard = Guard(policy=exposed(data), users=Users.from_flags([("ed", "pw")]), audit=audit, generations_per_user=1)

    @guard.paths
    def fingerprint(model: str) -> str:
        return guard.policy.model_ref(model)

    with pytest.raises(PathRefusedError):
        fingerprint(request_of("ed"), "/etc")
    latest = audit.list()[0]
    assert (latest["action"], latest["outcome"]) == ("path_refused", "refused")

    @guard.generation
    def stream(text: str):
        yield from text

    first = stream(request_of("ed"), "ab")
    assert next(first) == "a" and guard.running("ed") == 1
    with pytest.raises(TooManyRequestsError, match="Too many requests"):
        next(stream(request_of("ed"), "cd"))
    assert list(first) == ["b"] and guard.running("ed") == 0
    assert list(stream(request_of("ed"), "ef")) == ["e", "f"]
    stopped = stream(request_of("ed"), "gh")
    next(stopped)
    stopped.close()  # Stop pressed: the slot is given back
    assert guard.running("ed") == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:8000/v1",  # loopback, IPv6
        "http://0x7f000001/v1",  # loopback written as one hex number
        "http://2130706433/v1",  # ... and as a decimal one
        "http://localhost:7860/",  # a name that resolves to this machine (the studio itself)
        "http://[::ffff:127.0.0.1]/",  # IPv4 inside IPv6
        "http://0/",  # the unspecified address reaches this machine
        "http://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "http://[fe80::1]/",
        "http://10.1.2.3/v1",
        "http://192.168.0.10/v1",
        "http://100.64.0.1/v1",  # shared address space (carrier NAT)
        "http://no-such-host.invalid/v1",  # cannot be resolved: nothing is known about where it leads
    ],
)
def test_exposed_policy_refuses_endpoints_on_this_machine_or_its_networks(data: Path, url: str) -> None:
    with pytest.raises(PathRefusedError, match=r"leads to|cannot be resolved"):
        exposed(data).endpoint(url, "LLM simulator endpoint")
    assert PathPolicy(data_dir=data).endpoint(url) == url  # a local studio may call a local endpoint


def test_exposed_policy_allows_public_endpoints_and_checks_job_endpoints(data: Path) -> None:
    from backend.jobs.kinds.evaluate import EvaluateParams
    from backend.jobs.refs import apply_policy

    assert exposed(data).endpoint("http://8.8.8.8:8000/v1") == "http://8.8.8.8:8000/v1"
    raw = {
        "models": ["default"],
        "judge": "llm",
        "judge_endpoint": "http://169.254.169.254/",
        "judge_endpoint_model": "m",
    }
    with pytest.raises(PastError, match=r"judge_endpoint.*link-local"):
        apply_policy(EvaluateParams, raw, exposed(data))


def test_exposed_pages_show_names_not_server_paths(data: Path) -> None:
    policy = exposed(data)
    text = f"Data lives in `{data}`; skill {data}/skills/closed-book-qa, model /opt/models/base; see https://x.org/a/b"
    shown = policy.hide_paths({"card": [text]})
    assert str(data) not in str(shown) and "/opt/" not in str(shown)
    assert "skills/closed-book-qa" in str(shown) and "base" in str(shown) and "https://x.org/a/b" in str(shown)
    assert policy.path(policy.shown(data / "adapters" / "mine")) == (data / "adapters" / "mine").resolve()
    assert PathPolicy(data_dir=data).hide_paths(text) == text  # a local studio shows where things are
