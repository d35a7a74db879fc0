/**
 * Training tokenizers from scratch, as Hugging Face `tokenizers` does, with files that
 * @huggingface/transformers loads and encodes identically:
 *
 *   const bpe = trainBpe(loadText("austen"), { vocabSize: 8000, specialTokens: ["<|endoftext|>"] });
 *   bpe.save("out/austen-bpe");            // tokenizer.json + tokenizer_config.json (+ vocab.json, merges.txt)
 *   const wp = trainWordPiece(loadText("austen"), { vocabSize: 8000 });
 *   wp.encode("Hello!", { pair: "World" }); // [CLS] hello ! [SEP] world [SEP]
 *
 * Merges follow HF's BpeTrainer exactly (ties broken on the smaller pair of ids, i.e. specials, then
 * alphabet by code point, then merge order); on the Austen corpus the merge list equals the native
 * trainer's (bench/bpe-train.ts checks it). Text handling follows transformers.js 4.3.1, which decides the
 * ids of a loaded tokenizer.json; where that differs from Rust `tokenizers`: JS `\s` in the GPT-2 regex
 * (U+FEFF is whitespace, U+0085 is not), CJK spacing only for BMP ideographs, unassigned code points kept.
 */
export { GPT2_SPLIT_PATTERN, BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevelAlphabet, byteLevelPreTokenize, gpt2Split, toByteLevel } from "./byte-level";
export { bertNormalize, bertPreTokenize } from "./bert";
export type { BertNormalizerOptions } from "./bert";
export { learnMerges } from "./merges";
export type { LearnMergesInput, LearnMergesResult } from "./merges";
export { trainBpe, BpeTokenizer } from "./bpe";
export type { BpeTrainOptions, BpeTokenizerInit, EncodeOptions as BpeEncodeOptions, DecodeOptions as BpeDecodeOptions } from "./bpe";
export { trainWordPiece, WordPieceTokenizer, cleanUpTokenization } from "./wordpiece";
export type { WordPieceTrainOptions, WordPieceTokenizerInit, WordPieceEncodeOptions, WordPieceEncoding, WordPieceDecodeOptions } from "./wordpiece";
