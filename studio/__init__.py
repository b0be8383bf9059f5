"""The Gradio web studio: one module per screen, assembled by ``studio.app.build_app``.

The UI stays thin: every screen calls ``backend`` services and ``past`` functions and shows their
results and errors in plain words. The UI process never trains.
"""
