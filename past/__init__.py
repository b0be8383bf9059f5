"""PaST algorithms: models, skill vectors, data synthesis, SFT, GRPO, evaluation and analysis.

Everything in this package is plain library code usable from Python and the ``past`` CLI. It knows
nothing of Gradio or of the job runner: ``studio/`` and ``backend/`` call into it, never the reverse.
"""

__version__ = "0.1.0"
