/**
 * Chapter 12's SFT building blocks against hand-worked ids and an independent float64 perplexity.
 *
 * The tokenizer is built here: byte-level BPE with no merges, so every byte is one token and its id is
 * the byte value ("a" = 97, "\n" = 10, "<" = 60), plus <s> = 256 (BOS, added by a Llama-like
 * post-processor), </s> = 257 (EOS) and <unk> = 258 as special tokens. Every id below is worked out by hand
 * from those rules; `codes` only spells a string's character codes.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { initEngine, tf } from "../lib/engine";
import { HfTokenizer } from "../lib/tokenizers/hf";
import { CharTokenizer } from "../lib/tokenizers/char";
import { tinyLlamaLikeTokenizer } from "./helpers/tiny-llama-tokenizer";
import { GPT2LMHeadModel } from "../lib/models/gpt2";
import { IGNORE_INDEX } from "../lib/training/losses";
import { AdamW } from "../lib/training/optim";
import { trainStep } from "../lib/training/step";
import {
  ALPACA_TEMPLATE,
  TINYLLAMA_CHAT_TEMPLATE,
  collateSft,
  formatAlpaca,
  formatChat,
  packWrapped,
  perplexity,
  sftLoss,
  tokenizeForSft,
} from "../lib/finetuning/sft";

const BOS = 256;
const EOS = 257;
const X = IGNORE_INDEX;
const codes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

let tok: HfTokenizer;
before(async () => {
  await initEngine({ verbose: false });
  tok = tinyLlamaLikeTokenizer();
});

describe("prompt formats", () => {
  test("formatAlpaca: Alpaca-LoRA's template, with and without an input", () => {
    const withInput = formatAlpaca({ instruction: "Identify the odd one out.", input: "Twitter, Instagram, Telegram", output: "Telegram" });
    assert.equal(
      withInput.prompt,
      "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\nIdentify the odd one out.\n\n### Input:\nTwitter, Instagram, Telegram\n\n### Response:\n",
    );
    assert.equal(withInput.completion, "Telegram");
    assert.equal(withInput.text, withInput.prompt + "Telegram");
    const noInput = formatAlpaca({ instruction: "What are the three primary colors?", input: "" });
    assert.equal(
      noInput.text,
      "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nWhat are the three primary colors?\n\n### Response:\n",
    );
    assert.equal(noInput.completion, "");
    assert.ok(noInput.prompt.endsWith(ALPACA_TEMPLATE.responseSplit + "\n"));
    // Placeholders inside the user's text stay as written.
    assert.equal(formatAlpaca({ instruction: "Say {input}", input: "x" }).prompt.includes("### Instruction:\nSay {input}\n"), true);
    assert.throws(() => formatAlpaca({} as never), /expected \{ instruction: string/);
    assert.throws(() => formatAlpaca({ instruction: "a", output: 3 } as never), /output must be a string/);
  });

  test("formatChat: TinyLlama's template, as the book prints it", () => {
    const chat = [
      { role: "user", content: "Tell me a joke." },
      { role: "assistant", content: "Knock, knock." },
    ];
    assert.equal(formatChat(tok, chat), "<|user|>\nTell me a joke.</s>\n<|assistant|>\nKnock, knock.</s>\n");
    assert.equal(formatChat(tok, chat.slice(0, 1), { addGenerationPrompt: true }), "<|user|>\nTell me a joke.</s>\n<|assistant|>\n");
    assert.equal(
      formatChat(tok, [{ role: "system", content: "Be brief." }, chat[0]], { addGenerationPrompt: true }),
      "<|system|>\nBe brief.</s>\n<|user|>\nTell me a joke.</s>\n<|assistant|>\n",
    );
    // A tokenizer without a template takes the constant.
    const bare = tinyLlamaLikeTokenizer(false);
    assert.throws(() => formatChat(bare, chat), /has no chat template/);
    assert.equal(formatChat(bare, chat, { chatTemplate: TINYLLAMA_CHAT_TEMPLATE }), "<|user|>\nTell me a joke.</s>\n<|assistant|>\nKnock, knock.</s>\n");
  });
});

describe("tokenizeForSft", () => {
  test("text: BOS + bytes + EOS, every token learned; EOS not doubled", () => {
    assert.deepEqual(tokenizeForSft(tok, [{ text: "ab" }, { text: "c</s>" }]), [
      { inputIds: [BOS, 97, 98, EOS], labels: [BOS, 97, 98, EOS] },
      { inputIds: [BOS, 99, EOS], labels: [BOS, 99, EOS] },
    ]);
    assert.deepEqual(tokenizeForSft(tok, [{ text: "ab" }], { addEos: false }), [{ inputIds: [BOS, 97, 98], labels: [BOS, 97, 98] }]);
  });

  test("prompt-completion: labels -100 on the prompt by default (completion_only_loss), all learned when off", () => {
    const ex = { prompt: "Q:", completion: "ok" };
    assert.deepEqual(tokenizeForSft(tok, [ex]), [{ inputIds: [BOS, 81, 58, 111, 107, EOS], labels: [X, X, X, 111, 107, EOS] }]);
    assert.deepEqual(tokenizeForSft(tok, [ex], { completionOnlyLoss: false }), [{ inputIds: [BOS, 81, 58, 111, 107, EOS], labels: [BOS, 81, 58, 111, 107, EOS] }]);
    // An Alpaca record goes in as prompt + completion.
    const alpaca = formatAlpaca({ instruction: "Hi", output: "Yo" });
    const [row] = tokenizeForSft(tok, [alpaca]);
    const promptTokens = 1 + alpaca.prompt.length; // BOS + one token per (ASCII) character
    assert.deepEqual(row.inputIds, [BOS, ...codes(alpaca.prompt), 89, 111, EOS]);
    assert.deepEqual(row.labels, [...new Array(promptTokens).fill(X), 89, 111, EOS]);
  });

  test("conversational: chat-template ids; prompt-completion messages mask the prompt and its generation prompt", () => {
    const user = { role: "user", content: "Hi" };
    const assistant = { role: "assistant", content: "Yo" };
    const full = [...codes("<|user|>\nHi"), EOS, ...codes("\n<|assistant|>\nYo"), EOS, 10];
    assert.deepEqual(tokenizeForSft(tok, [{ messages: [user, assistant] }]), [{ inputIds: full, labels: full }]);
    const promptLength = codes("<|user|>\nHi").length + 1 + codes("\n<|assistant|>\n").length;
    const [pc] = tokenizeForSft(tok, [{ prompt: [user], completion: [assistant] }]);
    assert.deepEqual(pc.inputIds, full);
    assert.deepEqual(pc.labels, [...new Array(promptLength).fill(X), 89, 111, EOS, 10]);
  });

  test("truncation to maxSeqLength (keep_start / keep_end); examples left with nothing to learn are dropped", () => {
    assert.deepEqual(tokenizeForSft(tok, [{ text: "abcdef" }], { maxSeqLength: 4 }), [{ inputIds: [BOS, 97, 98, 99], labels: [BOS, 97, 98, 99] }]);
    assert.deepEqual(tokenizeForSft(tok, [{ text: "abcdef" }], { maxSeqLength: 4, truncationMode: "keep_end" }), [
      { inputIds: [100, 101, 102, EOS], labels: [100, 101, 102, EOS] },
    ]);
    const rows = tokenizeForSft(tok, [{ prompt: "long prompt", completion: "x" }, { prompt: "Q", completion: "ab" }], { maxSeqLength: 3 });
    assert.deepEqual(rows, [{ inputIds: [BOS, 81, 97], labels: [X, X, 97] }]);
    assert.deepEqual(tokenizeForSft(tok, [{ text: "abcdef" }], { maxSeqLength: null })[0].inputIds.length, 8);
  });

  test("packing: trl's wrapped strategy, labels cut alongside the ids", () => {
    const examples = [{ text: "ab" }, { prompt: "c", completion: "d" }, { text: "efgh" }];
    // Concatenated: [BOS a b EOS] [BOS c d EOS] [BOS e f g h EOS] = 14 tokens -> blocks of 4, 4, 4, 2.
    const packed = tokenizeForSft(tok, examples, { maxSeqLength: 4, packing: true });
    assert.deepEqual(packed, [
      { inputIds: [BOS, 97, 98, EOS], labels: [BOS, 97, 98, EOS] },
      { inputIds: [BOS, 99, 100, EOS], labels: [X, X, 100, EOS] },
      { inputIds: [BOS, 101, 102, 103], labels: [BOS, 101, 102, 103] },
      { inputIds: [104, EOS], labels: [104, EOS] },
    ]);
    // Packing ignores truncation: no token is lost.
    const long = tokenizeForSft(tok, [{ text: "abcdefghij" }], { maxSeqLength: 5, packing: true });
    assert.deepEqual(long.map((r) => r.inputIds), [[BOS, 97, 98, 99, 100], [101, 102, 103, 104, 105], [106, EOS]]);
    assert.deepEqual(packWrapped([{ inputIds: [1, 2, 3], labels: [X, 2, 3] }], 2), [{ inputIds: [1, 2], labels: [X, 2] }, { inputIds: [3], labels: [3] }]);
    assert.throws(() => tokenizeForSft(tok, examples, { maxSeqLength: null, packing: true }), /packing needs a maxSeqLength/);
  });

  test("bad input gets errors naming the problem", () => {
    assert.throws(() => tokenizeForSft(tok, [{ txt: "a" } as never]), /example 0 has none of text, messages, or prompt \+ completion/);
    assert.throws(() => tokenizeForSft(tok, [{ prompt: "a", completion: [{ role: "assistant", content: "b" }] } as never]), /both be strings or both be lists/);
    assert.throws(() => tokenizeForSft(tok, [{ text: "a" }], { maxSeqLength: 0 }), /maxSeqLength must be a positive integer/);
    assert.throws(() => tokenizeForSft(tok, [{ text: "a" }], { truncationMode: "left" as never }), /truncationMode must be/);
    const chars = CharTokenizer.fromText("abc");
    assert.throws(() => tokenizeForSft(chars, [{ text: "ab" }]), /no EOS token to append/);
    assert.deepEqual(tokenizeForSft(chars, [{ prompt: "a", completion: "bc" }], { addEos: false }), [{ inputIds: [0, 1, 2], labels: [X, 1, 2] }]);
    assert.throws(() => tokenizeForSft(chars, [{ messages: [{ role: "user", content: "a" }] }]), /need a tokenizer with applyChatTemplate/);
  });
});

describe("collateSft", () => {
  test("right padding: pad id, labels -100, attention mask 0 (trl's DataCollatorForLanguageModeling)", () => {
    const batch = collateSft([{ inputIds: [1, 2, 3], labels: [X, 2, 3] }, { inputIds: [4, 5] }], { padTokenId: 0 });
    assert.deepEqual(batch, {
      inputIds: [
        [1, 2, 3],
        [4, 5, 0],
      ],
      labels: [
        [X, 2, 3],
        [4, 5, X],
      ],
      attentionMask: [
        [1, 1, 1],
        [1, 1, 0],
      ],
    });
    const padded = collateSft([{ inputIds: [1, 2, 3] }], { padTokenId: EOS, padToMultipleOf: 4 });
    assert.deepEqual(padded.inputIds, [[1, 2, 3, EOS]]);
    assert.deepEqual(padded.labels, [[1, 2, 3, X]]);
    assert.deepEqual(padded.attentionMask, [[1, 1, 1, 0]]);
    assert.throws(() => collateSft([{ inputIds: [1] }], { padTokenId: null as never }), /padTokenId must be an integer/);
    assert.throws(() => collateSft([{ inputIds: [1, 2], labels: [1] }], { padTokenId: 0 }), /feature 0 has 2 ids but 1 labels/);
    assert.throws(() => collateSft([], { padTokenId: 0 }), /non-empty/);
  });
});

describe("loss and perplexity on a tiny GPT-2", () => {
  const config = { vocab_size: 260, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, initializer_range: 0.3 };

  /** log-softmax in float64 of one logits row. */
  function logSoftmax64(row: ArrayLike<number>): number[] {
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
    let z = 0;
    for (let i = 0; i < row.length; i++) z += Math.exp(row[i] - max);
    const lz = Math.log(z) + max;
    return Array.from(row, (v) => v - lz);
  }

  /** NLL sum and count of one unpadded sequence: each sequence through the model alone, scored here. */
  function sequenceNll(model: GPT2LMHeadModel, ids: number[], labels: number[]): { nll: number; count: number } {
    const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], "int32")).logits.arraySync()[0]);
    let nll = 0;
    let count = 0;
    for (let t = 1; t < ids.length; t++) {
      if (labels[t] === X) continue;
      nll -= logSoftmax64(logits[t - 1])[labels[t]];
      count++;
    }
    return { nll, count };
  }

  test("perplexity = exp(token-mean NLL over unmasked labels), padding and batching make no difference", () => {
    const model = new GPT2LMHeadModel(config, { seed: 7 });
    const features = tokenizeForSft(tok, [
      { prompt: "Q: hi\nA:", completion: " yo" },
      { text: "abc" },
      { prompt: "2+2=", completion: "4" },
      { text: "the cat sat" },
    ]);
    const batches = [collateSft(features.slice(0, 3), { padTokenId: EOS }), collateSft(features.slice(3), { padTokenId: EOS })];
    let nll = 0;
    let count = 0;
    for (const f of features) {
      const s = sequenceNll(model, f.inputIds, f.labels);
      nll += s.nll;
      count += s.count;
    }
    assert.equal(count, 4 + 4 + 2 + 12, "tokens scored: completions with their EOS, whole texts after BOS");
    const expected = Math.exp(nll / count);
    const before = tf.memory().numTensors;
    const got = perplexity(model, batches);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    assert.ok(Math.abs(got - expected) / expected < 1e-5, `perplexity ${got} vs ${expected}`);
    // Near-uniform random model: perplexity is in the vocabulary's ballpark.
    assert.ok(got > 50 && got < 2000, String(got));
    // The token mean is not the mean of per-batch perplexities.
    const perBatch = batches.map((b) => perplexity(model, [b]));
    assert.ok(Math.abs((perBatch[0] + perBatch[1]) / 2 - got) > 1e-3);

    // sftLoss is the mean NLL of one batch.
    const first = features.slice(0, 3).map((f) => sequenceNll(model, f.inputIds, f.labels));
    const meanNll = first.reduce((s, x) => s + x.nll, 0) / first.reduce((s, x) => s + x.count, 0);
    const loss = sftLoss(model, batches[0]);
    assert.ok(Math.abs(loss.dataSync()[0] - meanNll) < 1e-5, `${loss.dataSync()[0]} vs ${meanNll}`);
    loss.dispose();
    assert.throws(() => perplexity(model, [{ inputIds: [[1, 2]], labels: [[X, X]], attentionMask: [[1, 1]] }]), /no label to score/);
    assert.throws(() => perplexity(model, [{ inputIds: [[1, 2]], labels: [[1]], attentionMask: [[1, 1]] }]), /batch\.labels must be 1 rows of 2/);
    model.dispose();
  });

  test("a few SFT steps on a repeated completion lower the loss and the perplexity", async () => {
    const model = new GPT2LMHeadModel(config, { seed: 11 });
    const features = tokenizeForSft(tok, ["a", "b", "c", "d"].map((p) => ({ prompt: `${p}:`, completion: "xyz" })));
    const batch = collateSft(features, { padTokenId: EOS });
    const ppl0 = perplexity(model, [batch]);
    const params = model.namedParameters();
    const opt = new AdamW(params, { lr: 3e-2, weightDecay: 0 });
    model.train(true);
    const losses: number[] = [];
    for (let i = 0; i < 12; i++) losses.push((await trainStep(params, opt, () => sftLoss(model, batch))).loss);
    const ppl1 = perplexity(model, [batch]);
    assert.equal(model.training, true, "perplexity restores the training mode");
    assert.ok(losses[losses.length - 1] < losses[0] * 0.5, losses.join(", "));
    assert.ok(ppl1 < ppl0 / 5, `${ppl0} -> ${ppl1}`);
    opt.dispose();
    model.dispose();
  });
});
