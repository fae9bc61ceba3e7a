#!/usr/bin/env python3
"""Runs tutorial_script.py over onnxruntime and over kiln on each MODEL and compares what the two
give: NodeArg names, shapes and types, metadata, and outputs within 1e-5 (absolute, and relative
to each output's largest magnitude). Exit status 1 on any difference.

    PYTHONPATH=build/python .venv/bin/python tests/python/compare_tutorial.py MODEL...
    compare_tutorial.py --kiln-python VENV/bin/python MODEL...   # kiln from another Python

--kiln-python runs the kiln side with that interpreter (a fresh virtualenv where only the
installed kiln package and numpy are: scripts/test.sh checks `pip install .` that way).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def run(engine, model, out, python=sys.executable):
    r = subprocess.run([python, os.path.join(HERE, "tutorial_script.py"), engine, model, out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{engine} on {model} failed:\n{r.stderr}")
    print("  " + r.stdout.strip())
    return np.load(out, allow_pickle=False)


def main():
    args = sys.argv[1:]
    kiln_python = sys.executable
    if args[:1] == ["--kiln-python"]:
        kiln_python, args = args[1], args[2:]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in args:
            print(model)
            o = run("onnxruntime", model, os.path.join(tmp, "ort.npz"))
            k = run("kiln", model, os.path.join(tmp, "kiln.npz"), kiln_python)
            oi, ki = json.loads(str(o["info"])), json.loads(str(k["info"]))
            problems = [f"{field} differ: {ki[field]} vs {oi[field]}"
                        for field in ("inputs", "outputs", "meta") if ki[field] != oi[field]]
            for name in o.files:
                if name == "info":
                    continue
                a, b = k[name], o[name]
                if a.shape != b.shape or a.dtype != b.dtype:
                    problems.append(f"{name}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}")
                    continue
                scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
                err = float(np.max(np.abs(a.astype(np.float64) - b))) if b.size else 0.0
                print(f"  {name}: {b.dtype}{list(b.shape)} max abs diff {err:.2e} "
                      f"(largest |value| {scale:.3g})")
                if err > 1e-5 * scale:
                    problems.append(f"{name}: max abs diff {err:.3g} > 1e-5 x {scale:.3g}")
            print(f"  kiln/ORT latency: {ki['median_ms'] / oi['median_ms']:.2f}")
            for p in problems:
                print("  DIFFERENT " + p)
            bad += bool(problems)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
