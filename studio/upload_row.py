"""The studio's one upload row: a file box, the collection it goes into, and the button that adds it.

The Documents screen (documents, API schemas) and the Evaluate screen (question files) lay it out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr


@dataclass(frozen=True)
class UploadRow:
    files: gr.File
    collection: gr.Dropdown
    button: gr.Button


def upload_row(
    prefix: str,
    file_label: str,
    collection_label: str,
    button_label: str,
    *,
    default: str = "default",
    file_types: list[str] | None = None,
    multiple: bool = True,
    primary: bool = True,
    ids: tuple[str, str, str] = ("files", "collection", "upload"),
) -> UploadRow:
    """Lay out an upload row; its components' ids are ``<prefix>-<ids[i]>`` (file box, collection, button)."""
    with gr.Row():
        files = gr.File(
            label=file_label,
            file_count="multiple" if multiple else "single",
            file_types=file_types,
            type="filepath",
            scale=3,
            elem_id=f"{prefix}-{ids[0]}",
        )
        with gr.Column(scale=2):
            collection = gr.Dropdown(
                [default], value=default, allow_custom_value=True, label=collection_label, elem_id=f"{prefix}-{ids[1]}"
            )
            button = gr.Button(
                button_label, variant="primary" if primary else "secondary", elem_id=f"{prefix}-{ids[2]}"
            )
    return UploadRow(files, collection, button)
