"""``past skill``: list, inspect, import, export, rename, remove, check, push and pull skill vectors."""

from __future__ import annotations

import argparse

from past.cli.actions import action_group, add_action, print_json, print_listing
from past.cli.skill_common import model_path, skill_library
from past.paths import check_output, writing
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = action_group(subparsers, "skill", "manage the skill library")
    listing = add_action(actions, "list", "stored skills", list_skills)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    info = add_action(actions, "info", "a skill's manifest (content hash verified with --verify)", skill_info, "name")
    info.add_argument("--verify", action="store_true", help="also verify the tensor files against the content hash")
    imp = add_action(actions, "import", "import a skill directory or .zip", import_skill, "path")
    imp.add_argument("--name", help="store under this name instead of the manifest's")
    imp.add_argument("--overwrite", action="store_true")
    dest = ("dest", "a .zip path or a directory")
    add_action(actions, "export", "write a skill as a .zip", export_skill, "name", dest)
    add_action(actions, "rm", "delete a skill", remove_skill, "name")
    add_action(actions, "rename", "rename a skill", rename_skill, "old", "new")
    model = ("model", "registered model, 'default' or a checkpoint directory")
    add_action(actions, "check", "is a skill compatible with a model?", check_skill, "name", model)
    push = add_action(
        actions, "push", "upload a skill to a hub repository (with a model card)", push_skill, "name", "repo_id"
    )
    push.add_argument("--public", action="store_true", help="create the repository public (default private)")
    pull = add_action(actions, "pull", "download a skill from a hub repository into the library", pull_skill, "repo_id")
    pull.add_argument("--name")
    pull.add_argument("--revision")


def list_skills(args: argparse.Namespace, settings: Settings) -> int:
    manifests = skill_library(settings).list()
    rows = [{k: v for k, v in m.to_dict().items() if k != "params"} for m in manifests]
    if print_listing(rows, args.json, "no skills yet: create one with `past extract` or `past skill import`"):
        return 0
    for m in manifests:
        size = f"{m.size_bytes / 1e6:.1f} MB"
        form = f"{m.form}" + (f" r{m.rank}" if m.rank else "")
        print(f"{m.name:28} {form:9} {size:>10}  base {m.base_fingerprint or '?':16}  {m.source_domain}")
    return 0


def skill_info(args: argparse.Namespace, settings: Settings) -> int:
    library = skill_library(settings)
    if args.verify:
        with library.load(args.name, verify=True) as skill:
            manifest = skill.manifest
    else:
        manifest = library.info(args.name)
    data = manifest.to_dict()
    data["params"] = {"count": len(manifest.params), "values": manifest.num_parameters}
    if args.verify:
        data["verified"] = True
    print_json(data)
    return 0


def import_skill(args: argparse.Namespace, settings: Settings) -> int:
    skill = skill_library(settings).import_path(args.path, args.name, overwrite=args.overwrite)
    print(f"imported skill '{skill.name}' ({skill.form}, {len(skill.manifest.params)} tensors)")
    skill.close()
    return 0


def export_skill(args: argparse.Namespace, settings: Settings) -> int:
    from past.skills.library import export_path

    library = skill_library(settings)
    zip_path, skill_dir = export_path(args.name, args.dest), library.path_for(args.name)
    if zip_path.parent.exists():
        check_output(zip_path, settings, inputs=[skill_dir], flag="DEST", file=True)
    else:  # DEST is a new folder, made by the export
        check_output(zip_path.parent, settings, inputs=[skill_dir], flag="DEST")
    with writing(zip_path, "DEST"):
        path = library.export(args.name, args.dest)
    print(f"exported '{args.name}' to {path}")
    return 0


def remove_skill(args: argparse.Namespace, settings: Settings) -> int:
    skill_library(settings).remove(args.name)
    print(f"removed skill '{args.name}'")
    return 0


def rename_skill(args: argparse.Namespace, settings: Settings) -> int:
    skill_library(settings).rename(args.old, args.new)
    print(f"renamed '{args.old}' to '{args.new}'")
    return 0


def check_skill(args: argparse.Namespace, settings: Settings) -> int:
    from past.skills.ops.check import check

    with skill_library(settings).load(args.name) as skill:
        report = check(skill, model_path(settings, args.model), raise_on_error=False)
    print_json(report.to_dict())
    return 0 if report.ok else 1


def push_skill(args: argparse.Namespace, settings: Settings) -> int:
    from past.skills.hub import push_skill as push

    with skill_library(settings).load(args.name) as skill:
        url = push(skill, args.repo_id, private=not args.public)
    print(f"pushed '{args.name}': {url}")
    return 0


def pull_skill(args: argparse.Namespace, settings: Settings) -> int:
    from past.skills.hub import pull_skill as pull

    skill = pull(args.repo_id, skill_library(settings), name=args.name, revision=args.revision)
    print(f"pulled '{skill.name}' into the library")
    skill.close()
    return 0
