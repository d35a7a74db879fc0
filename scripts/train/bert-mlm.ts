/**
 * `npm run train -- bert-mini-mlm`: the offline stand-in for the book's pretrained encoders. A WordPiece
 * tokenizer and a small BERT trained with masked-language modelling (15 %, 80/10/10) on the shipped
 * public-domain corpora of modern English (State of the Union speeches, the CIA World Factbook, the Brown
 * corpus), written to data/models/bert-mini-mlm with a model card.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BertForMaskedLM, IGNORE_INDEX, Rng, Trainer, brownText, initEngine, loadBrown, loadFactbook, loadSotu, maskTokens, tf, trainWordPiece,
  writeFileAtomic,
} from "hands-on-llm";

export const recipe = {
  name: "bert-mini-mlm",
  vocabSize: 4096,
  seqLength: 128,
  model: { hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 512, max_position_embeddings: 128 },
  train: { maxSteps: 1500, batchSize: 12, learningRate: 1e-3, warmupSteps: 60, weightDecay: 0.01, lrSchedulerType: "linear" as const },
  seed: 42,
};

export async function trainBertMlm(outDir: string, steps = recipe.train.maxSteps): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const started = Date.now();
  // Modern English of several registers: speeches, encyclopaedic prose, and Brown's 15 genres (news,
  // reviews, fiction, science ...). The Brown sentences are shuffled by document so no genre comes last.
  const brown = loadBrown();
  const text = [
    loadSotu().map((s) => s.text).join("\n\n"),
    loadFactbook().map((d) => d.text).join("\n\n"),
    brown.map((s) => brownText(s)).join(" "),
  ].join("\n\n");
  const tokenizer = trainWordPiece(text, { vocabSize: recipe.vocabSize, modelMaxLength: recipe.seqLength });
  // One stream of word pieces; each example is a window of it between [CLS] and [SEP].
  const stream = Int32Array.from(tokenizer.encode(text, { addSpecialTokens: false }));
  const split = Math.floor(stream.length * 0.95);
  const [cls, sep, mask] = ["[CLS]", "[SEP]", "[MASK]"].map((t) => tokenizer.encode(t, { addSpecialTokens: false })[0]);
  const specialIds = [0, 1, 2, 3, 4]; // [PAD] [UNK] [CLS] [SEP] [MASK], the trainer's first ids
  const inner = recipe.seqLength - 2;
  const windows = (from: number, to: number, count: number, rng: Rng) =>
    Array.from({ length: count }, () => {
      const start = from + rng.int(to - from - inner);
      return [cls, ...stream.subarray(start, start + inner), sep];
    });
  const batchAt = (rows: number[][], rng: Rng) => {
    const { inputIds, labels } = maskTokens(rows, { maskTokenId: mask, vocabSize: tokenizer.vocabSize, specialIds }, rng);
    return { inputIds: tf.tensor2d(inputIds, undefined, "int32"), labels: tf.tensor2d(labels, undefined, "int32") };
  };
  const model = new BertForMaskedLM({ ...recipe.model, vocab_size: tokenizer.vocabSize }, { seed: recipe.seed });
  const heldOut = Array.from({ length: 8 }, (_, i) => batchAt(windows(split, stream.length, 16, new Rng(900 + i)), new Rng(950 + i)));
  const evaluate = async () => {
    let loss = 0, correct = 0, total = 0;
    for (const b of heldOut) {
      const { l, c, n } = tf.tidy(() => {
        const out = model.forward({ inputIds: b.inputIds, labels: b.labels });
        const chosen = tf.notEqual(b.labels, IGNORE_INDEX);
        const hits = tf.logicalAnd(chosen, tf.equal(tf.argMax(out.logits, -1), b.labels));
        return { l: out.loss!.dataSync()[0], c: tf.sum(tf.cast(hits, "int32")).dataSync()[0], n: tf.sum(tf.cast(chosen, "int32")).dataSync()[0] };
      });
      loss += l; correct += c; total += n;
    }
    return { eval_loss: loss / heldOut.length, eval_accuracy: correct / total };
  };
  const before = await evaluate();
  const trainer = new Trainer({
    model,
    args: { ...recipe.train, maxSteps: steps, loggingSteps: 25, evalSteps: 100, seed: recipe.seed },
    batch: (i) => batchAt(windows(0, split, recipe.train.batchSize, new Rng(recipe.seed * 100_003 + i)), new Rng(recipe.seed * 7919 + i)),
    loss: (b) => model.forward({ inputIds: b.inputIds, labels: b.labels }).loss!,
    evaluate,
  });
  const out = await trainer.train();
  const after = await evaluate();
  const fill = tf.tidy(() => {
    const ids = tokenizer.encode("the president said that the [MASK] of the united states is strong.");
    const at = ids.indexOf(mask);
    const logits = model.forward({ inputIds: tf.tensor2d([ids], undefined, "int32") }).logits;
    const row = tf.slice(logits, [0, at, 0], [1, 1, -1]).reshape([-1]);
    return Array.from(tf.topk(row, 5).indices.dataSync()).map((id) => tokenizer.decode([id]));
  });
  const minutes = (Date.now() - started) / 60000;

  fs.mkdirSync(outDir, { recursive: true });
  model.savePretrained(outDir);
  tokenizer.save(outDir);
  writeFileAtomic(path.join(outDir, "training_log.json"), JSON.stringify(out.logHistory, null, 1) + "\n");
  const card = { tokens: stream.length, parameters: model.numParameters(), steps, before, after, minutes, backend: engine.backend, fill };
  writeFileAtomic(path.join(outDir, "README.md"), modelCard(card));
  heldOut.forEach((b) => tf.dispose(b));
  model.dispose();
  trainer.dispose();
  return card;
}

function modelCard(c: { tokens: number; parameters: number; steps: number; before: Record<string, number>; after: Record<string, number>; minutes: number; backend: string; fill: string[] }): string {
  const r = recipe;
  const f = (x: number) => Number(x.toFixed(3));
  return `# bert-mini-mlm

A small BERT trained from scratch by hands-on-llm (\`npm run train -- bert-mini-mlm\`) with masked-language
modelling: the offline stand-in for the book's pretrained encoders (bert-base-uncased and friends). A
teaching model: it has learned common words and syntax of modern English prose, not much more.

- **Data:** State of the Union speeches 1790-2021, the CIA World Factbook (2015) section texts and the Brown corpus
  (data/sotu, data/factbook, data/brown; public domain / redistribution permitted), ${c.tokens} word pieces; the last 5 % held out.
- **Tokenizer:** WordPiece (uncased, BERT normaliser) trained on the same text, ${r.vocabSize} tokens, [PAD] [UNK] [CLS] [SEP] [MASK] = ids 0-4.
- **Model:** BERT, ${r.model.num_hidden_layers} layers, hidden ${r.model.hidden_size}, ${r.model.num_attention_heads} heads, intermediate
  ${r.model.intermediate_size}, ${r.model.max_position_embeddings} positions, ${c.parameters} parameters (BertForMaskedLM; no pooler).
- **Training:** ${c.steps} steps of ${r.train.batchSize} windows of ${r.seqLength} tokens ([CLS] … [SEP]), 15 % of tokens chosen
  (80 % [MASK], 10 % random, 10 % kept), AdamW (lr ${r.train.learningRate}, weight decay ${r.train.weightDecay}),
  ${r.train.warmupSteps} warm-up steps then linear decay, seed ${r.seed}; ${f(c.minutes)} minutes on the ${c.backend} backend.
- **Held-out masked tokens:** loss ${f(c.before.eval_loss)} → ${f(c.after.eval_loss)} (ln ${r.vocabSize} = ${Math.log(r.vocabSize).toFixed(3)}),
  accuracy ${f(c.before.eval_accuracy)} → ${f(c.after.eval_accuracy)}.

Fill-mask, "the president said that the [MASK] of the united states is strong.": ${c.fill.map((t) => `\`${t}\``).join(", ")}.

**Limits, measured:** after ${c.steps} steps the model still mostly predicts frequent words (see the fill-mask
above): masked-LM needs far more updates than a few minutes of a 2-core CPU give before it uses context
well. Its mean-pooled embeddings are therefore weak sentence vectors; chapters 4 and 5 report how they fare
against TF-IDF, and chapter 10's contrastive training is the way to good ones.

Files: config.json + model.safetensors (HF BERT names: loads with \`BertForMaskedLM.from_pretrained\`),
tokenizer.json + tokenizer_config.json + vocab.txt, training_log.json. Licence: derived from public-domain
text; Apache-2.0 like the code.
`;
}
