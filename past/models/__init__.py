"""Model references, the local model store, the bundled default model and base-weight fingerprints.

The public names are imported on first use (:mod:`past.lazy`), so ``past.models.checkpoint`` and the other light
submodules load without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from past.lazy import lazy_exports

if TYPE_CHECKING:  # the public names, each imported on first use (past/lazy.py)
    from past.models.checkpoint import validate_checkpoint as validate_checkpoint
    from past.models.fingerprint import (
        fingerprint_checkpoint as fingerprint_checkpoint,
    )
    from past.models.fingerprint import (
        fingerprint_state_dict as fingerprint_state_dict,
    )
    from past.models.registry import (
        LoadedModel as LoadedModel,
    )
    from past.models.registry import (
        ModelRecord as ModelRecord,
    )
    from past.models.registry import (
        ModelRegistry as ModelRegistry,
    )

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals())
