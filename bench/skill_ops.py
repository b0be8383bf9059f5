"""Benchmark of the skill engine: streaming inject vs naive vs mergekit, and low-rank vs dense cosine.

Run from the repository root::

    python bench/skill_ops.py            # >= 4 GB multi-shard checkpoint, 3 repetitions (several minutes)
    python bench/skill_ops.py --quick    # ~0.5 GB, 1 repetition (about a minute)

Part 1 generates a random Llama-shaped float32 checkpoint in several shards (the target θ_sft), a
full-form skill v of the same size, and θ_rl = θ_sft + v for mergekit, all under --dir (deleted
afterwards unless --keep). Each method runs in its own subprocess, which reports its wall time and
its peak RSS above its own baseline (RSS after imports; peak = VmHWM at the end). Methods:

* ``past``: ``past.skills.inject(target, [(v, 1.0)], out)`` (streaming, memory-mapped, shard by shard)
* ``naive``: ``safetensors.torch.load_file`` of both state dicts, add, ``save_file`` per shard
* ``mergekit``: mergekit's ``task_arithmetic`` (base = θ_sft, model θ_rl with weight 1) run from a
  separate venv (--mergekit-python, default /tmp/mergekit-venv/bin/python) if it is installed there

Throughput is tensor bytes of the output checkpoint per second; the floor is this machine's memory
copy bandwidth (numpy copy of a 1 GiB array, bytes copied per second). Part 2 times the Frobenius
cosine of two rank-r matrices at 7B-like shapes in low-rank form against materialising them densely.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------- runners (each in a subprocess)

RUNNER_PRELUDE = """
import json, os, sys, time
import psutil
sys.path.insert(0, {root!r})
{imports}
baseline = psutil.Process().memory_info().rss
started = time.perf_counter()
"""

RUNNER_EPILOGUE = """
seconds = time.perf_counter() - started
# VmHWM: this process image's peak RSS (ru_maxrss would carry the parent's peak over fork + exec)
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_rss": peak, "baseline_rss": baseline}))
"""

PAST_IMPORTS = "from past.skills import SkillVector, inject"
PAST = """
skill = SkillVector.open(sys.argv[2], verify=False)
inject(sys.argv[1], [(skill, 1.0)], sys.argv[3], register=False)
"""

NAIVE_IMPORTS = "import torch\nfrom safetensors.torch import load_file, save_file"
NAIVE = """
src, skill_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
index = json.load(open(os.path.join(src, "model.safetensors.index.json")))
delta_index = json.load(open(os.path.join(skill_dir, "delta.safetensors.index.json")))
target = {}
for f in sorted(set(index["weight_map"].values())):
    target.update(load_file(os.path.join(src, f)))
delta = {}
for f in sorted(set(delta_index["weight_map"].values())):
    delta.update(load_file(os.path.join(skill_dir, f)))
merged = {k: v + delta[k] if k in delta else v for k, v in target.items()}
os.makedirs(out)
for f in sorted(set(index["weight_map"].values())):
    shard = {k: merged[k] for k, s in index["weight_map"].items() if s == f}
    save_file(shard, os.path.join(out, f), metadata={"format": "pt"})
