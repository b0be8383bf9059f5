"""The Adapt screen's plain-words progress: a long document's stages from the job's message, and the slider's
epochs sent only when the user moved it (so the studio runs a preset as `past adapt` does)."""

from __future__ import annotations

from studio.adapt_tab import epochs_override, preset_epochs, stage_lines


def test_a_long_document_run_names_its_stage_and_what_it_does() -> None:
    line = stage_lines(0.46, "running", "stage 2/2 qa: generating 217-224", "long-document")
    assert line == (
        "✓ memorising the document window by window · ▶ practising questions it writes about it "
        "(writing practice material) · ○ adding the skill"
    )
    first = stage_lines(0.2, "running", "stage 1/2 memorise: SFT: step 3/94", "long-document")
    assert first.startswith("▶ memorising the document window by window (fine-tuning) · ○ practising")
    assert stage_lines(0.93, "running", "writing the past model", "long-document").endswith("▶ adding the skill")
    assert stage_lines(1.0, "succeeded", "adapted model ready", "long-document").count("✓") == 3
    # a one-stage preset keeps its three steps by progress
    assert stage_lines(0.3, "running", "SFT: step 3", "short-notes") == (
        "✓ writing practice material · ▶ learning the documents · ○ adding the skill"
    )


def test_epochs_are_sent_only_when_the_slider_left_the_presets_value() -> None:
    assert preset_epochs("long-document") == 2 and preset_epochs("short-notes") == 10
    assert epochs_override("long-document", 2) is None and epochs_override("long-document", 2.0) is None
    assert epochs_override("long-document", 4) == 4.0 and epochs_override("short-notes", 5) == 5.0
    assert epochs_override(None, 10) is None and epochs_override("short-notes", None) is None
