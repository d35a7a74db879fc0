/**
 * `npm run bench -- generate`: greedy generation of 100 new tokens with and without the KV cache,
 * on a GPT-2 of 6 blocks x 384 wide (random weights: speed does not depend on them).
 */
import { GPT2LMHeadModel, generate, initEngine, median } from "hands-on-llm";
import { flag, round } from "./args";

export async function generateBench(args: string[]): Promise<Record<string, unknown>> {
  const newTokens = Number(flag(args, "--tokens") ?? 100);
  const repeats = Number(flag(args, "--repeats") ?? 3);
  const engine = await initEngine({ verbose: false });
  const config = { vocab_size: 5000, n_positions: 256, n_embd: 384, n_layer: 6, n_head: 6 };
  const model = new GPT2LMHeadModel(config);
  const prompt = Array.from({ length: 20 }, (_, i) => (i * 37) % config.vocab_size);
  const time = (useCache: boolean) => {
    const runs: number[] = [];
    generate(model, prompt, { maxNewTokens: 5, useCache }); // warm-up
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      generate(model, prompt, { maxNewTokens: newTokens, useCache });
      runs.push(performance.now() - t0);
    }
    return median(runs) / 1000;
  };
  const withCache = time(true);
  const withoutCache = time(false);
  model.dispose();
  return {
    backend: engine.backend,
    model: config,
    prompt_tokens: prompt.length,
    new_tokens: newTokens,
    seconds_with_cache: round(withCache, 2),
    seconds_without_cache: round(withoutCache, 2),
    tokens_per_s_with_cache: round(newTokens / withCache, 2),
    tokens_per_s_without_cache: round(newTokens / withoutCache, 2),
    speedup: round(withoutCache / withCache, 2),
  };
}

