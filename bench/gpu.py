#!/usr/bin/env python3
"""kiln on the GPU against PyTorch eager, timed in the same run: ResNet-50 (batch 1 and 32) and
BERT-base (sequence 128, batch 1 and 8), float32 and float16, random weights. Writes a markdown
table naming the GPU. Run on the GPU machine (scripts/gpu_check.sh bench).

    bench/gpu.py --kiln KILN [--workdir DIR] [--table docs/benchmarks_gpu.md] [--runs 50]
                 [--compile] [--only resnet50,bert-base]

Timing (warm: 10 untimed runs first; median of --runs):
  torch eager      the model on the GPU, inputs already there; CUDA events around the forward
  torch host       the same with the input copied from host memory and the outputs copied back:
                   the work `kiln run` times (it feeds host tensors and returns host tensors)
  torch.compile    (with --compile) like torch eager, after compilation
  kiln             `kiln run --device cuda --runs N`: the median wall time of Session::Run, host
                   to host
  kiln graph       the same with --cuda-graph: the run recorded once as a CUDA graph, replayed
The ratio columns are kiln / torch host and kiln graph / torch eager (below 1: kiln is faster).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import torch


def resnet50():
    import torchvision
    return torchvision.models.resnet50(weights=None), ["input"], ["output"]


def bert_base():
    import transformers
    cfg = transformers.BertConfig()
    m = transformers.BertModel(cfg, add_pooling_layer=True)

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, ids, mask, types):
            o = self.m(input_ids=ids, attention_mask=mask, token_type_ids=types, return_dict=True)
            return o.last_hidden_state, o.pooler_output

    return Wrap(m), ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state", "pooler_output"]


def make_inputs(name, batch, dtype):
    g = torch.Generator().manual_seed(0)
    if name == "resnet50":
        return [torch.randn(batch, 3, 224, 224, generator=g).to(dtype)]
    seq = 128
    return [torch.randint(0, 30000, (batch, seq), generator=g), torch.ones(batch, seq, dtype=torch.int64),
            torch.zeros(batch, seq, dtype=torch.int64)]


def export(model, inputs, in_names, out_names, path):
    dyn = {n: {0: "batch"} for n in in_names + out_names}
    kwargs = dict(opset_version=17, input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                  do_constant_folding=True)
    try:
        torch.onnx.export(model, tuple(inputs), path, dynamo=False, **kwargs)
    except TypeError:
        torch.onnx.export(model, tuple(inputs), path, **kwargs)


def time_cuda(fn, runs):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ms.append(a.elapsed_time(b))
    return statistics.median(ms)


def time_host(fn, runs):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ms)


def kiln_latency(kiln, path, feeds, runs, graph=False):
    cmd = [kiln, "run", path, "--device", "cuda", "--runs", str(runs), "--top", "0"]
    if graph:
        cmd.append("--cuda-graph")
    for n, f in feeds.items():
        cmd += ["--input", f"{n}={f}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr or r.stdout).strip().splitlines()[-1:]
    m = re.search(r"latency: median ([0-9.]+) ms", r.stdout)
    pl = re.search(r"^placement: (.*)$", r.stdout, re.M)
    return float(m.group(1)), pl.group(1) if pl else ""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kiln", default="build/bin/kiln")
    p.add_argument("--workdir", default="/tmp/kiln-bench")
    p.add_argument("--table", default="docs/benchmarks_gpu.md")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--only", default="resnet50,bert-base")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    torch.manual_seed(0)
    dev = torch.device("cuda")
    gpu = torch.cuda.get_device_name(0)
    configs = []
    if "resnet50" in a.only:
        configs += [("resnet50", torch.float32, 1), ("resnet50", torch.float32, 32),
                    ("resnet50", torch.float16, 1), ("resnet50", torch.float16, 32)]
    if "bert-base" in a.only:
        configs += [("bert-base", torch.float32, 1), ("bert-base", torch.float32, 8),
                    ("bert-base", torch.float16, 1), ("bert-base", torch.float16, 8)]
    rows = []
    for name, dtype, batch in configs:
        model, ins, outs = resnet50() if name == "resnet50" else bert_base()
        model = model.eval().to(dev, dtype)
        x = make_inputs(name, batch, dtype)
        xd = [t.to(dev) for t in x]
        tag = f"{name}.{str(dtype).split('.')[-1]}"
        path = os.path.join(a.workdir, tag + ".onnx")
        if not os.path.exists(path):
            with torch.no_grad():
                export(model, xd, ins, outs, path)
        feeds = {}
        for n, t in zip(ins, x):
            f = os.path.join(a.workdir, f"{tag}.b{batch}.{n}.npy")
            np.save(f, t.numpy())
            feeds[n] = f
        with torch.no_grad():
            eager = time_cuda(lambda: model(*xd), a.runs)

            def host():
                o = model(*[t.to(dev) for t in x])
                for t in (o if isinstance(o, (tuple, list)) else (o,)):
                    t.cpu()
            eager_host = time_host(host, a.runs)
            compiled = None
            if a.compile:
                try:
                    cm = torch.compile(model)
                    compiled = time_cuda(lambda: cm(*xd), a.runs)
                except Exception as e:  # noqa: BLE001 (report and go on)
                    print(f"  torch.compile failed: {type(e).__name__}: {e}"[:300])
        kiln, placement = kiln_latency(a.kiln, path, feeds, a.runs)
        kiln_graph, why = kiln_latency(a.kiln, path, feeds, a.runs, graph=True)
        if kiln_graph is None:
            print(f"  kiln --cuda-graph failed: {why}")
        row = dict(model=name, dtype=str(dtype).split(".")[-1], batch=batch, eager=eager,
                   eager_host=eager_host, compiled=compiled, kiln=kiln, kiln_graph=kiln_graph,
                   placement=placement)
        rows.append(row)
        print(f"{name} {row['dtype']} batch {batch}: torch eager {eager:.3f} ms, host {eager_host:.3f} ms"
              + (f", compiled {compiled:.3f} ms" if compiled else "")
              + (f", kiln {kiln:.3f} ms ({placement})" if kiln else f", kiln failed: {placement}")
              + (f", kiln graph {kiln_graph:.3f} ms" if kiln_graph else ""))
        del model
        torch.cuda.empty_cache()
    lines = [f"# GPU benchmarks: kiln against PyTorch eager", "",
             f"Measured by `bench/gpu.py` on one {gpu} (torch {torch.__version__}), median of "
             f"{a.runs} warm runs. Random weights. See bench/gpu.py for what each column times.", "",
             "| model | type | batch | torch eager (ms) | torch host→host (ms) | torch.compile (ms) "
             "| kiln (ms) | kiln / torch host | kiln graph (ms) | kiln graph / torch eager |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def ms(v):
        return f"{v:.3f}" if v else "—"

    for r in rows:
        ratio = f"{r['kiln'] / r['eager_host']:.2f}" if r["kiln"] else "—"
        graph_ratio = f"{r['kiln_graph'] / r['eager']:.2f}" if r["kiln_graph"] else "—"
        lines.append(f"| {r['model']} | {r['dtype']} | {r['batch']} | {r['eager']:.3f} | "
                     f"{r['eager_host']:.3f} | {ms(r['compiled'])} | "
                     f"{r['kiln']:.3f} | {ratio} | " if r["kiln"] else
                     f"| {r['model']} | {r['dtype']} | {r['batch']} | {r['eager']:.3f} | "
                     f"{r['eager_host']:.3f} | {ms(r['compiled'])} | failed | — | ")
        lines[-1] += f"{ms(r['kiln_graph'])} | {graph_ratio} |"
    with open(a.table, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {a.table}")
    sys.exit(0 if all(r["kiln"] for r in rows) else 1)


if __name__ == "__main__":
    main()
