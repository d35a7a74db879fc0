#!/usr/bin/env bash
# Installs what is missing, and nothing else: Jupyter pieces from Debian's apt (or a conda env made
# from environment.yml), then the npm packages from package-lock.json. Safe to run again.
#   bash scripts/setup.sh            # what the notebooks and tests need
#   bash scripts/setup.sh --all      # plus the classic notebook UI, Chromium and the PyTorch bench reference
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

apt_packages=(jupyter-nbconvert python3-nbclient jupyter-client jupyter-core python3-ipykernel fonts-dejavu-core chromium)
if [[ "${1:-}" == "--all" ]]; then
  apt_packages+=(jupyter-notebook python3-torch libopenblas0-pthread)
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ -n "$(notebook_python)" && "${1:-}" != "--all" ]]; then
  missing=()  # a Python with nbclient is already there (Debian's or a conda env): nothing to add
fi
if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null; then
    die "no Python with nbclient found and no apt-get: create the conda env from environment.yml (conda env create -f environment.yml && conda activate hands-on-llm)"
  fi
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  log "installing from apt: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -n "$(notebook_python)" ]] || die "Jupyter's nbclient is still missing after the install"

# npm ci when node_modules is absent or older than the lockfile.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Mesa's lavapipe under .cache/lavapipe, so the WebGPU tests run on a CPU machine; never fails setup.
bash scripts/setup-lavapipe.sh || true
# node-llama-cpp (optional, chapter 7's GGUF models) under .cache/node-llama-cpp; never fails setup.
bash scripts/setup-node-llama-cpp.sh || true
log "ready: node $(node --version), $(notebook_python) with nbclient"
