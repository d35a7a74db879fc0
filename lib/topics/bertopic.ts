/**
 * BERTopic (Grootendorst 2022) with the same stages, defaults and names as the Python package:
 *
 *   embed documents -> reduce (UMAP 5-d, cosine, min_dist 0) -> cluster (HDBSCAN, min_cluster_size =
 *   minTopicSize = 10; -1 = outliers) -> topics renumbered by size -> per topic, the joined documents
 *   counted by a CountVectorizer -> c-TF-IDF -> top words -> optional representation models.
 *
 * Every stage is an interface (lib/topics/components.ts), so UMAP can become PCA and HDBSCAN k-means.
 * Differences from Python, on purpose: `fitTransform` is async (embedding models are); UMAP gets a seed
 * by default (42) so notebooks are reproducible; `reduceTopics` merges by average-linkage clustering of
 * topic embeddings, as BERTopic >= 0.16 does.
 */
import * as fs from "fs";
import * as path from "path";
import { denseMatrix, matrixRow, selectRows, toDenseMatrix, type DenseMatrix, type MatrixLike } from "../util/matrix";
import { columnSums, csrMatrix, selectCsrRows, type CsrMatrix } from "../util/sparse";
import { Rng } from "../util/random";
import { saveSafetensors, SafetensorsFile, writeFileAtomic } from "../models/safetensors";
import { CountVectorizer } from "../classification/vectorizers";
import { ClassTfidfTransformer } from "./ctfidf";
import { HDBSCAN } from "./hdbscan";
import { allPointsMembershipVectors, membershipVector } from "./hdbscan-soft";
import { UMAP } from "./umap";
import { agglomerativeClustering, linkage, mergeLeaves } from "./agglomerative";
import type { Clusterer, DimensionReducer, Embedder, TextVectorizer, TopicWeighting } from "./components";
import { argmax, cosineSimilarityDense, cosineSimilaritySparse } from "./similarity";
import { topEntries, type RepresentationContext, type RepresentationModel, type TopicWords } from "./representation";

export interface BERTopicOptions {
  embeddingModel?: Embedder;
  umapModel?: DimensionReducer;
  hdbscanModel?: Clusterer;
  vectorizerModel?: TextVectorizer;
  ctfidfModel?: TopicWeighting;
  /** One model or a chain applied in order. */
  representationModel?: RepresentationModel | RepresentationModel[];
  /** Words kept per topic (10). */
  topNWords?: number;
  /** HDBSCAN's min_cluster_size when the default clusterer is used (10). */
  minTopicSize?: number;
  /** Reduce to this many topics after fitting (-1 not counted), or "auto" is not supported yet. */
  nrTopics?: number;
  /** "english" strips non-alphanumeric characters before counting words, as BERTopic does. */
  language?: string;
  /** Seed of the default UMAP (42). */
  seed?: number;
  /**
   * BERTopic's calculate_probabilities: with HDBSCAN, every document's membership in every topic (soft
   * clustering, `all_points_membership_vectors`), returned as `topicProbabilities`; transform then gives
   * `membership_vector`'s distribution for new documents. Default false.
   */
  calculateProbabilities?: boolean;
}

/** One row of `getTopicInfo()`, with BERTopic's column names. */
export interface TopicInfo {
  Topic: number;
  Count: number;
  Name: string;
  CustomName?: string;
  Representation: string[];
  Representative_Docs: string[];
}

interface Doc {
  text: string;
  topic: number;
}

/** BERTopic's `_preprocess_text`: newlines and tabs to spaces; for English only [A-Za-z0-9 ] kept. */
function preprocess(docs: string[], language: string): string[] {
  return docs.map((d) => {
    let s = d.replace(/[\n\t]/g, " ");
    if (language === "english") s = s.replace(/[^A-Za-z0-9 ]+/g, "");
    return s === "" ? "emptydoc" : s;
  });
}

function countBy(values: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < values.length; i++) m.set(values[i], (m.get(values[i]) ?? 0) + 1);
  return m;
}

/** One merge of BERTopic's topic hierarchy (a row of hierarchical_topics' table). */
export interface HierarchicalTopic {
  /** Leaves are topic rows 0..k-1 (topics without -1); merges are numbered k, k + 1, … as in scipy. */
  Parent_ID: number;
  Parent_Name: string;
  /** The topics under this merge. */
  Topics: number[];
  Child_Left_ID: number;
  Child_Left_Name: string;
  Child_Right_ID: number;
  Child_Right_Name: string;
  Distance: number;
}

export class BERTopic {
  embeddingModel?: Embedder;
  umapModel: DimensionReducer;
  hdbscanModel: Clusterer | null;
  vectorizerModel: TextVectorizer;
  ctfidfModel: TopicWeighting;
  representationModel: RepresentationModel[];
  readonly topNWords: number;
  readonly minTopicSize: number;
  readonly nrTopics?: number;
  readonly language: string;
  readonly calculateProbabilities: boolean;

