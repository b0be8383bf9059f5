"""Model references, the local model store, the bundled default model and base-weight fingerprints.

The public names are imported on first use (:mod:`past.lazy`), so ``past.models.checkpoint`` and the other light
submodules load without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from past.lazy import lazy_exports

_WHERE = {  # public name -> the module that defines it, imported on first use
    "validate_checkpoint": "checkpoint",
    "fingerprint_checkpoint": "fingerprint",
    "fingerprint_state_dict": "fingerprint",
    "LoadedModel": "registry",
    "ModelRecord": "registry",
    "ModelRegistry": "registry",
}
__all__ = [
    "LoadedModel",
    "ModelRecord",
    "ModelRegistry",
    "fingerprint_checkpoint",
    "fingerprint_state_dict",
    "validate_checkpoint",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from past.models.checkpoint import validate_checkpoint
    from past.models.fingerprint import fingerprint_checkpoint, fingerprint_state_dict
    from past.models.registry import LoadedModel, ModelRecord, ModelRegistry
