#!/usr/bin/env bash
# Builds what the GPU machine runs and packs it into .gpu/bundle.tar.xz (under the device tool's
# 64 MiB carry limit): kiln, its CUDA plugin and the unit tests built for that machine (build-gpu/:
# no image codec libraries, which Ubuntu's image there lacks), stripped, with oneDNN's shared library, which it
# lacks too, and the backend test data CI runs (build/onnx_backend, generated from the pinned onnx
# release: the wheel there ships no node cases). scripts/gpu_check.sh unpacks and runs it there.
# Usage: scripts/gpu_bundle.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="${KILN_GPU_BUILD_DIR:-$root/build-gpu}"
if [ ! -f "$build/build.ninja" ]; then
  "$root/.venv/bin/cmake" -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_CUDA=ON \
    -DKILN_IMAGE_CODECS=OFF -DKILN_ONNX_INSTALL_DIR="$root/build/_deps/onnx/install" \
    -DKILN_PYTHON="$root/.venv/bin/python" >/dev/null
fi
"$root/.venv/bin/cmake" --build "$build" -j "$(nproc)" --target kiln_cli kiln_unit_tests
stage=$(mktemp -d)
mkdir -p "$stage/bin" "$stage/lib"
cp "$build/bin/kiln" "$build/kiln_unit_tests" "$stage/bin/"
cp "$build/lib/libkiln_cuda.so" "$stage/lib/"  # the CUDA plugin: bin/../lib is where kiln looks
strip "$stage/bin/"* "$stage/lib/libkiln_cuda.so"
cp -L /lib/x86_64-linux-gnu/libdnnl.so.2 "$stage/lib/"
data="$root/build/onnx_backend"
if [ -f "$data/onnx_version.txt" ] &&
   [ "$(cat "$data/onnx_version.txt")" = "$("$root/.venv/bin/python" tests/onnx_backend/gen_data.py --versions)" ]; then
  cp -r "$data" "$stage/onnx_backend"
else
  "$root/.venv/bin/python" tests/onnx_backend/gen_data.py "$stage/onnx_backend" >/dev/null
fi
mkdir -p .gpu
tar -C "$stage" -cJf .gpu/bundle.tar.xz bin lib onnx_backend
rm -rf "$stage"
ls -la .gpu/bundle.tar.xz
