"""Issue 13 acceptance, in the studio: upload target API schemas (StableToolBench query file, Logistics +
Weather), Adapt with the tool-use skill (tool-docs preset), then an A/B agent run SFT vs SFT+skill."""
import json, os, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, "/work/main"); os.chdir("/work/main")
from tests.conftest import launched_studio  # noqa
from past.settings import Settings
from backend.jobs.service import JobService
from gradio_client import Client, handle_file

DATA = Path("/work/runs/pd"); os.environ["PAST_DATA_DIR"] = str(DATA)
settings = Settings.load(DATA)
rows = json.load(open("/work/shared/data/stabletoolbench/G1_category.json"))
split = json.load(open("assets/recipes/tool_use_split.json"))
picked = [r for r in rows if all(a["category_name"] in ("Logistics",) for a in r["api_list"])][:2]
qfile = Path("/work/runs/demo13/logistics-queries.json"); qfile.write_text(json.dumps(picked))
print("queries:", [p["query"][:80] for p in picked])
t0 = time.time()
with launched_studio(settings, [], Path("/work/runs/demo13/studio.log"), timeout=300) as url:
    c = Client(url, verbose=False)
    out = c.predict([handle_file(str(qfile))], "demo-logistics", api_name="/upload_tools")
    print("upload:", str(out[0])[:400])
    res = c.predict("smollm2-135m-instruct", "demo-logistics", "tool-use-smollm2-135m", 1.0, "demo-logistics-tools", 2,
                    "tool-docs", api_name="/adapt")
    job_id = res if isinstance(res, str) else res[0]
    print("adapt job", job_id)
    svc = JobService(settings)
    job = svc.wait(job_id, timeout=3600, poll=2.0)
    print("adapt:", job.state, job.error, round(time.time() - t0), "s", json.dumps(job.result)[:600])
    r = job.result
    a, b, note = c.predict("demo-logistics", picked[0]["query"], "smollm2-135m-instruct", r["baseline_adapter"],
                           "smollm2-135m-instruct", r["injected_adapter"], 2, 96, "none", api_name="/tools_agent")
    Path("/work/runs/demo13/side_a.md").write_text(a); Path("/work/runs/demo13/side_b.md").write_text(b)
    print("A:\n", a[:1500]); print("B:\n", b[:1500]); print(note)
print("total", round(time.time() - t0), "s")
