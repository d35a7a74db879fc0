/**
 * The online path end to end, without the internet: `hubPipeline` (transformers.js) downloads a model
 * from a real HTTP server on 127.0.0.1 laid out as the Hugging Face Hub (tests/helpers/hub-server.ts),
 * caches it, and generates the same greedy text as the lib's own GPT-2 on the same weights.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPT2LMHeadModel, exportToOnnx, generate, hubPipeline, initEngine } from "../lib";
import { transformersJs } from "../lib/hub/pipeline";
import { startHubServer, type HubServer } from "./helpers/hub-server";

const GPT2_DIR = path.join(__dirname, "..", "data", "models", "gpt2-austen");
const REPO = "hollm-test/gpt2-austen-onnx";
let root: string;
let server: HubServer;

before(async () => {
  await initEngine({ verbose: false });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-hub-pipeline-"));
  const model = GPT2LMHeadModel.fromFolder(GPT2_DIR);
  exportToOnnx(model, path.join(root, "hub", REPO, "main"), { tokenizerDir: GPT2_DIR });
  model.dispose();
  server = await startHubServer({ root: path.join(root, "hub") });
  const hf = transformersJs();
  hf.env.allowRemoteModels = true;
  hf.env.allowLocalModels = false;
});

after(async () => {
  await server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test("hubPipeline('text-generation') downloads from the local hub server and matches the lib's greedy text", async () => {
  const cacheDir = path.join(root, "cache");
  const generator = await hubPipeline("text-generation", REPO, { endpoint: server.url, cacheDir, device: "cpu", dtype: "fp32" });
  const prompt = "It is a truth universally acknowledged, that";
  const [{ generated_text }] = (await generator(prompt, { max_new_tokens: 15, do_sample: false })) as Array<{ generated_text: string }>;

  const model = GPT2LMHeadModel.fromFolder(GPT2_DIR);
  const promptIds = generator.tokenizer.encode(prompt);
  const ids = generate(model, promptIds, { maxNewTokens: 15, eosTokenId: model.config.eos_token_id });
  assert.equal(generated_text, generator.tokenizer.decode(ids, { skip_special_tokens: true }));
  model.dispose();

  // Everything came through the hub's URL layout, and the files landed in the cache folder.
  const fetched = server.requests.filter((r) => r.path.includes("/resolve/main/")).map((r) => r.path);
  for (const file of ["config.json", "tokenizer.json", "onnx/model.onnx"]) {
    assert.ok(fetched.some((p) => p.endsWith(`/${REPO}/resolve/main/${file}`)), `requested ${file}: ${fetched.join(", ")}`);
  }
  assert.ok(fs.existsSync(cacheDir) && fs.readdirSync(cacheDir, { recursive: true }).some((f) => String(f).endsWith("model.onnx")), "model.onnx cached");
  await generator.dispose();
});

test("hubPipeline names the model and the endpoint when the repository does not exist", async () => {
  await assert.rejects(
    hubPipeline("text-generation", "hollm-test/no-such-model", { endpoint: server.url, cacheDir: path.join(root, "cache2"), device: "cpu" }),
    (err: Error) => /could not load 'hollm-test\/no-such-model' for text-generation from http:\/\/127\.0\.0\.1:\d+\//.test(err.message),
  );
});
