#!/usr/bin/env python3
"""Memory benchmark: kiln's planned arena against its lower bound, and the peak resident memory of
a kiln process against an ONNX Runtime process running the same model on the same inputs, in the
same run. A benchmark, not a test: it reports, it never fails on a figure.

    .venv/bin/python bench/memory.py [--kiln build/bin/kiln] [--models build/models]
                                     [--runs 10] [--markdown FILE]

For each case (ResNet-50 batch 1, BERT-base batch 1 sequence 128; models exported with random
weights by scripts/export_models.py, which this script calls through .venv-models when a model
is missing) it runs, each in a fresh process:
  - kiln: `kiln run MODEL --input ... --runs N --memory`; the arena, the lower bound (the largest
    total of bytes live at one step) and the naive sum (every intermediate in its own buffer)
    come from the memory plan kiln prints;
  - ONNX Runtime (CPU, memory pattern and arena on, its defaults) from the project's .venv: one
    warm-up run and N timed runs on the same inputs.
Peak RSS is each process's own high-water mark (VmHWM, which kiln prints with --memory and the
ONNX Runtime runner reads from /proc/self/status at its end), so it covers loading, optimizing,
planning and every run. (ru_maxrss from wait4 would not do: Linux carries the parent's peak
into a forked child.) Each process's baseline (kiln: a one-node model; ONNX Runtime: Python
importing numpy and onnxruntime) is printed too, so the figures can be read with or without the
interpreter and libraries. The outputs of both are compared.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from compare_ort import make_input  # noqa: E402  (the same input rules as the comparison script)

CASES = [
    # (label, model file, export name, {input: shape})
    ("ResNet-50, batch 1", "resnet50.onnx", "resnet50", {"input": [1, 3, 224, 224]}),
    ("BERT-base, batch 1, seq 128", "bert-base.onnx", "bert-base",
     {"input_ids": [1, 128], "attention_mask": [1, 128], "token_type_ids": [1, 128]}),
]

ORT_RUNNER = r"""
import sys, time
import numpy as np
import onnxruntime as ort
model, runs, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
feeds = dict(np.load(sys.argv[4]))
so = ort.SessionOptions()
so.enable_mem_pattern = True   # the default, stated: ORT's planned buffer reuse
so.enable_cpu_mem_arena = True
s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
outs = s.run(None, feeds)
ms = []
for _ in range(runs):
    a = time.perf_counter(); outs = s.run(None, feeds); ms.append((time.perf_counter() - a) * 1e3)
