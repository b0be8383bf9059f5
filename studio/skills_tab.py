"""The Skill library screen: browse, inspect (a plain-language skill card, the raw manifest under "Advanced"),
import, export and delete skill vectors."""

from __future__ import annotations

import gradio as gr

from past.skills import SkillManifest
from studio.analysis_view import stored_heatmap
from studio.context import StudioContext
from studio.downloads import download_dir
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI
from studio.skill_card import skill_card

INTRO = (
    "### Skill library\n"
    "A **skill** is what a model learned from practice (reinforcement learning) in another domain, "
    "stored as a weight difference that can be added to a model trained on your documents. Skills are "
    "tied to the base model they were built on: the ones built on another base are marked ✗ and cannot "
    "be used with the chosen base."
)
COLUMNS = ["name", "usable with base", "form", "built on", "source domain", "rounds", "size", "measured effect", "λ"]


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
    with gr.Row():
        card = gr.Markdown("", elem_id="skills-card")
        heatmap = gr.Plot(label="Orthogonality of the skill's RL update to its SFT update", elem_id="skills-heatmap")
    heatmap_note = gr.Markdown("")
    with gr.Accordion("Advanced: the raw manifest", open=False):
        manifest_view = gr.JSON(label="Manifest", elem_id="skills-manifest")
    with gr.Accordion("Import, export, delete", open=False, elem_id="skills-manage") as manage:
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

    def base_fingerprint(model_name: str) -> str:
        return ctx.registry.fingerprint(ctx.guard.policy.model_ref(model_name, "base model")) if model_name else ""

    @user_errors
    def refresh(model_name: str, selected: str | None):
        fingerprint = base_fingerprint(model_name)
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
    def show(name: str | None):
        if not name:
            return "", None, None, ""
        manifest = ctx.skills.info(name)
        folder = ctx.skills.path_for(name)
        figure = stored_heatmap(folder)
        note = "" if figure else "No orthogonality analysis is stored with this skill; make one on the Analyse screen."
        hide = ctx.guard.policy.hide_paths  # an exposed studio shows names, never server paths
        return hide(skill_card(manifest, folder)), hide(manifest.to_dict()), figure, note

    @user_errors
    def do_import(file: str | None, path: str, model_name: str, selected: str | None):
        source = file or (path or "").strip()
        if not source:
            raise gr.Error("Choose a .zip file or type a folder path first.")
        skill = ctx.skills.import_path(ctx.guard.policy.path(source, "skill file or folder"))
        gr.Info(f"Imported skill '{skill.manifest.name}'.")
        rows, pick = refresh(model_name, skill.manifest.name)
        return rows, pick, None, ""

    @user_errors
    def do_export(name: str | None):
        if not name:
            raise gr.Error("Pick a skill first.")
        out_dir = download_dir(ctx.settings, "export-")
        return str(ctx.skills.export(name, out_dir / f"{name}.zip"))

    @user_errors
    def do_delete(name: str | None, sure: bool, model_name: str):
        if not name:
            raise gr.Error("Pick a skill first.")
        if not sure:
            raise gr.Error("Tick the box to confirm that the skill should be deleted.")
        ctx.skills.remove(name)
        gr.Info(f"Deleted skill '{name}'.")
        rows, pick = refresh(model_name, None)
        return rows, pick, False

    guard = ctx.guard
    guard.editor_only(manage)
    listing = [table, picked]
    base.change(guard.paths(refresh), [base, picked], listing, api_name=False)
    refresh_btn.click(guard.paths(refresh), [base, picked], listing, api_name="list_skills")
    picked.change(show, picked, [card, manifest_view, heatmap, heatmap_note], api_name=False)
    import_btn.click(
        guard.editor("import_skill", target=lambda f, p, *_: f or p)(do_import),
        [upload, folder, base, picked],
        [*listing, upload, folder],
        api_name="import_skill",
    )
    export_btn.click(guard.editor("export_skill", target=0)(do_export), picked, download, api_name="export_skill")
    delete_btn.click(
        guard.editor("delete_skill", target=0)(do_delete),
        [picked, confirm, base],
        [*listing, confirm],
        api_name="delete_skill",
    )
    return [OnLoad(refresh, [base, picked], listing)]
