/**
 * Token classification (chapter 11): word ids for pre-split words, label alignment, seqeval metrics,
 * the token-classification pipeline's aggregation strategies, the shipped NER / POS data, and a short
 * POS training run. Expected values are worked out by hand in the comments, or are seqeval's and the
 * HF course's documented outputs.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { initEngine, tf } from "../lib/engine";
import { AutoTokenizer, type HfTokenizer } from "../lib/tokenizers/hf";
import { BertForTokenClassification } from "../lib/models/bert";
import {
  NER_LABELS, alignLabelsWithTokens, evaluateTokenClassification, id2labelFrom, label2idFrom, labelNamesFrom, padTokenClassification,
  predictWordTags, tokenClassificationBatch, tokenizeAndAlignLabels, trainTokenClassification,
} from "../lib/finetuning/ner";
import * as seqeval from "../lib/finetuning/seqeval";
import { tokenClassificationPipeline, type EntityGroup, type TokenClassificationModel, type TokenPrediction } from "../lib/finetuning/token-classification";
import { loadBrownPos, loadConll2003, loadSilverNer } from "../lib/finetuning/ner-data";
import { UNIVERSAL_TAGS } from "../lib/data/datasets";

const BERT_MINI = path.join(__dirname, "..", "data", "models", "bert-mini-mlm");
let tok: HfTokenizer;
before(async () => {
  await initEngine();
  tok = await AutoTokenizer.fromPretrained(BERT_MINI);
});

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

describe("HfTokenizer with pre-split words", () => {
  test("word ids: one per token, null for specials; words never share a token", () => {
    // bert-mini-mlm (uncased WordPiece): washington | un ##be ##li ##ev ##ably | don ' t | .
    const r = tok.encodeWords(["Washington", "unbelievably", "don't", "."]);
    assert.deepEqual(r.tokens, ["[CLS]", "washington", "un", "##be", "##li", "##ev", "##ably", "don", "'", "t", ".", "[SEP]"]);
    assert.deepEqual(r.wordIds, [null, 0, 1, 1, 1, 1, 1, 2, 2, 2, 3, null]);
    // Offsets are spans into each word, as Python's with is_split_into_words.
    assert.deepEqual(r.offsets.slice(2, 7), [[0, 2], [2, 4], [4, 6], [6, 8], [8, 12]]);
  });

  test("call({isSplitIntoWords}): batch, padding and truncation keep word ids aligned", () => {
    const enc = tok.call([["Washington", "unbelievably"], ["a"]], { isSplitIntoWords: true, padding: true, truncation: true, maxLength: 5 });
    // Row 0 cut to 5 tokens: [CLS] washington un ##be [SEP].
    assert.deepEqual(enc.wordIds, [[null, 0, 1, 1, null], [null, 0, null, null, null]]);
    assert.equal(enc.inputIds[0].length, 5);
    assert.deepEqual(enc.attentionMask[1], [1, 1, 1, 0, 0]);
    // Left truncation keeps the last tokens and their word ids: ##li ##ev ##ably of word 1.
    const left = tok.truncationSide;
    tok.truncationSide = "left";
    try {
      assert.deepEqual(tok.call([["Washington", "unbelievably"]], { isSplitIntoWords: true, truncation: true, maxLength: 5 }).wordIds, [[null, 1, 1, 1, null]]);
    } finally {
      tok.truncationSide = left;
    }
    // One example given as a plain array of words.
    assert.deepEqual(tok.call(["a", "b"], { isSplitIntoWords: true }).wordIds, [[null, 0, 1, null]]);
    // Plain text calls are unchanged and carry no word ids.
    assert.equal(tok.call("a b").wordIds, undefined);
  });

  test("bad pre-split input is refused with a clear error", () => {
    assert.throws(() => tok.call("a b", { isSplitIntoWords: true }), /isSplitIntoWords expects an array of words/);
    assert.throws(() => tok.call([["a"], [3 as unknown as string]], { isSplitIntoWords: true }), /example 1/);
    assert.throws(() => tok.call([["a"]] as unknown as string[]), /pass \{ isSplitIntoWords: true \}/);
  });
});

describe("alignLabelsWithTokens", () => {
  test("the HF course's example (EU rejects German call to boycott British lamb .)", () => {
    // bert-base-cased: [CLS] EU rejects German call to boycott British la ##mb . [SEP]
    const labels = [3, 0, 7, 0, 0, 0, 7, 0, 0];
    const wordIds = [null, 0, 1, 2, 3, 4, 5, 6, 7, 7, 8, null];
    assert.deepEqual(alignLabelsWithTokens(labels, wordIds), [-100, 3, 0, 7, 0, 0, 0, 7, 0, 0, 0, -100]);
  });

  test("a B- word's later sub-tokens get I-; an I- word keeps I-; labelAllTokens false gives -100", () => {
    const wordIds = [null, 0, 0, 0, 1, 1, 2, null];
    // B-PER (1) then I-PER (2) then O: the course's odd -> +1 rule and the name-based rule agree on CoNLL's order.
    assert.deepEqual(alignLabelsWithTokens([1, 2, 0], wordIds), [-100, 1, 2, 2, 2, 2, 0, -100]);
    assert.deepEqual(alignLabelsWithTokens([1, 2, 0], wordIds, { labelNames: NER_LABELS }), [-100, 1, 2, 2, 2, 2, 0, -100]);
    assert.deepEqual(alignLabelsWithTokens([1, 2, 0], wordIds, { labelAllTokens: false }), [-100, 1, -100, -100, 2, -100, 0, -100]);
  });

  test("with label names any layout works (B-LOC continues as I-LOC by name); POS tags stay as they are", () => {
    const names = ["O", "B-LOC", "B-PER", "I-PER", "I-LOC"];
    assert.deepEqual(alignLabelsWithTokens([1, 2], [null, 0, 0, 1, 1, null], { labelNames: names }), [-100, 1, 4, 2, 3, -100]);
    assert.deepEqual(alignLabelsWithTokens([1, 0], [null, 0, 0, 1, 1, null], { labelNames: ["NOUN", "VERB"] }), [-100, 1, 1, 0, 0, -100]);
  });

  test("errors name the problem", () => {
    assert.throws(() => alignLabelsWithTokens([1], [null, 0, 1]), /word 1, but there are labels for 1 words/);
    assert.throws(() => alignLabelsWithTokens([1], [0, 0], { labelNames: ["O", "B-X"] }), /"B-X" has no "I-X"/);
  });

  test("tokenizeAndAlignLabels and the collator on bert-mini-mlm", () => {
    // mr | z ##y ##x | met  with tags O B-PER O
    const [f] = tokenizeAndAlignLabels(tok, [["Mr", "Zyx", "met"]], [[0, 1, 0]], { labelNames: NER_LABELS });
    assert.deepEqual(f.wordIds, [null, 0, 1, 1, 1, 2, null]);
    assert.deepEqual(f.labels, [-100, 0, 1, 2, 2, 0, -100]);
    const padded = padTokenClassification([f, { ...f, inputIds: f.inputIds.slice(0, 3), attentionMask: [1, 1, 1], tokenTypeIds: [0, 0, 0], labels: [-100, 0, 1] }], { padTokenId: 0 });
    assert.deepEqual(padded.labels[1], [-100, 0, 1, -100, -100, -100, -100]);
    assert.deepEqual(padded.attentionMask[1], [1, 1, 1, 0, 0, 0, 0]);
    const batch = tokenClassificationBatch(tok, [f], { padToMultipleOf: 8 });
    assert.deepEqual(batch.labels.shape, [1, 8]);
    assert.deepEqual((batch.labels.arraySync() as number[][])[0], [-100, 0, 1, 2, 2, 0, -100, -100]);
    tf.dispose([batch.inputIds, batch.attentionMask, batch.labels, batch.tokenTypeIds!]);
    assert.throws(() => tokenizeAndAlignLabels(tok, [["a", "b"]], [[0]]), /2 words but 1 tags/);
  });

  test("label helpers", () => {
    assert.deepEqual(id2labelFrom(["O", "B-PER"]), { "0": "O", "1": "B-PER" });
    assert.deepEqual(label2idFrom(["O", "B-PER"]), { O: 0, "B-PER": 1 });
    assert.deepEqual(labelNamesFrom({ "1": "B", "0": "A" }), ["A", "B"]);
    assert.throws(() => id2labelFrom(["O", "O"]), /appears twice/);
  });
});

describe("seqeval", () => {
  // seqeval's documented example (README and docstrings).
  const yTrue = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
  const yPred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];

  test("getEntities: seqeval's example, I- without B-, type changes, IOBES, suffix, sentences", () => {
    assert.deepEqual(seqeval.getEntities(["B-PER", "I-PER", "O", "B-LOC"]), [["PER", 0, 1], ["LOC", 3, 3]]);
    // Default (non-strict) mode: a stray I- starts an entity; B- after I- of the same type starts a new one.
    assert.deepEqual(seqeval.getEntities(["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]), [["PER", 0, 1], ["LOC", 3, 3], ["LOC", 4, 4]]);
    assert.deepEqual(seqeval.getEntities(["B-PER", "I-LOC", "I-LOC"]), [["PER", 0, 0], ["LOC", 1, 2]]);
    assert.deepEqual(seqeval.getEntities(["S-PER", "B-LOC", "E-LOC", "O"]), [["PER", 0, 0], ["LOC", 1, 2]]);
    assert.deepEqual(seqeval.getEntities(["PER-B", "PER-I", "O"], { suffix: true }), [["PER", 0, 1]]);
    // Bare tags have type "_": only the O -> I rule starts this chunk (no type change to notice).
    assert.deepEqual(seqeval.getEntities(["O", "I", "I"]), [["_", 1, 2]]);
    // Sentences are joined with an "O" between them: the I-PER of sentence 2 is its own entity at 2.
    assert.deepEqual(seqeval.getEntities([["B-PER"], ["I-PER"]]), [["PER", 0, 0], ["PER", 2, 2]]);
    assert.deepEqual(yTrue.length, 2);
    assert.deepEqual(seqeval.getEntities(yTrue), [["MISC", 3, 5], ["PER", 8, 9]]);
  });

  test("scores of seqeval's documented example: P = R = F1 = 0.5, accuracy 0.8", () => {
    assert.equal(seqeval.precisionScore(yTrue, yPred), 0.5);
    assert.equal(seqeval.recallScore(yTrue, yPred), 0.5);
    assert.equal(seqeval.f1Score(yTrue, yPred), 0.5);
    assert.equal(seqeval.accuracyScore(yTrue, yPred), 0.8);
    for (const average of ["micro", "macro", "weighted"] as const) {
      const r = seqeval.precisionRecallFscoreSupport(yTrue, yPred, { average });
      assert.deepEqual([r.precision, r.recall, r.fScore, r.support], [0.5, 0.5, 0.5, 2], average);
    }
    const per = seqeval.precisionRecallFscoreSupport(yTrue, yPred, { average: null });
    assert.deepEqual(per, { precision: [0, 1], recall: [0, 1], fScore: [0, 1], support: [1, 1], types: ["MISC", "PER"] });
  });

  test("classificationReport prints seqeval's documented report", () => {
    const expected =
      "              precision    recall  f1-score   support\n\n" +
      "        MISC       0.00      0.00      0.00         1\n" +
      "         PER       1.00      1.00      1.00         1\n\n" +
      "   micro avg       0.50      0.50      0.50         2\n" +
      "   macro avg       0.50      0.50      0.50         2\n" +
      "weighted avg       0.50      0.50      0.50         2\n";
    assert.equal(seqeval.classificationReport(yTrue, yPred), expected);
  });

  test("a type only predicted gets a row with support 0; averages worked out by hand", () => {
    const t = [["B-PER", "I-PER", "O", "B-LOC"]];
    const p = [["B-PER", "I-PER", "O", "B-ORG"]];
    // LOC: 0 correct / 0 predicted / 1 true; ORG: 0 / 1 / 0; PER: 1 / 1 / 1.
    const d = seqeval.classificationReport(t, p, { outputDict: true, zeroDivision: 0 });
    assert.deepEqual(Object.keys(d), ["LOC", "ORG", "PER", "micro avg", "macro avg", "weighted avg"]);
    assert.deepEqual(d.ORG, { precision: 0, recall: 0, "f1-score": 0, support: 0 });
    assert.deepEqual(d["micro avg"], { precision: 0.5, recall: 0.5, "f1-score": 0.5, support: 2 });
    close(d["macro avg"].precision, 1 / 3);
    close(d["macro avg"]["f1-score"], 1 / 3);
    // Weighted by true counts (1, 0, 1): (0 + 1) / 2.
    assert.deepEqual(d["weighted avg"], { precision: 0.5, recall: 0.5, "f1-score": 0.5, support: 2 });
    // zeroDivision 1: LOC precision and ORG recall become 1; their F1 stays 0 (the other factor is 0).
    const z1 = seqeval.precisionRecallFscoreSupport(t, p, { average: null, zeroDivision: 1 });
    assert.deepEqual(z1.precision, [1, 0, 1]);
    assert.deepEqual(z1.recall, [0, 1, 1]);
    assert.deepEqual(z1.fScore, [0, 0, 1]);
    // The evaluate library's dict.
    assert.deepEqual(seqeval.seqevalCompute({ predictions: p, references: t, zeroDivision: 0 }), {
      LOC: { precision: 0, recall: 0, f1: 0, number: 1 },
      ORG: { precision: 0, recall: 0, f1: 0, number: 0 },
      PER: { precision: 1, recall: 1, f1: 1, number: 1 },
      overall_precision: 0.5, overall_recall: 0.5, overall_f1: 0.5, overall_accuracy: 0.75,
    });
  });

  test("an entity must match type and both ends", () => {
    // True PER 0-2; predicted PER 0-1 (too short), LOC 3-3 (correct): P = 1/2, R = 1/2.
    const t = [["B-PER", "I-PER", "I-PER", "B-LOC"]];
    const p = [["B-PER", "I-PER", "O", "B-LOC"]];
    assert.equal(seqeval.f1Score(t, p), 0.5);
    // F-beta with beta 2: true PER 0-0, LOC 2-2; predicted PER 0-0, ORG 1-1, ORG 2-2. P = 1/3, R = 1/2,
    // F2 = 5 * (1/6) / (4/3 + 1/2) = 5/11.
    const t3 = [["B-PER", "O", "B-LOC", "O"]];
    const p3 = [["B-PER", "B-ORG", "B-ORG", "O"]];
    close(seqeval.f1Score(t3, p3, { beta: 2 }), 5 / 11);
  });

  test("40 random IOB2 cases agree with an independent Python reference (tests/fixtures/ner)", () => {
    type Scores = { precision: number; recall: number; f1: number };
    const cases = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "ner", "seqeval_reference.json"), "utf8")) as {
      y_true: string[][]; y_pred: string[][];
      expected: { types: Record<string, Scores & { number: number }>; micro: Scores; macro: Scores | null; weighted: Scores | null; accuracy: number };
    }[];
    assert.equal(cases.length, 40);
    for (const { y_true, y_pred, expected } of cases) {
      const got = seqeval.seqevalCompute({ predictions: y_pred, references: y_true, zeroDivision: 0 });
      const { overall_precision, overall_recall, overall_f1, overall_accuracy, ...types } = got;
      assert.deepEqual(Object.keys(types), Object.keys(expected.types));
      for (const [type, row] of Object.entries(expected.types)) {
        const g = types[type] as Scores & { number: number };
        assert.equal(g.number, row.number);
        for (const k of ["precision", "recall", "f1"] as const) close(g[k], row[k]);
      }
      close(overall_precision, expected.micro.precision);
      close(overall_recall, expected.micro.recall);
      close(overall_f1, expected.micro.f1);
      close(overall_accuracy, expected.accuracy);
      for (const average of ["macro", "weighted"] as const) {
        const want = expected[average];
        if (!want) continue;
        const r = seqeval.precisionRecallFscoreSupport(y_true, y_pred, { average, zeroDivision: 0 });
        close(r.precision, want.precision);
        close(r.recall, want.recall);
        close(r.fScore, want.f1);
      }
    }
  });

  test("mismatched input is refused", () => {
    assert.throws(() => seqeval.f1Score([["O"]], [["O", "O"]]), /sequence 0 has 1 true tags but 2 predicted/);
    assert.throws(() => seqeval.f1Score([["O"]], []), /1 sequences but yPred has 0/);
    assert.throws(() => seqeval.accuracyScore([[]], [[]]), /no tags/);
  });
});

describe("tokenClassificationPipeline", () => {
  const labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];
  // Logits by token id of bert-mini-mlm: `k: ln(a)` puts a at class k, 0 elsewhere, so softmax gives
  // a / (a + 4) there: ln 12 -> 0.75 (others 1/16), ln 4 -> 0.5 (others 1/8), ln 28 -> 0.875 (others 1/32).
  const hot = (k: number, a: number) => labels.map((_, j) => (j === k ? Math.log(a) : 0));
  // "Mr Zyx met Obama in Paris" -> [CLS] mr z ##y ##x met ob ##ama in par ##is [SEP]
  const table = new Map<number, number[]>([
    [2, hot(1, 12)], [3, hot(1, 12)], // [CLS] / [SEP] say B-PER: must be skipped
    [1066, hot(0, 12)], // mr      O .75
    [63, hot(1, 12)], // z         B-PER .75
    [95, hot(2, 4)], // ##y        I-PER .5
    [98, hot(3, 28)], // ##x       B-LOC .875
    [1587, hot(0, 12)], // met     O .75
    [571, hot(1, 4)], // ob        B-PER .5
    [2025, hot(2, 12)], // ##ama   I-PER .75
    [128, hot(0, 4)], // in        O .5
    [270, hot(3, 12)], // par      B-LOC .75
    [137, hot(4, 12)], // ##is     I-LOC .75
  ]);
  const stub: TokenClassificationModel & { calls: number } = {
    calls: 0,
    config: { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), max_position_embeddings: 128 },
    training: false,
    train() {},
    forward({ inputIds }) {
      stub.calls++;
      const ids = inputIds.arraySync() as number[][];
      return { logits: tf.tensor3d(ids.map((row) => row.map((id) => table.get(id) ?? hot(0, 4)))) };
    },
  };
  const text = "Mr Zyx met Obama in Paris";
  const approx = (got: (TokenPrediction | EntityGroup)[], want: (TokenPrediction | EntityGroup)[]) => {
    assert.equal(got.length, want.length, JSON.stringify(got));
    got.forEach((g, i) => {
      const { score, ...rest } = g;
      const { score: wantScore, ...wantRest } = want[i];
      assert.deepEqual(rest, wantRest);
      close(score, wantScore, 1e-6); // logits are float32
    });
  };

  test('"none": one entry per non-O token with its index, token string and offsets', () => {
    const ner = tokenClassificationPipeline(stub, tok);
    approx(ner(text), [
      { entity: "B-PER", score: 0.75, index: 2, word: "z", start: 3, end: 4 },
      { entity: "I-PER", score: 0.5, index: 3, word: "##y", start: 4, end: 5 },
      { entity: "B-LOC", score: 0.875, index: 4, word: "##x", start: 5, end: 6 },
      { entity: "B-PER", score: 0.5, index: 6, word: "ob", start: 11, end: 13 },
      { entity: "I-PER", score: 0.75, index: 7, word: "##ama", start: 13, end: 16 },
      { entity: "B-LOC", score: 0.75, index: 9, word: "par", start: 20, end: 23 },
      { entity: "I-LOC", score: 0.75, index: 10, word: "##is", start: 23, end: 25 },
    ]);
    assert.equal(tokenClassificationPipeline(stub, tok, { ignoreLabels: [] })(text).length, 10);
    // An unknown token ([UNK], id 1) shows the text it stands for, and is never a sub-token.
    const unk = tokenClassificationPipeline(stub, tok, { ignoreLabels: [] })("Zyx \u2603") as TokenPrediction[];
    assert.deepEqual(unk.map((e) => e.word), ["z", "##y", "##x", "\u2603"]);
    assert.deepEqual(unk[3].index, 4);
    const first = tokenClassificationPipeline(stub, tok, { aggregationStrategy: "first", ignoreLabels: [] });
    assert.deepEqual((first("Zyx \u2603") as EntityGroup[]).map((e) => [e.entity_group, e.word]), [["PER", "zyx"], ["O", "\u2603"]]);
    // Without the space WordPiece cannot spell the word "zyx\u2603": the whole word is one [UNK].
    assert.deepEqual((first("Zyx\u2603") as EntityGroup[]).map((e) => [e.entity_group, e.word, e.start, e.end]), [["O", "Zyx\u2603", 0, 4]]);
  });

  test('"simple": neighbouring tokens of a type merged, a B- starts a new entity, mean score', () => {
    const ner = tokenClassificationPipeline(stub, tok, { aggregationStrategy: "simple" });
    approx(ner(text), [
      { entity_group: "PER", score: (0.75 + 0.5) / 2, word: "zy", start: 3, end: 5 },
      { entity_group: "LOC", score: 0.875, word: "##x", start: 5, end: 6 },
      { entity_group: "PER", score: (0.5 + 0.75) / 2, word: "obama", start: 11, end: 16 },
      { entity_group: "LOC", score: 0.75, word: "paris", start: 20, end: 25 },
    ]);
  });

  test('"first", "max", "average": words first, then merged', () => {
    const run = (s: "first" | "max" | "average") => tokenClassificationPipeline(stub, tok, { aggregationStrategy: s })(text);
    approx(run("first"), [
      { entity_group: "PER", score: 0.75, word: "zyx", start: 3, end: 6 },
      { entity_group: "PER", score: 0.5, word: "obama", start: 11, end: 16 },
      { entity_group: "LOC", score: 0.75, word: "paris", start: 20, end: 25 },
    ]);
    // max: the sub-token with the highest score decides (##x's B-LOC 0.875; ##ama's I-PER 0.75).
    approx(run("max"), [
      { entity_group: "LOC", score: 0.875, word: "zyx", start: 3, end: 6 },
      { entity_group: "PER", score: 0.75, word: "obama", start: 11, end: 16 },
      { entity_group: "LOC", score: 0.75, word: "paris", start: 20, end: 25 },
    ]);
    // average: zyx B-LOC (1/16 + 1/8 + 7/8) / 3 = 17/48 beats B-PER (3/4 + 1/8 + 1/32) / 3 = 29/96;
    // obama I-PER (1/8 + 3/4) / 2 = 7/16; paris B-LOC and I-LOC tie at 13/32, the first wins.
    approx(run("average"), [
      { entity_group: "LOC", score: 17 / 48, word: "zyx", start: 3, end: 6 },
      { entity_group: "PER", score: 7 / 16, word: "obama", start: 11, end: 16 },
      { entity_group: "LOC", score: 13 / 32, word: "paris", start: 20, end: 25 },
    ]);
  });

  test("a batch gives the same entities as texts one by one; bad options are refused", () => {
    const ner = tokenClassificationPipeline(stub, tok, { aggregationStrategy: "simple", batchSize: 2 });
    const texts = ["Paris", text, "in"];
    const batch = ner(texts);
    assert.deepEqual(batch, texts.map((t) => ner(t)));
    assert.deepEqual(batch[2], []);
    assert.throws(() => tokenClassificationPipeline(stub, tok, { aggregationStrategy: "best" as "max" }), /aggregationStrategy must be/);
  });

  test("on a BertForTokenClassification whose head always says I-PER: one entity over the text", () => {
    const model = new BertForTokenClassification({ vocab_size: 4096, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 128, id2label: id2labelFrom(labels) });
    model.classifier.weight.assign(tf.zerosLike(model.classifier.weight));
    model.classifier.bias!.assign(tf.tensor1d(hot(2, 12), "float32"));
    const [group] = tokenClassificationPipeline(model, tok, { aggregationStrategy: "simple" })(text) as EntityGroup[];
    assert.equal(group.entity_group, "PER");
    assert.equal(group.word, "mr zyx met obama in paris");
    assert.deepEqual([group.start, group.end], [0, text.length]);
    close(group.score, 0.75, 1e-6);
    model.dispose();
  });
});

describe("shipped token-classification data", () => {
  test("silver NER: 4,000 / 500 / 500 sentences of IOB2 PER / ORG / LOC tags", () => {
    const counts = (["train", "validation", "test"] as const).map((split) => loadSilverNer({ split }).length);
    assert.deepEqual(counts, [4000, 500, 500]);
    const test = loadSilverNer({ split: "test" });
    for (const r of test) {
      assert.equal(r.tokens.length, r.nerTags.length);
      assert.deepEqual(r.nerTags.map((t) => NER_LABELS[t]), r.tags);
      // IOB2: every entity starts with B- (no I- after O or after another type).
      r.tags.forEach((t, i) => {
        if (t.startsWith("I-")) assert.ok(r.tags[i - 1] === "B-" + t.slice(2) || r.tags[i - 1] === t, `${r.id}: ${r.tags.join(" ")}`);
      });
    }
    const entities = seqeval.getEntities(test.map((r) => r.tags));
    assert.ok(entities.length > 400, `only ${entities.length} entities in test`);
    assert.deepEqual([...new Set(entities.map((e) => e[0]))].sort(), ["LOC", "ORG", "PER"]);
    assert.throws(() => loadSilverNer({ split: "dev" as "test" }), /split must be "train", "validation" or "test"/);
  });

  test("loadConll2003 reads the Hub's rows exported to JSON Lines (tag ids or names) and names bad rows", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conll-"));
    fs.writeFileSync(path.join(dir, "conll2003_train.jsonl"), [
      JSON.stringify({ id: "0", tokens: ["EU", "rejects", "German", "call"], ner_tags: [3, 0, 7, 0] }),
      JSON.stringify({ id: "1", tokens: ["Peter", "Blackburn"], ner_tags: ["B-PER", "I-PER"] }),
    ].join("\n") + "\n");
    const rows = loadConll2003({ dir });
    assert.deepEqual(rows.map((r) => r.tags), [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"]]);
    assert.deepEqual(rows[1].nerTags, [1, 2]);
    fs.writeFileSync(path.join(dir, "conll2003_test.jsonl"), JSON.stringify({ tokens: ["a"], ner_tags: [9] }) + "\n");
    assert.throws(() => loadConll2003({ dir, split: "test" }), /conll2003_test\.jsonl row 1: unknown tag 9/);
    assert.throws(() => loadConll2003({ dir, split: "validation" }), /no file .*conll2003_validation\.jsonl/);
  });

  test("Brown POS: universal tags, split by document", () => {
    const { rows, labels } = loadBrownPos({ split: "test", genres: ["news"] });
    assert.deepEqual(labels, [...UNIVERSAL_TAGS]);
    // news documents ca01..ca44: ca01, ca11, ca21, ca31, ca41 are test.
    assert.deepEqual([...new Set(rows.map((r) => r.doc))], ["ca01", "ca11", "ca21", "ca31", "ca41"]);
    assert.equal(rows[0].tokens[0], "The");
    assert.equal(rows[0].tags[0], "DET");
    assert.equal(rows[0].posTags[0], UNIVERSAL_TAGS.indexOf("DET"));
    assert.equal(loadBrownPos({ split: "validation", genres: ["news"], limit: 7 }).rows.length, 7);
  });
});

describe("training a token classifier", () => {
  test("bert-mini-mlm learns Brown's universal POS tags in 50 steps (token accuracy well above chance)", async () => {
    const { rows: train, labels } = loadBrownPos({ split: "train", genres: ["news"], limit: 1000 });
    const { rows: val } = loadBrownPos({ split: "validation", genres: ["news"], limit: 100 });
    const model = BertForTokenClassification.fromFolder(BERT_MINI, { id2label: id2labelFrom(labels) });
    const data = { tokens: val.map((r) => r.tokens), tags: val.map((r) => r.posTags) };
    const before = evaluateTokenClassification(model, tok, data, { maxLength: 48, progress: false });
    await trainTokenClassification(model, tok, { tokens: train.map((r) => r.tokens), tags: train.map((r) => r.posTags) }, {
      args: { maxSteps: 50, learningRate: 3e-3, warmupSteps: 5, progress: false, seed: 1 },
      batchSize: 8,
      maxLength: 48,
    });
    const after = evaluateTokenClassification(model, tok, data, { maxLength: 48, progress: false });
    // POS tags are not entity tags: no seqeval entity scores, token accuracy only.
    assert.equal(after.metrics, null);
    const accBefore = before.accuracy;
    const accAfter = after.accuracy;
    console.log(`POS token accuracy: before ${accBefore.toFixed(3)}, after 50 steps ${accAfter.toFixed(3)}`);
    // Chance with 12 tags is 1/12; the most frequent tag (NOUN) covers about 30 % of news tokens.
    assert.ok(accBefore < 0.3, `before: ${accBefore}`);
    assert.ok(accAfter > 0.6, `after: ${accAfter}`);
    // Word-level predictions: one tag per word.
    const words = predictWordTags(model, tok, [["The", "jury", "said", "it", "did"]], { progress: false });
    assert.equal(words[0].length, 5);
    assert.equal(words[0][0], "DET");
    model.dispose();
  });
});
