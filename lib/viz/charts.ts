/**
 * Small builders for the charts the chapters draw again and again: loss curves,
 * bar charts of scores, 2-D scatter plots of embeddings. Each returns a plain Vega-Lite
 * spec, so a chapter can still tweak it before `show(spec)`.
 */
import type { TopLevelSpec } from "./render";

type Row = Record<string, unknown>;
/** Vega-Lite measurement types used here. */
export type FieldType = "quantitative" | "nominal" | "ordinal" | "temporal";

interface CommonOptions<T extends Row> {
  data: T[];
  title?: string;
  /** CSS pixels of the plot area (defaults 400 x 250). */
  width?: number;
  height?: number;
  /** Field that colours the marks (one line / colour per value). */
  color?: keyof T & string;
  colorType?: FieldType;
  /** Axis titles, when the field names are not good labels. */
  xTitle?: string;
  yTitle?: string;
}

/** Guess a field's type from its first non-null value. */
export function inferFieldType(data: Row[], field: string): FieldType {
  for (const row of data) {
    const v = row[field];
    if (v == null) continue;
    if (typeof v === "number" || typeof v === "bigint") return "quantitative";
    if (v instanceof Date) return "temporal";
    return "nominal";
  }
  return "nominal";
}

/**
 * The builders assemble specs from caller-chosen field names, which vega-lite's types
 * cannot follow; vega-lite checks the result when it compiles the chart.
 */
function asSpec(spec: Row): TopLevelSpec {
  return spec as unknown as TopLevelSpec;
}

function base<T extends Row>(o: CommonOptions<T>): Row {
  const spec: Row = { data: { values: o.data }, width: o.width ?? 400, height: o.height ?? 250 };
  if (o.title) spec.title = o.title;
  return spec;
}

function colorEncoding<T extends Row>(o: CommonOptions<T>, data: Row[]): Row {
  if (!o.color) return {};
  return { color: { field: o.color, type: o.colorType ?? inferFieldType(data, o.color) } };
}

export interface LineChartOptions<T extends Row> extends CommonOptions<T> {
  x: keyof T & string;
  /** One field, or several (e.g. ["train", "val"]): several become one line each. */
  y: (keyof T & string) | (keyof T & string)[];
  /** Log scale on y, handy for losses that fall by orders of magnitude. */
  logY?: boolean;
  /** Draw a dot at each point (default: only when there are few points). */
  points?: boolean;
}

/** Line chart, e.g. a loss curve: lineChart({data: history, x: "step", y: ["train", "val"]}). */
export function lineChart<T extends Row>(o: LineChartOptions<T>): TopLevelSpec {
  const ys = Array.isArray(o.y) ? o.y : [o.y];
  const wide = ys.length > 1;
  const yField = wide ? "value" : ys[0];
  const encoding: Row = {
    x: { field: o.x, type: inferFieldType(o.data, o.x), title: o.xTitle },
    y: {
      field: yField,
      type: "quantitative",
      title: o.yTitle,
      scale: o.logY ? { type: "log" } : { zero: false },
    },
    // Several y fields are folded into (series, value) rows, coloured by series.
    ...(wide ? { color: { field: "series", type: "nominal", sort: ys, title: null } } : colorEncoding(o, o.data)),
  };
  const spec: Row = {
    ...base(o),
    mark: { type: "line", point: o.points ?? o.data.length <= 30 },
    encoding,
  };
  if (wide) spec.transform = [{ fold: ys, as: ["series", "value"] }];
  return asSpec(spec);
}

export interface BarChartOptions<T extends Row> extends CommonOptions<T> {
  /** Category field (one bar each). */
  x: keyof T & string;
  /** Value field (bar length). */
  y: keyof T & string;
  /** Bars grow to the right, categories listed top to bottom (better for long labels). */
  horizontal?: boolean;
  /** Order categories by value, largest first (default: data order). */
  sortByValue?: boolean;
  /** With `color`: stack the coloured bars of a category (default false: side by side). */
  stack?: boolean;
}

