# Authoring source of notebooks/10-creating-text-embedding-models.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 10 — Creating Text Embedding Models

An embedding model maps a sentence to a vector so that sentences with similar meaning land close together.
This chapter trains one with **contrastive learning**: show the model pairs that should be close (and pairs that
should not), with three losses in turn, and measures how well its cosine similarities rank graded sentence pairs.

* **offline (the default)** — the small BERT this library pre-trained itself (`bert-mini-mlm`, 1.36 M
  parameters, mean pooling) trained on an NLI set made from CIA World Factbook facts and WordNet (`data/nli`:
  entailment / neutral / contradiction correct by construction) and on real paraphrases: the same Bible verse in
  the King James Version and the World English Bible (`data/bible`). The evaluation pairs, the stand-in for
  STS-B, are graded Bible verse pairs from two books held out of all training (Luke and Romans): same verse in
  the two translations = 5, neighbouring verse = 3, same book = 1, other book = 0.
* **online** (`HOLLM_ONLINE=1`) — the book's `bert-base-uncased` on the first 50,000 rows of GLUE's MNLI and
  STS-B validation, exported from the Hub to JSON Lines (`$HOLLM_MNLI`: `train.jsonl`, `validation_matched.jsonl`;
  `$HOLLM_STSB`: `stsb_validation.jsonl`)."""),
code("""import {
  BertForSequenceClassification, CosineSimilarityLoss, CrossEncoder, DenoisingAutoEncoderLoss, EmbeddingSimilarityEvaluator,
  MultipleNegativesRankingLoss, NLI_LABELS, Rng, SentenceTransformer, SoftmaxLoss, augmentedSbert, barChart, bibleParaphrasePairs,
  bibleSimilarityPairs, dataDir, denoisingExamples, initEngine, loadBibleVerses, loadNli, loadStsb, lossChart, modeBanner,
  settings, show, splitBibleBooks, trainSentenceTransformer,
  type InputExample, type NliExample, type ScoredPair,
} from "hands-on-llm";
import * as path from "path";

console.log(modeBanner());
await initEngine();"""),
md("""## 10.4 Creating an embedding model

### Data: natural-language inference

Each example is a premise, a hypothesis and a label: 0 = entailment, 1 = neutral, 2 = contradiction (MNLI's
order). The book takes 50,000 MNLI rows; offline a few thousand keep each training run to about a minute."""),
code("""const nli: { train: NliExample[] } = settings.online ? loadNli(process.env.HOLLM_MNLI ?? ".") : loadNli();
const trainRows = settings.online ? 50_000 : 2_048;
const trainDataset = new Rng(42).shuffle([...nli.train]).slice(0, trainRows);
console.log(`${nli.train.length.toLocaleString()} NLI training rows, using ${trainDataset.length.toLocaleString()}`);
for (const label of [0, 1, 2]) {
  const row = trainDataset.find((r) => r.label === label)!;
  console.log({ premise: row.premise, hypothesis: row.hypothesis, label: `${label} (${NLI_LABELS[label]})` });
}"""),
md("""### The evaluator

`EmbeddingSimilarityEvaluator` embeds both sentences of every pair and correlates their cosine similarity (and
Manhattan, Euclidean and dot-product scores) with the gold scores. Spearman's rank correlation of the cosine is
the number to watch."""),
code("""const verses = loadBibleVerses();
const bible = splitBibleBooks(verses); // Luke and Romans held out
const sts: ScoredPair[] = settings.online ? loadStsb() : bibleSimilarityPairs(bible.test, { n: 1_000, seed: 1 });
const evaluator = new EmbeddingSimilarityEvaluator(sts.map((p) => p.sentence1), sts.map((p) => p.sentence2), sts.map((p) => p.score));
console.log(`${sts.length} evaluation pairs, e.g.`, sts.slice(0, 2));

const baseModel = settings.online ? "bert-base-uncased" : path.join(dataDir(), "models", "bert-mini-mlm");
const maxSeqLength = settings.online ? 128 : 64;
const spearman: { model: string; spearman_cosine: number }[] = [];
async function evaluateModel(name: string, model: SentenceTransformer) {
  const scores = evaluator.evaluate(model);
  spearman.push({ model: name, spearman_cosine: scores.spearman_cosine });
  console.log(`${name}: spearman_cosine ${scores.spearman_cosine.toFixed(3)}`);
  return scores;
}
let embeddingModel = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
console.log(await evaluateModel("base model (no contrastive training)", embeddingModel));"""),
md("""### Softmax loss