  /** Topic of each training document. */
  topics: number[] = [];
  /** HDBSCAN's membership strength of each training document in its topic (when the clusterer has one). */
  probabilities?: Float32Array;
  topicSizes = new Map<number, number>();
  topicRepresentations = new Map<number, TopicWords>();
  representativeDocs = new Map<number, string[]>();
  /** c-TF-IDF, one row per topic in ascending order (-1 first when present). */
  cTfIdf?: CsrMatrix;
  /** The vectorizer's vocabulary (columns of cTfIdf). */
  words: string[] = [];
  /** Mean document embedding per topic, rows in ascending topic order. */
  topicEmbeddings?: DenseMatrix;
  customLabels?: string[];
  /** Clusterer label -> current topic, composed through every renumbering and merge. */
  private clusterToTopic = new Map<number, number>();
  private docs: Doc[] = [];
  private embeddings?: DenseMatrix;
  /** HDBSCAN's soft clustering of the training documents: columns are the clusterer's own labels. */
  private membership?: DenseMatrix;

  constructor(opts: BERTopicOptions = {}) {
    this.topNWords = opts.topNWords ?? 10;
    this.minTopicSize = opts.minTopicSize ?? 10;
    if (!(this.topNWords >= 1 && this.topNWords <= 100)) throw new Error(`BERTopic: topNWords must be in 1..100, got ${this.topNWords}`);
    this.nrTopics = opts.nrTopics;
    this.language = opts.language ?? "english";
    this.calculateProbabilities = opts.calculateProbabilities ?? false;
    this.embeddingModel = opts.embeddingModel;
    this.umapModel = opts.umapModel ?? defaultUmap(opts.seed ?? 42);
    this.hdbscanModel = opts.hdbscanModel ?? new HDBSCAN({ minClusterSize: this.minTopicSize, metric: "euclidean", clusterSelectionMethod: "eom" });
    this.vectorizerModel = opts.vectorizerModel ?? new CountVectorizer();
    this.ctfidfModel = opts.ctfidfModel ?? new ClassTfidfTransformer();
    const rm = opts.representationModel;
    this.representationModel = rm === undefined ? [] : Array.isArray(rm) ? rm : [rm];
  }

  /** 1 when there is an outlier topic (-1), else 0 — BERTopic's `_outliers`. */
  private get outliers(): number {
    return this.topicSizes.has(-1) ? 1 : 0;
  }

  /** The topics, ascending (-1 first). */
  get topicIds(): number[] {
    return Array.from(this.topicSizes.keys()).sort((a, b) => a - b);
  }

  private async embed(texts: string[]): Promise<DenseMatrix> {
    if (!this.embeddingModel) throw new Error("BERTopic: this needs an embeddingModel (none was given; pass embeddings, or set embeddingModel)");
    const e = await this.embeddingModel.embed(texts);
    if (e.rows !== texts.length) throw new Error(`BERTopic: the embedding model returned ${e.rows} rows for ${texts.length} texts`);
    return e;
  }

  private checkFitted(): void {
    if (!this.cTfIdf) throw new Error("BERTopic: the model is not fitted yet (call fitTransform first)");
  }

  /**
   * Fits the pipeline; returns each document's topic and, from HDBSCAN, its membership probability; with
   * calculateProbabilities, also each document's distribution over the topics (BERTopic's 2-D `probs`).
   */
  async fitTransform(documents: string[], embeddings?: MatrixLike): Promise<{ topics: number[]; probabilities?: Float32Array; topicProbabilities?: DenseMatrix }> {
    if (!Array.isArray(documents) || documents.some((d) => typeof d !== "string")) throw new Error("BERTopic: documents must be an array of strings");
    if (documents.length < 2) throw new Error(`BERTopic: need at least 2 documents, got ${documents.length}`);
    const emb = embeddings === undefined ? await this.embed(documents) : toDenseMatrix(embeddings, "BERTopic embeddings");
    if (emb.rows !== documents.length) throw new Error(`BERTopic: ${emb.rows} embeddings for ${documents.length} documents`);
    this.embeddings = emb;
    const reduced = this.umapModel.fitTransform(emb);
    if (!this.hdbscanModel) throw new Error("BERTopic: no clusterer");
    const labels = this.hdbscanModel.fitPredict(reduced);
    this.probabilities = this.hdbscanModel.probabilities ? Float32Array.from(this.hdbscanModel.probabilities) : undefined;
    this.membership = this.softClusterer() ? allPointsMembershipVectors(this.hdbscanModel as HDBSCAN) : undefined;
    this.docs = documents.map((text, i) => ({ text, topic: labels[i] }));
    this.clusterToTopic = new Map(Array.from(new Set(labels), (l) => [l, l]));
    if (!this.nrTopics) this.sortTopicsBySize();
    else this.updateSizes();
    await this.extractTopics(!this.nrTopics);
    if (this.nrTopics) await this.reduceTopicsInternal(this.nrTopics);
    this.saveRepresentativeDocs();
    return { topics: this.topics.slice(), probabilities: this.probabilities, topicProbabilities: this.topicProbabilities };
  }

