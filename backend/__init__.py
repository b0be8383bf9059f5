"""Backend services behind the studio and the CLI: the model pool that serves chat, and (as they land)
the job runner and the experiment store.

The studio calls into this package; this package calls into ``past/``; neither ``backend`` nor
``past`` imports Gradio.
"""