The first SBERT recipe: embed premise and hypothesis separately (u, v), concatenate (u, v, |u − v|) and classify
the three labels with a linear layer. The book's arguments: one epoch, batches of 32, 100 warm-up steps; offline
a larger learning rate for the small model."""),
code("""const args = { learningRate: settings.online ? 5e-5 : 5e-4, warmupSteps: settings.online ? 100 : 10, loggingSteps: 10 };
const batchSize = 32;
const nliExamples: InputExample[] = trainDataset.map((r) => ({ texts: [r.premise, r.hypothesis], label: r.label }));
let trainLoss: SoftmaxLoss | CosineSimilarityLoss | MultipleNegativesRankingLoss = new SoftmaxLoss(embeddingModel, { numLabels: 3 });
const softmaxRun = await trainSentenceTransformer({ loss: trainLoss, trainExamples: nliExamples, batchSize: batchSize, epochs: 1, args: args });
const softmaxScores = await evaluateModel("softmax loss (NLI)", embeddingModel);"""),
md("""### Cosine similarity loss

Regress the cosine similarity of the two embeddings on a score: entailment = 1, neutral and contradiction = 0
(the book's `mapping = {2: 0, 1: 0, 0: 1}`)."""),
code("""embeddingModel = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
const mapping: Record<number, number> = { 2: 0, 1: 0, 0: 1 };
const cosineExamples: InputExample[] = trainDataset.map((r) => ({ texts: [r.premise, r.hypothesis], label: mapping[r.label] }));
trainLoss = new CosineSimilarityLoss(embeddingModel);
const cosineRun = await trainSentenceTransformer({ loss: trainLoss, trainExamples: cosineExamples, batchSize: batchSize, epochs: 1, args: args });
const cosineScores = await evaluateModel("cosine similarity loss (NLI)", embeddingModel);"""),
md("""### Multiple negatives ranking loss

Only positive pairs are needed: in a batch of (anchor, positive) pairs every other positive is a negative, and the
loss is the cross-entropy of picking the right one among them (similarities × 20). As in the book: entailment pairs
with a random hypothesis as an extra negative, and batches without duplicate texts."""),
code("""embeddingModel = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
const entailments = nli.train.filter((r) => r.label === 0).slice(0, trainRows);
const allHypotheses = nli.train.map((r) => r.hypothesis);
const rng = new Rng(42);
const mnrExamples: InputExample[] = entailments.map((r) => ({ texts: [r.premise, r.hypothesis, allHypotheses[rng.int(allHypotheses.length)]] }));
trainLoss = new MultipleNegativesRankingLoss(embeddingModel);
const mnrRun = await trainSentenceTransformer({ loss: trainLoss, trainExamples: mnrExamples, batchSize: batchSize, epochs: 1, batchSampler: "no_duplicates", args: args });
const mnrScores = await evaluateModel("MNR loss (NLI entailments)", embeddingModel);"""),
md("""The same loss on real paraphrases, the shape of data most embedding models are trained on: a verse of the
King James Version as anchor, the same verse in the World English Bible as positive (from the books not held
out)."""),
code("""const paraphrases = new Rng(7).shuffle(bibleParaphrasePairs(bible.train)).slice(0, trainRows);
console.log(paraphrases[0]);
embeddingModel = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
trainLoss = new MultipleNegativesRankingLoss(embeddingModel);
const bibleRun = await trainSentenceTransformer({ loss: trainLoss, trainExamples: paraphrases.map((p) => ({ texts: [p.anchor, p.positive] })), batchSize: batchSize, epochs: 1, batchSampler: "no_duplicates", args: args });
const bibleScores = await evaluateModel("MNR loss (Bible paraphrases)", embeddingModel);"""),
code("""for (const [name, run] of [["softmax", softmaxRun], ["cosine", cosineRun], ["MNR (NLI)", mnrRun], ["MNR (Bible)", bibleRun]] as const) {
  console.log(`${name}: ${run.globalStep} steps, last logged loss ${run.logHistory.filter((r) => r.loss !== undefined).slice(-1)[0]?.loss?.toFixed(3)}`);
}
await show(lossChart(mnrRun.logHistory, "MNR loss on the NLI entailment pairs"));"""),
md("""## 10.5 Fine-tuning an embedding model

Instead of starting from a masked-LM BERT, start from a model already trained to embed sentences and adapt it
to the task's pairs. The book fine-tunes `all-MiniLM-L6-v2` with MNR on the MNLI entailments; offline the
starting point is `bert-mini-sentence`, the model this library trained with the same loss on the Bible
paraphrases and NLI entailments of the training books (`npm run train -- bert-mini-sentence`)."""),
code("""const pretrainedEmbedder = settings.online ? "sentence-transformers/all-MiniLM-L6-v2" : path.join(dataDir(), "models", "bert-mini-sentence");
embeddingModel = await SentenceTransformer.fromPretrained(pretrainedEmbedder, { maxSeqLength: maxSeqLength });
const pretrainedScores = await evaluateModel("pretrained embedding model", embeddingModel);
trainLoss = new MultipleNegativesRankingLoss(embeddingModel);
await trainSentenceTransformer({ loss: trainLoss, trainExamples: mnrExamples, batchSize: batchSize, epochs: 1, batchSampler: "no_duplicates", args: { ...args, learningRate: settings.online ? 2e-5 : 1e-4 } });
const finetunedScores = await evaluateModel("pretrained, fine-tuned with MNR (NLI)", embeddingModel);"""),
md("""## 10.6 Augmented SBERT

Labelled pairs are expensive. Train a **cross-encoder** (both sentences through BERT together, a score out) on a
small gold set, let it label many unlabelled pairs (silver), then train the bi-encoder on gold + silver. The
book: 10,000 gold pairs, 40,000 silver; offline 1,024 of each, against the bi-encoder trained on the gold
pairs alone. The method stands on the cross-encoder: offline, one epoch of 1,024 pairs barely moves the small
masked-LM BERT (its silver scores stay within a few hundredths of the base rate of entailment), so here the
silver labels add noise rather than knowledge — the range printed below shows it."""),
code("""const goldSize = settings.online ? 10_000 : 1_024, silverSize = settings.online ? 40_000 : 1_024;
const gold = cosineExamples.slice(0, goldSize);
const silverPairs: Array<[string, string]> = trainDataset.slice(goldSize, goldSize + silverSize).map((r) => [r.premise, r.hypothesis]);
const crossEncoder = new CrossEncoder(await BertForSequenceClassification.fromPretrained(baseModel, { num_labels: 1 }), embeddingModel.tokenizer, { maxLength: 2 * maxSeqLength });
const biEncoder = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
const augmented = await augmentedSbert({
  crossEncoder: crossEncoder, biEncoder: biEncoder, gold: gold, silverPairs: silverPairs,
  crossEncoderFit: { batchSize: 16, epochs: settings.online ? 1 : 2, args: { learningRate: args.learningRate, warmupSteps: 10 } },
  biEncoderFit: { batchSize: batchSize, epochs: 1, args: args },
});
console.log("silver labels (cross-encoder scores):", augmented.silver.slice(0, 3).map((e) => ({ texts: e.texts, label: Number(e.label!.toFixed(3)) })));
const silverScores = augmented.silver.map((e) => e.label!);
console.log(`silver scores from ${Math.min(...silverScores).toFixed(3)} to ${Math.max(...silverScores).toFixed(3)}; gold entailment share ${(gold.filter((e) => e.label === 1).length / gold.length).toFixed(3)}`);
const augmentedScores = await evaluateModel("augmented SBERT (gold + silver)", biEncoder);
const goldOnly = await SentenceTransformer.fromPretrained(baseModel, { maxSeqLength: maxSeqLength });
await trainSentenceTransformer({ loss: new CosineSimilarityLoss(goldOnly), trainExamples: gold, batchSize: batchSize, epochs: 1, args: args });
const goldOnlyScores = await evaluateModel("gold pairs only", goldOnly);"""),
md("""## 10.7 Unsupervised learning: TSDAE

No labels at all: delete about 60 % of the words of a sentence, embed what is left ([CLS] pooling) and train a
decoder, tied to the encoder, to rebuild the original sentence from that one vector. Offline on unlabelled
verses from the training books."""),
code("""const sentences = new Rng(3).shuffle(bible.train.map((v) => v.web)).slice(0, settings.online ? 10_000 : 1_024);
const tsdaeExamples = denoisingExamples(sentences, { seed: 42 });
console.log(tsdaeExamples[0].texts);
const tsdaeModel = await SentenceTransformer.fromPretrained(baseModel, { pooling: "cls", maxSeqLength: maxSeqLength });
const tsdaeLoss = new DenoisingAutoEncoderLoss(tsdaeModel);
await trainSentenceTransformer({ loss: tsdaeLoss, trainExamples: tsdaeExamples, batchSize: 16, epochs: 1, args: { learningRate: settings.online ? 3e-5 : 5e-4, loggingSteps: 10 } });
const tsdaeScores = await evaluateModel("TSDAE (unlabelled verses)", tsdaeModel);"""),
md("""## Results

Spearman rank correlation between cosine similarity and the graded scores on the held-out pairs (the book, on
STS-B with bert-base-uncased: softmax 0.45 → cosine 0.73 → MNR 0.81)."""),
code("""console.table(spearman.map((r) => ({ model: r.model, spearman_cosine: r.spearman_cosine.toFixed(3) })));
await show(barChart({ data: spearman, x: "model", y: "spearman_cosine", horizontal: true, title: "Spearman (cosine) on held-out graded pairs" }));"""),
]

write_notebook(cells, "notebooks/10-creating-text-embedding-models.ipynb", budget_s=900)