  /** The clusterer, when soft clustering was asked for and it can do it (the lib's HDBSCAN). */
  private softClusterer(): HDBSCAN | null {
    if (!this.calculateProbabilities) return null;
    if (!(this.hdbscanModel instanceof HDBSCAN)) throw new Error("BERTopic: calculateProbabilities needs the HDBSCAN clusterer (soft clustering); this clusterer has none");
    return this.hdbscanModel;
  }

  /**
   * Each training document's probability of every topic (rows: documents; columns: topics 0..k-1, no -1),
   * kept current through topic sorting, merging and reduction; undefined without calculateProbabilities.
   */
  get topicProbabilities(): DenseMatrix | undefined {
    return this.membership ? this.mapMembership(this.membership) : undefined;
  }

  /**
   * BERTopic's `_map_probabilities`: clusterer columns summed into the topics they became (merged topics
   * add up; columns of clusters now in -1 are dropped).
   */
  private mapMembership(m: DenseMatrix): DenseMatrix {
    const k = this.topicIds.filter((t) => t !== -1).length;
    const out = denseMatrix(m.rows, k);
    for (const [cluster, topic] of this.clusterToTopic) {
      if (cluster < 0 || topic < 0 || cluster >= m.cols) continue;
      for (let r = 0; r < m.rows; r++) out.data[r * k + topic] += m.data[r * m.cols + cluster];
    }
    return out;
  }

  /** `fit`: fitTransform without the return value. */
  async fit(documents: string[], embeddings?: MatrixLike): Promise<this> {
    await this.fitTransform(documents, embeddings);
    return this;
  }

  /**
   * Topics for new documents: reduce with the fitted UMAP, then the clusterer's prediction (HDBSCAN's
   * approximate_predict). A loaded model without them assigns the topic with the most similar embedding.
   */
  async transform(documents: string[], embeddings?: MatrixLike): Promise<{ topics: number[]; topicProbabilities?: DenseMatrix }> {
    this.checkFitted();
    const emb = embeddings === undefined ? await this.embed(documents) : toDenseMatrix(embeddings, "BERTopic embeddings");
    if (emb.rows !== documents.length) throw new Error(`BERTopic: ${emb.rows} embeddings for ${documents.length} documents`);
    if (!this.hdbscanModel) {
      const sim = cosineSimilarityDense(emb, this.topicEmbeddings!);
      return { topics: sim.map((row) => argmax(row) - this.outliers) };
    }
    const reduced = this.umapModel.transform(emb);
    const labels = this.hdbscanModel.predict(reduced);
    const topics = Array.from(labels, (l) => this.clusterToTopic.get(l) ?? -1);
    const soft = this.softClusterer();
    return soft ? { topics, topicProbabilities: this.mapMembership(membershipVector(soft, reduced)) } : { topics };
  }

  /** Indices of the documents of each topic, in document order. */
  private membersByTopic(): Map<number, number[]> {
    const members = new Map<number, number[]>(this.topicIds.map((t) => [t, []]));
    this.docs.forEach((d, i) => members.get(d.topic)!.push(i));
    return members;
  }

  private updateSizes(): void {
    this.topics = this.docs.map((d) => d.topic);
    this.topicSizes = countBy(this.topics);
  }

  /** Renumbers topics 0.. by descending size (-1 stays), as `_sort_mappings_by_frequency`. */
  private sortTopicsBySize(): void {
    this.updateSizes();
    const order = Array.from(this.topicSizes.entries())
      .filter(([t]) => t !== -1)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const mapping = new Map<number, number>([[-1, -1]]);
    order.forEach(([t], i) => mapping.set(t, i));
    this.applyMapping(mapping);
  }

  private applyMapping(mapping: Map<number, number>): void {
    for (const d of this.docs) d.topic = mapping.get(d.topic) ?? d.topic;
    for (const [c, t] of this.clusterToTopic) this.clusterToTopic.set(c, mapping.get(t) ?? t);
    this.updateSizes();
  }

