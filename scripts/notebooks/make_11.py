# Authoring source of notebooks/11-fine-tuning-representation-models.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 11 — Fine-Tuning Representation Models for Classification

Chapter 4 used pretrained models as they were. Here the model itself learns the task:

1. **supervised classification** — the encoder *and* a classification head trained together, then the same
   with parts of the encoder frozen;
2. **continued pre-training** with masked-language modelling on the task's own texts, before fine-tuning.

* **offline (the default)** — the UCI Sentiment Labelled Sentences (`data/sentiment`, a fixed 2,400 / 600
  split) and `bert-mini-mlm`, the small BERT this library pre-trained itself (1.36 M parameters, 4 layers).
* **online** (`HOLLM_ONLINE=1`) — the book's `bert-base-cased` from the Hugging Face Hub (its safetensors load
  straight into the lib's BERT) on `rotten_tomatoes` exported to JSON Lines (`rotten_tomatoes_train.jsonl` /
  `rotten_tomatoes_test.jsonl`, columns `text`, `label`, in `$HOLLM_ROTTEN_TOMATOES` or the working folder).
  Expect hours on a CPU: the book trains on a GPU."""),
code("""import {
  AutoTokenizer, BertForMaskedLM, BertForSequenceClassification, barChart, dataDir, f1Score, fillMask,
  initEngine, loadRottenTomatoes, loadSentiment, lossChart, modeBanner, parameterTable, predictLabels, settings, show, stepsForEpochs,
  trainMaskedLM, trainSequenceClassification,
  type LabelledText,
} from "hands-on-llm";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

console.log(modeBanner());
await initEngine();"""),
code("""const data: { train: LabelledText[]; test: LabelledText[] } = settings.online ? loadRottenTomatoes() : loadSentiment();
const trainTexts = data.train.map((r) => r.text), trainLabels = data.train.map((r) => r.label);
const testTexts = data.test.map((r) => r.text), testLabels = data.test.map((r) => r.label);
const modelId = settings.online ? "bert-base-cased" : path.join(dataDir(), "models", "bert-mini-mlm");
const id2label = { "0": "negative", "1": "positive" };
console.log(`train ${trainTexts.length}, test ${testTexts.length}; model ${settings.online ? modelId : "bert-mini-mlm"}`);"""),
md("""## 11.1 Supervised classification

`BertForSequenceClassification` is the encoder with a linear layer on its pooled `[CLS]` vector. Printing the
named parameters shows the layers we can choose to train or to freeze, as the book does."""),
code("""const tokenizer = await AutoTokenizer.fromPretrained(modelId);
let model = await BertForSequenceClassification.fromPretrained(modelId, { id2label: id2label });
for (const [name, param] of model.namedParameters()) console.log(name.padEnd(56), `[${param.shape.join(", ")}]`);
console.log(`${model.numParameters().toLocaleString()} parameters`);"""),
md("""The book's `TrainingArguments(learning_rate=2e-5, per_device_train_batch_size=16, num_train_epochs=1,
weight_decay=0.01)` are for a pretrained `bert-base-cased`. The small offline encoder needs more: a larger
learning rate and two epochs of batches of 32 (with one epoch of 16 its loss has barely left 0.69, chance, when
training ends; its pooler starts untrained). `compute_metrics` is the F1 of the positive class."""),
code("""const batchSize = settings.online ? 16 : 32, epochs = settings.online ? 1 : 2;
const trainingArgs = {
  maxSteps: stepsForEpochs(trainTexts.length, batchSize, epochs),
  learningRate: settings.online ? 2e-5 : 5e-4,
  weightDecay: 0.01,
  warmupRatio: 0.1,
  loggingSteps: 10,
};
const f1Results: { setting: string; f1: number; trainable: number }[] = [];

async function trainAndEvaluate(setting: string, m: BertForSequenceClassification, learningRate = trainingArgs.learningRate) {
  const trainable = m.trainableParameters().reduce((n, [, p]) => n + p.size, 0);
  const t0 = performance.now();
  const out = await trainSequenceClassification(m, tokenizer, { texts: trainTexts, labels: trainLabels }, { batchSize: batchSize, args: { ...trainingArgs, learningRate: learningRate } });
  const f1 = f1Score(testLabels, predictLabels(m, tokenizer, testTexts));
  console.log(`${setting}: F1 ${f1.toFixed(3)} (${trainable.toLocaleString()} trainable parameters, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  f1Results.push({ setting: setting, f1: f1, trainable: trainable });
  return out;
}

