#!/usr/bin/env bash
# Installs what scripts/export_models.py needs: Debian's CPU-only torch 1.13 and torchvision 0.14
# (a few hundred MB, where PyPI's torch pulls GBs of CUDA wheels) and a separate virtualenv
# .venv-models that sees them (--system-site-packages, Debian's /usr/bin/python3) plus the pinned
# PyPI packages of scripts/requirements-models.txt. Idempotent: a second run checks and returns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

debs=(python3-torch python3-torchvision python3-venv)
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup_models: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

venv="$root/.venv-models"
stamp="$venv/.kiln-requirements"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup_models: creating virtualenv $venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if ! cmp -s scripts/requirements-models.txt "$stamp" 2>/dev/null; then
  echo "setup_models: installing pinned Python packages"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-models.txt
  cp scripts/requirements-models.txt "$stamp"
fi