  /** c-TF-IDF over the documents joined per topic, then the top words and the representation models. */
  private async extractTopics(fineTune = true): Promise<void> {
    const ids = this.topicIds;
    const members = this.membersByTopic();
    const joined = ids.map((t) => members.get(t)!.map((i) => this.docs[i].text).join(" "));
    const counts = this.vectorizerModel.fitTransform(preprocess(joined, this.language));
    this.words = this.vectorizerModel.getFeatureNamesOut();
    this.ctfidfModel.fit(counts);
    this.cTfIdf = this.ctfidfModel.transform(counts);
    // BERTopic keeps at least 30 candidates for the representation models, padded with ("", 1e-5).
    const nBase = Math.max(this.topNWords, 30);
    let topics = new Map<number, TopicWords>();
    ids.forEach((t, row) => {
      const words: TopicWords = topEntries(this.cTfIdf!, row, nBase).map(([j, v]) => [this.words[j], v]);
      while (words.length < nBase) words.push(["", 0.00001]);
      topics.set(t, words);
    });
    if (fineTune && this.representationModel.length > 0) {
      const ctx = this.representationContext(topics);
      for (const model of this.representationModel) {
        topics = await model.extractTopics({ ...ctx, topics });
      }
    } else {
      for (const [t, w] of topics) topics.set(t, w.slice(0, this.topNWords));
    }
    this.topicRepresentations = topics;
    this.topicEmbeddings = this.embeddings ? this.meanEmbeddings(ids, members) : this.topicEmbeddings;
  }

  private meanEmbeddings(ids: number[], membersOf: Map<number, number[]>): DenseMatrix {
    const e = this.embeddings!;
    const out = denseMatrix(ids.length, e.cols);
    ids.forEach((t, row) => {
      const members = membersOf.get(t)!;
      const target = matrixRow(out, row);
      for (const i of members) {
        const v = matrixRow(e, i);
        for (let j = 0; j < e.cols; j++) target[j] += v[j];
      }
      for (let j = 0; j < e.cols; j++) target[j] /= Math.max(members.length, 1);
    });
    return out;
  }

  private representationContext(topics: Map<number, TopicWords>): RepresentationContext {
    return {
      cTfIdf: this.cTfIdf!,
      words: this.words,
      topicIds: this.topicIds,
      topics,
      embeddings: this.embeddings,
      embed: (texts) => this.embed(texts),
      representativeDocs: (nrSamples, nrReprDocs) => this.extractRepresentativeDocs(nrSamples, nrReprDocs),
    };
  }

  /**
   * Per topic, a seeded sample of up to `nrSamples` of its documents, ranked by cosine similarity of their
   * own c-TF-IDF vector to the topic's; the best `nrReprDocs` (BERTopic's `_extract_representative_docs`).
   */
  private extractRepresentativeDocs(nrSamples: number, nrReprDocs: number): Map<number, { ids: number[]; docs: string[] }> {
    const rng = new Rng(42);
    const out = new Map<number, { ids: number[]; docs: string[] }>();
    const membersOf = this.membersByTopic();
    this.topicIds.forEach((t, row) => {
      let members = membersOf.get(t)!.slice();
      if (members.length > nrSamples) {
        for (let i = members.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [members[i], members[j]] = [members[j], members[i]];
        }
        members = members.slice(0, nrSamples).sort((a, b) => a - b);
      }
      // Identical texts count once, as BERTopic's drop_duplicates.
      const seen = new Set<string>();
      members = members.filter((i) => (seen.has(this.docs[i].text) ? false : (seen.add(this.docs[i].text), true)));
      const weights = this.ctfidfModel.transform(this.vectorizerModel.transform(members.map((i) => this.docs[i].text)));
      const topicRow = selectCsrRows(this.cTfIdf!, [row]);
      const sim = cosineSimilaritySparse(weights, topicRow).map((r) => r[0]);
      const ranked = members.map((id, k) => ({ id, s: sim[k] })).sort((a, b) => b.s - a.s || a.id - b.id).slice(0, nrReprDocs);
      out.set(t, { ids: ranked.map((r) => r.id), docs: ranked.map((r) => this.docs[r.id].text) });
    });
    return out;
  }

  private saveRepresentativeDocs(): void {
    const repr = this.extractRepresentativeDocs(500, 3);
    this.representativeDocs = new Map(Array.from(repr, ([t, r]) => [t, r.docs]));
  }

  /** The topic's words and scores (undefined for an unknown topic). */
  getTopic(topic: number): TopicWords | undefined {
    this.checkFitted();
    return this.topicRepresentations.get(topic);
  }

  /** Every topic's words. */
  getTopics(): Map<number, TopicWords> {
    this.checkFitted();
    return new Map(this.topicRepresentations);
  }

  /** BERTopic's label: the id and the first four words, joined by "_". */
  get topicLabels(): Map<number, string> {
    return new Map(this.topicIds.map((t) => [t, `${t}_` + (this.topicRepresentations.get(t) ?? []).slice(0, 4).map(([w]) => w).join("_")]));
  }

