#!/usr/bin/env python3
"""Execute the chapter notebooks with the tslab kernel and report clearly what failed.

    run_notebooks.py [--out DIR] [--timeout S] [--html] [--fail-fast] notebooks...

Why not `jupyter nbconvert --execute`: with tslab it exits 1 but hides the error
(tslab sends no ename/traceback; the message is in the cell's stderr), does not save
the partly executed notebook, and misses errors tslab only logs. This script:

* runs each notebook in its own folder (cwd) with JUPYTER_PATH=<repo>/jupyter, so the
  committed tslab kernelspec is used; HOLLM_ONLINE and other env vars pass through;
* always saves the executed copy to --out (default <repo>/output/notebooks/), pass or fail;
* gives each notebook a time budget: `metadata.hollm.budget_s` (default 600 s) for
  the whole notebook, kernel start included; --timeout overrides it for all;
* on failure prints the notebook, the failing cell's index and first source lines, and
  the error text taken from the cell's stderr, and exits 1 (after the other notebooks,
  unless --fail-fast);
* with --html writes <name>.html per notebook and an index.html gallery.

What counts as a failing cell:
  1. tslab's execute_reply says "error": a thrown exception, a TypeScript compile error,
     or an awaited promise that rejects (tslab awaits top-level await and reports it);
  2. the cell's output contains tslab's "UncaughtException:" or "UnhandledPromiseRejection:"
     lines. tslab catches these process-wide and only prints them, so the cell "passes",
     but the same code as a plain Node script would crash. They usually arrive *after*
     the cell finished (a promise nobody awaited, a throwing timer), which nbclient
     ignores, so the runner reads the kernel's leftover output after each cell and adds
     it to that cell (as a live Jupyter frontend would show it).
  Other stderr text (warnings, console.error) does not fail a cell. A cell tagged
  "raises-exception" may fail on purpose (nbclient's convention) and is not reported.

Needs nbclient/nbformat (and nbconvert for --html). On Debian they come with
/usr/bin/python3; if this interpreter lacks them the script re-runs itself with that one.
"""
import argparse
import asyncio
import json
import os
import queue
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

SYSTEM_PYTHON = "/usr/bin/python3"

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
except ImportError:
    # The python3 first on PATH may be a pyenv/conda one without Jupyter; Debian's has it.
    if os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    sys.exit(f"run_notebooks.py: nbclient and nbformat are needed ({sys.executable} lacks them). "
             "Debian: apt-get install python3-nbclient jupyter-nbconvert jupyter-client")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "output" / "notebooks"
DEFAULT_BUDGET_S = 600
DEFAULT_KERNEL = "tslab"
# Output that arrives after a cell finished comes within microseconds of its "idle"
# message; 50 ms per cell is a generous wait for it.
LATE_OUTPUT_WAIT_S = 0.05
UNCAUGHT_MARKERS = re.compile(r"^(UncaughtException|UnhandledPromiseRejection):", re.M)
# Stack frames that belong to tslab/Node internals, not to the reader's code.
NOISE_FRAME = re.compile(r"^\s+at .*(node_modules[\\/]tslab[\\/]|node:internal|node:vm|sigintHandlersWrap)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# nbconvert blanks SVG outputs with its default priority; prefer the 2x PNG, then SVG.
HTML_PRIORITY = ["text/html", "image/png", "image/svg+xml", "text/plain"]


@dataclass
class Failure:
    cell_index: Optional[int]  # index into nb.cells, None when no cell is to blame
    source: str
    error: str
    kind: str  # "error" | "uncaught" | "timeout" | "kernel"


@dataclass
class Result:
    notebook: Path
    title: str
    seconds: float
    executed: Path
    budget_s: float
    failure: Optional[Failure] = None
    html: Optional[Path] = None

    @property
    def status(self) -> str:
        return "fail" if self.failure else "pass"


# ---------------------------------------------------------------- notebook helpers

def notebook_title(nb) -> str:
    """Text of the first markdown heading, for the gallery."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^\s*#+\s+(.+?)\s*#*\s*$", cell.source, re.M)
            if m:
                return m.group(1)
    return ""


def budget_of(nb, override: Optional[float]) -> float:
    if override:
        return override
    value = (nb.metadata.get("hollm") or {}).get("budget_s")
    return float(value) if value else DEFAULT_BUDGET_S


def allows_errors(cell) -> bool:
    return "raises-exception" in cell.get("metadata", {}).get("tags", [])


def error_text(cell) -> str:
    """The error as tslab reports it: stderr streams (plus any standard error outputs)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(ANSI.sub("", "\n".join(out.get("traceback") or [])) or
                         f"{out.get('ename')}: {out.get('evalue')}")
    text = "".join(parts)
    lines = [line for line in text.splitlines() if not NOISE_FRAME.match(line)]
    return "\n".join(lines).strip() or "(the kernel reported an error but wrote no message)"


def headline(error: str) -> str:
    """The line that names the error (skipping Node's "file:line" and source-excerpt lines)."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    for line in lines:
        if re.match(r"^(\w*(Error|Exception|Rejection)\b|Uncaught)", line):
            return line
    return lines[0] if lines else ""


def uncaught_text(cell) -> Optional[str]:
    """tslab's UncaughtException/UnhandledPromiseRejection report in this cell, if any."""
    text = "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stderr")
    m = UNCAUGHT_MARKERS.search(text)
    if not m:
        return None
    lines = [line for line in text[m.start():].splitlines() if not NOISE_FRAME.match(line)]
    return "\n".join(lines).strip()


