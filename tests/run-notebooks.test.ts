/**
 * scripts/run_notebooks.py against small fixture notebooks (tests/fixtures/notebooks/).
 * Needs Jupyter (nbclient) for the Python that runs it: /usr/bin/python3 by default,
 * or HOLLM_PYTHON. Without it the suite is skipped, not failed. Takes ~30 s (five
 * kernel starts, one notebook that runs out of its 6 s budget).
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..");
const RUNNER = path.join(REPO, "scripts", "run_notebooks.py");
const FIXTURES = path.join(REPO, "tests", "fixtures", "notebooks");
const PYTHON = process.env.HOLLM_PYTHON ?? "/usr/bin/python3";

function jupyterMissing(): string | false {
  const probe = spawnSync(PYTHON, ["-c", "import nbclient, nbformat, nbconvert"], { encoding: "utf8" });
  return probe.status === 0 ? false : `${PYTHON} cannot import nbclient/nbformat/nbconvert (Jupyter not installed)`;
}

interface Run {
  status: number | null;
  output: string;
  out: string;
}

function runNotebooks(names: string[], ...flags: string[]): Run {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-nb-"));
  const res = spawnSync(PYTHON, [RUNNER, "--out", out, ...flags, ...names.map((n) => path.join(FIXTURES, n))], {
    encoding: "utf8",
    env: { ...process.env, HOLLM_ONLINE: "" },
    timeout: 180_000,
  });
  return { status: res.status, output: `${res.stdout}\n${res.stderr}`, out };
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, { width?: number; height?: number }>;
}
type Cell = { cell_type: string; outputs?: Output[] };

/** .ipynb files may store multi-line strings as lists of lines. */
const joined = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value ?? ""));

function cells(out: string, name: string): Cell[] {
  return JSON.parse(fs.readFileSync(path.join(out, name), "utf8")).cells;
}

const skip = jupyterMissing();

describe("run_notebooks.py", { skip }, () => {
  let all: Run;
  before(() => {
    all = runNotebooks(["chart.ipynb", "fails.ipynb", "rejects.ipynb", "unawaited.ipynb", "slow.ipynb"], "--html");
  });

  test("exits non-zero when any notebook fails, and saves every executed copy", () => {
    assert.equal(all.status, 1, all.output);
    for (const name of ["chart", "fails", "rejects", "unawaited", "slow"]) {
      assert.ok(fs.existsSync(path.join(all.out, `${name}.ipynb`)), `${name}.ipynb saved`);
      assert.ok(fs.existsSync(path.join(all.out, `${name}.html`)), `${name}.html written`);
    }
    assert.match(all.output, /chart\.ipynb \.\.\. PASS in \d+\.\d s/);
    assert.match(all.output, /1 passed, 4 failed/);
  });

  test("a chart is ONE display_data output with all four mime types", () => {
    const chartCell = cells(all.out, "chart.ipynb")[2];
    assert.equal(chartCell.outputs!.length, 1, JSON.stringify(chartCell.outputs).slice(0, 500));
    const [out] = chartCell.outputs!;
    assert.equal(out.output_type, "display_data");
    assert.deepEqual(
      Object.keys(out.data!).sort(),
      ["application/vnd.vegalite.v5+json", "image/png", "image/svg+xml", "text/plain"],
    );
    assert.ok(out.metadata!["image/png"].width! > 0);
  });

  test("a progress bar is one output, left at its final state", () => {
    const outputs = cells(all.out, "chart.ipynb")[3].outputs!;
    const displays = outputs.filter((o) => o.output_type === "display_data");
    assert.equal(displays.length, 1);
    assert.match(joined(displays[0].data!["text/plain"]), /^fixture loop: 100%\|.*\| 20\/20 /);
    assert.ok(outputs.some((o) => o.output_type === "stream" && joined(o.text) === "190\n"), "the loop's result follows");
  });

  test("a throwing cell: chapter, cell index, source and error text are reported", () => {
    assert.match(all.output, /FAILED chapter fails \(Fixture: a failing cell\) at cell 2 \[error\]/);
    assert.match(all.output, /\| check\(answer\);/);
    assert.match(all.output, /Error: fixture failure 42/);
    const lastCell = cells(all.out, "fails.ipynb")[3];
    assert.deepEqual(lastCell.outputs, [], "cells after the failure do not run");
  });

  test("an awaited rejected promise fails its cell", () => {
    assert.match(all.output, /FAILED chapter rejects .* at cell 1 \[error\]/);
    assert.match(all.output, /Error: fixture rejection 7/);
  });

  test("an unawaited rejection, reported only after the cell finished, still fails the run", () => {
    assert.match(all.output, /FAILED chapter unawaited .* at cell 2 \[uncaught\]/);
    assert.match(all.output, /UnhandledPromiseRejection: Error: fixture unawaited 9/);
    const saved = cells(all.out, "unawaited.ipynb")[2].outputs!;
    assert.ok(saved.some((o) => o.name === "stderr" && /fixture unawaited 9/.test(joined(o.text))), "kept in the saved cell");
  });

  test("the notebook's metadata.hollm.budget_s limits its run time", () => {
    assert.match(all.output, /slow\.ipynb \.\.\. FAIL in \d+\.\d s \(budget 6 s\)/);
    assert.match(all.output, /FAILED chapter slow .* \[timeout\]/);
    assert.match(all.output, /time budget of 6 s/);
  });

  test("the gallery and summary list every notebook with its status", () => {
    const index = fs.readFileSync(path.join(all.out, "index.html"), "utf8");
    assert.match(index, /<a href="chart\.html">Fixture: a chart and a progress bar<\/a>/);
    assert.match(index, /<tr class="fail"><td><a href="fails\.html">/);
    assert.match(index, /cell 2: Error: fixture failure 42/);
    const summary = JSON.parse(fs.readFileSync(path.join(all.out, "summary.json"), "utf8"));
    assert.deepEqual(
      summary.map((r: { status: string }) => r.status),
      ["pass", "fail", "fail", "fail", "fail"],
    );
    // nbconvert must show the chart (PNG first; its default priority drops image/svg+xml).
    assert.match(fs.readFileSync(path.join(all.out, "chart.html"), "utf8"), /<img src="data:image\/png;base64,/);
  });

  test("a passing run exits 0; --timeout overrides the notebook's budget", () => {
    const ok = runNotebooks(["chart.ipynb"], "--timeout", "120");
    assert.equal(ok.status, 0, ok.output);
    assert.match(ok.output, /PASS in \d+\.\d s \(budget 120 s\)/);
    assert.match(ok.output, /offline mode/);
  });
});
