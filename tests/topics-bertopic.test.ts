/**
 * The BERTopic pipeline on a corpus whose topics are known by construction: three themes with their own
 * words, embedded by a bag-of-words embedder (so words have embeddings too, for KeyBERTInspired / MMR).
 * The reducer is the identity here (UMAP has its own tests); clustering is the lib's HDBSCAN.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vegaLite from "vega-lite";
import {
  CountVectorizer, KeyBERTInspired, MaximalMarginalRelevance, Rng, denseMatrix, normalizedMutualInfoScore,
  type DenseMatrix, type DimensionReducer, type Embedder,
} from "../lib";
import { BERTopic } from "../lib/topics/bertopic";
import { HDBSCAN } from "../lib/topics/hdbscan";
import { allPointsMembershipVectors } from "../lib/topics/hdbscan-soft";
import { visualizeBarchart, visualizeDocuments, visualizeHeatmap, visualizeHierarchy, visualizeTopicSizes } from "../lib/topics/charts";

const THEMES: Record<string, string[]> = {
  ocean: ["whale", "ship", "harpoon", "sailor", "captain", "sea", "wave", "deck"],
  garden: ["rose", "tulip", "soil", "seed", "bloom", "petal", "garden", "gardener"],
  money: ["bank", "loan", "interest", "credit", "debt", "market", "price", "trade"],
};
const FILLER = ["the", "and", "of", "day", "very", "good", "many", "long"];
const VOCAB = [...Object.values(THEMES).flat(), ...FILLER];

/** Sizes 80 / 60 / 40 so topic ids by size are ocean 0, garden 1, money 2. */
function corpus(seed = 1): { docs: string[]; labels: number[] } {
  const rng = new Rng(seed);
  const docs: string[] = [];
  const labels: number[] = [];
  Object.values(THEMES).forEach((words, label) => {
    for (let d = 0; d < [80, 60, 40][label]; d++) {
      const n = 10 + rng.int(6);
      const tokens = Array.from({ length: n }, () => (rng.random() < 0.7 ? words[rng.int(words.length)] : FILLER[rng.int(FILLER.length)]));
      docs.push(tokens.join(" "));
      labels.push(label);
    }
  });
  return { docs, labels };
}

/** Normalised bag of words over VOCAB (unknown words ignored). */
class BagOfWordsEmbedder implements Embedder {
  calls = 0;
  async embed(texts: string[]): Promise<DenseMatrix> {
    this.calls++;
    const m = denseMatrix(texts.length, VOCAB.length);
    texts.forEach((t, i) => {
      for (const w of t.toLowerCase().split(/\s+/)) {
        const j = VOCAB.indexOf(w);
        if (j >= 0) m.data[i * VOCAB.length + j] += 1;
      }
      let norm = 0;
      for (let j = 0; j < VOCAB.length; j++) norm += m.data[i * VOCAB.length + j] ** 2;
      for (let j = 0; j < VOCAB.length && norm > 0; j++) m.data[i * VOCAB.length + j] /= Math.sqrt(norm);
    });
    return m;
  }
}

class Identity implements DimensionReducer {
  fitTransform(x: DenseMatrix): DenseMatrix {
    return x;
  }
  transform(x: DenseMatrix): DenseMatrix {
    return x;
  }
}

async function fitted(opts: ConstructorParameters<typeof BERTopic>[0] = {}) {
  const { docs, labels } = corpus();
  const embedder = new BagOfWordsEmbedder();
  const model = new BERTopic({ embeddingModel: embedder, umapModel: new Identity(), ...opts });
  const { topics, probabilities } = await model.fitTransform(docs);
  return { model, docs, labels, topics, probabilities, embedder };
}

const themeOf = (word: string) => Object.keys(THEMES).find((k) => THEMES[k].includes(word));