  /** One row per topic: Topic, Count, Name, (CustomName), Representation, Representative_Docs. */
  getTopicInfo(topic?: number): TopicInfo[] {
    this.checkFitted();
    const labels = this.topicLabels;
    const rows = this.topicIds.map((t, i): TopicInfo => ({
      Topic: t,
      Count: this.topicSizes.get(t)!,
      Name: labels.get(t)!,
      ...(this.customLabels && this.customLabels.length === this.topicIds.length ? { CustomName: this.customLabels[i] } : {}),
      Representation: (this.topicRepresentations.get(t) ?? []).map(([w]) => w),
      Representative_Docs: this.representativeDocs.get(t) ?? [],
    }));
    return topic === undefined ? rows : rows.filter((r) => r.Topic === topic);
  }

  /** The topics whose embedding is most similar to the search term's, best first. */
  async findTopics(searchTerm: string, topN = 5): Promise<{ topics: number[]; similarity: number[] }> {
    this.checkFitted();
    const q = await this.embed([searchTerm]);
    const sims = cosineSimilarityDense(q, this.topicEmbeddings!)[0];
    const ids = this.topicIds;
    const order = Array.from(sims.keys()).sort((a, b) => sims[b] - sims[a]).slice(0, topN);
    return { topics: order.map((i) => ids[i]), similarity: order.map((i) => sims[i]) };
  }

  /**
   * BERTopic's hierarchical_topics: Ward linkage of the topics' c-TF-IDF rows by cosine distance (its
   * defaults), one row per merge, newest (the root) first. A merge is named by the top five c-TF-IDF words
   * of its topics' documents taken together (BERTopic also runs the representation model there; this uses
   * c-TF-IDF alone, so merges are named by the same weighting as the tree); a leaf child by its topic's words.
   */
  hierarchicalTopics(): HierarchicalTopic[] {
    this.checkFitted();
    const leafTopics = this.topicIds.filter((t) => t !== -1);
    const k = leafTopics.length;
    if (k < 2) throw new Error(`hierarchicalTopics: needs at least two topics besides -1 (the model has ${k})`);
    const sim = cosineSimilaritySparse(this.topicRowsWithoutOutliers());
    const merges = linkage(sim.map((r, i) => r.map((v, j) => (i === j ? 0 : Math.max(0, 1 - v)))), "ward");
    // Word counts per topic (the vectorizer was fitted on these joined documents), summed per merge.
    const members = this.membersByTopic();
    const joined = leafTopics.map((t) => members.get(t)!.map((i) => this.docs[i].text).join(" "));
    const counts = this.vectorizerModel.transform(preprocess(joined, this.language));
    const name = (words: TopicWords | undefined): string => (words ?? []).slice(0, 5).map(([w]) => w).join("_");
    const rows: HierarchicalTopic[] = [];
    mergeLeaves(merges, k).forEach((leaves, index) => {
      const summed = columnSums(selectCsrRows(counts, leaves));
      const cols = Array.from(summed.keys()).filter((j) => summed[j] > 0);
      const grouped = csrMatrix(1, summed.length, [0, cols.length], cols, cols.map((j) => summed[j]));
      const weights = this.ctfidfModel.transform(grouped);
      const parentName = topEntries(weights, 0, 5).map(([j]) => this.words[j]).join("_");
      const child = (id: number): string => (id < k ? name(this.topicRepresentations.get(leafTopics[id])) : rows[id - k].Parent_Name);
      const m = merges[index];
      rows.push({
        Parent_ID: k + index,
        Parent_Name: parentName,
        Topics: leaves.map((i) => leafTopics[i]),
        Child_Left_ID: m.a,
        Child_Left_Name: child(m.a),
        Child_Right_ID: m.b,
        Child_Right_Name: child(m.b),
        Distance: m.distance,
      });
    });
    return rows.reverse();
  }

  /** Merges topics to `nrTopics` (not counting -1) by average-linkage clustering of topic embeddings. */
  async reduceTopics(nrTopics: number): Promise<this> {
    this.checkFitted();
    await this.reduceTopicsInternal(nrTopics);
    this.saveRepresentativeDocs();
    return this;
  }

  private async reduceTopicsInternal(nrTopics: number): Promise<void> {
    const ids = this.topicIds.filter((t) => t !== -1);
    if (!Number.isInteger(nrTopics) || nrTopics < 1) throw new Error(`BERTopic: nrTopics must be a positive integer, got ${nrTopics}`);
    if (nrTopics >= ids.length) {
      await this.extractTopics();
      return;
    }
    const topicRows = selectRows(this.topicEmbeddings!, this.topicRowsWithoutOutlier());
    const distances = cosineSimilarityDense(topicRows).map((row, i) => row.map((s, j) => (i === j ? 0 : 1 - s)));
    const groups = agglomerativeClustering(distances, nrTopics);
    const mapping = new Map<number, number>([[-1, -1]]);
    ids.forEach((t, i) => mapping.set(t, groups[i]));
    this.applyMapping(mapping);
    this.sortTopicsBySize();
    await this.extractTopics();
  }

