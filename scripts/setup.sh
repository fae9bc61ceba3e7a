#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for kiln: Debian packages and the project virtualenv.
# Idempotent: a second run checks and returns quickly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# libonnx-testdata: the onnx 1.12 backend suite, run beside the pinned release's (scripts/test.sh).
# The codec libraries serve ImageDecoder (kernels/cpu/image_decoder.cc). GNU time measures the peak
# RSS of a CLI command for tests/onnx_backend/test_cli_footprint.py.
debs=(g++ ninja-build pkg-config protobuf-compiler libprotobuf-dev libeigen3-dev libdnnl-dev
      libgtest-dev libbenchmark-dev python3-venv libonnx-testdata libjpeg62-turbo-dev libpng-dev
      libtiff-dev libwebp-dev libopenjp2-7-dev time)
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
stamp="$venv/.kiln-requirements"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtualenv $venv"
  python3 -m venv "$venv"
fi
if ! cmp -s scripts/requirements.txt "$stamp" 2>/dev/null; then
  echo "setup: installing pinned Python packages"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt "$stamp"
fi

# onnx's source distribution, for its C++ library (schemas, checker, inliner, protobuf classes).
onnx_version=$(sed -n 's/^onnx==//p' scripts/requirements.txt)
sdist="$venv/sdist/onnx-$onnx_version.tar.gz"
if [ ! -f "$sdist" ]; then
  echo "setup: fetching the onnx $onnx_version source distribution"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary onnx \
    "onnx==$onnx_version" -d "$venv/sdist"
fi
