/**
 * BERTopic's visualisations as Vega-Lite specs (show them with `show(spec)`): the documents map,
 * topic word bars, the topic similarity heatmap, the topic hierarchy and topic sizes.
 */
import type { TopLevelSpec } from "../viz/render";
import { heatmapChart } from "../viz/charts";
import { toDenseMatrix, type MatrixLike } from "../util/matrix";
import type { BERTopic, HierarchicalTopic } from "./bertopic";
import { cosineSimilarityDense } from "./similarity";

type Row = Record<string, unknown>;
const spec = (s: Row) => s as unknown as TopLevelSpec;

function shortLabel(model: BERTopic, topic: number, nWords = 3): string {
  const custom = model.customLabels?.[model.topicIds.indexOf(topic)];
  if (custom) return custom;
  return `${topic}_` + (model.getTopic(topic) ?? []).slice(0, nWords).map(([w]) => w).join("_");
}

/**
 * visualize_documents: 2-D coordinates of the documents (e.g. a 2-D UMAP of their embeddings) coloured
 * by topic, outliers in light grey; hover shows the document. Only the `topN` largest topics get a colour.
 */
export function visualizeDocuments(
  model: BERTopic,
  docs: string[],
  coords: MatrixLike,
  opts: { title?: string; topN?: number; width?: number; height?: number; topics?: number[] } = {},
): TopLevelSpec {
  const xy = toDenseMatrix(coords, "visualizeDocuments coords");
  const topics = opts.topics ?? model.topics;
  if (xy.cols < 2 || xy.rows !== docs.length || topics.length !== docs.length) {
    throw new Error(`visualizeDocuments: need [${docs.length}, 2] coordinates and ${docs.length} topics, got [${xy.rows}, ${xy.cols}] and ${topics.length}`);
  }
  const shown = new Set(model.topicIds.filter((t) => t !== -1).slice(0, opts.topN ?? 20));
  const data = docs.map((d, i) => ({
    x: xy.data[i * xy.cols],
    y: xy.data[i * xy.cols + 1],
    topic: shown.has(topics[i]) ? shortLabel(model, topics[i]) : "other / outlier",
    doc: d.length > 100 ? `${d.slice(0, 100)}…` : d,
  }));
  const point = (filter: Row, color: Row) => ({
    transform: [{ filter }],
    mark: { type: "circle", size: 12, opacity: 0.6 },
    encoding: { x: { field: "x", type: "quantitative", axis: null }, y: { field: "y", type: "quantitative", axis: null }, color, tooltip: [{ field: "topic" }, { field: "doc" }] },
  });
  return spec({
    title: opts.title ?? "Documents and topics",
    width: opts.width ?? 560,
    height: opts.height ?? 400,
    data: { values: data },
    layer: [
      point({ field: "topic", equal: "other / outlier" }, { value: "#cfcfcf" }),
      point({ not: { field: "topic", equal: "other / outlier" } }, { field: "topic", type: "nominal", legend: { title: "topic", labelLimit: 220 }, scale: { scheme: "tableau20" } }),
    ],
  });
}

/** visualize_barchart: the top words of the first `topN` topics (not -1), one small bar chart each. */
export function visualizeBarchart(model: BERTopic, opts: { topN?: number; nWords?: number; title?: string } = {}): TopLevelSpec {
  const topics = model.topicIds.filter((t) => t !== -1).slice(0, opts.topN ?? 8);
  const data = topics.flatMap((t) => (model.getTopic(t) ?? []).slice(0, opts.nWords ?? 5).map(([word, score], rank) => ({ topic: `Topic ${t}`, word, score, rank })));
  return spec({
    title: opts.title ?? "Topic word scores",
    data: { values: data },
    facet: { field: "topic", type: "nominal", sort: topics.map((t) => `Topic ${t}`), title: null },
    columns: 4,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 130,
      height: 110,
      mark: "bar",
      encoding: {
        y: { field: "word", type: "nominal", sort: { field: "rank" }, title: null },
        x: { field: "score", type: "quantitative", title: "c-TF-IDF" },
        color: { field: "topic", type: "nominal", legend: null },
      },
    },
  });
}