  /** Merges each group of topics into its first topic (BERTopic's merge_topics). */
  async mergeTopics(topicsToMerge: number[] | number[][]): Promise<this> {
    this.checkFitted();
    const groups = (typeof topicsToMerge[0] === "number" ? [topicsToMerge as number[]] : (topicsToMerge as number[][]));
    const mapping = new Map<number, number>();
    for (const g of groups) {
      for (const t of g) {
        if (!this.topicSizes.has(t)) throw new Error(`BERTopic: mergeTopics: topic ${t} does not exist`);
        mapping.set(t, g[0]);
      }
    }
    this.applyMapping(mapping);
    this.sortTopicsBySize();
    await this.extractTopics();
    this.saveRepresentativeDocs();
    return this;
  }

  /**
   * Assigns outliers (-1) to topics, as `reduce_outliers(docs, topics, strategy)`; returns the new topics
   * (the model is unchanged until `updateTopics(docs, { topics })`). Strategies: "distributions" (the
   * default; topic distributions from sliding word windows), "c-tf-idf", "embeddings", "probabilities".
   */
  async reduceOutliers(
    documents: string[],
    topics: number[],
    opts: { strategy?: "distributions" | "c-tf-idf" | "embeddings" | "probabilities"; threshold?: number; embeddings?: MatrixLike; probabilities?: ArrayLike<number>[] } = {},
  ): Promise<number[]> {
    this.checkFitted();
    if (documents.length !== topics.length) throw new Error(`BERTopic: ${documents.length} documents but ${topics.length} topics`);
    if (!this.outliers) throw new Error("BERTopic: no outliers to reduce");
    const strategy = opts.strategy ?? "distributions";
    const threshold = opts.threshold ?? 0;
    const outlierIds = topics.flatMap((t, i) => (t === -1 ? [i] : []));
    const pick = (rows: ArrayLike<number>[]) => rows.map((r) => {
      const s = Array.from(r, (v) => (v < threshold ? 0 : v));
      return s.reduce((a, b) => a + b, 0) > 0 ? argmax(s) : -1;
    });
    let assigned: number[];
    if (strategy === "probabilities") {
      if (!opts.probabilities) throw new Error("BERTopic: the 'probabilities' strategy needs `probabilities` (one topic distribution per document)");
      assigned = outlierIds.map((i) => {
        const p = opts.probabilities![i];
        let m = -Infinity;
        for (let k = 0; k < p.length; k++) m = Math.max(m, p[k]);
        return m >= threshold ? argmax(p) : -1;
      });
    } else if (strategy === "distributions") {
      const dist = this.approximateDistribution(outlierIds.map((i) => documents[i]), { minSimilarity: threshold });
      assigned = dist.map((r) => (r.reduce((a, b) => a + b, 0) > 0 ? argmax(r) : -1));
    } else if (strategy === "c-tf-idf") {
      const weights = this.ctfidfModel.transform(this.vectorizerModel.transform(outlierIds.map((i) => documents[i])));
      assigned = pick(cosineSimilaritySparse(weights, this.topicRowsWithoutOutliers()));
    } else if (strategy === "embeddings") {
      const e = opts.embeddings !== undefined ? selectRows(toDenseMatrix(opts.embeddings, "embeddings"), outlierIds) : await this.embed(outlierIds.map((i) => documents[i]));
      assigned = pick(cosineSimilarityDense(e, selectRows(this.topicEmbeddings!, this.topicRowsWithoutOutlier())));
    } else {
      throw new Error(`BERTopic: unknown outlier strategy '${strategy}'`);
    }
    const out = topics.slice();
    outlierIds.forEach((i, k) => (out[i] = assigned[k]));
    return out;
  }

  /** Row positions of the topics other than -1 in cTfIdf and topicEmbeddings (they follow -1's row when present). */
  private topicRowsWithoutOutlier(): number[] {
    return this.topicIds.filter((t) => t !== -1).map((_, i) => i + this.outliers);
  }

  private topicRowsWithoutOutliers(): CsrMatrix {
    return selectCsrRows(this.cTfIdf!, this.topicRowsWithoutOutlier());
  }

