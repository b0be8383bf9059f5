"""Optional push/pull of a skill to a Hugging Face hub repository, with a model card from its manifest.

The repository holds the skill directory as is (skill.json + tensors, PEFT layout for LoRA form)
plus a README.md model card. Pulling downloads only safetensors and JSON and imports through the
library, which verifies the content hash. Network failures become :class:`SkillHubError`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from past.skills.errors import SkillHubError
from past.skills.library import ALLOWED_FILES, SkillLibrary
from past.skills.manifest import SkillManifest
from past.skills.vector import SkillVector

PULL_PATTERNS = ["skill.json", "*.safetensors", "*.safetensors.index.json", "adapter_config.json", "README.md"]


def model_card(manifest: SkillManifest) -> str:
    """A README.md for the hub: YAML metadata, what the skill is, how to apply it, its provenance."""
    tags = ["past", "skill-vector", "task-arithmetic", f"form-{manifest.form}"]
    front = ["---", "license: apache-2.0"]
    if manifest.form == "lora":
        front.append("library_name: peft")
    if manifest.base_ref and "/" in manifest.base_ref and not manifest.base_ref.startswith(("/", ".")):
        front.append(f"base_model: {manifest.base_ref}")
    front.append("tags:")
    front += [f"- {t}" for t in tags]
    front.append("---")
    usage = (
        '```python\nfrom peft import PeftModel\nmodel = PeftModel.from_pretrained(target_sft_model, "<this repo>")\n```'
        if manifest.form == "lora"
        else "```bash\npast skill pull <this repo> && past inject TARGET_SFT --skill "
        f"{manifest.name}:{manifest.default_lambda:g} --out OUT\n```"
    )
    recipe = "\n".join(f"- **{k}**: `{v}`" for k, v in manifest.recipe.items()) or "- not recorded"
    metrics = "\n".join(f"| {k} | {v} |" for k, v in manifest.metrics.items())
    docs = ", ".join(manifest.source_documents[:20]) or "not recorded"
    if len(manifest.source_documents) > 20:
        docs += f", ... ({len(manifest.source_documents)} in all)"
    body = f"""
# Skill vector: {manifest.name}

{manifest.description or "A PaST skill vector (θ_rl − θ_sft) that transfers a skill learned by RL to new knowledge."}

| field | value |
|---|---|
| form | {manifest.form}{f" (rank {manifest.rank})" if manifest.rank else ""} |
| base model | {manifest.base_ref or "?"} |
| base fingerprint | `{manifest.base_fingerprint or "?"}` |
| architecture | {manifest.architecture or "?"} |
| parameters covered | {len(manifest.params)} tensors, {manifest.num_parameters:,} values |
| source domain | {manifest.source_domain or "?"} |
| rounds K | {manifest.rounds} |
| default λ | {manifest.default_lambda:g} |
| created | {manifest.created_at} |
| content hash | `{manifest.content_hash}` |

## How to use

Fine-tune the base model on the target documents (θ_T^sft), then add λ · v:

{usage}

The skill only applies to models derived from the base with fingerprint `{manifest.base_fingerprint or "?"}`.

## Source

Documents: {docs}

## Training recipe

{recipe}
"""
    if metrics:
        body += f"\n## Metrics\n\n| metric | value |\n|---|---|\n{metrics}\n"
    return "\n".join(front) + "\n" + body


def _hub_error(action: str, repo_id: str, exc: Exception) -> SkillHubError:
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(exc, (RepositoryNotFoundError, RevisionNotFoundError)):
        return SkillHubError(f"cannot {action} '{repo_id}': no such repository or revision (or it is private)")
    if isinstance(exc, GatedRepoError):
        return SkillHubError(
            f"cannot {action} '{repo_id}': the repository is gated; log in with a token that has access"
        )
    return SkillHubError(
        f"cannot {action} '{repo_id}': the hub could not be reached or refused the request "
        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}). "
        "Check the network, HF_HUB_OFFLINE and your token."
    )


def push_skill(
    skill: SkillVector,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = True,
    endpoint: str | None = None,
    revision: str | None = None,
) -> str:
    """Upload ``skill`` (plus a generated README.md) to ``repo_id``; returns the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=token)
    with tempfile.TemporaryDirectory(prefix="past-push-") as staging:
        folder = Path(staging)
        for file in skill.path.iterdir():
            if file.is_file() and ALLOWED_FILES.match(file.name) and file.name != "README.md":
                shutil.copyfile(file, folder / file.name)
        (folder / "README.md").write_text(model_card(skill.manifest))
        try:
            api.create_repo(repo_id, private=private, exist_ok=True)
            info = api.upload_folder(
                repo_id=repo_id,
                folder_path=folder,
                revision=revision,
                commit_message=f"PaST skill {skill.name} ({skill.manifest.content_hash[:19]})",
            )
        except Exception as exc:  # huggingface_hub raises HTTP, OS and offline-mode errors
            raise _hub_error("push to", repo_id, exc) from exc
    return str(getattr(info, "commit_url", info))


def pull_skill(
    repo_id: str,
    library: SkillLibrary,
    *,
    name: str | None = None,
    revision: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    overwrite: bool = False,
) -> SkillVector:
    """Download a skill repository and import it into ``library`` (content hash verified)."""
    from huggingface_hub import snapshot_download

    with tempfile.TemporaryDirectory(prefix="past-pull-") as staging:
        try:
            path = snapshot_download(
                repo_id,
                revision=revision,
                token=token,
                endpoint=endpoint,
                local_dir=staging,
                allow_patterns=PULL_PATTERNS,
            )
        except Exception as exc:
            raise _hub_error("pull", repo_id, exc) from exc
        return library.add(Path(path), name, overwrite=overwrite)