ms.sort()
print("latency_ms %.3f" % ms[len(ms) // 2])
print("peak_rss_kib", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
np.savez(out_dir + "/ort_outputs.npz", **{o.name: v for o, v in zip(s.get_outputs(), outs)})
"""

ORT_BASELINE = r"""
import numpy, onnxruntime
print("peak_rss_kib", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""


def run_measured(cmd):
    """Runs cmd; returns (stdout, the peak RSS in MiB that it printed). Raises on failure."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError("command failed: %s\n%s" % (" ".join(cmd), p.stdout[-3000:]))
    m = re.search(r"process peak RSS: ([\d.]+) MiB", p.stdout)
    if m:
        return p.stdout, float(m.group(1))
    m = re.search(r"peak_rss_kib (\d+)", p.stdout)
    if not m:
        raise RuntimeError("no peak RSS in the output of %s:\n%s" % (" ".join(cmd), p.stdout[-2000:]))
    return p.stdout, int(m.group(1)) / 1024.0


def ensure_models(models_dir):
    missing = [name for _, f, name, _ in CASES if not os.path.exists(os.path.join(models_dir, f))]
    if not missing:
        return
    py = os.path.join(ROOT, ".venv-models", "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call(["bash", os.path.join(ROOT, "scripts", "setup_models.sh")])
    subprocess.check_call([py, os.path.join(ROOT, "scripts", "export_models.py"), models_dir,
                           "--models", ",".join(missing)])


def kiln_plan(text):
    """The main graph's plan from `kiln run --memory`: arena, lower bound, naive sum (MiB)."""
    m = re.search(r"memory plan of main for .*\n\s+arena ([\d.]+) MiB .*lower bound ([\d.]+) MiB"
                  r".*naive sum ([\d.]+) MiB", text)
    if not m:
        raise RuntimeError("no memory plan in kiln's output:\n" + text[-2000:])
    return tuple(float(g) for g in m.groups())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kiln", default=os.path.join(ROOT, "build", "bin", "kiln"))
    p.add_argument("--models", default=os.path.join(ROOT, "build", "models"))
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--markdown", help="also write the table to this file")
    a = p.parse_args()
    ensure_models(a.models)
    py = sys.executable

    with tempfile.TemporaryDirectory() as tmp:
        tiny = os.path.join(tmp, "relu.onnx")
        x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])
        y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [4])
        g = onnx.helper.make_graph([onnx.helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
        onnx.save(onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 17)]), tiny)
        _, kiln_base = run_measured([a.kiln, "run", tiny, "--runs", "1", "--memory"])
    _, ort_base = run_measured([py, "-c", ORT_BASELINE])
    rows = []
    for label, file, _, shapes in CASES:
        model = os.path.join(a.models, file)
        rng = np.random.default_rng(0)
        graph = onnx.load(model, load_external_data=False).graph
        inits = {i.name for i in graph.initializer}
        feeds = {i.name: make_input(i, shapes, rng) for i in graph.input if i.name not in inits}
        with tempfile.TemporaryDirectory() as tmp:
            args = []
            for name, value in feeds.items():
                path = os.path.join(tmp, name + ".npy")
                np.save(path, value)
                args += ["--input", "%s=%s" % (name, path)]
            np.savez(os.path.join(tmp, "feeds.npz"), **feeds)
            kout_dir = os.path.join(tmp, "kiln")
            os.makedirs(kout_dir)
            kout, kiln_rss = run_measured([a.kiln, "run", model, "--runs", str(a.runs), "--memory",
                                           "--output-dir", kout_dir] + args)
            arena, bound, naive = kiln_plan(kout)
            kiln_ms = float(re.search(r"latency: median ([\d.]+) ms", kout).group(1))
            oout, ort_rss = run_measured([py, "-c", ORT_RUNNER, model, str(a.runs), tmp,
                                          os.path.join(tmp, "feeds.npz")])
            ort_ms = float(re.search(r"latency_ms ([\d.]+)", oout).group(1))
            ort_outs = np.load(os.path.join(tmp, "ort_outputs.npz"))
            diff = 0.0
            for name in ort_outs.files:
                k = np.load(os.path.join(kout_dir, name.replace("/", "_") + ".npy"))
                diff = max(diff, float(np.max(np.abs(k.astype(np.float64) - ort_outs[name]))))
        rows.append((label, arena, bound, naive, kiln_rss, ort_rss, kiln_ms, ort_ms, diff))
        print("%s: arena %.2f MiB, lower bound %.2f MiB, naive %.2f MiB; peak RSS kiln %.0f MiB, "
              "ONNX Runtime %.0f MiB; median latency kiln %.1f ms, ONNX Runtime %.1f ms; "
              "max |output diff| %.2e" % (label, arena, bound, naive, kiln_rss, ort_rss, kiln_ms,
                                          ort_ms, diff), flush=True)

    import onnxruntime
    lines = [
        "| model | kiln arena (MiB) | lower bound (MiB) | arena / bound | naive sum (MiB) "
        "| kiln peak RSS (MiB) | ONNX Runtime peak RSS (MiB) | kiln / ORT RSS "
        "| RSS above baseline, kiln / ORT (MiB) | median latency kiln / ORT (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, arena, bound, naive, krss, orss, kms, oms, _ in rows:
        lines.append("| %s | %.2f | %.2f | %.3f | %.1f | %.0f | %.0f | %.2f | %.0f / %.0f "
                     "| %.1f / %.1f |" % (label, arena, bound, arena / bound if bound else 1.0,
                                          naive, krss, orss, krss / orss, krss - kiln_base,
                                          orss - ort_base, kms, oms))
    lines.append("")
    lines.append("Baselines: kiln process %.0f MiB (`kiln run` of a one-node model), ONNX Runtime "
                 "process %.0f MiB "
                 "(Python importing numpy and onnxruntime %s). %d timed runs after one warm-up."
                 % (kiln_base, ort_base, onnxruntime.__version__, a.runs))
    table = "\n".join(lines)
    print()
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
