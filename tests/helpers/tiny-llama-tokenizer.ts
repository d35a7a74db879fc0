/**
 * A TinyLlama-like tokenizer for tests, built in memory: byte-level BPE with no merges, so every byte is one
 * token whose id is the byte value ("a" = 97, "\n" = 10), plus <s> = 256 (BOS, added by a Llama-like
 * post-processor), </s> = 257 (EOS) and <unk> = 258, and TinyLlama's chat template.
 */
import { HfTokenizer } from "../../lib/tokenizers/hf";
import { BYTE_TO_CHAR } from "../../lib/tokenizers/train/byte-level";
import { TINYLLAMA_CHAT_TEMPLATE } from "../../lib/finetuning/sft";

export function tinyLlamaLikeTokenizer(withTemplate = true): HfTokenizer {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
  const specials = ["<s>", "</s>", "<unk>"];
  specials.forEach((s, i) => (vocab[s] = 256 + i));
  const seq = { Sequence: { id: "A", type_id: 0 } };
  const bos = { SpecialToken: { id: "<s>", type_id: 0 } };
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, i) => ({ id: 256 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "TemplateProcessing", single: [bos, seq], pair: [bos, seq, { Sequence: { id: "B", type_id: 1 } }], special_tokens: { "<s>": { id: "<s>", ids: [256], tokens: ["<s>"] } } },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
  const config: Record<string, unknown> = { tokenizer_class: "LlamaTokenizer", bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", model_max_length: 2048 };
  if (withTemplate) config.chat_template = TINYLLAMA_CHAT_TEMPLATE;
  return HfTokenizer.fromJson(json, config, "tiny-llama-like");
}
