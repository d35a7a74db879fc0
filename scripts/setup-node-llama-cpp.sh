#!/usr/bin/env bash
# Optional: node-llama-cpp (llama.cpp's prebuilt CPU binary for linux-x64) under .cache/node-llama-cpp, so chapter 7's
# GGUF path (lib/chains/llama-cpp.ts) runs offline. ~85 MB, ~8 s from the npm registry, no compiler, no downloads at
# install (scripts ignored). It is not a package.json dependency: it is ESM-only, platform-specific and large, and the lib
# loads it at run time from $HOLLM_NODE_LLAMA_CPP. Never fails the setup; HOLLM_NODE_LLAMA_CPP_SETUP=0 skips it.
set -uo pipefail
cd "$(dirname "$0")/.."
version=3.22.1
dir=.cache/node-llama-cpp
[[ "${HOLLM_NODE_LLAMA_CPP_SETUP:-1}" == "0" ]] && exit 0
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || { echo "[hands-on-llm] node-llama-cpp: skipped (prebuilt CPU binary set up for linux-x64 only)"; exit 0; }
[[ -f "$dir/node_modules/node-llama-cpp/package.json" && -f "$dir/node_modules/@node-llama-cpp/linux-x64/package.json" ]] && exit 0
mkdir -p "$dir"
[[ -f "$dir/package.json" ]] || echo '{"name":"hollm-node-llama-cpp","private":true}' > "$dir/package.json"
echo "[hands-on-llm] installing node-llama-cpp@$version (CPU, prebuilt) into $dir"
if ! (cd "$dir" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-save --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error \
  "node-llama-cpp@$version" "@node-llama-cpp/linux-x64@$version" >/dev/null 2>&1); then
  echo "[hands-on-llm] node-llama-cpp: install failed (the GGUF tests will skip)"
fi
exit 0
