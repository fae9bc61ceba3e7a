#!/usr/bin/env python3
"""What the optimizer does to a model: node counts per op type before (level 0) and after (level 3,
the session default), and the largest output difference between kiln's unoptimized and
optimized runs on the same seeded inputs.

    optimizer_report.py MODEL.onnx [--kiln build/bin/kiln] [--shape NAME=d0,d1,...]... [--level N]

Inputs are made as in compare_ort.py (same seeds and rules).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import make_input  # noqa: E402


def op_counts(kiln, model, level):
    args = [kiln, "inspect", model] + ([] if level == 0 else ["--level", str(level)])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    counts, in_ops = collections.Counter(), False
    for line in out.splitlines():
        if line.startswith("ops:"):
            in_ops = True
            continue
        if in_ops:
            m = re.match(r"^  (\S+)\s+(\d+)$", line)
            if not m:
                break
            counts[m.group(1)] = int(m.group(2))
    return counts


def run(kiln, model, feeds_dir, names, level, out_dir):
    cmd = [kiln, "run", model, "--runs", "1", "--level", str(level), "--output-dir", out_dir]
    for i, name in enumerate(names):
        cmd += ["--input", f"{name}={os.path.join(feeds_dir, f'input_{i}.npy')}"]
    subprocess.run(cmd, capture_output=True, text=True, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--kiln", default="build/bin/kiln")
    p.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...")
    p.add_argument("--level", type=int, default=3)
    a = p.parse_args()
    shapes = {s.split("=", 1)[0]: [int(d) for d in s.split("=", 1)[1].split(",") if d]
              for s in a.shape}
    before, after = op_counts(a.kiln, a.model, 0), op_counts(a.kiln, a.model, a.level)
    print(f"{os.path.basename(a.model)}: {sum(before.values())} nodes -> "
          f"{sum(after.values())} nodes at level {a.level}")
    for op in sorted(set(before) | set(after), key=lambda o: (-before[o], o)):
        print(f"  {op:28s} {before[op]:5d} -> {after[op]:5d}")
    model = onnx.load(a.model, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    rng = np.random.default_rng(0)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, info in enumerate(inputs):
            np.save(os.path.join(tmp, f"input_{i}.npy"), make_input(info, shapes, rng))
        names = [i.name for i in inputs]
        for level in (0, a.level):
            os.makedirs(os.path.join(tmp, f"l{level}"))
            run(a.kiln, a.model, tmp, names, level, os.path.join(tmp, f"l{level}"))
        for o in model.graph.output:
            x = np.load(os.path.join(tmp, "l0", o.name + ".npy"))
            y = np.load(os.path.join(tmp, f"l{a.level}", o.name + ".npy"))
            diff = float(np.abs(x.astype(np.float64) - y).max()) if x.size else 0.0
            worst = max(worst, diff)
            print(f"  output {o.name} {list(x.shape)}: max |level 0 - level {a.level}| = "
                  f"{diff:.3g} (max |value| {float(np.abs(x).max()):.3g})")
    print(f"  largest difference: {worst:.3g}")


if __name__ == "__main__":
    main()
