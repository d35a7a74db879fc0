/**
 * `npm run bench -- bpe-train`: trains the lib's byte-level BPE on a shipped corpus (default: Jane
 * Austen, 4 MB) and encodes the corpus with it; side by side in the same run, the native Hugging Face
 * trainer (npm `tokenizers`, prebuilt Rust bindings) on the same text, and transformers.js encoding with
 * the saved tokenizer.json. Also times WordPiece training both ways.
 *
 * The native Node binding trains only with BpeTrainer's defaults (vocab 30000, min frequency 0, the seen
 * bytes as alphabet), so ours defaults to the same; both read the text line by line, newline kept, as
 * HF's train_from_files does. Flags: --corpus NAME, --vocab N, --min-frequency N, --repeat N, --no-native.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadText } from "../lib/data";
import { BpeTokenizer, trainBpe, trainWordPiece } from "../lib/tokenizers/train";
import { flag, round } from "./args";

interface Native {
  Tokenizer: { new (model: unknown): NativeTokenizer; fromFile(file: string): NativeTokenizer };
  BPE: { empty(): unknown };
  WordPiece: { empty(): unknown };
  byteLevelPreTokenizer(addPrefixSpace?: boolean, useRegex?: boolean): unknown;
  bertNormalizer(o?: object): unknown;
  bertPreTokenizer(): unknown;
}
interface NativeTokenizer {
  setPreTokenizer(p: unknown): void;
  setNormalizer(n: unknown): void;
  train(files: string[]): void;
  save(file: string, pretty?: boolean): void;
  encodeBatch(texts: string[], opts?: { addSpecialTokens?: boolean }): Promise<Array<{ getIds(): number[] }>>;
}

export async function bpeTrainBench(args: string[]): Promise<Record<string, unknown>> {
  const corpus = flag(args, "--corpus") ?? "austen";
  const vocabSize = Number(flag(args, "--vocab") ?? 30000);
  const minFrequency = Number(flag(args, "--min-frequency") ?? 0);
  const repeat = Math.max(1, Number(flag(args, "--repeat") ?? 3));
  const text = loadText(corpus);
  const bytes = Buffer.byteLength(text);
  const lines = text.split(/(?<=\n)/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-bpe-bench-"));

  // Ours: the first run is cold (JIT warm-up included), the figure is the median of `repeat` runs.
  const times: number[] = [];
  let tok: BpeTokenizer | undefined;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    tok = trainBpe(lines, { vocabSize, minFrequency });
    times.push(performance.now() - t0);
  }
  const trained = tok!;
  trained.save(dir);
  // A fresh tokenizer, so the encode figure includes filling the per-word merge cache.
  const fresh = BpeTokenizer.load(dir);
  let t0 = performance.now();
  const ids = fresh.encode(text);
  const encodeMs = performance.now() - t0;

  const result: Record<string, unknown> = {
    corpus,
    corpus_bytes: bytes,
    vocab_size: trained.vocabSize,
    vocab_size_asked: vocabSize,
    min_frequency: minFrequency,
    merges: trained.merges.length,
    train_ms: round(median(times)),
    train_ms_cold: round(times[0]),
    encode_mb_per_s: round(bytes / 1e6 / (encodeMs / 1000)),
    tokens: ids.length,
    bytes_per_token: round(bytes / ids.length, 2),
    roundtrip_ok: fresh.decode(ids) === text,
  };
  if (trained.vocabSize < vocabSize) result.note = "every word is a single token before vocab_size is reached: training stops early, as HF's does";

  result.transformersjs = await transformersJsEncode(dir, text, ids);
  result.native = args.includes("--no-native") ? { skipped: "--no-native" } : await nativeBpe(dir, text, lines, fresh, trained);
  result.wordpiece = await wordPiece(lines, dir, vocabSize, minFrequency, args.includes("--no-native"));
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

async function transformersJsEncode(dir: string, text: string, ids: number[]): Promise<Record<string, unknown>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hf = require("@huggingface/transformers") as typeof import("@huggingface/transformers");
  hf.env.allowRemoteModels = false;
  const tok = await hf.AutoTokenizer.from_pretrained(dir);
  const t0 = performance.now();
  const theirs = tok.encode(text);
  const ms = performance.now() - t0;
  return { encode_mb_per_s: round(Buffer.byteLength(text) / 1e6 / (ms / 1000)), ids_identical: sameIds(theirs, ids) };
}

function loadNative(): Native | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("tokenizers") as Native;
  } catch (e) {
    return `npm package 'tokenizers' (prebuilt HF bindings) not installed or not loadable here: ${(e as Error).message.split("\n")[0]}`;
  }
}

async function nativeBpe(dir: string, text: string, lines: string[], encoder: BpeTokenizer, ours: BpeTokenizer): Promise<Record<string, unknown>> {
  const native = loadNative();
  if (typeof native === "string") return { unavailable: native };
  const file = path.join(dir, "corpus.txt");
  fs.writeFileSync(file, text);
  const t0 = performance.now();
  const tok = new native.Tokenizer(native.BPE.empty());
  tok.setPreTokenizer(native.byteLevelPreTokenizer(false, true));
  tok.train([file]);
  const trainMs = performance.now() - t0;
  tok.save(path.join(dir, "native.json"), false);
  const model = JSON.parse(fs.readFileSync(path.join(dir, "native.json"), "utf8")).model;
  const merges = model.merges as Array<[string, string]>;
  // Same algorithm, same tie-breaking: the shorter merge list must be a prefix of the longer.
  const n = Math.min(merges.length, ours.merges.length);
  let same = 0;
  while (same < n && merges[same][0] === ours.merges[same][0] && merges[same][1] === ours.merges[same][1]) same++;
  // Native encoding with OUR saved tokenizer.json, line by line as a batch (one 4 MB string is slow
  // in Rust's offset bookkeeping): the same ids as ours for every line?
  const loaded = native.Tokenizer.fromFile(path.join(dir, "tokenizer.json"));
  const t1 = performance.now();
  const encodings = await loaded.encodeBatch(lines);
  const encodeMs = performance.now() - t1;
  const identical = encodings.every((e, i) => sameIds(e.getIds(), encoder.encode(lines[i])));
  return {
    package: `tokenizers@${packageVersion("tokenizers")}`,
    settings: "BpeTrainer defaults (the Node binding exposes no trainer options): vocab 30000, min_frequency 0, seen bytes as alphabet",
    train_ms: round(trainMs),
    vocab_size: Object.keys(model.vocab).length,
    merges: merges.length,
    merges_identical: same === n,
    merges_compared: n,
    encode_batch_mb_per_s: round(Buffer.byteLength(text) / 1e6 / (encodeMs / 1000)),
    ids_identical_per_line: identical,
    threads: os.cpus().length,
  };
}

async function wordPiece(lines: string[], dir: string, vocabSize: number, minFrequency: number, noNative: boolean): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const ours = trainWordPiece(lines, { vocabSize, minFrequency });
  const out: Record<string, unknown> = { train_ms: round(performance.now() - t0), vocab_size: ours.vocabSize };
  const native = noNative ? "--no-native" : loadNative();
  if (typeof native === "string") return { ...out, native: { unavailable: native } };
  const t1 = performance.now();
  const tok = new native.Tokenizer(native.WordPiece.empty());
  tok.setNormalizer(native.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }));
  tok.setPreTokenizer(native.bertPreTokenizer());
  tok.train([path.join(dir, "corpus.txt")]);
  const trainMs = performance.now() - t1;
  tok.save(path.join(dir, "native-wp.json"), false);
  const vocab = Object.keys(JSON.parse(fs.readFileSync(path.join(dir, "native-wp.json"), "utf8")).model.vocab);
  const mine = new Set(ours.vocab);
  // HF numbers its ##-alphabet in HashMap order, so ties can break differently: compare as sets.
  return { ...out, native: { train_ms: round(trainMs), vocab_size: vocab.length, vocab_overlap: round(vocab.filter((t) => mine.has(t)).length / vocab.length, 4) } };
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function packageVersion(name: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(`${name}/package.json`).version;
  } catch {
    return "?";
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

