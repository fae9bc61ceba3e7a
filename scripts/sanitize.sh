#!/usr/bin/env bash
# Sanitizer runs; scripts/test.sh (what CI runs) calls this after the main build and the backend
# data exist. Usage: scripts/sanitize.sh [address|thread|all]   (default all)
#
#   address  AddressSanitizer + UndefinedBehaviorSanitizer build of kiln (build-asan/): the whole
#            ONNX backend suite at the highest optimization level, from the memory plan's arena
#            with poisoning (every data set run twice per session: recorded, then planned), and
#            the runtime's unit tests. Any report fails the run.
#   thread   ThreadSanitizer build (build-tsan/) of the runtime's unit tests, among them one
#            Session run from 8 threads at once (with and without a Loop body). Any report fails.
#
# Both builds take onnx's C++ library from the main build folder instead of compiling it again,
# and compile at -O0 with line tables (-g1) so reports name files and lines: instrumented
# optimized builds take several times longer to compile on the 2-core CI machine, longer than
# the slower code costs the suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="${KILN_BUILD_DIR:-$root/build}"
what="${1:-all}"
jobs=$(nproc)

configure() {  # folder, sanitizer
  if [ ! -f "$1/build.ninja" ]; then
    "$root/.venv/bin/cmake" -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O0 -g1" -DKILN_SANITIZE="$2" -DKILN_CUDA=OFF \
      -DKILN_ONNX_INSTALL_DIR="$build/_deps/onnx/install" \
      -DKILN_PYTHON="$root/.venv/bin/python" >/dev/null
  fi
}

if [ "$what" = address ] || [ "$what" = all ]; then
  asan="${KILN_ASAN_BUILD_DIR:-$root/build-asan}"
  echo "== AddressSanitizer + UBSan build ($asan)"
  configure "$asan" address
  "$root/.venv/bin/cmake" --build "$asan" -j "$jobs" --target kiln_cli kiln_runtime_tests
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "== runtime unit tests under ASan + UBSan"
  "$asan/kiln_runtime_tests" --gtest_brief=1
  echo "== ONNX backend suite under ASan + UBSan (level 3, planned memory, poisoned arena)"
  # A case that makes a sanitizer report aborts its process, which the runner counts as a failure
  # with the signal and the report's first lines; known failures stay the same list.
  "$asan/bin/kiln" backend-test "$build/onnx_backend" --device cpu --level 3 --poison \
    --known-failures tests/onnx_backend/known_failures.txt --json "$asan/backend_cpu_asan.json"
fi

if [ "$what" = thread ] || [ "$what" = all ]; then
  tsan="${KILN_TSAN_BUILD_DIR:-$root/build-tsan}"
  echo "== ThreadSanitizer build ($tsan)"
  configure "$tsan" thread
  "$root/.venv/bin/cmake" --build "$tsan" -j "$jobs" --target kiln_runtime_tests
  echo "== runtime unit tests under TSan (one Session, 8 threads)"
  # The planner's random property test is single-threaded pure code (ASan runs it).
  # oneDNN runs on libgomp, which TSan cannot see into: one OpenMP thread per run keeps its
  # thread pool out of the picture (the 8 runs on 8 threads are what is tested).
  OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
    "$tsan/kiln_runtime_tests" --gtest_brief=1 \
    --gtest_filter=-MemoryPlannerTest.RandomLifetimeSets
fi
