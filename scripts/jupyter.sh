#!/usr/bin/env bash
# Opens the notebooks in JupyterLab (conda env) or the classic notebook (Debian's jupyter-notebook),
# with the repo's tslab kernelspec found through JUPYTER_PATH: no global `tslab install` needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export JUPYTER_PATH="$(pwd)/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
[[ -d node_modules ]] || bash scripts/setup.sh
extra=()
[[ $(id -u) -eq 0 ]] && extra+=(--allow-root)
if command -v jupyter-lab >/dev/null; then
  exec jupyter lab "${extra[@]}" "$@" notebooks/
elif [[ -x /usr/bin/jupyter-notebook ]] || command -v jupyter-notebook >/dev/null; then
  exec jupyter notebook "${extra[@]}" --notebook-dir=notebooks "$@"
else
  die "neither JupyterLab nor the classic notebook is installed: 'bash scripts/setup.sh --all' (Debian) or the conda env from environment.yml"
fi
