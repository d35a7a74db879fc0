/** `npm run train -- <name> [--steps N] [--out DIR]`: trains one of the lib's own models into data/models/<name>. */
import * as path from "node:path";
import { dataDir } from "hands-on-llm";
import { flag } from "../../bench/args";
import { trainBertMlm } from "./bert-mlm";
import { trainBertMiniSentence } from "./bert-mini-sentence";
import { trainGpt2Austen } from "./gpt2-austen";
import { trainLlamaMini } from "./llama-mini";
import { trainLlamaMiniInstruct } from "./llama-mini-instruct";

const recipes: Record<string, (outDir: string, steps?: number) => Promise<Record<string, unknown>>> = {
  "gpt2-austen": trainGpt2Austen,
  "bert-mini-mlm": trainBertMlm,
  "bert-mini-sentence": trainBertMiniSentence,
  "llama-mini": trainLlamaMini,
  "llama-mini-instruct": trainLlamaMiniInstruct,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const recipe = recipes[name];
  if (!recipe) {
    console.error(`usage: npm run train -- <${Object.keys(recipes).join("|")}> [--steps N] [--out DIR]`);
    process.exit(2);
  }
  const outDir = flag(args, "--out") ?? path.join(dataDir(), "models", name);
  const steps = flag(args, "--steps") ? Number(flag(args, "--steps")) : undefined;
  const card = await recipe(outDir, steps);
  console.log(JSON.stringify({ model: name, outDir, ...card }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
