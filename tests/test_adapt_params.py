"""One adaptation config (``past/adapt_params.py``): λ as one :class:`LambdaSpec` in every form it comes in, the
choices checked once, the epoch override in one place, and the studio, ``past adapt`` and the job kind building
the same typed parameters — so the studio can send a per-layer schedule exactly as the CLI can."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from backend.jobs import ParamTypeError
from backend.jobs.kinds.adapt import AdaptJobParams
from backend.jobs.params import build_params
from past.adapt_params import MAX_EPOCHS, PRESETS, AdaptParams, preset_epochs
from past.cli.adapt_cmd import adapt_params
from past.cli.main import build_parser
from past.errors import ConfigError
from past.skills.lambdas import LambdaError, LambdaSpec
from studio.adapt_tab import launch_lambda, schedule_note
from tests.conftest import ROOT

SCHEDULE = LambdaSpec(0.8, {"mlp": 1.0, "q_proj": 0.5}, [(0, 9, 0.3)])
FORMS = [
    "0.8,mlp=1.0,q_proj=0.5,layers=0-9:0.3",  # past adapt --lam / past inject --lam
    '{"default": 0.8, "modules": {"mlp": 1, "q_proj": 0.5}, "layers": [[0, 9, 0.3]]}',  # the studio's field
    {"default": 0.8, "modules": {"mlp": 1.0, "q_proj": 0.5}, "layers": [[0, 9, 0.3]]},  # a job's parameters
    SCHEDULE,
]


@pytest.mark.parametrize("form", FORMS, ids=["text", "json-text", "dict", "spec"])
def test_every_form_of_a_schedule_is_the_same_spec(form: object) -> None:
    spec = LambdaSpec.coerce(form)  # type: ignore[arg-type]
    assert spec == SCHEDULE and not spec.is_number
    assert LambdaSpec.coerce(spec.to_json()) == spec and LambdaSpec.parse(spec.text()) == spec
    assert spec.value("model.layers.3.mlp.up_proj.weight") == 0.3
    assert spec.value("model.layers.12.self_attn.q_proj.weight") == 0.5


def test_a_single_number_stays_a_number_in_records() -> None:
    for form in (0.7, "0.7", " 0.7 ", {"default": 0.7}, '{"default": 0.7}'):
        spec = LambdaSpec.coerce(form)  # type: ignore[arg-type]
        assert spec.is_number and spec.to_json() == 0.7 and isinstance(spec.to_json(), float)
    assert LambdaSpec.coerce(-1).to_json() == -1.0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ('{"default": 0.8, "modules": {"mlp": 1}', "cannot read the λ schedule"),
        ('{"default": "nan"}', "the default λ must be a finite number"),
        ('{"default": 9}', "the default λ = 9 is outside the allowed range -4 to 4"),
        ('{"modules": {"bogus": 1}}', "unknown module 'bogus'"),
        ('{"layers": [[5, 1, 1.0]]}', "layer range 5-1 of λ is empty"),
        ('{"layers": [5, 1, 1.0]}', "a layer range of λ is [START, END, VALUE]"),
        ('{"layers": [[0, 2]]}', "a layer range of λ is (START, END, VALUE)"),
        ('{"lam": 1}', "a λ schedule has default, modules and layers, not lam"),
        ("[0.5]", "λ must be a number, not '[0.5]'"),
        (True, "λ must be a number, not True"),
        (math.inf, "λ must be a finite number"),
    ],
)
def test_a_bad_lambda_is_refused_with_the_reason(form: object, message: str) -> None:
    with pytest.raises(LambdaError) as caught:
        LambdaSpec.coerce(form)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_adapt_params_check_each_choice_once() -> None:
    assert AdaptParams() == AdaptParams("short-notes", "past", None, None, 0, "adapter")
    assert AdaptParams(lam="0.5,mlp=1").lam == LambdaSpec(0.5, {"mlp": 1.0})
    bad = [
        ({"preset": "nope"}, "unknown preset 'nope': choose one of short-notes, passage-only, recall-practice"),
        ({"mode": "magic"}, "unknown adaptation mode 'magic'"),
        ({"output": "zip"}, "unknown output 'zip'"),
        ({"epochs": 0}, "epochs must lie in (0, 100]"),
        ({"epochs": MAX_EPOCHS + 1}, "epochs must lie in (0, 100]"),
        ({"epochs": math.nan}, "epochs must be a number of passes"),
        ({"epochs": True}, "epochs must be a number of passes"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"lam": 1e9}, "lam = 1000000000.0 is outside the allowed range -4 to 4"),
        ({"lam": "0.8,bogus=1"}, "unknown module 'bogus'"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ConfigError) as caught:
            AdaptParams(**kwargs)  # type: ignore[arg-type]
        assert message in str(caught.value), kwargs


def test_the_epoch_override_applies_to_every_stage_and_leaves_the_presets_alone() -> None:
    own = AdaptParams("long-document").stages()
    assert [s["sft"]["num_train_epochs"] for s in own] == [2, 3] and preset_epochs("long-document") == 2
    moved = AdaptParams("long-document", epochs=4).stages()
    assert [(s["sft"]["num_train_epochs"], s["sft"]["max_steps"]) for s in moved] == [(4.0, 0), (4.0, 0)]
    moved[0]["sft"]["num_train_epochs"] = 99
    assert PRESETS["long-document"]["stages"][0]["sft"]["num_train_epochs"] == 2
    assert preset_epochs(None) == preset_epochs("short-notes") == 10


def test_studio_cli_and_job_build_the_same_params() -> None:
    """The studio's Launch (slider or schedule field) → the job's parameters → AdaptParams, and ``past adapt``'s
    flags → AdaptParams, give the same typed choices and the same training config."""
    from past.pipeline.adapt import AdaptConfig

    text = "0.8,mlp=1.0,q_proj=0.5,layers=0-9:0.3"
    flags = ["adapt", "doc.md", "--skill", "s", "--preset", "long-document", "--epochs", "4", "--seed", "3"]
    cases = [
        (0.7, "", "0.7"),  # the slider alone
        (0.7, FORMS[1], text),  # the Advanced field (JSON) wins over the slider
        (0.7, text, text),  # or the CLI's text form, pasted
    ]
    for strength, field, lam in cases:
        sent = launch_lambda(strength, field)  # what do_launch puts in the job's parameters
        job = build_params(
            AdaptJobParams, {"skill": "s", "lam": sent, "preset": "long-document", "epochs": 4.0, "seed": 3}
        )
        cli = adapt_params(build_parser().parse_args([*flags, "--lam", lam]))
        assert job.adapt_params() == cli, (field, lam)
        assert AdaptConfig.from_params(job.adapt_params()).to_dict() == AdaptConfig.from_params(cli).to_dict()
    from_cli_strings = build_params(AdaptJobParams, {"skill": "s", "lam": text}, from_strings=True)  # past job -p
    assert from_cli_strings.lam == SCHEDULE.to_dict() and from_cli_strings.adapt_params().lam == SCHEDULE


def test_the_job_refuses_bad_choices_before_anything_is_stored() -> None:
    for raw, message in [
        ({"skill": "s", "lam": '{"modules": {"bogus": 1}}'}, "unknown module 'bogus'"),
        ({"skill": "s", "lam": "nan"}, "lam must be a finite number"),
        ({"skill": "s", "epochs": 500.0}, "epochs must lie in (0, 100]"),
        ({"skill": "s", "preset": "nope"}, "must be one of"),
    ]:
        with pytest.raises(ParamTypeError) as caught:
            build_params(AdaptJobParams, raw, from_strings=True)
        assert message in str(caught.value), raw


def test_the_schedule_field_says_what_it_sends_or_what_is_wrong() -> None:
    assert schedule_note("") == "" and schedule_note("   ") == "" and schedule_note(None) == ""
    assert (
        schedule_note(FORMS[1])
        == "✓ Launch sends this schedule instead of the slider: `0.8,mlp=1,q_proj=0.5,layers=0-9:0.3`"
    )
    assert schedule_note('{"modules": {"bogus": 1}}').startswith("⚠️ unknown module 'bogus' in λ")
    assert schedule_note("0.8,mlp=9").startswith("⚠️ λ of mlp = 9 is outside the allowed range")
    assert launch_lambda(0.7, "  ") == 0.7 and launch_lambda(0.7, " mlp=1 ") == "mlp=1"
    with pytest.raises(ParamTypeError, match="cannot read the λ schedule"):  # Launch: the job's own check
        build_params(AdaptJobParams, {"skill": "s", "lam": launch_lambda(1.0, "{not json")})


def test_the_adapt_config_module_is_light() -> None:
    """The job kind (imported at worker start) and ``past adapt`` read presets and λ without loading torch."""
    code = (
        "import sys, past.adapt_params, backend.jobs.kinds.adapt, past.cli.adapt_cmd; "
        "sys.exit(int('torch' in sys.modules or 'transformers' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120).returncode == 0
