import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initEngine } from "../lib/engine";
import {
  CLIP_LOGIT_SCALE_INIT, Conv2d, attributeKey, TinyCLIPModel, WordVocab, clipLoss, clipRetrievalAccuracy, colourShapePairs, compositionalSplit,
  conv2dSame, makeShapeDataset, retrievalAccuracy, sampleContrastiveBatch, shapePrompt, trainTinyClip, zeroShotClassify,
} from "../lib/multimodal";
import { Rng } from "../lib/util/random";

const rand = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.random() * 2 - 1);

/** Symmetric InfoNCE in float64, from the paper's pseudo-code: CE over rows and over columns, averaged. */
function infoNce64(logits: number[][]): number {
  const n = logits.length;
  const ce = (row: number[], target: number) => {
    const max = Math.max(...row);
    return Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max - row[target];
  };
  let rows = 0, cols = 0;
  for (let i = 0; i < n; i++) {
    rows += ce(logits[i], i);
    cols += ce(logits.map((r) => r[i]), i);
  }
  return (rows / n + cols / n) / 2;
}

test("clipLoss equals the float64 symmetric InfoNCE, and is not symmetric in its rows alone", async () => {
  await initEngine({ verbose: false });
  const rng = new Rng(1);
  const logits = Array.from({ length: 5 }, () => rand(rng, 5).map((v) => v * 10));
  const got = tf.tidy(() => clipLoss(tf.tensor2d(logits)).dataSync()[0]);
  const expected = infoNce64(logits);
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
  // A hand case: 2 x 2 logits [[2, 0], [1, 1]]: rows: log(e^2 + 1) - 2, log(2 e) - 1 = log 2; columns: log(e^2 + e) - 2, log(2) ... by formula.
  const hand = [[2, 0], [1, 1]];
  const rowLoss = (Math.log(Math.exp(2) + 1) - 2 + Math.log(2)) / 2;
  const colLoss = (Math.log(Math.exp(2) + Math.exp(1)) - 2 + Math.log(Math.exp(0) + Math.exp(1)) - 1) / 2;
  const handGot = tf.tidy(() => clipLoss(tf.tensor2d(hand)).dataSync()[0]);
  assert.ok(Math.abs(handGot - (rowLoss + colLoss) / 2) < 1e-6, `${handGot} vs ${(rowLoss + colLoss) / 2}`);
  assert.throws(() => clipLoss(tf.zeros([2, 3]) as tf.Tensor2D), /square/);
});

test("TinyCLIPModel: logits are exp(logit_scale) x cosine of the projected features, logit_scale starts at log(1/0.07)", async () => {
  await initEngine({ verbose: false });
  const data = makeShapeDataset({ count: 6, seed: 5 });
  const vocab = WordVocab.fromTexts(data.map((e) => e.caption));
  const model = new TinyCLIPModel({ vocabSize: vocab.size, seed: 3 });
  assert.ok(Math.abs(model.logit_scale.dataSync()[0] - Math.log(1 / 0.07)) < 1e-6 && CLIP_LOGIT_SCALE_INIT === Math.log(1 / 0.07));
  const names = model.namedParameters().map(([n]) => n);
  for (const n of ["vision_model.convs.0.weight", "text_model.embeddings.weight", "visual_projection.weight", "text_projection.weight", "logit_scale"]) assert.ok(names.includes(n), n);
  const before = tf.memory().numTensors;
  const pixelValues = tf.tensor4d(Float32Array.from(data.flatMap((e) => [...e.pixels])), [6, 32, 32, 3]);
  const { inputIds, attentionMask } = vocab.batch(data.map((e) => e.caption));
  const out = model.forward({ pixelValues, inputIds, attentionMask });
  const img = tf.tidy(() => model.getImageFeatures(pixelValues).arraySync() as number[][]);
  const txt = tf.tidy(() => model.getTextFeatures(inputIds, attentionMask).arraySync() as number[][]);
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const logitsPerText = out.logitsPerText.arraySync() as number[][];
  const logitsPerImage = out.logitsPerImage.arraySync() as number[][];
  for (let t = 0; t < 6; t++) {
    for (let i = 0; i < 6; i++) {
      const cos = txt[t].reduce((s, x, k) => s + x * img[i][k], 0) / (norm(txt[t]) * norm(img[i]));
      assert.ok(Math.abs(logitsPerText[t][i] - cos / 0.07) < 1e-3, `logit ${logitsPerText[t][i]} vs ${cos / 0.07}`);
      assert.equal(logitsPerImage[i][t], logitsPerText[t][i]);
    }
  }
  const loss = clipLoss(out.logitsPerText);
  assert.ok(Math.abs(loss.dataSync()[0] - infoNce64(logitsPerText)) < 1e-4);
  tf.dispose([pixelValues, inputIds, attentionMask, out.logitsPerImage, out.logitsPerText, out.imageEmbeds, out.textEmbeds, loss]);
  assert.equal(tf.memory().numTensors, before, "forward leaks tensors");
  // The scale is clipped at 100, as the paper does.
  model.logit_scale.assign(tf.scalar(10));
  assert.ok(Math.abs(tf.tidy(() => model.logitScale().dataSync()[0]) - 100) < 1e-3);
  model.dispose();
});

