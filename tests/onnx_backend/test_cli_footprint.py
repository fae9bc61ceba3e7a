#!/usr/bin/env python3
"""What a CPU-only process of the `kiln` CLI maps, and its peak memory.

The CUDA backend is a plugin (libkiln_cuda.so) loaded only when a command asks for cuda: `kiln
--help` and a CPU run of a tiny model must load no CUDA library (the dynamic loader's own record,
LD_DEBUG=files, lists every library a process maps, dlopen'd ones included), and `kiln --help`
peaks under 40 MB of RSS. Where the build has the plugin, asking for cuda loads it (and, without a
GPU, stops with the reason); where it has none, the error says so.

    test_cli_footprint.py PATH/TO/kiln
"""
import os
import re
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

DEVICE_LIBRARIES = re.compile(
    r"file=(?:\S*/)?((?:libcuda|libcudart|libcublas|libcudnn|libkiln_cuda)[^\s/]*)")
LOADER_LINE = re.compile(r"^\s*\d+:")
HELP_RSS_LIMIT_KB = 40 * 1024


GNU_TIME = "/usr/bin/time"  # Debian's `time` package (scripts/setup.sh installs it)


def run(cmd, env_extra=None):
    """Runs cmd; returns (exit status, its output without the loader's lines, peak RSS in KiB,
    device libraries mapped).

    The peak comes from GNU time, which forks the command from its own small process: a child
    forked from this Python process would inherit Python's peak in ru_maxrss across exec."""
    env = dict(os.environ, LD_DEBUG="files")
    env.pop("LD_PRELOAD", None)
    env.update(env_extra or {})
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        r = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_file, *cmd], capture_output=True,
                           text=True, env=env, timeout=120)
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    text = r.stdout + r.stderr
    libs = sorted({m.group(1) for m in DEVICE_LIBRARIES.finditer(text)})
    # LD_DEBUG's lines start with the process id and a colon.
    own = "\n".join(line for line in text.splitlines() if not LOADER_LINE.match(line))
    return r.returncode, own, rss, libs


def main():
    kiln = sys.argv[1]
    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        passed, failed = passed + ok, failed + (not ok)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "relu.onnx")
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, (4,))
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, (4,))
        g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)

        code, _, rss, libs = run([kiln, "--help"])
        check("help_maps_no_cuda", code == 0 and not libs,
              f"exit {code}, device libraries mapped: {libs or 'none'}")
        check("help_peak_rss", rss < HELP_RSS_LIMIT_KB,
              f"peak RSS {rss / 1024:.1f} MB (limit {HELP_RSS_LIMIT_KB // 1024} MB)")

        code, _, rss, libs = run([kiln, "run", path, "--runs", "3"])  # the peak is reported
        check("cpu_run_maps_no_cuda", code == 0 and not libs,
              f"exit {code}, peak RSS {rss / 1024:.1f} MB, device libraries mapped: "
              f"{libs or 'none'}")

        # Asking for cuda: the plugin loads where the build made one; the run then either works
        # (a GPU is here) or stops with the reason.
        code, text, _, libs = run([kiln, "run", path, "--runs", "1", "--device", "cuda"])
        reason = [line for line in text.splitlines() if "cuda" in line]
        built = subprocess.run([kiln, "ops"], capture_output=True, text=True).stdout
        if " cuda " in built:
            ok = "libkiln_cuda.so" in libs and (code == 0 or any(
                "device 'cuda' is not available" in r for r in reason))
            check("cuda_run_loads_the_plugin", ok,
                  f"exit {code}, mapped {libs}; {reason[-1] if reason else ''}")
        else:
            ok = code == 1 and not libs and any("not compiled into this build" in r for r in reason)
            check("cuda_run_without_the_plugin_says_why", ok,
                  f"exit {code}; {reason[-1] if reason else ''}")

        # A plugin that is not there: the error names where it looked.
        if " cuda " in built:
            code, text, _, _ = run([kiln, "run", path, "--runs", "1", "--device", "cuda"],
                                   {"KILN_CUDA_PLUGIN": os.path.join(tmp, "libkiln_cuda.so")})
            ok = code == 1 and "could not be loaded; tried:" in text and tmp in text
            check("missing_plugin_says_where_it_looked", ok,
                  f"exit {code}; {' '.join(text.split())[-160:]}")

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
