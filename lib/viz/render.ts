/**
 * Vega-Lite spec -> SVG -> PNG, all in Node without a browser or a canvas package.
 *
 * vega 5 / vega-lite 5 are used (not 6) because the 6.x releases are ESM-only and tslab
 * loads modules with require(). Text is measured by vega's built-in estimator (no canvas)
 * and drawn by resvg with DejaVu Sans, so the PNG looks the same on every machine that
 * has the font; the spec names the same font so JupyterLab's live rendering matches.
 */
import * as fs from "fs";
import * as path from "path";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { Resvg } from "@resvg/resvg-js";

export type { TopLevelSpec };

export const CHART_FONT = "DejaVu Sans";
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Folders where Debian/Ubuntu, Fedora and Homebrew-style installs keep DejaVu Sans. */
const FONT_DIRS = [
  "/usr/share/fonts/truetype/dejavu",
  "/usr/share/fonts/dejavu-sans-fonts",
  "/usr/share/fonts/dejavu",
  "/usr/local/share/fonts",
];

let fontFilesCache: string[] | null = null;

/** DejaVu Sans regular/bold/oblique files (not Mono/Serif), or [] when none is installed. */
export function chartFontFiles(): string[] {
  if (fontFilesCache) return fontFilesCache;
  const found: string[] = [];
  for (const dir of FONT_DIRS) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (/^DejaVuSans(-Bold|-Oblique|-BoldOblique)?\.ttf$/.test(name)) found.push(path.join(dir, name));
    }
    if (found.length > 0) break;
  }
  fontFilesCache = found;
  return found;
}

/** Add the schema URL and the chart font, keeping anything the caller already set. */
export function withChartDefaults(spec: TopLevelSpec): TopLevelSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...spec,
    config: { font: CHART_FONT, ...spec.config },
  } as TopLevelSpec;
}

/** Render a Vega-Lite spec to an SVG string (CSS pixel size = the chart's size). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile(spec).spec;
  // renderer "none": no DOM or canvas needed; toSVG() builds the markup itself.
  const view = new vega.View(vega.parse(vegaSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // release timers/listeners so a script can exit
  }
}

export interface PngImage {
  png: Buffer;
  /** Pixel size of the PNG (= CSS size x scale). */
  width: number;
  height: number;
}

/** Rasterise an SVG at `scale` x its size (2 gives crisp images on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): PngImage {
  const fontFiles = chartFontFiles();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontFiles,
      // Without DejaVu installed, fall back to whatever the system has rather than no text.
      loadSystemFonts: fontFiles.length === 0,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height };
}