/** visualize_heatmap: cosine similarity of the topic embeddings (first `topN` topics, not -1). */
export function visualizeHeatmap(model: BERTopic, opts: { topN?: number; title?: string } = {}): TopLevelSpec {
  if (!model.topicEmbeddings) throw new Error("visualizeHeatmap: the model has no topic embeddings");
  const ids = model.topicIds;
  const keep = ids.map((t, i) => [t, i] as const).filter(([t]) => t !== -1).slice(0, opts.topN ?? 20);
  const sim = cosineSimilarityDense(model.topicEmbeddings);
  const data = keep.flatMap(([a, i]) => keep.map(([b, j]) => ({ a: shortLabel(model, a, 2), b: shortLabel(model, b, 2), similarity: sim[i][j] })));
  return heatmapChart({ data, x: "b", y: "a", value: "similarity", title: opts.title ?? "Similarity of topics", width: 16 * keep.length, height: 16 * keep.length });
}

/** visualize_topics (sizes): one bar per topic with its size; -1 in grey. */
export function visualizeTopicSizes(model: BERTopic, opts: { topN?: number; title?: string } = {}): TopLevelSpec {
  const rows = model.getTopicInfo().filter((r) => r.Topic !== -1).slice(0, opts.topN ?? 30);
  return spec({
    title: opts.title ?? "Topic sizes",
    data: { values: rows.map((r) => ({ topic: shortLabel(model, r.Topic), count: r.Count, order: r.Topic })) },
    mark: "bar",
    encoding: {
      y: { field: "topic", type: "nominal", sort: { field: "order" }, title: null, axis: { labelLimit: 240 } },
      x: { field: "count", type: "quantitative", title: "documents" },
    },
  });
}

/**
 * visualize_hierarchy: the tree of `hierarchicalTopics()` (Ward linkage of the topics' c-TF-IDF rows by
 * cosine distance, BERTopic's default; pass its rows to reuse them) drawn as a dendrogram: leaves on the
 * left, merge distance to the right.
 */
export function visualizeHierarchy(model: BERTopic, opts: { title?: string; hierarchicalTopics?: HierarchicalTopic[] } = {}): TopLevelSpec {
  const rows = (opts.hierarchicalTopics ?? model.hierarchicalTopics()).slice().sort((a, b) => a.Parent_ID - b.Parent_ID);
  const leafTopics = model.topicIds.filter((t) => t !== -1);
  const n = leafTopics.length;
  if (rows.length !== n - 1) throw new Error(`visualizeHierarchy: ${rows.length} merges for ${n} topics (expected ${n - 1})`);
  // Leaf order: depth-first through the tree so branches do not cross.
  const children = new Map<number, [number, number]>(rows.map((r) => [r.Parent_ID, [r.Child_Left_ID, r.Child_Right_ID]]));
  const order: number[] = [];
  const walk = (id: number): void => {
    if (id < n) order.push(id);
    else children.get(id)!.forEach(walk);
  };
  walk(n + rows.length - 1);
  const yOf = new Map<number, number>(order.map((leaf, k) => [leaf, k]));
  const xOf = new Map<number, number>(Array.from({ length: n }, (_, i) => [i, 0]));
  const segments: Row[] = [];
  for (const r of rows) {
    const [a, b] = [r.Child_Left_ID, r.Child_Right_ID];
    const [ya, yb] = [yOf.get(a)!, yOf.get(b)!];
    for (const [child, y] of [[a, ya], [b, yb]] as const) segments.push({ x: xOf.get(child)!, x2: r.Distance, y, y2: y });
    segments.push({ x: r.Distance, x2: r.Distance, y: ya, y2: yb });
    yOf.set(r.Parent_ID, (ya + yb) / 2);
    xOf.set(r.Parent_ID, r.Distance);
  }
  const labels = order.map((leaf, k) => ({ label: shortLabel(model, leafTopics[leaf]), y: k }));
  const yScale = { domain: [-0.5, n - 0.5] };
  return spec({
    title: opts.title ?? "Hierarchy of topics (Ward linkage, c-TF-IDF cosine distance)",
    width: 420,
    height: Math.max(120, 18 * n),
    layer: [
      {
        data: { values: segments },
        mark: { type: "rule", color: "#4c78a8" },
        encoding: {
          x: { field: "x", type: "quantitative", title: "distance" },
          x2: { field: "x2" },
          y: { field: "y", type: "quantitative", axis: null, scale: yScale },
          y2: { field: "y2" },
        },
      },
      {
        data: { values: labels },
        mark: { type: "text", align: "right", dx: -4, fontSize: 10 },
        encoding: { x: { datum: 0, type: "quantitative" }, y: { field: "y", type: "quantitative", scale: yScale }, text: { field: "label" } },
      },
    ],
    padding: { left: 160 },
  });
}