  /**
   * BERTopic's approximate_distribution: each document cut into windows of `window` tokens (step
   * `stride`), each window's c-TF-IDF compared with every topic's (cosine), similarities under
   * `minSimilarity` dropped, summed per document and L1-normalised. Rows: topics without -1.
   */
  approximateDistribution(documents: string[], opts: { window?: number; stride?: number; minSimilarity?: number; padding?: boolean } = {}): number[][] {
    this.checkFitted();
    const window = opts.window ?? 4;
    const stride = opts.stride ?? 1;
    const minSimilarity = opts.minSimilarity ?? 0.1;
    const sentences: string[] = [];
    const bounds: number[] = [0];
    for (const doc of documents) {
      const tokens = this.vectorizerModel.tokenize(doc);
      const sets: string[][] = [];
      if (tokens.length < window) sets.push(tokens);
      else {
        for (let s = 0; s < tokens.length; s += stride) {
          const sel = tokens.slice(s, s + window);
          if (opts.padding || sel.length === window) sets.push(sel);
        }
        if (opts.padding) {
          const t = Math.ceil(window / stride) - 1;
          const padded: string[][] = [];
          for (let i = 0; i < t; i++) padded.push(tokens.slice(0, window - (t - i) * stride));
          sets.unshift(...padded);
        }
      }
      sentences.push(...sets.map((s) => s.join(" ")));
      bounds.push(sentences.length);
    }
    const weights = this.ctfidfModel.transform(this.vectorizerModel.transform(sentences));
    const sim = cosineSimilaritySparse(weights, this.topicRowsWithoutOutliers());
    const k = this.cTfIdf!.rows - this.outliers;
    return documents.map((_, d) => {
      const sum = new Array<number>(k).fill(0);
      for (let r = bounds[d]; r < Math.max(bounds[d + 1], bounds[d] + 1) && r < sim.length; r++) {
        for (let j = 0; j < k; j++) if (sim[r][j] >= minSimilarity) sum[j] += sim[r][j];
      }
      const total = sum.reduce((a, b) => a + b, 0);
      return total > 0 ? sum.map((v) => v / total) : sum;
    });
  }

  /**
   * Recomputes the representations: with new topics per document (e.g. after reduceOutliers), another
   * vectorizer (n-grams, stop words) or other representation models. The documents must be the fitted ones.
   */
  async updateTopics(
    documents: string[],
    opts: { topics?: number[]; vectorizerModel?: TextVectorizer; ctfidfModel?: TopicWeighting; representationModel?: RepresentationModel | RepresentationModel[]; topNWords?: number } = {},
  ): Promise<this> {
    this.checkFitted();
    if (documents.length !== this.docs.length) throw new Error(`BERTopic: updateTopics needs the ${this.docs.length} fitted documents, got ${documents.length}`);
    if (opts.topics && opts.topics.length !== documents.length) throw new Error(`BERTopic: ${opts.topics.length} topics for ${documents.length} documents`);
    this.docs = documents.map((text, i) => ({ text, topic: opts.topics ? opts.topics[i] : this.docs[i].topic }));
    if (opts.vectorizerModel) this.vectorizerModel = opts.vectorizerModel;
    if (opts.ctfidfModel) this.ctfidfModel = opts.ctfidfModel;
    if (opts.representationModel !== undefined) this.representationModel = Array.isArray(opts.representationModel) ? opts.representationModel : [opts.representationModel];
    if (opts.topNWords) (this as { topNWords: number }).topNWords = opts.topNWords;
    this.updateSizes();
    await this.extractTopics();
    this.saveRepresentativeDocs();
    return this;
  }

  /** Custom names, one per topic in ascending order (-1 included when present), or a map. */
  setTopicLabels(labels: string[] | Map<number, string>): void {
    this.checkFitted();
    const ids = this.topicIds;
    if (Array.isArray(labels)) {
      if (labels.length !== ids.length) throw new Error(`BERTopic: ${labels.length} labels for ${ids.length} topics`);
      this.customLabels = labels.slice();
    } else {
      const current = this.topicLabels;
      this.customLabels = ids.map((t) => labels.get(t) ?? this.customLabels?.[ids.indexOf(t)] ?? current.get(t)!);
    }
  }

  /** BERTopic's generate_topic_labels. */
  generateTopicLabels(opts: { nrWords?: number; topicPrefix?: boolean; wordLength?: number; separator?: string } = {}): string[] {
    const { nrWords = 3, topicPrefix = true, wordLength, separator = "_" } = opts;
    return this.topicIds.map((t) => {
      const words = (this.topicRepresentations.get(t) ?? []).map(([w]) => (wordLength ? w.slice(0, wordLength) : w)).slice(0, nrWords);
      return (topicPrefix ? `${t}${separator}` : "") + words.join(separator);
    });
  }

