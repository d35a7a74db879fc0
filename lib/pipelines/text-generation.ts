/**
 * `pipeline("text-generation", model=..., tokenizer=...)` for the lib's own models: a callable that
 * takes a prompt and returns `[{ generated_text }]`, the shape transformers returns.
 */
import { CausalLM, GenerateOptions, generate } from "../generation/generate";

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
}

export interface TextGenerationOptions extends GenerateOptions {
  /** false: only the continuation, as `return_full_text=False` (the book's setting). Default true, as HF. */
  returnFullText?: boolean;
}

export type TextGenerationPipeline = (prompt: string, overrides?: TextGenerationOptions) => Array<{ generated_text: string }>;

export function textGenerationPipeline(model: CausalLM, tokenizer: TextTokenizer, defaults: TextGenerationOptions = {}): TextGenerationPipeline {
  return (prompt, overrides = {}) => {
    const opts = { ...defaults, ...overrides };
    const promptIds = tokenizer.encode(prompt);
    const ids = generate(model, promptIds, opts);
    const text = tokenizer.decode(opts.returnFullText === false ? ids.slice(promptIds.length) : ids);
    return [{ generated_text: text }];
  };
}
