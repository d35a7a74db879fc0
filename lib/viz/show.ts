/**
 * Show a chart: one Jupyter display output in a notebook, one line (plus optional files)
 * in a script.
 *
 * The notebook output carries four representations so every viewer finds one it can draw:
 *   application/vnd.vegalite.v5+json  JupyterLab, VS Code (interactive, live rendering)
 *   image/svg+xml                     classic notebook when trusted, nbconvert HTML, GitHub
 *   image/png (2x)                    classic notebook when untrusted, GitHub, PDF export
 *   text/plain                        terminals, `jupyter nbconvert --to script`
 * text/html is left out on purpose: frontends prefer it over everything else.
 */
import * as fs from "fs";
import * as path from "path";
import type { DisplayBundle } from "../notebook/env";
import { displayBundle, displaysFlushed, notebookWriter } from "../notebook/env";
import { renderSvg, svgToPng, withChartDefaults } from "./render";
import type { TopLevelSpec } from "./render";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** The chart's title text, if it has one. */
export function chartTitle(spec: TopLevelSpec): string | undefined {
  const title = spec.title;
  if (title == null) return undefined;
  if (typeof title === "string") return title;
  if (Array.isArray(title)) return title.join(" ");
  const text = (title as { text?: unknown }).text;
  if (typeof text === "string") return text;
  return Array.isArray(text) ? text.join(" ") : undefined;
}

/** "Chart "Loss": line, 120 rows, 400x250 px" — the text/plain representation. */
export function describeChart(spec: TopLevelSpec, width: number, height: number): string {
  const s = spec as { mark?: unknown; layer?: unknown[]; data?: { values?: unknown } };
  const title = chartTitle(spec);
  const mark = typeof s.mark === "string" ? s.mark : (s.mark as { type?: string } | undefined)?.type;
  const kind = mark ?? (s.layer ? `${s.layer.length}-layer` : "composite");
  const rows = Array.isArray(s.data?.values) ? `, ${s.data!.values.length} rows` : "";
  return `Chart${title ? ` "${title}"` : ""}: ${kind}${rows}, ${Math.round(width)}x${Math.round(height)} px`;
}

/** Compile and render a Vega-Lite v5 spec into one multi-mime display bundle. */
export async function chartBundle(spec: TopLevelSpec): Promise<DisplayBundle> {
  const full = withChartDefaults(spec);
  const svg = await renderSvg(full);
  const scale = 2;
  const { png, width, height } = svgToPng(svg, scale);
  // Jupyter sizes the PNG by metadata in CSS pixels: half the 2x pixels keeps it sharp.
  const cssWidth = width / scale;
  const cssHeight = height / scale;
  return {
    data: {
      [VEGA_LITE_MIME]: full,
      "image/svg+xml": svg,
      "image/png": png.toString("base64"),
      "text/plain": describeChart(full, cssWidth, cssHeight),
    },
    metadata: { "image/png": { width: cssWidth, height: cssHeight } },
  };
}

let savedCharts = 0;

/** File-name-safe version of a title. */
function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "chart";
}

/** Write the SVG and PNG of a bundle to `dir`; returns the SVG path. */
export function saveChart(bundle: DisplayBundle, dir: string, name = "chart"): string {
  fs.mkdirSync(dir, { recursive: true });
  savedCharts += 1;
  const base = path.join(dir, `${String(savedCharts).padStart(2, "0")}-${slug(name)}`);
  fs.writeFileSync(`${base}.svg`, String(bundle.data["image/svg+xml"]));
  fs.writeFileSync(`${base}.png`, Buffer.from(String(bundle.data["image/png"]), "base64"));
  return `${base}.svg`;
}

/**
 * Display a chart. In a notebook: one display_data output. In a script: print its
 * one-line description, and save SVG + PNG when HOLLM_CHART_DIR is set.
 *
 * Resolves to nothing on purpose: tslab prints a cell's last value, and `await show(...)`
 * as the last line must not dump the bundle. Await it, so errors fail the cell.
 */
export async function show(spec: TopLevelSpec): Promise<void> {
  const writer = notebookWriter(); // before any await: tslab swaps the writer per cell
  const bundle = await chartBundle(spec);
  if (displayBundle(bundle, { writer })) {
    // A chart is a large message: let it go out before the caller prints (tslab drops a console.log that
    // meets a send in flight; see displaysFlushed).
    await displaysFlushed();
    return;
  }
  console.log(String(bundle.data["text/plain"]));
  const dir = process.env.HOLLM_CHART_DIR;
  if (dir) console.log(`  saved ${saveChart(bundle, dir, chartTitle(spec) ?? "chart")}`);
}