  /**
   * Saves as BERTopic's safetensors serialisation: config.json, topics.json, topic_embeddings.safetensors,
   * ctfidf.safetensors and ctfidf_config.json (the vocabulary). UMAP and HDBSCAN are not saved (as in
   * Python); a loaded model predicts topics by embedding similarity.
   */
  save(dir: string): void {
    this.checkFitted();
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, "config.json"), JSON.stringify({ top_n_words: this.topNWords, min_topic_size: this.minTopicSize, nr_topics: this.nrTopics ?? null, language: this.language }, null, 2));
    const topics = {
      topic_representations: Object.fromEntries(Array.from(this.topicRepresentations, ([t, w]) => [String(t), w])),
      topics: this.topics,
      topic_sizes: Object.fromEntries(Array.from(this.topicSizes, ([t, n]) => [String(t), n])),
      topic_labels: Object.fromEntries(this.topicLabels),
      custom_labels: this.customLabels ?? null,
      representative_docs: Object.fromEntries(this.representativeDocs),
    };
    writeFileAtomic(path.join(dir, "topics.json"), JSON.stringify(topics, null, 2));
    if (this.topicEmbeddings) {
      saveSafetensors(path.join(dir, "topic_embeddings.safetensors"), { topic_embeddings: { shape: [this.topicEmbeddings.rows, this.topicEmbeddings.cols], values: this.topicEmbeddings.data } });
    }
    const c = this.cTfIdf!;
    saveSafetensors(path.join(dir, "ctfidf.safetensors"), {
      indptr: { dtype: "I32", shape: [c.indptr.length], values: c.indptr },
      indices: { dtype: "I32", shape: [c.indices.length], values: c.indices },
      data: { shape: [c.data.length], values: c.data },
      shape: { dtype: "I32", shape: [2], values: [c.rows, c.cols] },
    });
    writeFileAtomic(path.join(dir, "ctfidf_config.json"), JSON.stringify({ vocab: this.words }, null, 2));
  }

  /** Loads a folder written by `save`. Pass the embedding model to use findTopics / transform on text. */
  static load(dir: string, embeddingModel?: Embedder): BERTopic {
    const read = (name: string) => {
      const file = path.join(dir, name);
      try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`BERTopic.load: ${file}: ${(e as Error).message}`);
      }
    };
    const config = read("config.json");
    const topics = read("topics.json");
    const vocab = read("ctfidf_config.json").vocab as string[];
    const model = new BERTopic({ topNWords: config.top_n_words, minTopicSize: config.min_topic_size, nrTopics: config.nr_topics ?? undefined, language: config.language, embeddingModel, umapModel: NOT_SAVED });
    model.hdbscanModel = null;
    model.topics = topics.topics;
    model.topicSizes = new Map(Object.entries(topics.topic_sizes as Record<string, number>).map(([t, n]) => [Number(t), n]));
    model.topicRepresentations = new Map(Object.entries(topics.topic_representations as Record<string, TopicWords>).map(([t, w]) => [Number(t), w]));
    model.representativeDocs = new Map(Object.entries(topics.representative_docs as Record<string, string[]>).map(([t, d]) => [Number(t), d]));
    model.customLabels = topics.custom_labels ?? undefined;
    model.docs = model.topics.map((topic) => ({ text: "", topic }));
    model.words = vocab;
    const st = SafetensorsFile.open(path.join(dir, "ctfidf.safetensors"));
    try {
      const [rows, cols] = Array.from(st.tensor("shape").values);
      model.cTfIdf = {
        rows, cols,
        indptr: Int32Array.from(st.tensor("indptr").values),
        indices: Int32Array.from(st.tensor("indices").values),
        data: Float64Array.from(st.tensor("data").values),
      };
    } finally {
      st.close();
    }
    if (model.cTfIdf.cols !== vocab.length) throw new Error(`BERTopic.load: ${dir}: ctfidf has ${model.cTfIdf.cols} columns but the vocabulary ${vocab.length} words`);
    const embFile = path.join(dir, "topic_embeddings.safetensors");
    if (fs.existsSync(embFile)) {
      const e = SafetensorsFile.open(embFile);
      try {
        const t = e.tensor("topic_embeddings");
        model.topicEmbeddings = denseMatrix(t.shape[0], t.shape[1], Float32Array.from(t.values));
      } finally {
        e.close();
      }
    }
    return model;
  }
}

/** Stands in for the reducer of a loaded model: UMAP is not saved, and topics come from embedding similarity. */
const NOT_SAVED: DimensionReducer = {
  fitTransform() {
    throw new Error("BERTopic: a loaded model has no dimension reducer (UMAP is not saved); fit a new model to refit");
  },
  transform() {
    throw new Error("BERTopic: a loaded model has no dimension reducer (UMAP is not saved)");
  },
};

/** BERTopic's UMAP: 15 neighbours, 5 components, min_dist 0, cosine. */
function defaultUmap(seed: number): DimensionReducer {
  return new UMAP({ nNeighbors: 15, nComponents: 5, minDist: 0, metric: "cosine", randomState: seed });
}
