#!/usr/bin/env python3
"""CPU latency benchmark: kiln against ONNX Runtime on the same models and inputs, in the same run,
each engine in a fresh process per (model, thread count). A benchmark, not a test: it reports and
never fails on a figure (it exits 1 only when an engine fails or the outputs differ).

    PYTHONPATH=build/python .venv/bin/python bench/cpu.py MODEL.onnx... [--threads 1,2]
        [--runs 20] [--shape NAME=d0,d1,...]... [--markdown FILE] [--json FILE]

Both engines run through their Python API with the same runner (RUNNER below: `import kiln as ort`
or `import onnxruntime as ort`), so they are timed the same way: SessionOptions with
intra_op_num_threads = the thread count and everything else at its default, the session's
creation time, one warm-up run, then --runs timed runs of session.run(None, feeds); p50 and p90
of those, and the process's peak RSS (VmHWM). Inputs: the same seeded values for both
(scripts/compare_ort.py's rules: symbolic dims 1 unless --shape gives the input's shape, floats
standard normal, token ids, masks of ones). Outputs are compared within 1e-4 relative to each
output's largest magnitude (1e-5 absolute for small values). A model stripped of its weights
(tests/python/fixtures.py) is filled with seeded weights first.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from compare_ort import make_input  # noqa: E402
import fixtures  # noqa: E402

RUNNER = r"""
import importlib, json, sys, time
import numpy as np
engine, model, threads, runs, feeds_path, out_path = sys.argv[1:7]
ort = importlib.import_module(engine)
feeds = dict(np.load(feeds_path))
so = ort.SessionOptions()
so.intra_op_num_threads = int(threads)
t0 = time.perf_counter()
s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
load_ms = (time.perf_counter() - t0) * 1e3
outs = s.run(None, feeds)
ms = []
for _ in range(int(runs)):
    a = time.perf_counter()
    outs = s.run(None, feeds)
    ms.append((time.perf_counter() - a) * 1e3)
ms.sort()
rss = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
np.savez(out_path, **{f"out{i}": o for i, o in enumerate(outs)})
print(json.dumps({"load_ms": load_ms, "p50": ms[len(ms) // 2],
                  "p90": ms[min(len(ms) - 1, (len(ms) * 9) // 10)], "rss_mib": int(rss) / 1024}))
"""


def run(engine, model, threads, runs, feeds, out):
    r = subprocess.run([sys.executable, "-c", RUNNER, engine, model, str(threads), str(runs),
                        feeds, out], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{engine} on {model} ({threads} threads) failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def compare(kiln_out, ort_out):
    """The largest difference over every output relative to (1e-4 x its largest |value|, at least
    1e-5 absolute): <= 1 passes."""
    k, o = np.load(kiln_out), np.load(ort_out)
    worst = 0.0
    for name in o.files:
        a, b = k[name], o[name]
        if a.shape != b.shape:
            return float("inf")
        if b.size == 0 or not np.issubdtype(b.dtype, np.number):
            continue
        scale = max(1e-5, 1e-4 * float(np.max(np.abs(b))))
        worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b))) / scale)
    return worst


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...")
    p.add_argument("--markdown")
    p.add_argument("--json")
    a = p.parse_args()
    shapes = {}
    for s in a.shape:
        name, dims = s.split("=", 1)
        shapes[name] = [int(d) for d in dims.split(",") if d]
    threads = [int(t) for t in a.threads.split(",")]
    rows, bad = [], 0
    machine = f"{cpu_name()}, {os.cpu_count()} cores"
    print(f"machine: {machine}")
    with tempfile.TemporaryDirectory() as tmp:
        for path in a.models:
            label = os.path.splitext(os.path.basename(path))[0]
            model = onnx.load(path)
            if any(m.key == fixtures.MARK for m in model.metadata_props):
                path = os.path.join(tmp, label + ".onnx")
                onnx.save(fixtures.fill(model), path)
            inits = {i.name for i in model.graph.initializer}
            rng = np.random.default_rng(0)
            feeds = {i.name: make_input(i, shapes, rng) for i in model.graph.input
                     if i.name not in inits}
            feeds_path = os.path.join(tmp, label + "_feeds.npz")
            np.savez(feeds_path, **feeds)
            del model
            for t in threads:
                res = {}
                for engine in ("onnxruntime", "kiln"):
                    out = os.path.join(tmp, f"{label}_{engine}_{t}.npz")
                    res[engine] = run(engine, path, t, a.runs, feeds_path, out)
                err = compare(os.path.join(tmp, f"{label}_kiln_{t}.npz"),
                              os.path.join(tmp, f"{label}_onnxruntime_{t}.npz"))
                k, o = res["kiln"], res["onnxruntime"]
                row = dict(model=label, threads=t, kiln=k, ort=o, ratio=k["p50"] / o["p50"],
                           error=err)
                rows.append(row)
                bad += err > 1
                print(f"{label:32s} {t}T  kiln p50 {k['p50']:9.2f} ms p90 {k['p90']:9.2f}  "
                      f"ORT p50 {o['p50']:9.2f} ms p90 {o['p90']:9.2f}  kiln/ORT "
                      f"{row['ratio']:5.2f}  load {k['load_ms']:7.1f}/{o['load_ms']:7.1f} ms  "
                      f"RSS {k['rss_mib']:6.0f}/{o['rss_mib']:6.0f} MiB"
                      f"{'' if err <= 1 else '  OUTPUTS DIFFER'}", flush=True)
    for t in threads:
        ratios = [r["ratio"] for r in rows if r["threads"] == t]
        if ratios:
            print(f"{t} thread{'s' if t > 1 else ''}: kiln/ORT p50 geometric mean "
                  f"{float(np.exp(np.mean(np.log(ratios)))):.2f} over {len(ratios)} models")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(f"Machine: {machine}.\n\n| model | threads | kiln p50 ms | kiln p90 ms | "
                    "ORT p50 ms | ORT p90 ms | kiln/ORT | load kiln/ORT ms | "
                    "peak RSS kiln/ORT MiB |\n|---|---|---|---|---|---|---|---|---|\n")
            for r in rows:
                k, o = r["kiln"], r["ort"]
                f.write(f"| {r['model']} | {r['threads']} | {k['p50']:.2f} | {k['p90']:.2f} | "
                        f"{o['p50']:.2f} | {o['p90']:.2f} | {r['ratio']:.2f} | "
                        f"{k['load_ms']:.0f} / {o['load_ms']:.0f} | "
                        f"{k['rss_mib']:.0f} / {o['rss_mib']:.0f} |\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(machine=machine, rows=rows), f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