test("fitTransform finds the three themes, numbered by size, with their own words", async () => {
  const { model, labels, topics, probabilities } = await fitted();
  const found = model.topicIds.filter((t) => t !== -1);
  assert.deepEqual(found, [0, 1, 2]);
  assert.ok(normalizedMutualInfoScore(labels, topics) > 0.9, `NMI ${normalizedMutualInfoScore(labels, topics)}`);
  const sizes = found.map((t) => model.topicSizes.get(t)!);
  assert.ok(sizes[0] >= sizes[1] && sizes[1] >= sizes[2], `sizes ${sizes}`);
  ["ocean", "garden", "money"].forEach((theme, t) => {
    const words = model.getTopic(t)!.map(([w]) => w);
    assert.equal(words.length, 10);
    // The top five words belong to the theme; filler words are common to all topics so c-TF-IDF ranks them low.
    for (const w of words.slice(0, 5)) assert.equal(themeOf(w), theme, `topic ${t}: ${words}`);
  });
  assert.equal(probabilities!.length, topics.length);
  const info = model.getTopicInfo();
  assert.deepEqual(Object.keys(info.find((r) => r.Topic === 0)!), ["Topic", "Count", "Name", "Representation", "Representative_Docs"]);
  const row0 = info.find((r) => r.Topic === 0)!;
  assert.equal(row0.Name, `0_${row0.Representation.slice(0, 4).join("_")}`);
  assert.equal(row0.Representative_Docs.length, 3);
  assert.equal(info.reduce((s, r) => s + r.Count, 0), topics.length);
});

test("calculateProbabilities: HDBSCAN's soft clustering as a topic distribution per document, mapped through sorting and reduction", async () => {
  const { model, topics, docs } = await fitted({ calculateProbabilities: true });
  const probs = model.topicProbabilities!;
  const k = model.topicIds.filter((t) => t !== -1).length;
  assert.deepEqual([probs.rows, probs.cols], [docs.length, k]);
  // Independently: the clusterer's own matrix, columns re-labelled by which topic each cluster became.
  const raw = allPointsMembershipVectors(model.hdbscanModel as HDBSCAN);
  const hard = (model.hdbscanModel as HDBSCAN).labels;
  const clusterOf = new Map<number, number>();
  hard.forEach((c, i) => { if (c >= 0) clusterOf.set(topics[i], c); });
  for (let t = 0; t < k; t++) {
    for (let i = 0; i < docs.length; i++) assert.ok(Math.abs(probs.data[i * k + t] - raw.data[i * raw.cols + clusterOf.get(t)!]) < 1e-7, `doc ${i} topic ${t}`);
  }
  let agree = 0, clustered = 0;
  for (let i = 0; i < docs.length; i++) {
    const row = Array.from(probs.data.subarray(i * k, (i + 1) * k));
    assert.ok(row.reduce((a, b) => a + b, 0) <= 1 + 1e-5);
    if (topics[i] === -1) continue;
    clustered++;
    if (row.indexOf(Math.max(...row)) === topics[i]) agree++;
  }
  assert.ok(agree / clustered > 0.95, `argmax = topic for ${agree}/${clustered}`);
  // Merging sums the merged topics' columns.
  const before = model.topicProbabilities!;
  await model.mergeTopics([1, 2]);
  const after = model.topicProbabilities!;
  assert.equal(after.cols, 2);
  const merged = model.topicIds.filter((t) => t !== -1).find((t) => model.topicSizes.get(t)! === before.rows - topics.filter((x) => x === -1).length - topics.filter((x) => x === 0).length)!;
  for (let i = 0; i < docs.length; i += 7) {
    const sum = before.data[i * 3 + 1] + before.data[i * 3 + 2];
    assert.ok(Math.abs(after.data[i * 2 + merged] - sum) < 1e-6, `doc ${i}: ${after.data[i * 2 + merged]} vs ${sum}`);
  }
  const { topics: predicted, topicProbabilities } = await model.transform(["whale ship captain sea harpoon", "bank loan debt credit price"]);
  assert.equal(topicProbabilities!.rows, 2);
  const best = (r: number) => (topicProbabilities!.data[r * 2] > topicProbabilities!.data[r * 2 + 1] ? 0 : 1);
  assert.deepEqual([best(0), best(1)], predicted);
  const plain = await fitted();
  assert.equal(plain.model.topicProbabilities, undefined);
});

