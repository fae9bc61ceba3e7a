#!/usr/bin/env python3
"""Checks that every #include follows kiln's layer direction (docs/design.md, "Layers").

Each folder of C++ sources is one layer; LAYERS lists what each one may include, by folder. A
source file may include its own folder and the folders listed for it; third-party headers are
confined to the layers that wrap them (onnx's to ir/, Eigen and oneDNN to kernels/cpu/, CUDA's to
kernels/cuda/). Test code (files named *_test.cc or *_test_util.h, and tests/support/) is a layer
above all others: it may include any of them, and nothing but test code may include it.

Usage: scripts/check_layers.py [ROOT]     check the tree (default: the repository); exit 1 on any
                                          include against the direction, listing each
       scripts/check_layers.py --self-test  show that a wrong include in a copy of the tree fails
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# folder -> the folders it may include (besides itself). The order is the layer order, lowest
# first; a layer may only name layers listed before it, so the graph has no circle.
LAYERS = {
    "proto": [],
    "ir": [],
    "passes": ["ir"],
    "kernels/api": ["ir"],
    "kernels/ops": ["ir", "kernels/api"],
    "kernels/cpu": ["ir", "kernels/api", "kernels/ops"],
    "kernels/cuda": ["ir", "kernels/api", "kernels/ops"],
    "kernels/builtin": ["ir", "kernels/api", "kernels/cpu"],
    "runtime": ["ir", "passes", "kernels/api"],
    "tools": ["ir", "passes", "kernels/api", "runtime"],
    "tools/python": ["ir", "passes", "kernels/api", "runtime"],
    "bench": ["ir", "passes", "kernels/api", "runtime", "tools"],
}
TEST_SUPPORT = "tests/support"

# Third-party headers (by the include's first path part, <...> or "...") and the only layers that
# may include them.
THIRD_PARTY = {
    "onnx": ["ir"],
    "google": ["ir"],  # protobuf
    "Eigen": ["kernels/cpu"],
    "unsupported": ["kernels/cpu"],  # Eigen's unsupported modules
    "dnnl.hpp": ["kernels/cpu"],
    "dnnl.h": ["kernels/cpu"],
    "oneapi": ["kernels/cpu"],
    "cuda_runtime.h": ["kernels/cuda"],
    "cuda_fp16.h": ["kernels/cuda"],
    "cuda_bf16.h": ["kernels/cuda"],
    "cublas_v2.h": ["kernels/cuda"],
    "cublasLt.h": ["kernels/cuda"],
    "cudnn.h": ["kernels/cuda"],
    "nanobind": ["tools/python"],
    "Python.h": ["tools/python"],
}

SOURCE = re.compile(r"\.(cc|h|cu|cuh|cpp|hpp)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def is_test(path):
    name = os.path.basename(path)
    return (path.startswith(TEST_SUPPORT + "/") or name.endswith("_test.cc") or
            "_test_util." in name)


def layer_of(path):
    """The layer a file belongs to: the longest LAYERS folder that contains it."""
    best = None
    for folder in LAYERS:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def check_order():
    seen = set()
    for folder, deps in LAYERS.items():
        for d in deps:
            if d not in seen:
                return [f"LAYERS: {folder} may include {d}, which is not a lower layer"]
        seen.add(folder)
    return []


def source_files(root):
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, text=True, check=True).stdout
        files = out.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, _, names in os.walk(root):
            for n in names:
                files.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(f for f in files if SOURCE.search(f) and os.path.isfile(os.path.join(root, f)))


def check(root):
    problems = check_order()
    checked = 0
    for path in source_files(root):
        test = is_test(path)
        layer = layer_of(path)
        if layer is None and not test:
            continue  # not C++ of a layer (e.g. third-party sources fetched into the tree)
        checked += 1
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(2)
                close = ">" if m.group(1) == "<" else '"'
                where = f"{path}:{lineno}: #include {m.group(1)}{inc}{close}"
                first = inc.split("/")[0]
                if first in THIRD_PARTY or inc in THIRD_PARTY:
                    allowed = THIRD_PARTY.get(inc, THIRD_PARTY.get(first))
                    if not test and layer not in allowed:
                        problems.append(f"{where}: only {', '.join(allowed)} may include it "
                                        f"({layer} may not)")
                    continue
                if m.group(1) == "<":
                    continue  # the standard library and other system headers
                target_test = is_test(inc)
                target = layer_of(inc)
                if target is None and not target_test:
                    if os.path.exists(os.path.join(root, inc)):
                        problems.append(f"{where}: {inc} belongs to no layer of "
                                        "scripts/check_layers.py")
                    continue
                if test:
                    continue  # test code may include every layer
                if target_test:
                    problems.append(f"{where}: {layer} includes test code")
                elif target != layer and target not in LAYERS[layer]:
                    may = ", ".join(LAYERS[layer]) or "nothing else"
                    problems.append(f"{where}: {layer} may include {may}, not {target}")
    return problems, checked


def self_test():
    """Copies the sources to a temporary tree, adds a wrong include, and expects the check to fail
    on it (and to pass on the unchanged copy)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        for path in source_files(root):
            dst = os.path.join(tmp, path)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(root, path), dst)
        problems, _ = check(tmp)
        if problems:
            print("self-test: the unchanged copy already fails:\n  " + "\n  ".join(problems))
            return 1
        cases = [
            ("runtime/session.cc", '#include "kernels/cpu/register.h"', "runtime may include"),
            ("kernels/cuda/plugin.cc", '#include "kernels/cpu/common.h"',
             "kernels/cuda may include"),
            ("ir/graph.cc", '#include "passes/pass.h"', "ir may include"),
            ("kernels/ops/common.cc", "#include <Eigen/Core>", "only kernels/cpu may include"),
            ("passes/pass_util.cc", '#include "tests/support/single_node.h"',
             "includes test code"),
            ("runtime/session.cc", "#include <nanobind/nanobind.h>",
             "only tools/python may include"),
            ("tools/python/_kiln.cc", '#include "kernels/cpu/register.h"',
             "tools/python may include"),
        ]
        failed = 0
        for path, line, expected in cases:
            full = os.path.join(tmp, path)
            with open(full, encoding="utf-8") as f:
                original = f.read()
            with open(full, "w", encoding="utf-8") as f:
                f.write(line + "\n" + original)
            problems, _ = check(tmp)
            with open(full, "w", encoding="utf-8") as f:
                f.write(original)
            hit = [p for p in problems if p.startswith(path + ":1:") and expected in p]
            if len(problems) != 1 or not hit:
                print(f"self-test: {line} in {path} should fail once with '{expected}'; got:\n  " +
                      "\n  ".join(problems or ["no problem"]))
                failed += 1
            else:
                print(f"self-test: caught {hit[0]}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems, checked = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} include(s) against the layer direction "
              "(docs/design.md, Layers)")
        return 1
    print(f"check_layers: {checked} files follow the layer direction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