async def collect_late_output(kc, cell) -> None:
    """Move output the kernel sent after the cell's "idle" into the cell.

    nbclient stops listening at "idle" and would silently drop it when the next cell
    starts; tslab's reports of unawaited rejections arrive exactly then.
    """
    while True:
        try:
            msg = await kc.get_iopub_msg(timeout=LATE_OUTPUT_WAIT_S)
        except queue.Empty:
            return
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
            cell.outputs.append(nbformat.v4.output_from_msg(msg))


# ---------------------------------------------------------------- execution

async def execute(client: NotebookClient, nb, deadline: float, budget: float, pids: List[int]) -> Optional[Failure]:
    async with client.async_setup_kernel():
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:
            pids.append(pid)
        failure = await execute_cells(client, nb, deadline, budget)
        if failure:
            # Kill rather than ask: a cell past its budget may never answer a shutdown request.
            client.shutdown_kernel = "immediate"
        return failure


async def execute_cells(client: NotebookClient, nb, deadline: float, budget: float) -> Optional[Failure]:
    # Record the kernel's language_info in the saved copy, as nbclient's execute() does.
    reply = await client.async_wait_for_reply(await _maybe_await(client.kc.kernel_info()))
    if reply and "language_info" in reply["content"]:
        nb.metadata["language_info"] = reply["content"]["language_info"]
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Failure(index, cell.source, f"time budget of {budget:g} s used up before this cell", "timeout")
        client.timeout = max(1, int(remaining + 0.999))  # the cell may use what is left
        try:
            await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        except CellTimeoutError:
            return Failure(index, cell.source,
                           f"notebook time budget of {budget:g} s ran out in this cell "
                           "(raise metadata.hollm.budget_s or pass --timeout)", "timeout")
        except CellExecutionError:
            return Failure(index, cell.source, error_text(cell), "error")
        except DeadKernelError as e:
            return Failure(index, cell.source, f"the kernel died: {e}\n{error_text(cell)}", "kernel")
        await collect_late_output(client.kc, cell)
        uncaught = uncaught_text(cell)
        if uncaught and not allows_errors(cell):
            return Failure(index, cell.source, uncaught, "uncaught")
    return None


async def _maybe_await(value):
    return await value if asyncio.iscoroutine(value) else value


def kill_leftover(pids: List[int]) -> None:
    """Make sure the kernel is gone. Once in a while (seen after a timed-out cell) the
    kernel outlived nbclient's shutdown; a stray tslab kernel would keep its timers,
    memory and CPU for good."""
    for pid in pids:
        try:
            os.kill(pid, 0)  # still there?
        except OSError:
            continue
        time.sleep(0.5)  # give a shutdown in progress a moment
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run_notebook(path: Path, out_dir: Path, timeout: Optional[float]) -> Result:
    nb = nbformat.read(str(path), as_version=4)
    budget = budget_of(nb, timeout)
    kernel = (nb.metadata.get("kernelspec") or {}).get("name") or DEFAULT_KERNEL
    client = NotebookClient(nb, timeout=int(budget), kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}})  # cwd = notebook's folder
    start = time.monotonic()
    pids: List[int] = []
    try:
        failure = asyncio.run(execute(client, nb, start + budget, budget, pids))
    except Exception as e:  # kernel failed to start, lost connection, ...
        failure = Failure(None, "", f"{type(e).__name__}: {e}", "kernel")
    finally:
        kill_leftover(pids)
    seconds = time.monotonic() - start
    executed = out_dir / path.name
    write_atomic(executed, nbformat.writes(nb))  # always: a failed run is the one worth reading
    return Result(path, notebook_title(nb) or path.stem, seconds, executed, budget, failure)


# ---------------------------------------------------------------- reporting

def write_atomic(dest: Path, text: str) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, dest)


def indent(text: str, prefix: str = "    | ", max_lines: int = 40) -> str:
    lines = text.splitlines() or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines in the executed notebook)"]
    return "\n".join(prefix + line for line in lines)


