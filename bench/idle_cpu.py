"""CPU time a kiln process burns while idle after a run (issue 18: threads must sleep between runs).

    PYTHONPATH=build/python .venv/bin/python bench/idle_cpu.py MODEL [--threads 2] [--idle 2]

Loads MODEL with kiln's Python package (intra_op_num_threads = --threads), runs it 5 times, then
reads the process's CPU time (utime + stime of /proc/self/stat, all threads) across one more run
and across --idle seconds of sleep after it. Symbolic dims are 1, inputs random floats.
"""
import argparse
import os
import time

import numpy as np

import kiln


def cpu_seconds():
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--idle", type=float, default=2.0)
    args = ap.parse_args()
    so = kiln.SessionOptions()
    so.intra_op_num_threads = args.threads
    sess = kiln.InferenceSession(args.model, so)
    feeds = {}
    for i in sess.get_inputs():
        dims = [d if isinstance(d, int) else 1 for d in i.shape]
        feeds[i.name] = np.random.rand(*dims).astype(np.float32)
    for _ in range(5):
        sess.run(None, feeds)
    t0, c0 = time.time(), cpu_seconds()
    sess.run(None, feeds)
    t1, c1 = time.time(), cpu_seconds()
    time.sleep(args.idle)
    c2 = cpu_seconds()
    print(f"{os.path.basename(args.model)}: {args.threads} threads, GOMP_SPINCOUNT="
          f"{os.environ.get('GOMP_SPINCOUNT', '(libgomp default)')}: one run {1e3 * (t1 - t0):.1f} ms "
          f"wall, {1e3 * (c1 - c0):.0f} ms CPU; {args.idle:g} s idle after it: "
          f"{1e3 * (c2 - c1):.0f} ms CPU")


if __name__ == "__main__":
    main()
