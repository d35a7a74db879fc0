import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { barChart, chartBundle, heatmapChart, lineChart, renderSvg, scatterChart, show, VEGA_LITE_MIME } from "../lib/viz";
import { isNotebook } from "../lib/notebook";
import { withFakeTslab } from "./fake-tslab";

const MIMES = [VEGA_LITE_MIME, "image/svg+xml", "image/png", "text/plain"];
const history = Array.from({ length: 20 }, (_, step) => ({ step, train: 2 / (step + 1), val: 2.5 / (step + 1) }));

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.equal(png.subarray(12, 16).toString("ascii"), "IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("chartBundle", () => {
  test("carries vega-lite, SVG, 2x PNG and text in one bundle", async () => {
    const bundle = await chartBundle(lineChart({ data: history, x: "step", y: ["train", "val"], title: "Loss of the test" }));
    assert.deepEqual(Object.keys(bundle.data).sort(), [...MIMES].sort());

    const svg = String(bundle.data["image/svg+xml"]);
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.includes("Loss of the test"), "SVG shows the title");
    assert.ok(svg.includes("DejaVu Sans"), "SVG text uses the chart font");

    const meta = bundle.metadata["image/png"] as { width: number; height: number };
    const size = pngSize(Buffer.from(String(bundle.data["image/png"]), "base64"));
    assert.equal(size.width, meta.width * 2);
    assert.equal(size.height, meta.height * 2);
    const svgWidth = Number(/width="(\d+(\.\d+)?)"/.exec(svg)![1]);
    assert.equal(meta.width, svgWidth, "metadata is in CSS px = the SVG's size");

    const spec = bundle.data[VEGA_LITE_MIME] as { $schema: string; config: { font: string } };
    assert.match(spec.$schema, /vega-lite\/v5/);
    assert.equal(spec.config.font, "DejaVu Sans");
    assert.match(String(bundle.data["text/plain"]), /^Chart "Loss of the test": line, 20 rows, \d+x\d+ px$/);
  });

  test("keeps a font the caller chose", async () => {
    const spec = { ...lineChart({ data: history, x: "step", y: "train" }), config: { font: "Serif" } };
    const bundle = await chartBundle(spec);
    assert.equal((bundle.data[VEGA_LITE_MIME] as { config: { font: string } }).config.font, "Serif");
  });
});

describe("chart helpers", () => {
  test("lineChart folds several y fields into one line each", () => {
    const spec = lineChart({ data: history, x: "step", y: ["train", "val"] }) as Record<string, any>;
    assert.deepEqual(spec.transform, [{ fold: ["train", "val"], as: ["series", "value"] }]);
    assert.equal(spec.encoding.color.field, "series");
    assert.equal(spec.encoding.x.type, "quantitative");
  });

  test("barChart and scatterChart render, with categories and labels in the SVG", async () => {
    const bars = await renderSvg(
      barChart({ data: [{ model: "bert-tiny", acc: 0.8 }, { model: "gpt-mini", acc: 0.7 }], x: "model", y: "acc", horizontal: true, sortByValue: true }),
    );
    assert.ok(bars.includes("bert-tiny") && bars.includes("gpt-mini"));
    // Coloured bars of a category stand side by side unless stacked on request.
    const rows = [{ n: "8", method: "probe", f1: 0.5 }, { n: "8", method: "SetFit", f1: 0.6 }];
    const grouped = barChart({ data: rows, x: "n", y: "f1", color: "method" }) as any;
    assert.deepEqual(grouped.encoding.xOffset, { field: "method" });
    assert.deepEqual((barChart({ data: rows, x: "n", y: "f1", color: "method", horizontal: true }) as any).encoding.yOffset, { field: "method" });
    assert.equal((barChart({ data: rows, x: "n", y: "f1", color: "method", stack: true }) as any).encoding.xOffset, undefined);
    assert.ok((await renderSvg(grouped)).includes("SetFit"));
    const words = [
      { x: 0.1, y: 0.2, word: "king", cluster: 1 },
      { x: 0.4, y: 0.1, word: "queen", cluster: 2 },
    ];
    const scatter = await renderSvg(scatterChart({ data: words, x: "x", y: "y", label: "word", color: "cluster", colorType: "nominal", title: "Words" }));
    assert.ok(scatter.includes("king") && scatter.includes("queen") && scatter.includes("Words"));
  });
});

describe("show", () => {
  test("outside a notebook prints one line and saves files when HOLLM_CHART_DIR is set", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-charts-"));
    const logged: string[] = [];
    const log = console.log;
    const before = process.env.HOLLM_CHART_DIR;
    console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    process.env.HOLLM_CHART_DIR = dir;
    try {
      assert.equal(isNotebook(), false);
      await show(lineChart({ data: history, x: "step", y: "train", title: "Saved chart" }));
    } finally {
      console.log = log;
      if (before === undefined) delete process.env.HOLLM_CHART_DIR;
      else process.env.HOLLM_CHART_DIR = before;
    }
    assert.match(logged[0], /^Chart "Saved chart": line/);
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 2);
    assert.match(files[0], /saved-chart\.png$/);
    assert.match(files[1], /saved-chart\.svg$/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("inside a notebook sends ONE display_data with all four mime types", async () => {
    await withFakeTslab(async (calls) => {
      assert.equal(isNotebook(), true);
      const result = await show(lineChart({ data: history, x: "step", y: "train", title: "In a notebook" }));
      assert.equal(result, undefined, "nothing for tslab to print after the chart");
      assert.equal(calls.length, 1);
      assert.equal(calls[0].update, false);
      assert.deepEqual(calls[0].content.transient, {});
      assert.deepEqual(Object.keys(calls[0].content.data).sort(), [...MIMES].sort());
      assert.ok("image/png" in calls[0].content.metadata);
    });
  });
});

test("heatmapChart renders faceted cells with the row and column labels in data order", async () => {
  const data = ["h0", "h1"].flatMap((head) =>
    ["the", "cat", "sat"].flatMap((query, i) => ["the", "cat", "sat"].map((key, j) => ({ head, query, key, weight: j <= i ? 1 / (i + 1) : 0 }))),
  );
  const spec = heatmapChart({ data, x: "key", y: "query", value: "weight", facet: "head", title: "Attention" });
  const svg = await renderSvg(spec);
  for (const text of ["Attention", "cat", "sat", "h0", "h1"]) assert.ok(svg.includes(text), `SVG lacks ${text}`);
  assert.deepEqual((spec as { spec: { encoding: { x: { sort: string[] } } } }).spec.encoding.x.sort, ["the", "cat", "sat"]);
});
