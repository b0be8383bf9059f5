"""Fetching checkpoints from a Hugging Face hub through huggingface_hub, safetensors only.

Offline mode (``HF_HUB_OFFLINE=1``) is respected: only the local cache is consulted.
"""

from __future__ import annotations

import re
from pathlib import Path

from past.errors import ModelNotFoundError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
ALLOWED_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "tokenizer*"]


def looks_like_hub_id(ref: str) -> bool:
    return bool(HUB_ID.match(ref))


def download_checkpoint(repo_id: str, revision: str | None = None) -> Path:
    """Download (or find in the cache) the safetensors checkpoint of ``repo_id``; return its directory."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=ALLOWED_FILES))
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        raise ModelNotFoundError(
            f"model '{repo_id}' is not in the local hub cache and the hub cannot be reached "
            f"(offline mode or no network). Download it on a connected machine, or pass a local directory."
        ) from exc
    except GatedRepoError as exc:
        raise ModelNotFoundError(f"model '{repo_id}' is gated on the hub: log in with a token that has access") from exc
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise ModelNotFoundError(f"no model '{repo_id}' on the hub (or it is private)") from exc
    except OSError as exc:
        raise ModelNotFoundError(f"could not download '{repo_id}' from the hub: {exc}") from exc