/** Bar chart of one value per category, e.g. accuracy per model. */
export function barChart<T extends Row>(o: BarChartOptions<T>): TopLevelSpec {
  const sort = o.sortByValue ? (o.horizontal ? "-x" : "-y") : null;
  const category = { field: o.x, type: "nominal", sort, title: o.xTitle };
  const value = { field: o.y, type: "quantitative", title: o.yTitle };
  const encoding: Row = o.horizontal ? { y: category, x: value } : { x: category, y: value };
  // Coloured bars of one category stand side by side (an offset by colour) unless asked to stack.
  const offset = o.color && !o.stack ? { [o.horizontal ? "yOffset" : "xOffset"]: { field: o.color } } : {};
  const spec: Row = { ...base(o), mark: "bar", encoding: { ...encoding, ...colorEncoding(o, o.data), ...offset } };
  // Horizontal bars: without a fixed height vega-lite gives each category a 20 px row.
  if (o.horizontal && o.height == null) delete spec.height;
  return asSpec(spec);
}

export interface ScatterChartOptions<T extends Row> extends CommonOptions<T> {
  x: keyof T & string;
  y: keyof T & string;
  /** Field whose text is written next to each point (e.g. the word of an embedding). */
  label?: keyof T & string;
  /** Fields shown on hover in interactive frontends. */
  tooltip?: (keyof T & string)[];
  /** Point area in px^2 (default 40). */
  size?: number;
}

/** Scatter plot, e.g. 2-D projections of embeddings coloured by cluster. */
export function scatterChart<T extends Row>(o: ScatterChartOptions<T>): TopLevelSpec {
  const position = {
    x: { field: o.x, type: "quantitative", title: o.xTitle, scale: { zero: false } },
    y: { field: o.y, type: "quantitative", title: o.yTitle, scale: { zero: false } },
  };
  const points: Row = {
    mark: { type: "point", filled: true, size: o.size ?? 40 },
    encoding: {
      ...position,
      ...colorEncoding(o, o.data),
      ...(o.tooltip ? { tooltip: o.tooltip.map((field) => ({ field, type: inferFieldType(o.data, field) })) } : {}),
    },
  };
  if (!o.label) return asSpec({ ...base(o), ...points });
  const labels: Row = {
    mark: { type: "text", align: "left", dx: 5, dy: -3, fontSize: 10 },
    encoding: { ...position, text: { field: o.label, type: "nominal" } },
  };
  return asSpec({ ...base(o), layer: [points, labels] });
}

export interface HeatmapOptions<T extends Row> extends CommonOptions<T> {
  /** Column and row categories (kept in data order), and the value that colours each cell. */
  x: keyof T & string;
  y: keyof T & string;
  value: keyof T & string;
  /** Facet into small multiples by this field (e.g. the attention head). */
  facet?: keyof T & string;
  columns?: number;
}

/** Heatmap, e.g. attention weights of query tokens (rows) over key tokens (columns). */
export function heatmapChart<T extends Row>(o: HeatmapOptions<T>): TopLevelSpec {
  const order = (field: string) => [...new Set(o.data.map((r) => String(r[field])))];
  const cells: Row = {
    mark: "rect",
    encoding: {
      x: { field: o.x, type: "ordinal", sort: order(o.x), title: o.xTitle ?? null },
      y: { field: o.y, type: "ordinal", sort: order(o.y), title: o.yTitle ?? null },
      color: { field: o.value, type: "quantitative", scale: { scheme: "blues" } },
    },
    width: o.width ?? 220,
    height: o.height ?? 220,
  };
  const spec: Row = { data: { values: o.data }, ...(o.title ? { title: o.title } : {}) };
  if (!o.facet) return asSpec({ ...spec, ...cells });
  return asSpec({ ...spec, facet: { field: o.facet, type: "nominal" }, columns: o.columns ?? 4, spec: cells });
}