test("transform and findTopics use the fitted pipeline", async () => {
  const { model } = await fitted();
  const { topics } = await model.transform(["whale ship captain sea harpoon", "rose tulip bloom petal soil", "bank loan debt credit price"]);
  assert.deepEqual(topics, [0, 1, 2]);
  const { topics: similar, similarity } = await model.findTopics("gardener seed", 2);
  assert.equal(similar[0], 1);
  assert.ok(similarity[0] >= similarity[1]);
});

test("reduceTopics merges by topic similarity; mergeTopics merges what it is told", async () => {
  const { model, topics } = await fitted();
  const before = model.topicSizes.get(1)! + model.topicSizes.get(2)!;
  await model.mergeTopics([1, 2]);
  assert.deepEqual(model.topicIds.filter((t) => t !== -1), [0, 1]);
  assert.equal(Math.max(model.topicSizes.get(0)!, model.topicSizes.get(1)!), Math.max(before, model.topicSizes.get(0)!));
  const again = await fitted();
  await again.model.reduceTopics(1);
  assert.deepEqual(again.model.topicIds.filter((t) => t !== -1), [0]);
  assert.equal(again.model.topicSizes.get(0)!, topics.filter((t) => t !== -1).length);
});

test("reduceOutliers: every strategy assigns outliers to the right theme", async () => {
  const { model, docs, topics, labels } = await fitted();
  // Pretend some documents were outliers, then check where each strategy puts them back.
  const fake = topics.map((t, i) => (i % 7 === 0 ? -1 : t));
  (model as unknown as { topicSizes: Map<number, number> }).topicSizes.set(-1, 1);
  const expected = labels; // topic id == theme index for this corpus (sizes 80 / 60 / 40)
  const embeddings = await new BagOfWordsEmbedder().embed(docs);
  for (const strategy of ["c-tf-idf", "embeddings", "distributions"] as const) {
    const out = await model.reduceOutliers(docs, fake, { strategy, embeddings });
    const moved = fake.flatMap((t, i) => (t === -1 ? [i] : []));
    const right = moved.filter((i) => out[i] === expected[i]).length;
    assert.ok(right / moved.length >= 0.9, `${strategy}: ${right} / ${moved.length} right`);
    assert.deepEqual(out.filter((_, i) => fake[i] !== -1), fake.filter((t) => t !== -1), `${strategy} keeps assigned documents`);
  }
  await assert.rejects(model.reduceOutliers(docs, fake, { strategy: "probabilities" }), /needs `probabilities`/);
});

test("KeyBERTInspired and MMR rerank within the topic's words; updateTopics can switch to bigrams", async () => {
  const { model, docs } = await fitted({ representationModel: [new KeyBERTInspired(), new MaximalMarginalRelevance(0.3)] });
  ["ocean", "garden", "money"].forEach((theme, t) => {
    const words = model.getTopic(t)!.map(([w]) => w);
    assert.ok(words.length >= 5 && words.length <= 10, `${words}`);
    for (const w of words.slice(0, 3)) assert.equal(themeOf(w), theme, `topic ${t}: ${words}`);
  });
  await model.updateTopics(docs, { vectorizerModel: new CountVectorizer({ ngramRange: [1, 2] }), representationModel: [] });
  assert.ok(model.words.some((w) => w.includes(" ")), "bigrams in the vocabulary");
});

