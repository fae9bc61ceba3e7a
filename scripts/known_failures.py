#!/usr/bin/env python3
"""Writes tests/onnx_backend/known_failures.txt from a `kiln backend-test --json` result.

    known_failures.py RESULTS.json [--shrink]

With --shrink (the normal use), only removes entries that now pass and never adds any: the list
only shrinks. Reasons of entries still failing are refreshed from the results. Without it, rewrites the list from the results (used once, to start the list).
Each entry is `suite/case  reason`, the reason being the runner's message, shortened.
"""
import json
import os
import re
import sys

LIST = os.path.join(os.path.dirname(__file__), "..", "tests", "onnx_backend", "known_failures.txt")
HEADER = """\
# Backend cases that kiln does not pass yet, one per line: `suite/case  reason`.
# `kiln backend-test --known-failures` fails on any failure not listed here and on any listed case
# that passes, so this list only shrinks. Reasons are the runner's messages, shortened.
"""


def short(reason):
    reason = re.sub(r"\S*/model\.onnx: ", "", reason)
    reason = reason.replace("load: Unsupported: ", "unsupported: ")
    reason = reason.replace("test_data_set_0: ", "")
    return reason if len(reason) <= 160 else reason[:157] + "..."


def main():
    results = json.load(open(sys.argv[1]))
    failing = {r["name"]: short(r.get("reason", "")) for r in results if r["status"] == "fail"}
    if "--shrink" in sys.argv:
        kept = []
        for line in open(LIST):
            name = line.split()[0] if line.strip() and not line.startswith("#") else None
            if name is None:
                continue
            if name in failing:
                kept.append(f"{name}  {failing[name]}")
            elif name not in {r["name"] for r in results}:
                kept.append(line.rstrip("\n"))
        entries = kept
    else:
        entries = [f"{n}  {failing[n]}" for n in sorted(failing)]
    with open(LIST, "w") as f:
        f.write(HEADER)
        for e in entries:
            f.write(e + "\n")
    print(f"known_failures: {len(entries)} entries")


if __name__ == "__main__":
    main()
