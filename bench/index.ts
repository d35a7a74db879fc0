/** `npm run bench -- <name> [flags]`: runs one benchmark and prints its result as one JSON line. */
import { generateBench } from "./generate";
import { bpeTrainBench } from "./bpe-train";
import { trainStepBench } from "./train-step";
import { hdbscanBench } from "./hdbscan";
import { umapBench } from "./umap";
import { topicsBench } from "./topics";
import { searchBench } from "./search";
import { dpoStepBench, qloraStepBench } from "./qlora";

const benches: Record<string, (args: string[]) => Promise<Record<string, unknown>>> = {
  "train-step": trainStepBench,
  "bpe-train": bpeTrainBench,
  generate: generateBench,
  hdbscan: hdbscanBench,
  umap: umapBench,
  topics: topicsBench,
  search: searchBench,
  "qlora-step": qloraStepBench,
  "dpo-step": dpoStepBench,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const bench = benches[name];
  if (!bench) {
    console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}> [flags]`);
    process.exit(2);
  }
  console.log(JSON.stringify({ bench: name, ...(await bench(args)) }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
