#!/usr/bin/env bash
# Configures and builds kiln into build/ (Release, ninja). Usage: scripts/build.sh [extra cmake args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="${KILN_BUILD_DIR:-$root/build}"
if [ ! -f "$build/build.ninja" ]; then
  "$root/.venv/bin/cmake" -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DKILN_PYTHON="$root/.venv/bin/python" "$@"
fi
"$root/.venv/bin/cmake" --build "$build" -j "$(nproc)"
