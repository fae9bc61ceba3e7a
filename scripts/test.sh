#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests (ctest), the model-error and
# `kiln optimize` tests, the official ONNX backend suite against
# tests/onnx_backend/known_failures.txt with the optimizer off and at its highest level, the onnx
# 1.12 suite of Debian's libonnx-testdata against known_failures_onnx112.txt the same way, and the
# sanitizer runs of scripts/sanitize.sh (ASan + UBSan over the suite, TSan over concurrent runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="${KILN_BUILD_DIR:-$root/build}"

bash scripts/setup.sh
echo "== include direction (docs/design.md, Layers)"
.venv/bin/python scripts/check_layers.py
bash scripts/build.sh

echo "== backend test data"
data="$build/onnx_backend"
want=$(.venv/bin/python tests/onnx_backend/gen_data.py --versions)
if [ "$(cat "$data/onnx_version.txt" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python tests/onnx_backend/gen_data.py "$data"
fi

echo "== unit tests (the optimize test reads the light models of the backend data)"
(cd "$build" && "$root/.venv/bin/ctest" --output-on-failure -j "$(nproc)")

echo "== docs/operators.md is current"
"$build/bin/kiln" ops --coverage > "$build/operators.md"
"$build/bin/kiln" ops > "$build/ops.txt"
if ! grep -q " cuda " "$build/ops.txt"; then
  echo "this build has no CUDA backend (nvcc, cuBLAS or cuDNN not found): docs/operators.md,"
  echo "which lists the CUDA kernels too, is not compared"
elif ! cmp -s "$build/operators.md" docs/operators.md; then
  diff docs/operators.md "$build/operators.md" | head -20 || true
  echo "docs/operators.md is stale: regenerate it with: $build/bin/kiln ops --coverage > docs/operators.md"
  exit 1
fi

# The suite runs twice, optimizer off and at its highest level, against one known-failures list:
# a case that passes one way and fails the other is an unexpected pass or failure. Every data set
# runs twice per session (recorded, then from the memory plan's arena), with the arena poisoned.
for level in 0 3; do
  echo "== ONNX backend suite (cpu, optimization level $level, planned memory, poisoned arena)"
  "$build/bin/kiln" backend-test "$data" --device cpu --level "$level" --poison \
    --known-failures tests/onnx_backend/known_failures.txt --json "$build/backend_cpu_l$level.json"
done

# The onnx 1.12 suite (Debian's libonnx-testdata) keeps old opset versions and the older forms
# of the test data covered; it has its own known-failures list.
for level in 0 3; do
  echo "== ONNX 1.12 backend suite (libonnx-testdata; cpu, optimization level $level, poisoned arena)"
  "$build/bin/kiln" backend-test /usr/share/libonnx-testdata/data --device cpu --level "$level" \
    --poison --known-failures tests/onnx_backend/known_failures_onnx112.txt \
    --json "$build/backend112_cpu_l$level.json"
done

# AddressSanitizer + UBSan over the whole suite (planned memory, poisoned arena) and the runtime's
# tests; ThreadSanitizer over the runtime's tests (one Session from 8 threads).
bash scripts/sanitize.sh all
