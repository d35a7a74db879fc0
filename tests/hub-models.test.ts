/**
 * fromPretrained with hub ids, against a real HTTP server on 127.0.0.1 in the hub's URL layout:
 * a single-file checkpoint, a sharded one (model.safetensors.index.json), and a pickle-only repo.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPT2LMHeadModel, LlamaForCausalLM, SafetensorsFile, initEngine, saveSafetensors, tf } from "../lib";
import { HubServer, startHubServer } from "./helpers/hub-server";

const fixtures = path.join(__dirname, "fixtures");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hub-models-"));
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-cache-"));
let hub: HubServer;

function copyRepo(from: string, repo: string): string {
  const dest = path.join(root, repo, "main");
  fs.mkdirSync(dest, { recursive: true });
  for (const f of fs.readdirSync(from)) if (f.endsWith(".json") || f.endsWith(".safetensors")) fs.copyFileSync(path.join(from, f), path.join(dest, f));
  return dest;
}

before(async () => {
  copyRepo(path.join(fixtures, "gpt2-tiny"), "acme/gpt2-tiny");
  // The Llama fixture split into two shards with an index, as large hub checkpoints are.
  const sharded = copyRepo(path.join(fixtures, "llama-tiny", "llama"), "acme/llama-sharded");
  const whole = SafetensorsFile.open(path.join(sharded, "model.safetensors"));
  const names = whole.names().sort();
  const weightMap: Record<string, string> = {};
  names.forEach((n, i) => {
    const shard = i % 2 === 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    weightMap[n] = shard;
  });
  for (const shard of new Set(Object.values(weightMap))) {
    const tensors: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const n of names.filter((m) => weightMap[m] === shard)) {
      const t = whole.tensor(n);
      tensors[n] = { shape: t.shape, values: t.values as Float32Array };
    }
    saveSafetensors(path.join(sharded, shard), tensors);
  }
  whole.close();
  fs.rmSync(path.join(sharded, "model.safetensors"));
  fs.writeFileSync(path.join(sharded, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const pickle = path.join(root, "acme/pickled/main");
  fs.mkdirSync(pickle, { recursive: true });
  fs.writeFileSync(path.join(pickle, "config.json"), JSON.stringify({ model_type: "gpt2" }));
  fs.writeFileSync(path.join(pickle, "pytorch_model.bin"), "not loaded");
  hub = await startHubServer({ root });
});

after(async () => {
  await hub.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const same = (a: tf.Tensor, b: tf.Tensor) => assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));

test("GPT2LMHeadModel.fromPretrained downloads from the hub into the cache, then loads from it offline", async () => {
  await initEngine({ verbose: false });
  const opts = { endpoint: hub.url, cacheDir };
  const fromHub = await GPT2LMHeadModel.fromPretrained("acme/gpt2-tiny", opts);
  const local = GPT2LMHeadModel.fromFolder(path.join(fixtures, "gpt2-tiny"));
  const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
  tf.tidy(() => same(fromHub.forward(ids).logits, local.forward(ids).logits));
  const requests = hub.requests.length;
  const again = await GPT2LMHeadModel.fromPretrained("acme/gpt2-tiny", { ...opts, offline: true });
  assert.equal(hub.requests.length, requests, "a cached checkpoint makes no request");
  [fromHub, local, again].forEach((m) => m.dispose());
  ids.dispose();
});

test("sharded checkpoints load through model.safetensors.index.json", async () => {
  await initEngine({ verbose: false });
  const fromHub = await LlamaForCausalLM.fromPretrained("acme/llama-sharded", { endpoint: hub.url, cacheDir });
  const local = LlamaForCausalLM.fromFolder(path.join(fixtures, "llama-tiny", "llama"));
  assert.equal(hub.requestsFor("model-0000").filter((r) => r.status === 200 || r.status === 302).length > 0, true);
  const ids = tf.tensor2d([[1, 9, 4]], undefined, "int32");
  tf.tidy(() => same(fromHub.forward(ids).logits, local.forward(ids).logits));
  [fromHub, local].forEach((m) => m.dispose());
  ids.dispose();
});

test("a repo with only a pickled pytorch_model.bin is refused; an unknown repo names itself", async () => {
  await assert.rejects(GPT2LMHeadModel.fromPretrained("acme/pickled", { endpoint: hub.url, cacheDir }), /pickled pytorch_model.bin files are never loaded/);
  await assert.rejects(GPT2LMHeadModel.fromPretrained("acme/missing", { endpoint: hub.url, cacheDir }), /acme\/missing/);
});
