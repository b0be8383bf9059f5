"""Model references, the local model store, the bundled default model and base-weight fingerprints."""

from past.models.checkpoint import validate_checkpoint
from past.models.fingerprint import fingerprint_checkpoint, fingerprint_state_dict
from past.models.registry import LoadedModel, ModelRecord, ModelRegistry

__all__ = [
    "LoadedModel",
    "ModelRecord",
    "ModelRegistry",
    "fingerprint_checkpoint",
    "fingerprint_state_dict",
    "validate_checkpoint",
]
