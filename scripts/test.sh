#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests (ctest, the Python package's
# tests among them), the C++ package (installed, then used by tests/cpp_package), the model-error
# and `kiln optimize` tests, the official ONNX backend suite against
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

echo "== C++ package: cmake --install, then a project outside the tree finds it (docs/cpp.md)"
pkg="$build/cpp_package"
rm -rf "$pkg"
"$root/.venv/bin/cmake" --install "$build" --prefix "$pkg/prefix" > "$pkg.install.log"
"$root/.venv/bin/cmake" -S tests/cpp_package -B "$pkg/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$pkg/prefix" > "$pkg.configure.log"
"$root/.venv/bin/cmake" --build "$pkg/consumer" -j "$(nproc)" > "$pkg.build.log"
"$pkg/consumer/consumer" "$data/node/test_conv_with_strides_padding" \
  "$data/node/test_gemm_all_attributes" "$data/node/test_lstm_defaults"
"$pkg/prefix/bin/kiln" --help > /dev/null

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

# `pip install .` as docs/python.md documents it, into a fresh virtualenv, with scikit-build-core
# pointed at this build folder and this build's settings so that nothing compiles again (its
# configure run leaves its install prefix and Python in the cache: the cache is put back after);
# then the installed package (not the build folder's) runs the tutorial script against
# onnxruntime.
echo "== pip install . into a fresh virtualenv (reusing this build), the tutorial script over it"
venv="$build/pip_venv"
rm -rf "$venv"
"$root/.venv/bin/python" -m venv "$venv"
cp "$build/CMakeCache.txt" "$build/CMakeCache.before-pip"
pip_status=0
PATH="$root/.venv/bin:$PATH" "$venv/bin/pip" install -q --disable-pip-version-check . \
  -Cbuild-dir="$build" -Ccmake.define.KILN_BUILD_TESTS=ON \
  -Ccmake.define.KILN_PYTHON="$root/.venv/bin/python" > "$build/pip_install.log" 2>&1 ||
  pip_status=$?
mv "$build/CMakeCache.before-pip" "$build/CMakeCache.txt"
"$root/.venv/bin/cmake" "$build" > /dev/null
if [ "$pip_status" -ne 0 ]; then
  tail -40 "$build/pip_install.log"
  exit 1
fi
(cd "$venv" && bin/python -c "import kiln, sys; f = kiln.__file__; print('kiln', kiln.__version__, 'from', f); sys.exit('site-packages' not in f)")
"$venv/bin/kiln" --help > /dev/null
(cd "$venv" && bin/python -m kiln ops > /dev/null)
"$root/.venv/bin/python" tests/python/test_tutorial.py "$build/pip_models"
"$root/.venv/bin/python" tests/python/compare_tutorial.py --kiln-python "$venv/bin/python" \
  "$build/pip_models/pipeline.onnx" "$build/pip_models/cnn.onnx"

# AddressSanitizer + UBSan over the whole suite (planned memory, poisoned arena) and the runtime's
# tests; ThreadSanitizer over the runtime's tests (one Session from 8 threads).
bash scripts/sanitize.sh all