test("save / load round trip keeps topics, words and c-TF-IDF; the loaded model predicts by embedding similarity", async () => {
  const { model, embedder } = await fitted();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bertopic-"));
  model.setTopicLabels(model.topicIds.map((t) => `label ${t}`));
  model.save(dir);
  for (const f of ["config.json", "topics.json", "topic_embeddings.safetensors", "ctfidf.safetensors", "ctfidf_config.json"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
  const loaded = BERTopic.load(dir, embedder);
  assert.deepEqual(loaded.getTopicInfo(), model.getTopicInfo());
  // c-TF-IDF is stored in float32.
  assert.deepEqual(Array.from(loaded.cTfIdf!.indices), Array.from(model.cTfIdf!.indices));
  model.cTfIdf!.data.forEach((v, i) => assert.ok(Math.abs(v - loaded.cTfIdf!.data[i]) <= 1e-7 * Math.max(1, Math.abs(v))));
  const { topics } = await loaded.transform(["harpoon whale deck wave", "interest market trade bank"]);
  assert.deepEqual(topics, [0, 2]);
  fs.writeFileSync(path.join(dir, "topics.json"), "{not json");
  assert.throws(() => BERTopic.load(dir), /topics\.json/);
});

test("hierarchicalTopics: Ward merges of c-TF-IDF cosine distances, named by the merged topics' words", async () => {
  const { model } = await fitted();
  // Independent distances: cosine of the dense c-TF-IDF rows of topics 0, 1, 2.
  const c = model.cTfIdf!;
  const row = (t: number): number[] => {
    const out = new Array<number>(c.cols).fill(0);
    for (let k = c.indptr[t]; k < c.indptr[t + 1]; k++) out[c.indices[k]] = c.data[k];
    return out;
  };
  const rows = [0, 1, 2].map((t) => row(model.topicIds.indexOf(t))); // after -1's row when there is one
  const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
  const d = rows.map((a) => rows.map((b) => 1 - cos(a, b)));
  const pairs: [number, number][] = [[0, 1], [0, 2], [1, 2]];
  const [i, j] = pairs.reduce((best, p) => (d[p[0]][p[1]] < d[best[0]][best[1]] ? p : best));
  const k = 3 - i - j;
  const rootDistance = Math.sqrt((2 * d[i][k] ** 2 + 2 * d[j][k] ** 2 - d[i][j] ** 2) / 3); // Lance-Williams, Ward
  const h = model.hierarchicalTopics();
  assert.equal(h.length, 2);
  const [root, first] = h; // newest merge first, as BERTopic sorts them
  assert.deepEqual([first.Parent_ID, first.Child_Left_ID, first.Child_Right_ID, first.Topics], [3, i, j, [i, j]]);
  assert.ok(Math.abs(first.Distance - d[i][j]) < 1e-9, `${first.Distance} vs ${d[i][j]}`);
  assert.deepEqual([root.Parent_ID, root.Child_Left_ID, root.Child_Right_ID, root.Topics], [4, k, 3, [0, 1, 2]]);
  assert.ok(Math.abs(root.Distance - rootDistance) < 1e-9, `${root.Distance} vs ${rootDistance}`);
  assert.equal(root.Child_Right_Name, first.Parent_Name);
  assert.equal(first.Child_Left_Name, model.getTopic(i)!.slice(0, 5).map(([w]) => w).join("_"));
  // The merged topic's name comes from its two themes (not from the third).
  const themes = new Set(first.Parent_Name.split("_").map(themeOf));
  assert.ok(!themes.has(["ocean", "garden", "money"][k]) && first.Parent_Name.split("_").length === 5, first.Parent_Name);
});

test("charts compile to Vega", async () => {
  const { model, docs } = await fitted();
  const coords = denseMatrix(docs.length, 2, Float32Array.from(docs.flatMap((_, i) => [Math.cos(i), Math.sin(i)])));
  for (const spec of [visualizeDocuments(model, docs, coords), visualizeBarchart(model), visualizeHeatmap(model), visualizeTopicSizes(model), visualizeHierarchy(model)]) {
    assert.ok(vegaLite.compile(spec).spec, "compiles");
  }
});

test("bad input is named", async () => {
  const model = new BERTopic({ umapModel: new Identity() });
  await assert.rejects(model.fitTransform(["a", "b"]), /needs an embeddingModel/);
  await assert.rejects(model.fitTransform(["a", "b"], [[1, 2]]), /1 embeddings for 2 documents/);
  assert.throws(() => model.getTopicInfo(), /not fitted/);
});