/** 'same' convolution in float64: out[b, y, x, o] = bias[o] + sum in[b, y + i - p, x + j - p, c] w[o, c, i, j]. */
function conv64(x: number[], [B, H, W, C]: number[], w: number[], O: number, k: number): number[] {
  const p = (k - 1) / 2;
  const out = new Array(B * H * W * O).fill(0);
  for (let b = 0; b < B; b++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) for (let o = 0; o < O; o++) {
    let s = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < C; c++) {
      const yy = y + i - p, xj = xx + j - p;
      if (yy < 0 || yy >= H || xj < 0 || xj >= W) continue;
      s += x[((b * H + yy) * W + xj) * C + c] * w[((o * C + c) * k + i) * k + j];
    }
    out[((b * H + y) * W + xx) * O + o] = s;
  }
  return out;
}

test("Conv2d (PyTorch weight layout) and its hand-written gradients match float64 loops and finite differences", async () => {
  await initEngine({ verbose: false });
  const rng = new Rng(9);
  const [B, H, W, C, O, k] = [2, 5, 4, 3, 2, 3];
  const conv = new Conv2d(C, O, k, rng);
  const xs = rand(rng, B * H * W * C);
  const g = rand(rng, B * H * W * O); // the loss is sum(conv(x) * g), so dL/dout = g
  const w = Array.from(conv.weight.dataSync());
  const x = tf.tensor4d(xs, [B, H, W, C]);
  const y = Array.from(tf.tidy(() => conv.forward(x)).dataSync());
  const expected = conv64(xs, [B, H, W, C], w, O, k);
  y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `out ${i}: ${v} vs ${expected[i]}`));
  const lossOf = (xv: number[], wv: number[]) => conv64(xv, [B, H, W, C], wv, O, k).reduce((s, v, i) => s + v * g[i], 0);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(conv.forward(x), tf.tensor4d(g, [B, H, W, O]))) as tf.Scalar, [conv.weight]);
  const dw = Array.from(grads[conv.weight.name].dataSync());
  // The loss is linear in w (and in x), so central differences are exact up to rounding.
  for (let i = 0; i < w.length; i++) {
    const plus = w.slice(), minus = w.slice();
    plus[i] += 0.5;
    minus[i] -= 0.5;
    assert.ok(Math.abs(dw[i] - (lossOf(xs, plus) - lossOf(xs, minus))) < 1e-4, `dw ${i}: ${dw[i]}`);
  }
  const dx = Array.from(tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(conv.forward(xi as tf.Tensor4D), tf.tensor4d(g, [B, H, W, O]))))(x)).dataSync());
  for (let i = 0; i < xs.length; i += 5) {
    const plus = xs.slice(), minus = xs.slice();
    plus[i] += 0.5;
    minus[i] -= 0.5;
    assert.ok(Math.abs(dx[i] - (lossOf(plus, w) - lossOf(minus, w))) < 1e-4, `dx ${i}: ${dx[i]}`);
  }
  // conv2dSame alone agrees with tf.conv2d's own forward.
  const filter = tf.randomNormal([k, k, C, O], 0, 1, "float32", 1) as tf.Tensor4D;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(conv2dSame(x, filter), tf.conv2d(x, filter, 1, "same")))).dataSync()[0]);
  assert.ok(diff < 1e-6);
  tf.dispose([x, filter, ...Object.values(grads)]);
  conv.dispose();
  assert.throws(() => new Conv2d(3, 4, 2, rng), /odd/);
});

