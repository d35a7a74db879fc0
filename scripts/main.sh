#!/usr/bin/env bash
# The main job: install what is missing, then execute every chapter notebook headless on the offline
# defaults, writing the executed notebooks, their HTML and an index page under output/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bash scripts/setup.sh
python=$(notebook_python)
"$python" scripts/run_notebooks.py --html --out output "$@" notebooks/[0-9]*.ipynb
log "gallery: $(pwd)/output/index.html"
