"""Job specs are validated at submit: unknown kind, missing/wrong inputs, wrong parameter types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from backend.jobs import (
    InputSpec,
    JobError,
    JobKind,
    JobRegistry,
    JobService,
    JobSpecError,
    MissingInputError,
    ParamTypeError,
    UnknownJobKindError,
)
from backend.jobs.params import build_params, describe_params, param
from backend.jobs.registry import EXTRA_KINDS_ENV
from tests.count_kind import KIND as COUNT
from tests.jobs_support import job_settings, past_cli, service  # noqa: F401 - fixtures


@dataclass
class ConsumerParams:
    rounds: int = param(help="how many rounds")
    lr: float = param(1e-5, help="learning rate")
    tags: list[str] = field(default_factory=list, metadata={"help": "labels"})
    mode: str = param("a", help="mode", choices=["a", "b"])


CONSUMER = JobKind(
    name="test.consumer",
    params=ConsumerParams,
    run=lambda params, ctx: {},
    inputs={"source": InputSpec(help="counted numbers", kinds=("selftest.count",))},
)


@pytest.fixture
def consumer_service(job_settings):  # noqa: F811
    return JobService(job_settings, registry=JobRegistry([COUNT, CONSUMER]))


def _count(svc) -> int:
    return svc.store.query("SELECT count(*) AS n FROM jobs")[0]["n"]


def test_the_test_kind_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """``selftest.count`` lives in the tests: the product's registry has it only when ``PAST_EXTRA_JOB_KINDS``
    names its module (the session fixture does); a module that cannot be loaded is a clear error."""
    assert "selftest.count" in JobRegistry.default().names()
    monkeypatch.delenv(EXTRA_KINDS_ENV)
    production = JobRegistry.default().names()
    assert "selftest.count" not in production and "pipeline.adapt" in production
    monkeypatch.setenv(EXTRA_KINDS_ENV, "tests.no_such_kind")
    with pytest.raises(JobError, match=r"job kind module 'tests.no_such_kind' .* cannot be loaded"):
        JobRegistry.default()


def test_unknown_kind_is_rejected_with_the_known_kinds(service):  # noqa: F811
    with pytest.raises(UnknownJobKindError, match=r"unknown job kind 'sft.trian'.*selftest\.count"):
        service.submit("sft.trian", {})
    assert _count(service) == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n": "ten"}, "parameter 'n' expects int, got str 'ten'"),
        ({"n": True}, "parameter 'n' expects int"),
        ({"n": 2.5}, "parameter 'n' expects int"),
        ({"interval_s": "fast"}, "parameter 'interval_s' expects float"),
        ({"spawn_child": 1}, "parameter 'spawn_child' expects bool"),
        ({"count_to": 3}, "unknown parameter"),
        ({"n": -1}, "n must be >= 0"),
    ],
)
def test_wrong_parameter_types_are_rejected(service, params, message):  # noqa: F811
    with pytest.raises(ParamTypeError, match=message):
        service.submit("selftest.count", params)
    assert _count(service) == 0


def test_missing_unknown_and_wrong_kind_inputs_are_rejected(consumer_service):
    svc = consumer_service
    with pytest.raises(MissingInputError, match=r"needs input 'source' \(a job of kind selftest\.count\)"):
        svc.submit("test.consumer", {"rounds": 1})
    with pytest.raises(MissingInputError, match="'nope' names no job"):
        svc.submit("test.consumer", {"rounds": 1}, inputs={"source": "nope"})
    with pytest.raises(JobSpecError, match="has no input\\(s\\) extra"):
        svc.submit("test.consumer", {"rounds": 1}, inputs={"extra": "x"})
    upstream = svc.submit("selftest.count", {"n": 1})
    other = svc.submit("test.consumer", {"rounds": 1}, inputs={"source": upstream.id})
    with pytest.raises(MissingInputError, match=r"must come from a job of kind selftest\.count"):
        svc.submit("test.consumer", {"rounds": 1}, inputs={"source": other.id})
    with pytest.raises(ParamTypeError, match="'rounds' is required"):
        svc.submit("test.consumer", {}, inputs={"source": upstream.id})
    with pytest.raises(ParamTypeError, match="must be one of"):
        svc.submit("test.consumer", {"rounds": 1, "mode": "z"}, inputs={"source": upstream.id})
    assert other.depends_on == [upstream.id] and other.inputs == {"source": upstream.id}
    assert _count(svc) == 2


def test_spec_level_errors(service):  # noqa: F811
    with pytest.raises(JobSpecError, match="unknown job spec field"):
        service.submit_spec({"kind": "selftest.count", "parms": {}})
    with pytest.raises(JobSpecError, match="needs a 'kind'"):
        service.submit_spec({"params": {}})
    with pytest.raises(JobSpecError, match="unknown resource 'tpu'"):
        service.submit("selftest.count", resources=["tpu"])
    with pytest.raises(JobSpecError, match="unknown executor"):
        service.submit("selftest.count", executor="slurm")
    with pytest.raises(JobSpecError, match=r"timeout_s.* must be greater than 0"):
        service.submit("selftest.count", timeout_s=0)
    with pytest.raises(MissingInputError, match="names no job"):
        service.submit("selftest.count", after=["ghost"])
    assert _count(service) == 0


def test_schema_describes_fields_for_forms_and_flags():
    fields = {f.name: f for f in describe_params(ConsumerParams)}
    assert fields["rounds"].required and fields["rounds"].type == "int"
    assert fields["lr"].default == 1e-5 and fields["lr"].help == "learning rate"
    assert fields["tags"].type == "list[str]" and fields["mode"].choices == ["a", "b"]
    assert describe_params(COUNT.params)[3].optional  # fail_at: int | None
    typed = build_params(ConsumerParams, {"rounds": "3", "lr": "0.5", "tags": "x,y"}, from_strings=True)
    assert (typed.rounds, typed.lr, typed.tags) == (3, 0.5, ["x", "y"])


def test_cli_submit_types_params_from_the_schema(job_settings, tmp_path):  # noqa: F811
    ok = past_cli(
        job_settings, "job", "submit", "selftest.count", "--param", "n=7", "-p", "spawn_child=false", "--json"
    )
    assert ok.returncode == 0, ok.stderr
    job = json.loads(ok.stdout)
    assert job["params"]["n"] == 7 and job["params"]["spawn_child"] is False and job["state"] == "queued"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"kind": "selftest.count", "params": {"n": 2}, "priority": 5}))
    from_file = past_cli(job_settings, "job", "submit", "--spec", str(spec), "--param", "interval_s=0")
    assert from_file.returncode == 0, from_file.stderr
    jobs = {j.id: j for j in JobService(job_settings).list()}
    assert jobs[from_file.stdout.strip()].priority == 5
    assert jobs[from_file.stdout.strip()].params == {**jobs[job["id"]].params, "n": 2, "interval_s": 0.0}
    bad = past_cli(job_settings, "job", "submit", "selftest.count", "--param", "n=seven")
    assert bad.returncode == 2 and "error: parameter 'n' expects int, got 'seven'" in bad.stderr
