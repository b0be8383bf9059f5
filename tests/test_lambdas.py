"""λ is defined once (``past/skills/lambdas.py``) and checked where it comes in: the schedule syntax, the CLI
flags, the job parameters and a skill manifest, each written as the hostile input it must refuse."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from safetensors import safe_open

from backend.jobs import JobService, ParamTypeError
from past.settings import Settings
from past.skills import SkillLibrary, extract
from past.skills.lambdas import (
    DEFAULT_LAMBDA,
    GROUP_NAMES,
    LAMBDA_MAX,
    LAMBDA_MIN,
    MODULE_NAMES,
    LambdaError,
    LambdaSpec,
    check_lambda,
    module_of,
)
from past.skills.manifest import SkillManifest
from tests.jobs_support import job_settings, past_cli, service  # noqa: F401 - fixtures
from tests.skill_fixtures import perturbed_copy, tree_digest
from tests.tiny_models import make_tiny_llama

HOSTILE = [
    ("-1e9", "λ = -1e9 is outside the allowed range -4 to 4"),
    ("nan", "λ must be a finite number, not 'nan'"),
    ("inf", "λ must be a finite number, not 'inf'"),
    ("0.8,bogus=1", "unknown module 'bogus' in λ '0.8,bogus=1'; known modules: q_proj"),
    ("layers=9-3:1", "layer range 9-3 in λ 'layers=9-3:1' runs backwards"),
    ("layers=2-x:1", "cannot read 'layers=2-x:1'"),
    ("layers=0-3:9", "λ of layers 0-3 = 9 is outside the allowed range"),
    ("mlp=nan", "λ of mlp must be a finite number"),
    ("0.8,,mlp=1", "an empty part"),
    ("1,2", "gives two defaults"),
    ("q_proj=1,q_proj=0", "gives q_proj twice"),
    ("", "λ is empty"),
    ("abc", "λ must be a number, not 'abc'"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_schedules_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(LambdaError) as caught:
        LambdaSpec.parse(text)
    assert message in str(caught.value)


def test_the_range_default_and_syntax() -> None:
    assert (LAMBDA_MIN, LAMBDA_MAX, DEFAULT_LAMBDA) == (-4.0, 4.0, 1.0)
    assert check_lambda(LAMBDA_MIN) == LAMBDA_MIN and check_lambda("4") == LAMBDA_MAX
    for bad in (True, None, "1e9", math.nan, -4.0001, [1.0]):
        with pytest.raises(LambdaError):
            check_lambda(bad)
    schedule = LambdaSpec.parse(" 0.5 , q_proj=0, mlp=-1.5, layers=2-3:2, layers=3:0.25")
    assert schedule == LambdaSpec(0.5, {"q_proj": 0.0, "mlp": -1.5}, [(2, 3, 2.0), (3, 3, 0.25)])
    assert schedule.value("model.layers.3.mlp.up_proj.weight") == 0.25  # the last layer range given wins
    assert schedule.value("model.layers.2.self_attn.q_proj.weight") == 2.0
    assert schedule.value("model.layers.0.self_attn.q_proj.weight") == 0.0  # a module over the default
    assert schedule.value("model.layers.0.mlp.down_proj.weight") == -1.5  # its group over the default
    assert schedule.value("model.embed_tokens.weight") == 0.5
    assert LambdaSpec.parse("mlp=0.5").default == DEFAULT_LAMBDA
    assert LambdaSpec.coerce(schedule.to_dict()) == schedule
    for bad in ({"default": "nan"}, {"modules": {"bogus": 1}}, {"layers": [[5, 1, 1.0]]}, {"lam": 1}, 7.5):
        with pytest.raises(LambdaError):
            LambdaSpec.coerce(bad)


def test_every_module_of_a_llama_checkpoint_has_a_lambda_name(tmp_path: Path) -> None:
    """The known names are those the inject engine meets in the supported models: none of them is refused."""
    path = make_tiny_llama(tmp_path / "tiny")
    with safe_open(path / "model.safetensors", "pt") as handle:
        names = {module_of(key) for key in handle.keys()}  # noqa: SIM118 - safe_open has no __iter__
    assert names <= set(MODULE_NAMES), names - set(MODULE_NAMES)
    assert set(GROUP_NAMES) == {"attn", "mlp", "other"}


@pytest.fixture(scope="module")
def library_with_skill(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data directory whose library holds one skill ``qa`` of a tiny Llama, and that Llama."""
    root = tmp_path_factory.mktemp("lam")
    sft = make_tiny_llama(root / "sft", seed=0)
    rl = perturbed_copy(sft, root / "rl", seed=1)
    data = root / "data"
    settings = Settings.load(data).ensure()
    extract(rl, sft, SkillLibrary(settings).new_path("qa"), name="qa").close()
    return data, sft


