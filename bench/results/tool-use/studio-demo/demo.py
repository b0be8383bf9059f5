"""Issue 13's flow in a real studio (a record, run once on 2026-12-01): upload a StableToolBench query file
(2 Logistics queries) as a tools collection, Adapt with the tool-use skill (tool-docs preset), then the
Tools screen's A/B agent run, fine-tuned vs fine-tuned + skill. Paths are this machine's."""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path("/work/main")
DATA = Path("/work/runs/pd")
OUT = Path("/work/runs/demo13")
MODEL = "smollm2-135m-instruct"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["PAST_DATA_DIR"] = str(DATA)
    from gradio_client import Client, handle_file

    from backend.jobs.service import JobService
    from past.settings import Settings
    from tests.conftest import launched_studio

    settings = Settings.load(DATA)
    rows = json.loads(Path("/work/shared/data/stabletoolbench/G1_category.json").read_text())
    picked = [r for r in rows if all(a["category_name"] == "Logistics" for a in r["api_list"])][:2]
    queries = OUT / "logistics-queries.json"
    queries.write_text(json.dumps(picked))
    print("queries:", [p["query"][:80] for p in picked])
    started = time.time()
    with launched_studio(settings, [], OUT / "studio.log", timeout=300) as url:
        client = Client(url, verbose=False)
        outcome = client.predict([handle_file(str(queries))], "demo-logistics", api_name="/upload_tools")
        print("upload:", str(outcome[0])[:400])
        launched = client.predict(
            MODEL,
            "demo-logistics",
            "tool-use-smollm2-135m",
            1.0,
            "demo-logistics-tools",
            2,
            "tool-docs",
            api_name="/adapt",
        )
        job_id = launched if isinstance(launched, str) else launched[0]
        print("adapt job", job_id)
        job = JobService(settings).wait(job_id, timeout=3600, poll=2.0)
        print("adapt:", job.state, job.error, round(time.time() - started), "s", json.dumps(job.result)[:600])
        result = job.result
        side_a, side_b, note = client.predict(
            "demo-logistics",
            picked[0]["query"],
            MODEL,
            result["baseline_adapter"],
            MODEL,
            result["injected_adapter"],
            2,
            96,
            "none",
            api_name="/tools_agent",
        )
        (OUT / "side_a.md").write_text(side_a)
        (OUT / "side_b.md").write_text(side_b)
        print("A:\n", side_a[:1500])
        print("B:\n", side_b[:1500])
        print(note)
    print("total", round(time.time() - started), "s")


if __name__ == "__main__":
    main()
