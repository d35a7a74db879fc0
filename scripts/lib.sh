# Shared shell helpers for the scripts in this folder (sourced, not run).
log() { printf '[hands-on-llm] %s\n' "$*" >&2; }
die() { printf '[hands-on-llm] error: %s\n' "$*" >&2; exit 1; }

# The Python that runs notebooks: $HOLLM_PYTHON, Debian's /usr/bin/python3, or python3 on PATH (a conda
# env), whichever first has nbclient. Prints nothing when none has it.
notebook_python() {
  local candidate
  for candidate in "${HOLLM_PYTHON:-}" /usr/bin/python3 "$(command -v python3 || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    if "$candidate" -c "import nbclient, nbconvert" 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
}
