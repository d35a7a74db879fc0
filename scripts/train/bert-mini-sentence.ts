/**
 * `npm run train -- bert-mini-sentence`: the offline stand-in for the book's sentence-embedding models
 * (all-MiniLM-L6-v2, all-mpnet-base-v2). bert-mini-mlm, mean pooling and L2 normalisation, trained with
 * MultipleNegativesRankingLoss on real paraphrases (the same Bible verse in the King James Version and the
 * World English Bible, every book but the two held out for evaluation) and on the entailment pairs of the
 * Factbook NLI set; written in the sentence-transformers folder layout with a model card.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  EmbeddingSimilarityEvaluator, LogisticRegression, MultipleNegativesRankingLoss, Rng, SentenceTransformer, bibleParaphrasePairs,
  bibleSimilarityPairs, dataDir, f1Score, initEngine, loadBibleVerses, loadNli, loadSentiment, splitBibleBooks, trainSentenceTransformer,
  writeFileAtomic, type InputExample,
} from "hands-on-llm";

export const recipe = {
  name: "bert-mini-sentence",
  base: "bert-mini-mlm",
  maxSeqLength: 64,
  train: { batchSize: 64, epochs: 1, learningRate: 5e-4, warmupRatio: 0.1, weightDecay: 0.01 },
  seed: 42,
};

export async function trainBertMiniSentence(outDir: string, steps?: number): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const started = Date.now();
  const model = await SentenceTransformer.fromPretrained(path.join(dataDir(), "models", recipe.base), { maxSeqLength: recipe.maxSeqLength, normalize: true });
  const bible = splitBibleBooks(loadBibleVerses());
  const nli = loadNli();
  const pairs: InputExample[] = [
    ...bibleParaphrasePairs(bible.train).map((p) => ({ texts: [p.anchor, p.positive] })),
    ...nli.train.filter((r) => r.label === 0).map((r) => ({ texts: [r.premise, r.hypothesis] })),
  ];
  const examples = new Rng(recipe.seed).shuffle(pairs);

  // Held out: graded verse pairs of Luke and Romans, and the sentiment sentences as a linear probe.
  const sts = bibleSimilarityPairs(bible.test, { n: 1000, seed: 1 });
  const evaluator = new EmbeddingSimilarityEvaluator(sts.map((p) => p.sentence1), sts.map((p) => p.sentence2), sts.map((p) => p.score));
  const sentiment = loadSentiment();
  const probe = () => {
    const head = new LogisticRegression({ maxIter: 1000, warnOnNoConvergence: false });
    head.fit(model.encode(sentiment.train.map((r) => r.text), { showProgressBar: false }), sentiment.train.map((r) => r.label));
    return f1Score(sentiment.test.map((r) => r.label), head.predict(model.encode(sentiment.test.map((r) => r.text), { showProgressBar: false })));
  };
  const before = { spearman_cosine: evaluator.evaluate(model).spearman_cosine, sentiment_probe_f1: probe() };

  const loss = new MultipleNegativesRankingLoss(model);
  const out = await trainSentenceTransformer({
    loss, trainExamples: examples, batchSize: recipe.train.batchSize, epochs: recipe.train.epochs, batchSampler: "no_duplicates",
    args: { learningRate: recipe.train.learningRate, warmupRatio: recipe.train.warmupRatio, weightDecay: recipe.train.weightDecay, loggingSteps: 25, seed: recipe.seed, ...(steps ? { maxSteps: steps } : {}) },
  });
  const after = { spearman_cosine: evaluator.evaluate(model).spearman_cosine, sentiment_probe_f1: probe() };
  const minutes = (Date.now() - started) / 60000;

  fs.mkdirSync(outDir, { recursive: true });
  model.save(outDir);
  writeFileAtomic(path.join(outDir, "training_log.json"), JSON.stringify(out.logHistory, null, 1) + "\n");
  const card = { pairs: examples.length, steps: out.globalStep, before, after, minutes, backend: engine.backend, parameters: model.encoder.numParameters() };
  writeFileAtomic(path.join(outDir, "README.md"), modelCard(card));
  loss.dispose();
  model.dispose();
  return card;
}

function modelCard(c: { pairs: number; steps: number; before: Record<string, number>; after: Record<string, number>; minutes: number; backend: string; parameters: number }): string {
  const r = recipe;
  const f = (x: number) => x.toFixed(3);
  return `# bert-mini-sentence

A small sentence-embedding model trained by hands-on-llm (\`npm run train -- bert-mini-sentence\`): the offline
stand-in for the book's sentence-transformers models (all-MiniLM-L6-v2, all-mpnet-base-v2).

- **Base:** bert-mini-mlm (data/models/bert-mini-mlm: ${c.parameters} parameters, uncased WordPiece), mean pooling, L2-normalised
  (sentence-transformers layout: modules.json, 1_Pooling, 2_Normalize).
- **Data:** ${c.pairs} positive pairs — the same verse in the King James Version and the World English Bible (data/bible,
  public domain; every book but Luke and Romans) and the entailment pairs of the Factbook NLI set (data/nli).
- **Training:** MultipleNegativesRankingLoss (scale 20, in-batch negatives), batches of ${r.train.batchSize} without duplicate
  texts, ${c.steps} steps (${r.train.epochs} epoch), AdamW lr ${r.train.learningRate}, ${r.train.warmupRatio * 100} % warm-up then linear decay, weight
  decay ${r.train.weightDecay}, max ${r.maxSeqLength} tokens, seed ${r.seed}; ${c.minutes.toFixed(1)} minutes on the ${c.backend} backend.
- **Held out, before → after:** Spearman of cosine on 1,000 graded verse pairs of Luke and Romans (same verse 5,
  neighbour 3, same book 1, other 0) ${f(c.before.spearman_cosine)} → ${f(c.after.spearman_cosine)}; F1 of a logistic regression on the
  embeddings of the UCI sentiment sentences (data/sentiment) ${f(c.before.sentiment_probe_f1)} → ${f(c.after.sentiment_probe_f1)}.

**Limits:** a teaching model. Its encoder saw little text (bert-mini-mlm) and its pairs are mostly archaic
scripture, so it knows paraphrase of plain English better than it knows the world; expect far less than a
pretrained sentence-transformers model on any task.

Licence: derived from public-domain text and WordNet (WordNet licence, see data/nli/README.md); Apache-2.0 like the code.
`;
}
