"""The Skill library screen: browse, inspect (a plain-language skill card, the raw manifest under "Advanced"),
import, export and delete skill vectors.

Handlers are module-level functions of the studio's context and the components' values (bound with
``functools.partial``); the practice chart is drawn from the manifest (``studio.practice_chart``), the stored
orthogonality heatmap comes from ``backend.analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from backend.analysis import stored_heatmap
from past.skills import SkillManifest
from studio.bind import bind
from studio.context import StudioContext
from studio.downloads import download_dir
from studio.errors import user_errors
from studio.practice_chart import practice_figure
from studio.screen import OnLoad, StudioUI
from studio.skill_card import skill_card

INTRO = (
    "### Skill library\n"
    "A **skill** is what a model learned from practice (reinforcement learning) in another domain, "
    "stored as a weight difference that can be added to a model trained on your documents. Skills are "
    "tied to the base model they were built on: the ones built on another base are marked ✗ and cannot "
    "be used with the chosen base."
)
COLUMNS = [
    "name",
    "usable with base",
    "stored as",
    "built on",
    "source domain",
    "rounds",
    "size",
    "measured effect",
    "suggested strength (λ)",
]
NO_HEATMAP = "No orthogonality analysis is stored with this skill; make one on the Analyse screen."


SYSTEM_LABELS = {"base": "base", "sft": "fine-tuned", "sft-synth": "fine-tuned", "past": "fine-tuned + skill"}


def effect_text(manifest: SkillManifest) -> str:
    """What was measured about the skill, with what it was measured on; "not measured" when nothing was."""
    metrics = manifest.metrics or {}
    for key in ("effect", "summary"):
        if isinstance(metrics.get(key), str):
            return metrics[key]
    evaluation = metrics.get("evaluation")
    if isinstance(evaluation, dict) and (text := _benchmark_text(evaluation) or _evaluation_text(evaluation)):
        return text
    parts = [f"{k} {v:.3g}" for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return ", ".join(parts[:3]) or "not measured"


def _interval(estimate: object) -> str:
    if not isinstance(estimate, dict) or not all(
        isinstance(estimate.get(k), int | float) for k in ("mean", "low", "high")
    ):
        return ""
    return f"{estimate['mean']:.1%} [{estimate['low']:.1%}, {estimate['high']:.1%}]"


def _benchmark_text(evaluation: dict) -> str:
    """``metrics.evaluation`` as ``bench/quality.py --attach-to-skill`` writes it: means with 95 % intervals."""
    systems = evaluation.get("systems")
    if not isinstance(systems, dict):
        return ""
    shown = [
        f"{SYSTEM_LABELS[name]} {text}"
        for name in ("base", "sft-synth", "past")
        if isinstance(systems.get(name), dict) and (text := _interval(systems[name].get("correct")))
    ]
    if not shown:
        return ""
    text = "short-answer accuracy: " + ", ".join(shown)
    paired = (evaluation.get("paired") or {}).get("past − sft-synth")
    if isinstance(paired, dict) and isinstance(paired.get("correct"), dict):
        difference = paired["correct"].get("difference")
        if isinstance(difference, dict) and all(
            isinstance(difference.get(k), int | float) for k in ("mean", "low", "high")
        ):
            text += (
                f"; skill − fine-tuned {difference['mean'] * 100:+.1f} points "
                f"[{difference['low'] * 100:+.1f}, {difference['high'] * 100:+.1f}]"
            )
    basis = [str(evaluation[k]) for k in ("measured_on", "judge") if evaluation.get(k)]
    return text + (f" ({'; '.join(basis)})" if basis else "")


def _evaluation_text(evaluation: dict) -> str:
    """``metrics.evaluation`` as Stage I writes it: scores per system and what they were measured on."""
    measured = [
        (what, evaluation[key])
        for key, what in (("accuracy", "closed-book accuracy"), ("mean_score", "closed-book mean score"))
        if isinstance(evaluation.get(key), dict)
    ]
    if not measured:
        return ""
    what, scores = measured[0]
    values = ", ".join(
        f"{SYSTEM_LABELS.get(system, system)} {value:.1%}"
        for system, value in scores.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    )
    if not values:
        return ""
    basis = []
    if isinstance(evaluation.get("questions"), int):
        basis.append(f"{evaluation['questions']} questions")
    if isinstance(evaluation.get("documents"), list):
        basis.append(f"{len(evaluation['documents'])} documents")
    if evaluation.get("judge"):
        basis.append(f"judge {evaluation['judge']}")
    if isinstance(evaluation.get("lam"), int | float):
        basis.append(f"λ {evaluation['lam']:g}")
    return f"{what}: {values}" + (f" ({', '.join(basis)})" if basis else "")


def compatible(manifest: SkillManifest, fingerprint: str) -> bool:
    return bool(manifest.base_fingerprint) and manifest.base_fingerprint == fingerprint


def base_fingerprint(ctx: StudioContext, model_name: str | None) -> str:
    return ctx.registry.fingerprint(ctx.guard.policy.model_ref(model_name, "base model")) if model_name else ""


@user_errors
def skill_rows(ctx: StudioContext, model_name: str | None, selected: str | None) -> tuple[list[list[Any]], Any]:
    """The table of skills (usable or not with ``model_name``) and the picker, keeping ``selected`` if it is left."""
    fingerprint = base_fingerprint(ctx, model_name)
    manifests = ctx.skills.list()
    rows = [
        [
            m.name,
            "✓" if compatible(m, fingerprint) else "✗ other base",
            m.form,
            ctx.guard.policy.hide_paths(m.base_ref) or m.base_fingerprint,
            m.source_domain,
            m.rounds,
            f"{m.size_bytes / 1e6:.1f} MB",
            effect_text(m),
            m.default_lambda,
        ]
        for m in manifests
    ]
    names = [m.name for m in manifests]
    value = selected if selected in names else (names[0] if names else None)
    return rows, gr.update(choices=names, value=value)


@user_errors
def show_skill(ctx: StudioContext, name: str | None) -> tuple[Any, Any, Any, Any, str]:
    """(card, raw manifest, practice chart, stored heatmap, note on the heatmap) of the picked skill."""
    if not name:
        return "", None, None, None, ""
    manifest = ctx.skills.info(name)
    folder = ctx.skills.path_for(name)
    figure = stored_heatmap(folder)
    hide = ctx.guard.policy.hide_paths  # an exposed studio shows names, never server paths
    card = hide(skill_card(manifest, folder))
    practice = practice_figure(manifest.metrics)
    return card, hide(manifest.to_dict()), practice, figure, "" if figure else NO_HEATMAP


@user_errors
def import_skill(
    ctx: StudioContext, file: str | None, path: str | None, model_name: str | None, selected: str | None
) -> tuple[Any, Any, None, str]:
    source = file or (path or "").strip()
    if not source:
        raise gr.Error("Choose a .zip file or type a folder path first.")
    skill = ctx.skills.import_path(ctx.guard.policy.path(source, "skill file or folder"))
    gr.Info(f"Imported skill '{skill.manifest.name}'.")
    rows, pick = skill_rows(ctx, model_name, skill.manifest.name)
    return rows, pick, None, ""


@user_errors
def export_skill(ctx: StudioContext, name: str | None) -> str:
    if not name:
        raise gr.Error("Pick a skill first.")
    out_dir = download_dir(ctx.settings, "export-")
    return str(ctx.skills.export(name, out_dir / f"{name}.zip"))


@user_errors
def delete_skill(ctx: StudioContext, name: str | None, sure: bool, model_name: str | None) -> tuple[Any, Any, bool]:
    if not name:
        raise gr.Error("Pick a skill first.")
    if not sure:
        raise gr.Error("Tick the box to confirm that the skill should be deleted.")
    ctx.skills.remove(name)
    gr.Info(f"Deleted skill '{name}'.")
    rows, pick = skill_rows(ctx, model_name, None)
    return rows, pick, False


@dataclass(frozen=True)
class Manage:
    """The editor-only part: import from a file or folder, export, delete."""

    accordion: gr.Accordion
    upload: gr.File
    folder: gr.Textbox
    import_btn: gr.Button
    export_btn: gr.Button
    download: gr.File
    confirm: gr.Checkbox
    delete_btn: gr.Button


def _manage_section() -> Manage:
    with gr.Accordion("Import, export, delete", open=False, elem_id="skills-manage") as accordion:
        with gr.Row():
            upload = gr.File(label="Import a skill (.zip)", file_types=[".zip"], elem_id="skills-import")
            folder = gr.Textbox(label="…or a skill folder on the studio machine", placeholder="/path/to/skill")
        import_btn = gr.Button("Import", elem_id="skills-import-btn")
        with gr.Row():
            export_btn = gr.Button("Export the selected skill (.zip)")
            download = gr.File(label="Download", interactive=False)
        with gr.Row():
            confirm = gr.Checkbox(label="Yes, delete the selected skill for good", value=False)
            delete_btn = gr.Button("Delete", variant="stop")
    return Manage(accordion, upload, folder, import_btn, export_btn, download, confirm, delete_btn)


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    gr.Markdown(INTRO)
    models = [r.name for r in ctx.registry.list()]
    with gr.Row():
        base = gr.Dropdown(
            models, value=ctx.settings.default_model, label="Base model", allow_custom_value=True, scale=2
        )
        refresh_btn = gr.Button("Refresh", scale=1)
    table = gr.Dataframe(headers=COLUMNS, interactive=False, label="Skills", elem_id="skills-table")
    picked = gr.Dropdown([], label="Skill", allow_custom_value=True, elem_id="skills-pick")
    card = gr.Markdown("", elem_id="skills-card")
    practice = gr.Plot(label="How its practice went (Stage I), step by step", elem_id="skills-practice")
    heatmap = gr.Plot(label="Orthogonality of the skill's RL update to its SFT update", elem_id="skills-heatmap")
    heatmap_note = gr.Markdown("")
    with gr.Accordion("Advanced: the raw manifest", open=False):
        manifest_view = gr.JSON(label="Manifest", elem_id="skills-manifest")
    manage = _manage_section()

    guard = ctx.guard
    guard.editor_only(manage.accordion)
    listing = [table, picked]
    rows = guard.paths(bind(skill_rows, ctx))
    base.change(rows, [base, picked], listing, api_name=False)
    refresh_btn.click(rows, [base, picked], listing, api_name="list_skills")
    picked.change(bind(show_skill, ctx), picked, [card, manifest_view, practice, heatmap, heatmap_note], api_name=False)
    manage.import_btn.click(
        guard.editor("import_skill", target=_import_target)(bind(import_skill, ctx)),
        [manage.upload, manage.folder, base, picked],
        [*listing, manage.upload, manage.folder],
        api_name="import_skill",
    )
    export = guard.editor("export_skill", target=0)(bind(export_skill, ctx))
    manage.export_btn.click(export, picked, manage.download, api_name="export_skill")
    manage.delete_btn.click(
        guard.editor("delete_skill", target=0)(bind(delete_skill, ctx)),
        [picked, manage.confirm, base],
        [*listing, manage.confirm],
        api_name="delete_skill",
    )
    return [OnLoad(bind(skill_rows, ctx), [base, picked], listing)]


def _import_target(file: str | None, path: str | None, *_: Any) -> str:
    return str(file or path or "")
