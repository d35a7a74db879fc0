#!/usr/bin/env bash
# The test command: type-check, unit tests and the headless execution of every notebook, all through
# node's test runner (tests/notebooks.test.ts runs the notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bash scripts/setup.sh
export HOLLM_PYTHON="$(notebook_python)"
log "type-check (tsc --noEmit)"
npx tsc --noEmit -p tsconfig.json
log "unit tests and notebooks (node --test)"
node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" tests/*.test.ts