@pytest.mark.parametrize("lam", ["-1e9", "nan", "0.8,bogus=1", "layers=9-3:1"])
def test_inject_refuses_a_bad_lam_and_writes_nothing(library_with_skill: tuple[Path, Path], lam: str) -> None:
    data, sft = library_with_skill
    before = tree_digest(data)
    settings = Settings.load(data)
    done = past_cli(settings, "inject", str(sft), "--skill", "qa", f"--lam={lam}", "--name", "out", timeout=300)
    assert done.returncode == 2, done.stderr
    expected = dict(HOSTILE)[lam]
    assert done.stderr.startswith("error: ") and expected in done.stderr and "Traceback" not in done.stderr
    assert tree_digest(data) == before, "nothing in the data directory changed"


def test_extract_refuses_a_bad_default_lambda(library_with_skill: tuple[Path, Path], tmp_path: Path) -> None:
    data, sft = library_with_skill
    before = tree_digest(data)
    done = past_cli(
        Settings.load(data),
        "extract",
        "--rl",
        str(sft),
        "--sft",
        str(sft),
        "--name",
        "x",
        "--default-lambda",
        "nan",
        timeout=300,
    )
    assert done.returncode == 2 and "error: --default-lambda must be a finite number" in done.stderr, done.stderr
    assert tree_digest(data) == before


def test_job_parameters_check_lambda_at_submit(service: JobService) -> None:  # noqa: F811
    bad = [
        ("pipeline.adapt", {"skill": "qa", "lam": 1e9}, "lam = 1000000000.0 is outside the allowed range -4 to 4"),
        ("pipeline.adapt", {"skill": "qa", "lam": math.nan}, "lam must be a finite number"),
        (
            "evaluate",
            {"collection": "c", "sweep_lambdas": [0.0, 99.0], "sweep_skill": "qa", "sweep_target": "default"},
            "a λ of the sweep = 99.0 is outside the allowed range",
        ),
    ]
    for kind, params, message in bad:
        with pytest.raises(ParamTypeError, match=message):
            service.submit(kind, params)
    assert service.list() == [], "nothing was stored"


def test_job_submit_from_the_cli_refuses_a_bad_lam(job_settings) -> None:  # noqa: F811
    done = past_cli(job_settings, "job", "submit", "pipeline.adapt", "-p", "skill=qa", "-p", "lam=nan", timeout=300)
    assert done.returncode == 2 and "error: " in done.stderr and "lam must be a finite number" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_manifest_with_a_bad_default_lambda_is_refused() -> None:
    from past.skills.errors import SkillFormatError

    for bad in ("abc", "NaN", 12.0, None):
        with pytest.raises(SkillFormatError, match="default_lambda"):
            SkillManifest.from_dict({"name": "x", "base_fingerprint": "62bcafa08d1a52b8", "default_lambda": bad})
    good = {"name": "x", "base_fingerprint": "62bcafa08d1a52b8", "default_lambda": 0.5}
    assert SkillManifest.from_dict(good).default_lambda == 0.5