test("WordVocab pads, masks and maps unknown words; retrievalAccuracy counts diagonal hits", () => {
  const vocab = WordVocab.fromTexts(["a red circle", "a blue square on the left"]);
  assert.deepEqual(vocab.words.slice(0, 2), ["[PAD]", "[UNK]"]);
  assert.deepEqual(vocab.encode("A red, circle!"), [vocab.encode("a")[0], vocab.encode("red")[0], vocab.encode("circle")[0]]);
  assert.deepEqual(vocab.encode("a green circle", 5), [vocab.encode("a")[0], 1, vocab.encode("circle")[0], 0, 0]);
  const { inputIds, attentionMask } = vocab.batch(["a red circle", "a blue square on the left"]);
  assert.deepEqual(inputIds.shape, [2, 6]);
  assert.deepEqual(attentionMask.arraySync(), [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]);
  tf.dispose([inputIds, attentionMask]);
  // Row 0 hits, row 1 misses (0.9 > 0.5), row 2 ties with another column (counts as a miss at k = 1).
  const sims = [[0.9, 0.1, 0.2], [0.9, 0.5, 0.1], [0.3, 0.7, 0.7]];
  assert.equal(retrievalAccuracy(sims), 1 / 3);
  assert.equal(retrievalAccuracy(sims, 2), 1);
  const data = makeShapeDataset({ count: 200, seed: 1 });
  const batch = sampleContrastiveBatch(data, 32, 5);
  assert.equal(new Set(batch.map((i) => attributeKey(data[i]))).size, 32, "two examples of one description in a batch");
  assert.deepEqual(sampleContrastiveBatch(data, 32, 5), batch);
  const grouped = sampleContrastiveBatch(data, 16, 6, { by: (e) => e.attributes.colour, perBatch: 2 });
  assert.equal(new Set(grouped.map((i) => data[i].attributes.colour)).size, 2);
  assert.throws(() => sampleContrastiveBatch(data.slice(0, 3), 8, 1), /distinct attributes/);
});

test("a short contrastive training run lowers the loss and lifts held-out retrieval and zero-shot accuracy well above chance", async () => {
  await initEngine({ verbose: false });
  const split = compositionalSplit();
  const train = makeShapeDataset({ count: 1500, seed: 11, pairs: split.train });
  const heldOut = makeShapeDataset({ count: 32, seed: 12, pairs: split.train, variedCaptions: false });
  const prompts = colourShapePairs().map((p) => shapePrompt(p.colour, p.shape));
  const vocab = WordVocab.fromTexts([...train.map((e) => e.caption), ...prompts]);
  const model = new TinyCLIPModel({ vocabSize: vocab.size, seed: 1 });
  const before = clipRetrievalAccuracy(model, vocab, heldOut);
  const tensorsBefore = tf.memory().numTensors;
  const { logHistory, trainer } = await trainTinyClip(model, vocab, train,
    { maxSteps: 60, learningRate: 3e-3, warmupSteps: 5, lrSchedulerType: "cosine", loggingSteps: 20, weightDecay: 0.01, progress: false, seed: 3 },
    { batchSize: 32, hardNegatives: { by: (e) => `${e.attributes.colour} ${e.attributes.position}`, perBatch: 6 } });
  const losses = logHistory.filter((r) => r.loss !== undefined).map((r) => r.loss!);
  assert.ok(losses[losses.length - 1] < losses[0] - 0.7, `loss ${losses.map((l) => l.toFixed(3))}`);
  assert.ok(logHistory.every((r) => r.logit_scale === undefined || r.logit_scale > 1));
  const after = clipRetrievalAccuracy(model, vocab, heldOut);
  // Chance among 32 is 1/32 ≈ 0.03.
  assert.ok(after.imageToText >= 0.25 && after.textToImage >= 0.25 && after.imageToText > before.imageToText, `retrieval ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  // Colour is learned first: zero-shot over the 24 colour-shape prompts gets the colour right far above 1/6.
  const test = makeShapeDataset({ count: 120, seed: 13, pairs: split.train, variedCaptions: false });
  const zs = zeroShotClassify(model, vocab, test.map((e) => e.pixels), prompts);
  zs.probs.forEach((p) => assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-6));
  const pairs = colourShapePairs();
  const colourAcc = test.filter((e, i) => pairs[zs.predictions[i]].colour === e.attributes.colour).length / test.length;
  assert.ok(colourAcc > 0.6, `zero-shot colour accuracy ${colourAcc}`);
  trainer.optimizer.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, "training leaks tensors");
  model.dispose();
});
