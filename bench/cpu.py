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
standard normal, token ids, masks of ones). FLOPs: 2 x the multiply-adds of Conv, MatMul and
Gemm at those shapes; with build/bin/kiln_peak_fma built, the share of the machine's FMA peak each
engine reaches, and issue 18's bar (the larger of 0.8 x ORT's p50 and the time at 90% of the
peak). Outputs are compared within 1e-4 relative to each
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


def conv_macs(node, x, w, y):
    """A Conv's multiply-adds over the taps that land inside X (taps in the zero padding are not
    work: a dilated ASPP convolution on a small map reads mostly padding); the nominal count when
    the padding is automatic or X's shape unknown."""
    attrs = {a.name: a for a in node.attribute}
    nominal = int(np.prod(y)) * int(np.prod(w[1:]))
    auto = attrs["auto_pad"].s.decode() if "auto_pad" in attrs else "NOTSET"
    if not x or None in x or auto not in ("NOTSET", "VALID"):
        return nominal
    nd = len(x) - 2
    strides = list(attrs["strides"].ints) if "strides" in attrs else [1] * nd
    dil = list(attrs["dilations"].ints) if "dilations" in attrs else [1] * nd
    pads = list(attrs["pads"].ints) if "pads" in attrs and auto == "NOTSET" else [0] * (2 * nd)
    pairs = 1
    for d in range(nd):
        count = 0
        for o in range(y[2 + d]):
            for t in range(w[2 + d]):
                i = o * strides[d] - pads[d] + t * dil[d]
                count += 0 <= i < x[2 + d]
        pairs *= count
    return y[0] * y[1] * w[1] * pairs


def count_flops(model, feeds):
    """2 x the multiply-adds of the model's Conv, ConvTranspose, MatMul, Gemm, LSTM, GRU and RNN
    nodes at these input shapes (onnx's shape inference with data propagation; nodes whose shapes
    it cannot resolve are not counted, so this is a lower bound)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for i in m.graph.input:
        if i.name in feeds:
            dims = i.type.tensor_type.shape.dim
            for d, v in zip(dims, feeds[i.name].shape):
                d.Clear()
                d.dim_value = int(v)
    try:
        m = onnx.shape_inference.infer_shapes(m, data_prop=True)
    except Exception:  # noqa: BLE001 -- a model onnx cannot infer counts what it can
        pass
    shape = {}
    for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in v.type.tensor_type.shape.dim]
        if dims and None not in dims:
            shape[v.name] = dims
    for t in m.graph.initializer:
        shape[t.name] = list(t.dims)
    macs = 0
    for n in m.graph.node:
        ins = [shape.get(x) for x in n.input]
        out = shape.get(n.output[0]) if n.output else None
        if n.op_type in ("Conv", "ConvTranspose") and len(ins) > 1 and ins[1] and out:
            w = ins[1]
            k = int(np.prod(w[1:]))  # C/group x kernel taps per output (Conv)
            if n.op_type == "Conv":
                macs += conv_macs(n, ins[0], w, out)
            elif ins[0]:
                macs += int(np.prod(ins[0])) * int(np.prod(w[1:]))
        elif n.op_type == "MatMul" and ins[0] and out:
            macs += int(np.prod(out)) * ins[0][-1]
        elif n.op_type in ("LSTM", "GRU", "RNN") and ins[0] and len(ins) > 2 and ins[2]:
            # Input and recurrent projections: [S, B, I] x W^T and [B, H] x R^T for every step.
            steps_batch = ins[0][0] * ins[0][1]
            d, gh, h = ins[2][0], ins[2][1], ins[2][2]
            macs += steps_batch * d * gh * (ins[0][2] + h)
        elif n.op_type == "Gemm" and ins[0] and out:
            trans_a = any(a.name == "transA" and a.i for a in n.attribute)
            macs += int(np.prod(out)) * (ins[0][0] if trans_a else ins[0][-1])
    return 2 * macs


def peak_gflops(threads):
    """The machine's float32 FMA peak per thread count from build/bin/kiln_peak_fma, or {}."""
    exe = os.path.join(ROOT, "build", "bin", "kiln_peak_fma")
    if not os.path.exists(exe):
        return {}
    r = subprocess.run([exe] + [str(t) for t in threads], capture_output=True, text=True)
    peaks = {}
    for line in r.stdout.splitlines():
        if line.startswith("threads "):
            n, rest = line[len("threads "):].split(":", 1)
            peaks[int(n)] = float(rest.split()[0])
    return peaks


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
    peaks = peak_gflops(threads)
    if peaks:
        machine += ", FP32 FMA peak " + ", ".join(f"{v:.0f} GFLOP/s at {t} thread{'s' * (t > 1)}"
                                                  for t, v in sorted(peaks.items()))
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
            flops = count_flops(model, feeds)
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
                           error=err, gflop=flops / 1e9)
                # Issue 18's bar: the larger of 0.8 x ORT's p50 and the time at 90% of the peak.
                peak = peaks.get(t)
                if peak:
                    row["kiln_peak_pct"] = 100 * flops / (k["p50"] * 1e-3) / (peak * 1e9)
                    row["ort_peak_pct"] = 100 * flops / (o["p50"] * 1e-3) / (peak * 1e9)
                    row["bar_ms"] = max(0.8 * o["p50"], 1e3 * flops / (0.9 * peak * 1e9))
                rows.append(row)
                bad += err > 1
                share = (f"  peak {row['kiln_peak_pct']:4.0f}%/{row['ort_peak_pct']:4.0f}%  bar "
                         f"{row['bar_ms']:8.2f} ms" if peak else "")
                print(f"{label:32s} {t}T  kiln p50 {k['p50']:9.2f} ms p90 {k['p90']:9.2f}  "
                      f"ORT p50 {o['p50']:9.2f} ms p90 {o['p90']:9.2f}  kiln/ORT "
                      f"{row['ratio']:5.2f}  load {k['load_ms']:7.1f}/{o['load_ms']:7.1f} ms  "
                      f"RSS {k['rss_mib']:6.0f}/{o['rss_mib']:6.0f} MiB{share}"
                      f"{'' if err <= 1 else '  OUTPUTS DIFFER'}", flush=True)
    for t in threads:
        ratios = [r["ratio"] for r in rows if r["threads"] == t]
        if ratios:
            print(f"{t} thread{'s' if t > 1 else ''}: kiln/ORT p50 geometric mean "
                  f"{float(np.exp(np.mean(np.log(ratios)))):.2f} over {len(ratios)} models")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(f"Machine: {machine}.\n\n| model | threads | GFLOP | kiln p50 ms | "
                    "kiln p90 ms | ORT p50 ms | ORT p90 ms | kiln/ORT | % of peak kiln/ORT | "
                    "bar ms | load kiln/ORT ms | peak RSS kiln/ORT MiB |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
            for r in rows:
                k, o = r["kiln"], r["ort"]
                pct = (f"{r['kiln_peak_pct']:.0f} / {r['ort_peak_pct']:.0f}"
                       if "bar_ms" in r else "")
                bar = f"{r['bar_ms']:.2f}" if "bar_ms" in r else ""
                f.write(f"| {r['model']} | {r['threads']} | {r['gflop']:.2f} | {k['p50']:.2f} | "
                        f"{k['p90']:.2f} | {o['p50']:.2f} | {o['p90']:.2f} | {r['ratio']:.2f} | "
                        f"{pct} | {bar} | {k['load_ms']:.0f} / {o['load_ms']:.0f} | "
                        f"{k['rss_mib']:.0f} / {o['rss_mib']:.0f} |\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(machine=machine, rows=rows), f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
