#!/usr/bin/env python3
"""Real models on the GPU against the CPU: exports ResNet-50, MobileNetV2, BERT-base and GPT-2 with
random weights (scripts/export_models.py's definitions), runs each with `kiln run --device cpu` and
`--device cuda` (and `--device cuda --cuda-graph`: the run captured as a CUDA graph and replayed) on
the same seeded inputs, and compares every output with the CPU's. Prints how many nodes of each
model ran on the GPU. Exits 1 when an output differs by more than atol + rtol * max|cpu output|.
Needs torch (with torchvision and transformers) and a GPU: run it on the GPU machine
(scripts/gpu_check.sh models).

    compare_devices.py --kiln KILN [--workdir DIR] [--models resnet50,...] [--rtol 1e-3] [--atol 1e-4]
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models  # noqa: E402


def run_kiln(kiln, model, feeds, device, out_dir, extra=()):
    os.makedirs(out_dir, exist_ok=True)
    cmd = [kiln, "run", model, "--device", device, "--runs", "3", "--output-dir", out_dir, *extra]
    for name, path in feeds.items():
        cmd += ["--input", f"{name}={path}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"kiln run --device {device} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kiln", default="build/bin/kiln")
    p.add_argument("--workdir", default="/tmp/kiln-models")
    p.add_argument("--models", default="resnet50,mobilenet_v2,bert-base,gpt2")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative to the output's max |value|")
    p.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    export_models.torch.manual_seed(export_models.SEED)
    failed = []
    for name in a.models.split(","):
        spec = export_models.MODELS[name]()
        path = os.path.join(a.workdir, name + ".onnx")
        export_models.export(name, spec, path, 17, False)
        nodes = len(onnx.load(path, load_external_data=False).graph.node)
        feeds = {}
        for n, t in zip(spec["inputs"], spec["check"]):
            f = os.path.join(a.workdir, f"{name}.{n}.npy")
            np.save(f, t.numpy())
            feeds[n] = f
        cpu_dir, gpu_dir = os.path.join(a.workdir, name + ".cpu"), os.path.join(a.workdir, name + ".cuda")
        graph_dir = os.path.join(a.workdir, name + ".cuda_graph")
        cpu_log = run_kiln(a.kiln, path, feeds, "cpu", cpu_dir)
        gpu_log = run_kiln(a.kiln, path, feeds, "cuda", gpu_dir)
        try:
            graph_log = run_kiln(a.kiln, path, feeds, "cuda", graph_dir, ["--cuda-graph"])
        except RuntimeError as e:
            graph_log = None
            failed.append(name)
            print(f"  FAIL --cuda-graph: {str(e).strip().splitlines()[-1]}")
        placement = re.search(r"^placement: (.*)$", gpu_log, re.M)
        logs = [("cpu", cpu_log), ("cuda", gpu_log)] + ([("cuda graph", graph_log)] if graph_log else [])
        lat = {d: re.search(r"latency: median ([0-9.]+) ms", log).group(1) for d, log in logs}
        print(f"{name}: {nodes} nodes exported; on cuda: {placement.group(1) if placement else '?'}; "
              f"latency " + ", ".join(f"{d} {v} ms" for d, v in lat.items()))
        runs = [("cuda", gpu_dir)] + ([("cuda graph", graph_dir)] if graph_log else [])
        for out in spec["outputs"]:
            want = np.load(os.path.join(cpu_dir, out + ".npy"))
            for label, d in runs:
                got = np.load(os.path.join(d, out + ".npy"))
                scale = float(np.abs(want).max()) if want.size else 0.0
                diff = float(np.abs(want.astype(np.float64) - got).max()) if want.size else 0.0
                bad = got.shape != want.shape or not diff <= a.atol + a.rtol * scale
                failed += [name] if bad else []
                print(f"  {'FAIL' if bad else 'ok  '} {label}: {out} {list(got.shape)}: max abs diff "
                      f"{diff:.3g} (max |cpu| {scale:.3g})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