"""

MERGEKIT_IMPORTS = """import yaml
from mergekit.config import MergeConfiguration
from mergekit.merge import MergeOptions, run_merge"""
MERGEKIT = """
base, rl, out = sys.argv[1], sys.argv[2], sys.argv[3]
config = MergeConfiguration.model_validate(yaml.safe_load(f'''
merge_method: task_arithmetic
base_model: {base}
models:
  - model: {rl}
    parameters:
      weight: 1.0
dtype: float32
'''))
options = MergeOptions(cuda=False, copy_tokenizer=False, lazy_unpickle=True, quiet=True, write_model_card=False)
run_merge(config, out, options=options)
"""


def run_method(python: str, body: str, imports: str, args: list[str]) -> dict:
    script = RUNNER_PRELUDE.format(root=str(ROOT), imports=imports) + body + RUNNER_EPILOGUE
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(script)
    try:
        done = subprocess.run([python, handle.name, *args], capture_output=True, text=True, timeout=3600)
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- data generation


def llama_config(layers: int, hidden: int, intermediate: int, vocab: int) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": hidden // 128,
        "num_key_value_heads": hidden // 128,
        "head_dim": 128,
        "vocab_size": vocab,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "hidden_act": "silu",
    }


def tensor_shapes(layers: int, hidden: int, intermediate: int, vocab: int) -> list[tuple[str, tuple[int, ...]]]:
    shapes = [("model.embed_tokens.weight", (vocab, hidden))]
    for i in range(layers):
        p = f"model.layers.{i}"
        shapes += [
            (f"{p}.input_layernorm.weight", (hidden,)),
            (f"{p}.self_attn.q_proj.weight", (hidden, hidden)),
            (f"{p}.self_attn.k_proj.weight", (hidden, hidden)),
            (f"{p}.self_attn.v_proj.weight", (hidden, hidden)),
            (f"{p}.self_attn.o_proj.weight", (hidden, hidden)),
            (f"{p}.post_attention_layernorm.weight", (hidden,)),
            (f"{p}.mlp.gate_proj.weight", (intermediate, hidden)),
            (f"{p}.mlp.up_proj.weight", (intermediate, hidden)),
            (f"{p}.mlp.down_proj.weight", (hidden, intermediate)),
        ]
    shapes += [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab, hidden))]
    return shapes


def generate(directory: Path, size_gb: float, shard_gb: float) -> tuple[Path, Path, Path, int]:
    """Write target (θ_sft), skill v (full form) and θ_rl = θ_sft + v as multi-shard float32 checkpoints."""
    import torch
    from safetensors.torch import save_file

    from past.models.fingerprint import fingerprint_checkpoint
    from past.skills.manifest import SkillManifest
    from past.skills.vector import finalize_skill

    hidden, intermediate, vocab = 2048, 5632, 32000
    per_layer = 4 * hidden * hidden + 3 * hidden * intermediate + 2 * hidden
    fixed = 2 * vocab * hidden + hidden
    layers = max(1, round((size_gb * 1e9 / 4 - fixed) / per_layer))
    shapes = tensor_shapes(layers, hidden, intermediate, vocab)
    target, skill, rl = directory / "target", directory / "skill", directory / "rl"
    for path in (target, skill, rl):
        path.mkdir(parents=True)
    config = llama_config(layers, hidden, intermediate, vocab)
    for path in (target, rl):
        (path / "config.json").write_text(json.dumps(config, indent=2))
    shards: list[list[tuple[str, tuple[int, ...]]]] = [[]]
    size = 0
    for name, shape in shapes:
        nbytes = 4 * (shape[0] * (shape[1] if len(shape) > 1 else 1))
        if shards[-1] and size + nbytes > shard_gb * 1e9:
            shards.append([])
            size = 0
        shards[-1].append((name, shape))
        size += nbytes
    generator = torch.Generator().manual_seed(0)
    maps: dict[str, dict[str, str]] = {"model": {}, "delta": {}}
    total = 0
    for i, shard in enumerate(shards, start=1):
        base_sd, delta_sd = {}, {}
        for name, shape in shard:
            base_sd[name] = torch.randn(shape, generator=generator) * 0.02
            delta_sd[name] = torch.randn(shape, generator=generator) * 1e-3
            total += base_sd[name].numel() * 4
        model_file = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        delta_file = f"delta-{i:05d}-of-{len(shards):05d}.safetensors"
        save_file(base_sd, target / model_file, metadata={"format": "pt"})
        save_file(delta_sd, skill / delta_file, metadata={"format": "pt"})
        save_file({k: v + delta_sd[k] for k, v in base_sd.items()}, rl / model_file, metadata={"format": "pt"})
        for name, _ in shard:
            maps["model"][name], maps["delta"][name] = model_file, delta_file
        del base_sd, delta_sd
    for path, prefix in ((target, "model"), (rl, "model"), (skill, "delta")):
        index = {"metadata": {"total_size": total}, "weight_map": maps[prefix]}
        (path / f"{prefix}.safetensors.index.json").write_text(json.dumps(index))
    manifest = SkillManifest(
        name="bench",
        base_fingerprint=fingerprint_checkpoint(target),
        architecture="LlamaForCausalLM",
        model_type="llama",
    )
    finalize_skill(skill, manifest)
    return target, skill, rl, total


def memcpy_bandwidth(repeats: int = 5) -> float:
    import numpy as np

    src = np.ones(1 << 28, dtype=np.float32)  # 1 GiB
    dst = np.empty_like(src)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - started)
    return src.nbytes / statistics.median(times) / 1e9


def drop_output(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def bench_inject(args: argparse.Namespace) -> dict:
    work = Path(args.dir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    free = shutil.disk_usage(work).free / 1e9
    if free < 5 * args.size_gb:
        raise SystemExit(f"need about {5 * args.size_gb:.0f} GB free under {work}, have {free:.0f} GB")
    try:
        started = time.perf_counter()
        target, skill, rl, total = generate(work, args.size_gb, args.shard_gb)
        os.sync()
        print(f"generated {total / 1e9:.2f} GB x3 in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        bandwidth = memcpy_bandwidth()
        methods = {
            "past (streaming inject)": (sys.executable, PAST, PAST_IMPORTS, [str(target), str(skill)]),
            "naive (load, add, save)": (sys.executable, NAIVE, NAIVE_IMPORTS, [str(target), str(skill)]),
        }
        mergekit_python = Path(args.mergekit_python)
        if mergekit_python.is_file():
            methods["mergekit task_arithmetic"] = (
                str(mergekit_python),
                MERGEKIT,
                MERGEKIT_IMPORTS,
                [str(target), str(rl)],
            )
        results: dict[str, dict] = {}
        for rep in range(args.repeats):
            for label, (python, body, imports, inputs) in methods.items():
                if label.startswith("naive") and args.skip_naive:
                    continue
                out = work / "out"
                drop_output(out)
                os.sync()  # no write-back of earlier files competing with this run
                try:
                    measured = run_method(python, body, imports, [*inputs, str(out)])
                except RuntimeError as exc:
                    results.setdefault(label, {})["error"] = str(exc)[-500:]
                    continue
                finally:
                    drop_output(out)
                entry = results.setdefault(label, {"seconds": [], "peak_above_baseline": []})
                entry["seconds"].append(measured["seconds"])
                entry["peak_above_baseline"].append(measured["peak_rss"] - measured["baseline_rss"])
                print(f"rep {rep + 1} {label}: {measured['seconds']:.1f}s", file=sys.stderr)
        table = {}
        for label, entry in results.items():
            if not entry.get("seconds"):
                table[label] = {"error": entry.get("error", "not run")}
                continue
            seconds = statistics.median(entry["seconds"])
            table[label] = {
                "median_seconds": seconds,
                "gb_per_s": total / seconds / 1e9,
                "fraction_of_memcpy": total / seconds / 1e9 / bandwidth,
                "peak_rss_above_baseline_gb": max(entry["peak_above_baseline"]) / 1e9,
                "runs": len(entry["seconds"]),
            }
        return {
            "checkpoint_gb": total / 1e9,
            "shards": len(list(target.glob("*.safetensors"))),
            "memcpy_gb_per_s": bandwidth,
            "methods": table,
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench_cosine(args: argparse.Namespace) -> list[dict]:
    import torch

    from past.skills.forms.base import LowRank
    from past.skills.ops.analyze import lowrank_inner

    torch.set_num_threads(args.threads)
    rows = []
    ranks = (16, 64) if args.quick else (16, 32, 64)
    for shape in ((4096, 4096), (4096, 11008)):
        for r in ranks:
            g = torch.Generator().manual_seed(r)
            b1, a1 = torch.randn(shape[0], r, generator=g), torch.randn(r, shape[1], generator=g)
            a = LowRank(b1, a1)
            b = LowRank(
                b1 + 0.5 * torch.randn(shape[0], r, generator=g), a1 + 0.5 * torch.randn(r, shape[1], generator=g)
            )

            def low(a: LowRank = a, b: LowRank = b) -> float:
                return lowrank_inner(a, b) / (lowrank_inner(a, a) * lowrank_inner(b, b)) ** 0.5

            def dense(a: LowRank = a, b: LowRank = b) -> float:
                d1, d2 = a.dense(), b.dense()
                return float((d1 * d2).sum() / ((d1 * d1).sum() * (d2 * d2).sum()).sqrt())

            def timed(fn, n: int) -> tuple[float, float]:
                values, times = [], []
                for _ in range(n):
                    started = time.perf_counter()
                    values.append(fn())
                    times.append(time.perf_counter() - started)
                return statistics.median(times), values[-1]

            t_low, c_low = timed(low, 7)
            t_dense, c_dense = timed(dense, 3)
            d1, d2 = a.dense(torch.float64), b.dense(torch.float64)
            exact = float((d1 * d2).sum() / (d1.norm() * d2.norm()))
            rows.append(
                {
                    "shape": f"{shape[0]}x{shape[1]}",
                    "rank": r,
                    "lowrank_ms": t_low * 1e3,
                    "dense_ms": t_dense * 1e3,
                    "speedup": t_dense / t_low,
                    "cosine": c_low,
                    "rel_diff_vs_dense_fp32": abs(c_low - c_dense) / abs(c_dense),
                    "rel_diff_lowrank_vs_fp64": abs(c_low - exact) / abs(exact),
                }
            )
            del d1, d2
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small checkpoint, one repetition (about a minute)")
    parser.add_argument("--size-gb", type=float, default=4.3)
    parser.add_argument("--shard-gb", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/past-bench-skill-ops")
    parser.add_argument("--mergekit-python", default="/tmp/mergekit-venv/bin/python")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the cosine part (both methods)")
    parser.add_argument("--keep", action="store_true", help="keep the generated checkpoints")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.quick:
        args.size_gb, args.shard_gb, args.repeats = 0.5, 0.2, 1
    results = {"inject": bench_inject(args), "cosine": bench_cosine(args)}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    inj = results["inject"]
    print(
        f"\nInject: {inj['checkpoint_gb']:.2f} GB float32 checkpoint in {inj['shards']} shards; "
        f"memcpy bandwidth {inj['memcpy_gb_per_s']:.2f} GB/s"
    )
    print("| method | median s | GB/s | of memcpy | peak RSS above baseline |")
    print("|---|---|---|---|---|")
    for label, row in inj["methods"].items():
        if "error" in row:
            print(f"| {label} | failed: {row['error'][-120:]!r} | | | |")
            continue
        print(
            f"| {label} | {row['median_seconds']:.1f} | {row['gb_per_s']:.2f} | {row['fraction_of_memcpy']:.0%} "
            f"| {row['peak_rss_above_baseline_gb']:.2f} GB |"
        )
    print("\nCosine, low-rank vs dense")
    print("| shape | rank | low-rank ms | dense ms | speedup | rel. diff vs dense fp32 | rel. diff vs fp64 |")
    print("|---|---|---|---|---|---|---|")
    for row in results["cosine"]:
        print(
            f"| {row['shape']} | {row['rank']} | {row['lowrank_ms']:.2f} | {row['dense_ms']:.0f} | "
            f"{row['speedup']:.0f}x | {row['rel_diff_vs_dense_fp32']:.1e} | {row['rel_diff_lowrank_vs_fp64']:.1e} |"
        )


if __name__ == "__main__":
    main()