const full = await trainAndEvaluate("full fine-tuning", model);
await show(lossChart(full.logHistory, "Full fine-tuning: training loss"));"""),
md("""### Freezing layers

Only the classification head learns; everything else keeps its pretrained values (the book's first
experiment, F1 0.64 against 0.80 for full fine-tuning on rotten_tomatoes). Offline, a linear head on the small
encoder's pooled vector barely moves at the shared learning rate (F1 0 after two epochs: it still answers
"negative" for everything), so the head alone gets SetFit's head learning rate, 1e-2."""),
code("""model = await BertForSequenceClassification.fromPretrained(modelId, { id2label: id2label });
for (const [name, param] of model.namedParameters()) {
  // Trainable classification head, everything else frozen
  param.trainable = name.startsWith("classifier");
}
console.log(parameterTable(model).text);  // the book's `print(name, param.requires_grad)` loop
await trainAndEvaluate("classification head only", model, settings.online ? trainingArgs.learningRate : 1e-2);"""),
md("""Between the two: freeze the embeddings and the lower half of the encoder blocks, train the upper blocks,
the pooler and the head (the book freezes the first 11 of bert-base's 12 blocks: index 165 of its named
parameters)."""),
code("""model = await BertForSequenceClassification.fromPretrained(modelId, { id2label: id2label });
const frozenBlocks = Math.floor(model.config.num_hidden_layers / 2);
const firstTrainable = model.namedParameters().findIndex(([name]) => name.startsWith(`bert.encoder.layer.${frozenBlocks}.`));
model.namedParameters().forEach(([name, param], index) => {
  param.trainable = index >= firstTrainable;
});
console.log(`frozen: the ${firstTrainable} parameters before bert.encoder.layer.${frozenBlocks}`);
await trainAndEvaluate(`blocks ${frozenBlocks}+ and head`, model);"""),
md("""## 11.3 Continued pre-training with masked-language modelling

Before fine-tuning for the task, let the encoder read the task's own texts with its pre-training objective:
15 % of the tokens are chosen, 80 % of those become `[MASK]`, 10 % a random token, 10 % stay, and the model
learns to restore them (`DataCollatorForLanguageModeling(mlm_probability=0.15)`). First, what the
pre-trained model fills in:"""),
code("""const mlm = await BertForMaskedLM.fromPretrained(modelId);
const maskedSentence = "What a horrible [MASK]!";
const fillBefore = fillMask(mlm, tokenizer, maskedSentence);
console.log(fillBefore.map((pred) => `>>> ${pred.sequence}   (${pred.score.toFixed(3)})`).join("\\n"));"""),
code("""const mlmEpochs = settings.online ? 10 : 1;
const mlmArgs = { maxSteps: stepsForEpochs(trainTexts.length, batchSize, mlmEpochs), learningRate: settings.online ? 2e-5 : 5e-4, weightDecay: 0.01, loggingSteps: 10 };
const mlmOut = await trainMaskedLM(mlm, tokenizer, trainTexts, { batchSize: batchSize, args: mlmArgs });
await show(lossChart(mlmOut.logHistory, "Masked-LM on the review sentences"));
const fillAfter = fillMask(mlm, tokenizer, maskedSentence);
console.log(fillAfter.map((pred) => `>>> ${pred.sequence}   (${pred.score.toFixed(3)})`).join("\\n"));"""),
md("""The book saves the result (`model.save_pretrained("mlm")`) and fine-tunes it for classification like any
checkpoint: its masked-LM head is dropped and a new classification head is added."""),
code("""const mlmDir = fs.mkdtempSync(path.join(os.tmpdir(), "mlm-"));
mlm.savePretrained(mlmDir); // the tokenizer is unchanged: keep using the one loaded above
model = await BertForSequenceClassification.fromPretrained(mlmDir, { id2label: id2label });
await trainAndEvaluate("masked-LM on the texts, then full fine-tuning", model);"""),
md("""## Results"""),
code("""console.table(f1Results.map((r) => ({ setting: r.setting, F1: r.f1.toFixed(3), "trainable parameters": r.trainable.toLocaleString() })));
await show(barChart({ data: f1Results, x: "setting", y: "f1", title: "F1 on the test split by what was trained" }));"""),
]

write_notebook(cells, "notebooks/11-fine-tuning-representation-models.ipynb", budget_s=600)
