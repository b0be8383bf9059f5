"""The report card's wall time, first and again: what the answer cache (past/evaluation/answer_cache.py) saves.

Three cards on the default model in a throw-away data directory, over the bundled page's questions
(``assets/documents/isle-of-vessary.*``) and the 20 forgetting probes: (1) the first card of the collection,
nothing cached; (2) another adapted model on the same collection — the base model's runs are reused, the new
fine-tune answers; (3) the same card again — every answer reused. Each adapted model is a fine-tune given as a
PEFT adapter folder (``--adapters A B``, e.g. two of bench/target_recipes.py's ``--keep-adapters`` folders).

    python bench/report_card_reuse.py --adapters KEPT/p1381-s0-short-notes KEPT/p1417-s0-short-notes \\
        --json bench/results/report-card-reuse.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "assets" / "documents" / "isle-of-vessary"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adapters", nargs=2, required=True, help="two fine-tunes (PEFT adapter folders)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the timings here")
    args = parser.parse_args()
    import torch

    from backend.documents import DocumentService
    from backend.report_card import build_report_card
    from backend.store import Store
    from past.settings import Settings

    torch.set_num_threads(args.threads)
    settings = Settings.load(tempfile.mkdtemp(prefix="past-card-bench-")).ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    docs.upload([(PAGE.name + ".md", PAGE.with_suffix(".md").read_bytes())], "page")
    docs.upload_qa(PAGE.name + ".qa.json", PAGE.with_suffix(".qa.json").read_bytes(), "page")
    folder = settings.adapters_dir / "card-bench"
    timings = {}
    cards = [("first card, nothing cached", 0), ("another adapted model, same collection", 1), ("same card again", 1)]
    for name, which in cards:
        if name != "same card again":
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(args.adapters[which], folder / "baseline")
            record = {"name": "card-bench", "base": "default", "collection": "page", "mode": "sft"}
            (folder / "adapted.json").write_text(json.dumps(record))
        started = time.perf_counter()
        card = build_report_card(settings, "card-bench")
        timings[name] = round(time.perf_counter() - started, 1)
    result = {
        "questions": card["n_questions"],
        "probes": card["forgetting"]["n_questions"],
        "systems": [s["label"] for s in card["systems"]],
        "wall_seconds": timings,
        "threads": args.threads,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