def report_failure(result: Result) -> None:
    f = result.failure
    assert f is not None
    where = f"cell {f.cell_index}" if f.cell_index is not None else "kernel"
    print(f"\nFAILED chapter {result.notebook.stem} ({result.title}) at {where} [{f.kind}]", file=sys.stderr)
    if f.cell_index is not None:
        print(f"  cell {f.cell_index} source (first lines):", file=sys.stderr)
        print(indent(f.source, max_lines=5), file=sys.stderr)
    print("  error:", file=sys.stderr)
    print(indent(f.error), file=sys.stderr)
    print(f"  executed copy: {result.executed}\n", file=sys.stderr, flush=True)


def export_html(result: Result, out_dir: Path) -> Path:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.NbConvertBase.display_data_priority = HTML_PRIORITY
    nb = nbformat.read(str(result.executed), as_version=4)
    body, _ = HTMLExporter(config=config).from_notebook_node(nb, resources={"metadata": {"name": result.title}})
    dest = out_dir / (result.notebook.stem + ".html")
    write_atomic(dest, body)
    return dest


def write_gallery(results: List[Result], out_dir: Path) -> Path:
    from html import escape

    rows = []
    for r in results:
        link = r.html.name if r.html else r.executed.name
        detail = "" if not r.failure else escape(
            f"cell {r.failure.cell_index}: " if r.failure.cell_index is not None else "") + escape(
            headline(r.failure.error) or r.failure.kind)
        rows.append(
            f'<tr class="{r.status}"><td><a href="{escape(link)}">{escape(r.title)}</a></td>'
            f"<td><code>{escape(r.notebook.name)}</code></td><td class=status>{r.status.upper()}</td>"
            f"<td class=num>{r.seconds:.1f} s</td><td>{detail}</td></tr>")
    passed = sum(r.status == "pass" for r in results)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hands-On LLMs in TypeScript: notebooks</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .35em .8em; border-bottom: 1px solid #ddd; text-align: left; }}
.num {{ text-align: right; white-space: nowrap; }} .pass .status {{ color: #1a7f37; }} .fail .status {{ color: #cf222e; font-weight: bold; }}
</style></head><body>
<h1>Notebooks</h1>
<p>{passed} of {len(results)} passed; mode: {"online" if online() else "offline"}; run {time.strftime("%Y-%m-%d %H:%M")}.</p>
<table><tr><th>Chapter</th><th>Notebook</th><th>Status</th><th>Time</th><th>Error</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    dest = out_dir / "index.html"
    write_atomic(dest, page)
    return dest


def write_summary(results: List[Result], out_dir: Path) -> None:
    """Machine-readable results for CI."""
    data = [{"notebook": str(r.notebook), "title": r.title, "status": r.status,
             "seconds": round(r.seconds, 2), "budget_s": r.budget_s, "executed": str(r.executed),
             "failure": None if not r.failure else {"cell_index": r.failure.cell_index, "kind": r.failure.kind,
                                                    "error": r.failure.error}} for r in results]
    write_atomic(out_dir / "summary.json", json.dumps(data, indent=2))


def online() -> bool:
    return os.environ.get("HOLLM_ONLINE", "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------- main

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Execute tslab notebooks and report failures clearly.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where executed copies go (default {DEFAULT_OUT})")
    parser.add_argument("--timeout", type=float, default=None,
                        help=f"time budget per notebook in s (default: metadata.hollm.budget_s or {DEFAULT_BUDGET_S})")
    parser.add_argument("--html", action="store_true", help="also write HTML per notebook and an index.html gallery")
    parser.add_argument("--fail-fast", action="store_true", help="stop after the first failing notebook")
    args = parser.parse_args(argv)

    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    # Our kernelspec first; keep any the user had after it.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(REPO / "jupyter"), os.environ.get("JUPYTER_PATH")]))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"Running {len(args.notebooks)} notebook(s), {'online' if online() else 'offline'} mode "
          f"(HOLLM_ONLINE={os.environ.get('HOLLM_ONLINE', '')!r}), output in {args.out}", flush=True)

    results: List[Result] = []
    for path in args.notebooks:
        print(f"  {path} ...", end="", flush=True)
        result = run_notebook(path.resolve(), args.out, args.timeout)
        results.append(result)
        print(f" {result.status.upper()} in {result.seconds:.1f} s (budget {result.budget_s:g} s)", flush=True)
        if result.failure:
            report_failure(result)
        if args.html:
            result.html = export_html(result, args.out)
        if result.failure and args.fail_fast:
            break

    write_summary(results, args.out)
    if args.html:
        print(f"Gallery: {write_gallery(results, args.out)}")
    failed = [r for r in results if r.failure]
    total = sum(r.seconds for r in results)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed, {total:.1f} s in all"
          + (f"; failed: {', '.join(r.notebook.stem for r in failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
