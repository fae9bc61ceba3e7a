#!/usr/bin/env bash
# The GPU checks, in one prepared script for the GPU machine (DEVELOPERS.md: build here, carry,
# run there). Here:   scripts/gpu_bundle.sh
# Then, through the device tool, with carry [".gpu"]:
#   bash scripts/gpu_check.sh [unit] [suite] [models] [bench]      (default: all four)
# Writes its logs under $OUT (or /tmp/kiln-gpu-out) and prints a summary:
#   unit    the unit tests, CUDA parity tests included (they skip only without a GPU)
#   suite   kiln backend-test --device cuda over the backend data CI runs (generated here from the
#           pinned onnx, carried in the bundle), with the CPU's known-failures list plus
#           tests/onnx_backend/known_failures_cuda.txt; then at level 3 with --cuda-graph
#   models  ResNet-50, MobileNetV2, BERT-base, GPT-2 (random weights, exported there with torch):
#           CUDA against CPU outputs, and how many nodes of each ran on the GPU
#   bench   bench/gpu.py: kiln on the GPU against PyTorch eager, the table in $OUT/gpu_bench.md
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="${OUT:-/tmp/kiln-gpu-out}"
mkdir -p "$out"
what="${*:-unit suite models bench}"
kiln_dir=/tmp/kiln-gpu
rm -rf "$kiln_dir" && mkdir -p "$kiln_dir"
tar -C "$kiln_dir" -xJf .gpu/bundle.tar.xz || { echo "no .gpu/bundle.tar.xz: run scripts/gpu_bundle.sh and carry .gpu"; exit 2; }
export LD_LIBRARY_PATH="$kiln_dir/lib:${LD_LIBRARY_PATH:-}"
export KILN_BACKEND_DATA_DIR="$kiln_dir/onnx_backend"  # the CUDA placement test reads it too
kiln="$kiln_dir/bin/kiln"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
status=0
for step in $what; do
  case "$step" in
    unit)
      echo "== unit tests (CUDA parity tests included)"
      "$kiln_dir/bin/kiln_unit_tests" --gtest_brief=1 2>&1 | tee "$out/unit.log" | tail -25
      [ "${PIPESTATUS[0]}" = 0 ] || status=1
      ;;
    suite)
      data="$KILN_BACKEND_DATA_DIR"
      cat tests/onnx_backend/known_failures.txt tests/onnx_backend/known_failures_cuda.txt \
        > "$out/known_failures_all.txt" 2>/dev/null
      for level in 0 3; do
        echo "== ONNX backend suite on cuda (level $level, poisoned arena) from $data"
        "$kiln" backend-test "$data" --device cuda --level "$level" --poison --jobs 8 \
          --known-failures "$out/known_failures_all.txt" --json "$out/suite_cuda_l$level.json" \
          > "$out/suite_cuda_l$level.log" 2>&1 || status=1
        tail -9 "$out/suite_cuda_l$level.log"
      done
      echo "== ONNX backend suite on cuda with CUDA graphs (level 3: recorded, captured, replayed)"
      "$kiln" backend-test "$data" --device cuda --cuda-graph --level 3 --poison --jobs 8 \
        --known-failures "$out/known_failures_all.txt" --json "$out/suite_cuda_graph.json" \
        > "$out/suite_cuda_graph.log" 2>&1 || status=1
      tail -9 "$out/suite_cuda_graph.log"
      ;;
    models)
      echo "== real models: cuda against cpu"
      PYTHONUNBUFFERED=1 python3 scripts/compare_devices.py --kiln "$kiln" --workdir /tmp/kiln-models \
        2>&1 | tee "$out/models.log" || status=1
      ;;
    bench)
      echo "== benchmark: kiln on cuda against PyTorch eager"
      PYTHONUNBUFFERED=1 python3 bench/gpu.py --kiln "$kiln" --workdir /tmp/kiln-bench \
        --table "$out/gpu_bench.md" 2>&1 | tee "$out/bench.log" || status=1
      ;;
    *) echo "unknown step '$step' (unit, suite, models, bench)"; exit 2 ;;
  esac
done
exit $status
