#!/usr/bin/env bash
# Look at a notebook the way a reader would: render it in headless Chromium and save a PNG.
#
#   scripts/screenshot_notebook.sh NOTEBOOK.ipynb|PAGE.html OUT.png [html|classic]
#
#   html     (default) nbconvert the notebook to HTML (PNG/SVG outputs kept visible), then
#            screenshot the file. An .html argument is screenshotted as it is.
#   classic  start the classic Jupyter Notebook server on 127.0.0.1 (port $PORT, default
#            8899, no token, kernels from <repo>/jupyter), open the notebook's page,
#            screenshot it, stop the server. Opening the page starts a tslab kernel; it
#            stops with the server. An untrusted notebook shows the PNG of a chart, a
#            trusted one (TRUST=1 runs `jupyter trust` first) shows the SVG.
#
# Env: WIDTH/HEIGHT (window, default 1200x1600), PORT, TRUST=1, CHROMIUM (binary).
# Run the notebook first (scripts/run_notebooks.py) so it has outputs to show.
set -euo pipefail

usage() { echo "usage: $0 NOTEBOOK OUT.png [html|classic]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
NOTEBOOK=$(realpath "$1")
OUT=$(realpath -m "$2")
MODE=${3:-html}
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3                 # Debian's python has Jupyter; the one on PATH may not
[[ -x $PY ]] || PY=python3
CHROMIUM=${CHROMIUM:-chromium}
PORT=${PORT:-8899}
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Headless, no network chatter, throwaway profile; the virtual time budget lets the
# page's scripts finish (or give up on CDN assets) before the shot is taken.
shoot() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$WORK/profile" --virtual-time-budget=15000 \
    --window-size="${WIDTH:-1200},${HEIGHT:-1600}" --screenshot="$OUT" "$1" \
    >"$WORK/chromium.log" 2>&1 || { cat "$WORK/chromium.log" >&2; exit 1; }
  [[ -s $OUT ]] || { echo "no screenshot written" >&2; cat "$WORK/chromium.log" >&2; exit 1; }
  echo "screenshot: $OUT"
}

case $MODE in
  html)
    if [[ $NOTEBOOK == *.html ]]; then
      PAGE=$NOTEBOOK
    else
      # Same output priority as run_notebooks.py --html: nbconvert's default blanks SVGs.
      "$PY" -m nbconvert --to html --output-dir "$WORK" \
        '--NbConvertBase.display_data_priority=["text/html","image/png","image/svg+xml","text/plain"]' \
        "$NOTEBOOK" >"$WORK/nbconvert.log" 2>&1 || { cat "$WORK/nbconvert.log" >&2; exit 1; }
      PAGE="$WORK/$(basename "${NOTEBOOK%.ipynb}").html"
    fi
    shoot "file://$PAGE"
    ;;
  classic)
    export JUPYTER_PATH="$REPO/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
    # Serve a copy from a temp folder: the notebook page autosaves, and must not rewrite
    # the caller's file. (Nothing is executed, so the copy's location does not matter.)
    mkdir -p "$WORK/nb"
    COPY="$WORK/nb/$(basename "$NOTEBOOK")"
    cp "$NOTEBOOK" "$COPY"
    if [[ ${TRUST:-0} == 1 ]]; then "$PY" -m nbformat.sign "$COPY" >/dev/null; fi
    "$PY" -m notebook --allow-root --no-browser --ip 127.0.0.1 --port "$PORT" --port-retries 0 \
      --NotebookApp.token='' --NotebookApp.password='' \
      --notebook-dir "$WORK/nb" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 60); do
      curl -sf "http://127.0.0.1:$PORT/api" >/dev/null 2>&1 && break
      kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
      sleep 0.5
    done
    URL="http://127.0.0.1:$PORT/notebooks/$(basename "$COPY")"
    curl -sf -o /dev/null "$URL" || { echo "server did not serve $URL" >&2; cat "$WORK/server.log" >&2; exit 1; }
    shoot "$URL"
    ;;
  *) usage ;;
esac
